"""JSON Lines artifacts (one object per line): atomic writing and the package's one validating reader.

Writers go through ``ttcgames.io.atomic``. :func:`iter_jsonl` reads a file line by line in named
steps (decode the bytes, parse an object, check its required keys, check its value types) and
raises the caller's error class naming the file, line and key when a line is malformed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.errors import ArtifactError

__all__ = ["dumps_jsonl", "write_jsonl", "iter_jsonl", "read_jsonl"]

Types = Mapping[str, type | tuple[type, ...]]

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list", dict: "an object"}
_VALUE_NAMES = {bool: "a boolean", str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}


def dumps_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """Serialise records as JSON Lines; key order is the records' insertion order (deterministic)."""
    return "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records)


def write_jsonl(path: str | os.PathLike, records: Iterable[Mapping[str, Any]]) -> Path:
    """Atomically write one JSON object per line."""
    return atomic_write_text(path, dumps_jsonl(records))


def _json_type(value: Any) -> str:
    """How a JSON value's type is named in messages (``null``, ``a string``, ...)."""
    return "null" if value is None else _VALUE_NAMES.get(type(value), type(value).__name__)


def _has_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true/false is no integer or number here
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, kinds)


def _parse_object(line: str) -> tuple[dict | None, str | None]:
    """Step 1: the line's JSON object, or the reason it is none."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    return obj, None


def _missing_keys(obj: dict, required: Sequence[str]) -> str | None:
    """Step 2: the reason an object lacks required keys, else None."""
    missing = [k for k in required if k not in obj]
    return f"missing key(s) {', '.join(missing)}" if missing else None


def _wrong_type(obj: dict, types: Types | None) -> str | None:
    """Step 3: the reason the first key whose value has the wrong type is wrong, else None."""
    for key, expected in (types or {}).items():
        if key in obj and not _has_type(obj[key], expected):
            kinds = expected if isinstance(expected, tuple) else (expected,)
            want = " or ".join("null" if k is type(None) else _TYPE_NAMES.get(k, k.__name__) for k in kinds)
            return f"key {key!r} must be {want}, got {_json_type(obj[key])}"
    return None


def _check_line(line: str, required: Sequence[str], types: Types | None) -> tuple[dict | None, str | None]:
    """A line's object when it passes every step, else the first step's reason."""
    obj, reason = _parse_object(line)
    if reason is None:
        reason = _missing_keys(obj, required) or _wrong_type(obj, types)
    return (obj, None) if reason is None else (None, reason)


def _decoded_lines(path: Path, error: type[Exception]) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of the file's non-blank lines; a line that is not UTF-8 is an ``error``
    (the file is read as bytes, so the encoding error is pinned to its line)."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise error(f"{path}:{lineno}: not valid UTF-8 ({exc.reason})") from None
            if line.strip():
                yield lineno, line


def iter_jsonl(
    path: str | os.PathLike,
    required: Sequence[str] = (),
    *,
    error: type[Exception] = ArtifactError,
    types: Types | None = None,
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
    for lineno, line in _decoded_lines(path, error):
        obj, reason = _check_line(line, required, types)
        if reason is None:
            yield lineno, obj
        elif on_bad is None:
            raise error(f"{path}:{lineno}: {reason}")
        else:
            on_bad(lineno, reason)


def read_jsonl(path: str | os.PathLike, required: Sequence[str] = (), types: Types | None = None) -> list[dict[str, Any]]:
    """Read a JSONL file; every non-blank line must be an object holding the ``required`` keys and,
    where given, values of the ``types`` (``iter_jsonl``)."""
    return [obj for _, obj in iter_jsonl(path, required, types=types)]
