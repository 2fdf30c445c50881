"""Grading: each sample's vote label and verdict (stage "grading", workflow/rules/grading.smk).

``verifiers`` (numeric extraction, math-verify, the grading kinds and ``grade_file``), ``choices``
(option letters), ``reference`` (the paper's own verifiers re-implemented, writing their explanation
strings) and ``explanations`` (vote labels read from those strings, shared with the trace import).
Reads ``results/generations/{dataset}/{provider}.jsonl`` and ``results/data/{dataset}.jsonl``; writes
``results/grades/{dataset}/{provider}.csv``.
"""
