"""Atomic JSONL/CSV/text writers and validating readers shared by every workflow stage.

Writers follow docs/contracts.md: write ``<path>.tmp-<pid>`` in the same folder, flush and fsync,
then ``os.replace`` it onto ``path``, so a killed job never leaves a half-written artifact that
Snakemake (or a resumed run) would mistake for a finished one. Readers raise ``ArtifactError``
naming the file, line and key when the input is malformed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ArtifactError",
    "atomic_write_text",
    "dumps_jsonl",
    "write_jsonl",
    "iter_jsonl",
    "read_jsonl",
    "file_sha256",
    "write_csv",
    "read_csv",
    "write_json",
]


class ArtifactError(ValueError):
    """A workflow artifact is missing a key, malformed, or inconsistent; the message names file and line."""


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically; create parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def dumps_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """Serialise records as JSON Lines; key order is the records' insertion order (deterministic)."""
    return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)


def write_jsonl(path: str | os.PathLike, records: Iterable[Mapping[str, Any]]) -> Path:
    """Atomically write one JSON object per line."""
    return atomic_write_text(path, dumps_jsonl(records))


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write an indented JSON document."""
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list", dict: "an object"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _has_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true/false is no integer or number here
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, kinds)


def iter_jsonl(
    path: str | os.PathLike,
    required: Sequence[str] = (),
    *,
    error: type[Exception] = ArtifactError,
    types: Mapping[str, type | tuple[type, ...]] | None = None,
    on_bad: Callable[[int, str], None] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for every non-blank line of a JSONL file, the one JSONL reader
    of the package. Every line must be a JSON object holding the ``required`` keys; otherwise
    ``error`` (a stage's own error class; ``ArtifactError`` by default) is raised with the message
    ``<path>:<line>: ...``.

    ``types`` maps keys to the Python type(s) their JSON value must have when present (``str``,
    ``int``, ``float`` (an integer is a number too), ``bool``, ``list``, ``dict``, or a tuple of
    them; ``type(None)`` allows null). A mismatch is an error naming the file, line and key, e.g.
    ``gen.jsonl:3: key 'text' must be a string, got null``.

    ``on_bad``: for readers that tolerate bad lines (the trace import's ``bad_lines: skip``), a
    callback ``on_bad(line number, reason)`` that receives each line that would be an error and the
    reason (the message without the ``<path>:<line>: `` prefix); the line is skipped. The callback may
    raise. A file that is missing or not UTF-8 is an ``error`` either way."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: file not found")

    def problem(lineno: int, reason: str) -> None:
        if on_bad is None:
            raise error(f"{path}:{lineno}: {reason}")
        on_bad(lineno, reason)

    with open(path, "rb") as fh:  # bytes, so that an encoding error is pinned to its line
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise error(f"{path}:{lineno}: not valid UTF-8 ({exc.reason})") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problem(lineno, f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                problem(lineno, f"expected a JSON object, got {type(obj).__name__}")
                continue
            missing = [k for k in required if k not in obj]
            if missing:
                problem(lineno, f"missing key(s) {', '.join(missing)}")
                continue
            wrong = None
            for key, expected in (types or {}).items():
                if key in obj and not _has_type(obj[key], expected):
                    kinds = expected if isinstance(expected, tuple) else (expected,)
                    want = " or ".join("null" if k is type(None) else _TYPE_NAMES.get(k, k.__name__) for k in kinds)
                    wrong = f"key {key!r} must be {want}, got {_json_type(obj[key])}"
                    break
            if wrong is not None:
                problem(lineno, wrong)
                continue
            yield lineno, obj


def read_jsonl(
    path: str | os.PathLike,
    required: Sequence[str] = (),
    types: Mapping[str, type | tuple[type, ...]] | None = None,
) -> list[dict[str, Any]]:
    """Read a JSONL file; every non-blank line must be an object holding the ``required`` keys and,
    where given, values of the ``types`` (``iter_jsonl``)."""
    return [obj for _, obj in iter_jsonl(path, required, types=types)]


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks (``hashlib.file_digest``)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def write_csv(path: str | os.PathLike, rows: Iterable[Mapping[str, Any]], fieldnames: Sequence[str]) -> Path:
    """Atomically write rows as CSV with a header; booleans are written ``true``/``false``.

    Python's csv module leaves a lone carriage return unquoted when lines end in ``\n``, which
    readers then take for a line break; a file with such a cell is written with every cell quoted.
    """
    cells = [{k: _csv_cell(v) for k, v in row.items()} for row in rows]
    has_cr = any(isinstance(v, str) and "\r" in v for row in cells for v in row.values())
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf,
        fieldnames=list(fieldnames),
        lineterminator="\n",
        extrasaction="raise",
        quoting=csv.QUOTE_ALL if has_cr else csv.QUOTE_MINIMAL,
    )
    writer.writeheader()
    writer.writerows(cells)
    return atomic_write_text(path, buf.getvalue())


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value


def read_csv(path: str | os.PathLike, required: Sequence[str] = ()) -> list[dict[str, str]]:
    """Read a CSV with a header into string-valued dicts; the header must hold the ``required`` columns."""
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: file not found")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [k for k in required if k not in header]
        if missing:
            raise ArtifactError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
        rows = []
        for row in reader:
            if None in row:
                raise ArtifactError(f"{path}:{reader.line_num}: more cells than header columns")
            rows.append(dict(row))
    return rows
