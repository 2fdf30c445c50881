"""Datasets: a registry of loaders by ``kind`` that all return the prepared records of docs/contracts.md.

A dataset spec is one entry of the config's ``datasets:`` list; ``id`` and ``kind`` are required,
the other keys belong to the loader. Every loader returns records
``{"qid", "question", "answer", "dataset", "meta"}`` with string ``qid``/``question``/``answer``.

The default workflow uses ``arithmetic``: bare arithmetic questions the project generates itself,
seeded, with exact integer answers, sized to what a 135M-parameter model can sometimes solve
(see docs/default-market.md for why this task and these operand ranges).

The paper's benchmarks (docs/gpu.md) are the kinds ``gsm8k``, ``gpqa`` and ``aime``. Each reads
rows either from the Hugging Face hub (``hub_id``, ``hub_config``, ``split``, ``revision``; through
the ``datasets`` library, imported only then) or from a local file (``local_path``: JSONL, CSV or
Parquet with the hub's field names), then maps them to prepared records:

- ``gsm8k`` (``openai/gsm8k``, config ``main``, split ``test``): gold = the text after ``####`` in
  ``answer``, thousands separators removed; the worked solution stays in ``meta.solution``;
- ``gpqa`` (``Idavidrein/gpqa``, gated, config ``gpqa_extended``: 546 questions, split ``train``):
  the options are shuffled as the reference implementation did (``gpqa_questions``), and the record's
  ``question`` is the reference's whole GPQA prompt (``ttcgames.data.prompts.gpqa_prompt``: instruction,
  question, lettered options), so non-reasoning providers ask it with the ``plain`` style and
  reasoning ones with ``think``; the gold answer is the correct option's letter;
- ``aime`` (``gneubig/aime-1983-2024``, split ``train``; the paper's footnote names
  ``Maxwell-Jia/AIME_2024``, whose fields ``Problem``/``Answer`` are read too): question and integer
  answer, optionally only some ``years``.

Gated datasets take the token from the environment variable ``HF_TOKEN`` only; it is never
written to a file or a log. Every kind accepts ``n_questions`` (keep the first n; null = all).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import iter_jsonl, read_jsonl, write_jsonl

__all__ = [
    "LOADERS",
    "register_loader",
    "prepare_dataset",
    "write_dataset",
    "read_dataset",
    "validate_records",
    "arithmetic_questions",
    "OPERATIONS",
    "read_rows",
    "gsm8k_questions",
    "gpqa_questions",
    "aime_questions",
    "gsm8k_gold",
    "GPQA_SHUFFLE_SEED",
    "HUB_DEFAULTS",
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


# --- the paper's benchmarks: GSM8K, GPQA, AIME -----------------------------------------------------

# kind -> where its rows come from by default (docs/paper-notes.md, "Experimental grid").
HUB_DEFAULTS: dict[str, dict[str, Any]] = {
    "gsm8k": {"hub_id": "openai/gsm8k", "hub_config": "main", "split": "test"},
    "gpqa": {"hub_id": "Idavidrein/gpqa", "hub_config": "gpqa_extended", "split": "train"},
    "aime": {"hub_id": "gneubig/aime-1983-2024", "hub_config": None, "split": "train"},
}


def _read_local_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a local JSONL, JSON (a list of objects), CSV or Parquet file, as dicts keyed by the file's field names."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: local dataset file not found")
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    if suffix in (".jsonl", ".ndjson"):
        return [row for _, row in iter_jsonl(path)]
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ArtifactError(f"{path}: expected a JSON list of objects")
        return data
    if suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    raise ValueError(f"{path}: unsupported local dataset format {path.suffix!r} (use .jsonl, .json, .csv or .parquet)")


def _read_hub_rows(hub_id: str, hub_config: str | None, split: str, revision: str | None, where: str) -> list[dict[str, Any]]:
    """Rows of a hub dataset split through ``datasets.load_dataset`` (token from ``HF_TOKEN`` only)."""
    try:
        import datasets
    except ImportError as exc:
        raise ImportError(f"{where}: loading {hub_id} from the hub needs `pip install datasets`") from exc
    # The token is read from the environment and handed to the library; never logged or stored.
    token = os.environ.get("HF_TOKEN") or None
    try:
        ds = datasets.load_dataset(hub_id, hub_config, split=split, revision=revision, token=token)
    except Exception as exc:  # the library raises many types (gated, offline, missing config)
        hint = "" if token else " (gated datasets need an access token in the environment variable HF_TOKEN)"
        raise RuntimeError(f"{where}: could not load {hub_id} (config {hub_config}, split {split}): {type(exc).__name__}: {exc}{hint}") from None
    return [dict(row) for row in ds]


def read_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The raw rows of a benchmark spec: from ``local_path`` when given, else from the hub."""
    where = f"dataset {spec.get('id')!r}"
    defaults = HUB_DEFAULTS.get(spec.get("kind"), {})
    local = spec.get("local_path")
    if local:
        return _read_local_rows(Path(local))
    hub_id = spec.get("hub_id") or defaults.get("hub_id")
    if not hub_id:
        raise ValueError(f"{where}: set 'hub_id' or 'local_path'")
    hub_config = spec.get("hub_config", defaults.get("hub_config"))
    split = spec.get("split") or defaults.get("split", "train")
    return _read_hub_rows(hub_id, hub_config, split, spec.get("revision"), where)


