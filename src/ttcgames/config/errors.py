"""Configuration errors and the key paths their messages name.

Every failure of the workflow's configuration is a :class:`ConfigError` whose message names the
config file and the key path, e.g. ``config/config.yaml: providers[2].model: 'gpt' is not a key of
models``; :func:`key_path` writes such a path and :func:`parse_key_path` reads it back (to find the
file that holds the key, ``ttcgames.config.layers.key_owner``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["ConfigError", "key_path", "parse_key_path", "did_you_mean"]


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key path."""


def key_path(parts: Iterable[Any]) -> str:
    """``['providers', 2, 'model']`` -> ``providers[2].model``; no parts -> ``<top level>``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "<top level>"


def parse_key_path(text: str) -> list[str | int]:
    """``providers[2].model`` -> ``['providers', 2, 'model']`` (the inverse of :func:`key_path`)."""
    return [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text)]


def did_you_mean(key: Any, known: Iterable[str]) -> str:
    """The hint after an unknown key: the closest known key, else the list of known keys."""
    known = sorted(known)
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(known)})" if known else ""
