"""JSON documents (one indented object per file), written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ttcgames.io.atomic import atomic_write_text

__all__ = ["write_json"]


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write an indented JSON document (no NaN or infinity: JSON has none)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