def _field(row: dict[str, Any], names: tuple[str, ...], where: str) -> Any:
    """The first of ``names`` present in ``row`` (hub datasets differ in capitalisation), or a clear error."""
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    raise ArtifactError(f"{where}: missing field {' / '.join(repr(n) for n in names)} (fields: {', '.join(map(str, row))})")


def _first_n(rows: list, spec: dict[str, Any]) -> list:
    """The first ``n_questions`` rows (all when the key is missing or null)."""
    n = spec.get("n_questions")
    if n is None:
        return rows
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"dataset {spec.get('id')!r}: 'n_questions' must be a positive integer or null, got {n!r}")
    return rows[:n]


def _where(spec: dict[str, Any], index: int) -> str:
    source = spec.get("local_path") or spec.get("hub_id") or HUB_DEFAULTS.get(spec.get("kind"), {}).get("hub_id")
    return f"dataset {spec.get('id')!r} ({source}) row {index + 1}"


_GSM8K_GOLD = re.compile(r"####\s*(.+?)\s*$", re.DOTALL)


def gsm8k_gold(answer_field: str) -> str:
    """GSM8K's gold answer: the text after ``####``, thousands separators removed ("1,234" -> "1234")."""
    m = _GSM8K_GOLD.search(answer_field)
    if m is None:
        raise ValueError("no '####' marker in the answer field")
    return m.group(1).replace(",", "").strip()


def gsm8k_questions(spec: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """GSM8K (fields ``question``, ``answer``); the seed is unused (no random choice)."""
    dataset_id = spec["id"]
    records = []
    for i, row in enumerate(_first_n(read_rows(spec), spec)):
        where = _where(spec, i)
        question = _field(row, ("question",), where)
        solution = str(_field(row, ("answer",), where))
        try:
            gold = gsm8k_gold(solution)
        except ValueError as exc:
            raise ArtifactError(f"{where}: field 'answer': {exc}") from None
        records.append(
            {
                "qid": f"{dataset_id}-{i:04d}",
                "question": str(question).strip(),
                "answer": gold,
                "dataset": dataset_id,
                "meta": {"index": i, "solution": solution},
            }
        )
    return records


GPQA_OPTION_FIELDS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


# The reference shuffled GPQA's options with one random.Random(1234) (docs/paper-notes.md, "Experimental grid"; docs/gpu.md).
GPQA_SHUFFLE_SEED = 1234


def _shuffle_seed(spec: dict[str, Any]) -> int:
    value = spec.get("shuffle_seed", GPQA_SHUFFLE_SEED)
    if value is None:
        return GPQA_SHUFFLE_SEED
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"dataset {spec.get('id')!r}: 'shuffle_seed' must be an integer, got {value!r}")
    return value


