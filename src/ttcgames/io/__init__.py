"""Plumbing shared by the stages: atomic writes, JSONL and CSV (``jsonl``), checked CSV reads into
pandas frames (``frames``), resumable shards (``shards``) and progress logging of long jobs
(``progress``).
"""
