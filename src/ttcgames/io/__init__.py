"""Plumbing shared by the stages: atomic writes, JSONL and CSV (``jsonl``), resumable shards
(``shards``) and progress logging of long jobs (``progress``).
"""
