"""CSV artifacts with a header: atomic writing and checked reading into string-valued rows.

Readers raise ``ArtifactError`` naming the file and line; checked reads into pandas frames are
``ttcgames.io.frames`` (kept apart so that this module never imports pandas).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.errors import ArtifactError

__all__ = ["write_csv", "read_csv"]


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value


def write_csv(path: str | os.PathLike, rows: Iterable[Mapping[str, Any]], fieldnames: Sequence[str]) -> Path:
    """Atomically write rows as CSV with a header; booleans are written ``true``/``false``, None empty.

    Python's csv module leaves a lone carriage return unquoted when lines end in ``\\n``, which
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
