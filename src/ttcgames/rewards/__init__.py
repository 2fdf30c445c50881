"""Reward scoring (stage "rewards", workflow/rules/rewards.smk): ``armorm`` scores (question,
answer) pairs with ArmoRM (lazy torch, resumable shards). Reads the data and generations; writes
``results/rewards/{dataset}/{provider}.csv``.
"""