def gpqa_questions(spec: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """GPQA (fields ``Question``, ``Correct Answer``, ``Incorrect Answer 1-3``, ``Record ID``).

    Option order, as the reference implementation made its GPQA file: one
    ``random.Random(shuffle_seed)`` (dataset key ``shuffle_seed``, default 1234, the reference's)
    shuffles, row after row in the dataset's order, the list (correct, incorrect 1, 2, 3) with
    ``Random.shuffle``; the gold letter is that of the first shown option whose text equals the
    correct answer. Texts are kept as the dataset wrote them (the reference cleaned nothing). The
    master ``seed`` is not used: the order must be the reference's whatever the run's seed.
    Since the draws run in row order, question i's order depends on the rows before it, and
    ``n_questions`` keeps the first n questions with the orders of the full file.

    ``meta.order[k]`` names the source field shown as letter k, ``meta.options`` the shown texts,
    ``meta.question_text`` the bare question, ``meta.shuffle_seed`` the seed.
    """
    from ttcgames.data.prompts import OPTION_LETTERS, gpqa_prompt

    dataset_id = spec["id"]
    shuffle_seed = _shuffle_seed(spec)
    rng = random.Random(shuffle_seed)
    records = []
    for i, row in enumerate(_first_n(read_rows(spec), spec)):
        where = _where(spec, i)
        question = str(_field(row, ("Question",), where))
        options = [str(_field(row, (name,), where)) for name in GPQA_OPTION_FIELDS]
        order = list(range(len(options)))
        rng.shuffle(order)  # the same draws as shuffling the four texts themselves
        shown = [options[k] for k in order]
        letter = OPTION_LETTERS[shown.index(options[0])]
        records.append(
            {
                "qid": f"{dataset_id}-{i:04d}",
                "question": gpqa_prompt(question, shown),
                "answer": letter,
                "dataset": dataset_id,
                "meta": {
                    "index": i,
                    "record_id": str(row.get("Record ID", "")),
                    "question_text": question,
                    "shuffle_seed": shuffle_seed,
                    "order": [GPQA_OPTION_FIELDS[k] for k in order],
                    "options": shown,
                },
            }
        )
    return records


def aime_questions(spec: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """AIME (gneubig/aime-1983-2024: ``ID``, ``Year``, ``Problem Number``, ``Question``, ``Answer``;
    Maxwell-Jia/AIME_2024: ``ID``, ``Problem``, ``Answer``). Optional ``years``: keep only those years
    (needs a ``Year`` field). Answers are integers 0-999, written without leading zeros."""
    dataset_id = spec["id"]
    years = spec.get("years")
    rows = read_rows(spec)
    if years:
        wanted = {int(y) for y in years}
        kept = []
        for i, row in enumerate(rows):
            year = _field(row, ("Year", "year"), _where(spec, i))
            if int(year) in wanted:
                kept.append((i, row))
    else:
        kept = list(enumerate(rows))
    kept = _first_n(kept, spec)
    records = []
    for j, (i, row) in enumerate(kept):
        where = _where(spec, i)
        question = str(_field(row, ("Question", "Problem", "problem", "question"), where)).strip()
        raw = str(_field(row, ("Answer", "answer"), where)).strip()
        try:
            gold = str(int(float(raw))) if re.fullmatch(r"-?\d+(\.0+)?", raw) else raw
        except ValueError:
            gold = raw
        meta = {"index": i, "id": str(row.get("ID", row.get("id", "")))}
        for key in ("Year", "Problem Number", "Part"):
            if key in row and row[key] is not None:
                meta[key.lower().replace(" ", "_")] = row[key] if isinstance(row[key], (int, str)) else str(row[key])
        records.append({"qid": f"{dataset_id}-{j:04d}", "question": question, "answer": gold, "dataset": dataset_id, "meta": meta})
    return records


register_loader("gsm8k")(gsm8k_questions)
register_loader("gpqa")(gpqa_questions)
register_loader("aime")(aime_questions)
