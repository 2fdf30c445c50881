"""Uncertainty carried through the game (stage "uncertainty", workflow/rules/uncertainty.smk):
``paired`` runs the paired bootstrap over questions from ``results/curves/.../{provider}.questions.csv``
and writes ``results/uncertainty/{dataset}/{method}.replicates.csv``, ``.summary.json`` and ``.sweep.csv``.
"""
