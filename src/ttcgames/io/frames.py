"""Checked reading of CSV artifacts into pandas frames, shared by the stages that read tables.

Kept apart from :mod:`ttcgames.io.csv_file` and the other io modules so that the engine (which imports the atomic writer)
never imports pandas.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ttcgames.io.errors import ArtifactError

__all__ = ["read_frame"]


def read_frame(
    path: str | os.PathLike,
    required: Sequence[str],
    *,
    error: type[Exception] = ArtifactError,
    what: str = "input file",
    **read_csv: Any,
) -> pd.DataFrame:
    """Read a CSV artifact with ``pandas.read_csv(path, **read_csv)``. The file must exist, hold a
    header with the ``required`` columns and at least one row, and parse as CSV; otherwise ``error``
    (the calling stage's error class) is raised naming the file (``what`` names a missing one)."""
    path = Path(path)
    if not path.is_file():
        raise error(f"missing {what} {path}")
    try:
        frame = pd.read_csv(path, **read_csv)
    except pd.errors.EmptyDataError:
        raise error(f"{path}: empty file, expected a header with {list(required)}") from None
    except pd.errors.ParserError as exc:
        raise error(f"{path}: malformed CSV ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise error(f"{path}: missing column(s) {missing}; found {list(frame.columns)}")
    if frame.empty:
        raise error(f"{path}: no rows")
    return frame
