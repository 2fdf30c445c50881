"""Plumbing shared by the stages, one concept per module: the artifact error (``errors``), atomic
writes (``atomic``), JSON Lines (``jsonl``), JSON documents (``json_file``), CSV (``csv_file``),
file hashes (``digest``), checked CSV reads into pandas frames (``frames``), resumable shards
(``shards``) and progress logging of long jobs (``progress``).
"""
