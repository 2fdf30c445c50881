"""Datasets: a registry of loaders by ``kind`` that all return the prepared records of docs/contracts.md.

A dataset spec is one entry of the config's ``datasets:`` list; ``id`` and ``kind`` are required,
the other keys belong to the loader. Every loader returns records
``{"qid", "question", "answer", "dataset", "meta"}`` with string ``qid``/``question``/``answer``.

The real benchmarks (GSM8K, GPQA, AIME) register further kinds in a later issue. The default
workflow uses ``arithmetic``: bare arithmetic questions the project generates itself, seeded,
with exact integer answers, sized to what a 135M-parameter model can sometimes solve
(see docs/default-market.md for why this task and these operand ranges).
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ttcgames.jsonl import ArtifactError, read_jsonl, write_jsonl

__all__ = [
    "LOADERS",
    "register_loader",
    "prepare_dataset",
    "write_dataset",
    "read_dataset",
    "validate_records",
    "arithmetic_questions",
    "OPERATIONS",
]

RECORD_KEYS = ("qid", "question", "answer", "dataset", "meta")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")

Loader = Callable[[dict[str, Any], int], list[dict[str, Any]]]
LOADERS: dict[str, Loader] = {}


def register_loader(kind: str) -> Callable[[Loader], Loader]:
    """Register ``fn(spec, seed) -> records`` as the loader for datasets of ``kind``."""

    def decorator(fn: Loader) -> Loader:
        if kind in LOADERS:
            raise ValueError(f"dataset kind {kind!r} registered twice")
        LOADERS[kind] = fn
        return fn

    return decorator


def prepare_dataset(spec: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """Build the records of the dataset described by ``spec`` (a ``datasets:`` entry), deterministically in ``seed``."""
    dataset_id = spec.get("id")
    if not isinstance(dataset_id, str) or not ID_PATTERN.match(dataset_id):
        raise ValueError(f"dataset spec: 'id' must be a slug matching {ID_PATTERN.pattern}, got {dataset_id!r}")
    kind = spec.get("kind")
    if kind not in LOADERS:
        raise ValueError(f"dataset {dataset_id!r}: unknown kind {kind!r}; known: {', '.join(sorted(LOADERS))}")
    records = LOADERS[kind](spec, int(seed))
    validate_records(records, where=f"dataset {dataset_id!r}")
    return records


def validate_records(records: list[dict[str, Any]], where: str) -> None:
    """Check the contract: required keys, string fields, object ``meta``, unique ``qid``."""
    seen: set[str] = set()
    for i, rec in enumerate(records, start=1):
        missing = [k for k in RECORD_KEYS if k not in rec]
        if missing:
            raise ArtifactError(f"{where}: record {i} lacks key(s) {', '.join(missing)}")
        for key in ("qid", "question", "answer", "dataset"):
            if not isinstance(rec[key], str):
                raise ArtifactError(f"{where}: record {i}: {key!r} must be a string, got {type(rec[key]).__name__}")
        if not isinstance(rec["meta"], dict):
            raise ArtifactError(f"{where}: record {i}: 'meta' must be an object")
        if rec["qid"] in seen:
            raise ArtifactError(f"{where}: record {i}: duplicate qid {rec['qid']!r}")
        seen.add(rec["qid"])


def write_dataset(records: list[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Atomically write prepared records to ``results/data/{dataset}.jsonl`` (or any path)."""
    validate_records(records, where=str(path))
    return write_jsonl(path, records)


def read_dataset(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read and validate a prepared dataset file."""
    records = read_jsonl(path, required=RECORD_KEYS)
    validate_records(records, where=str(path))
    return records


# --- arithmetic: the default, self-generated task ------------------------------------------------

# op name -> (symbol shown in the question, function)
OPERATIONS: dict[str, tuple[str, Callable[[int, int], int]]] = {
    "add": ("+", lambda a, b: a + b),
    "sub": ("-", lambda a, b: a - b),
    "mul": ("*", lambda a, b: a * b),
}


def _int_range(value: Any, where: str) -> tuple[int, int]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or value[0] > value[1]
    ):
        raise ValueError(f"{where}: expected [low, high] integers with low <= high, got {value!r}")
    return int(value[0]), int(value[1])


def arithmetic_questions(spec: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """Questions "What is a op b?" with exact integer answers.

    Spec keys: ``n_questions`` (int), ``problems`` (list of ``{op: add|sub|mul, a: [lo, hi],
    b: [lo, hi]}``; optional ``id`` naming the problem type). Question ``i`` uses problem type
    ``i mod len(problems)`` so every type gets an equal share; operands are drawn uniformly from
    a generator seeded by (seed, dataset id). Subtraction swaps operands so answers are never negative.
    """
    dataset_id = spec["id"]
    where = f"dataset {dataset_id!r}"
    n = spec.get("n_questions")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{where}: 'n_questions' must be a positive integer, got {n!r}")
    problems = spec.get("problems")
    if not isinstance(problems, list) or not problems:
        raise ValueError(f"{where}: 'problems' must be a non-empty list of {{op, a, b}}")
    parsed = []
    for j, prob in enumerate(problems):
        pwhere = f"{where}: problems[{j}]"
        if not isinstance(prob, dict):
            raise ValueError(f"{pwhere}: expected a mapping, got {prob!r}")
        op = prob.get("op")
        if op not in OPERATIONS:
            raise ValueError(f"{pwhere}: unknown op {op!r}; known: {', '.join(OPERATIONS)}")
        a = _int_range(prob.get("a"), f"{pwhere}.a")
        b = _int_range(prob.get("b"), f"{pwhere}.b")
        parsed.append((str(prob.get("id", f"{op}{j}")), op, a, b))
    # Seed from (seed, dataset id) so two datasets with one master seed still differ.
    rng = np.random.default_rng([int(seed), zlib.crc32(dataset_id.encode())])
    records = []
    for i in range(n):
        ptype, op, (alo, ahi), (blo, bhi) = parsed[i % len(parsed)]
        a = int(rng.integers(alo, ahi + 1))
        b = int(rng.integers(blo, bhi + 1))
        if op == "sub" and a < b:
            a, b = b, a
        symbol, fn = OPERATIONS[op]
        records.append(
            {
                "qid": f"{dataset_id}-{i:04d}",
                "question": f"What is {a} {symbol} {b}?",
                "answer": str(fn(a, b)),
                "dataset": dataset_id,
                "meta": {"op": op, "a": a, "b": b, "problem": ptype},
            }
        )
    return records


register_loader("arithmetic")(arithmetic_questions)
