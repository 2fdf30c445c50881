"""Snakemake's config-merge precedence, re-implemented so that an error names the file to edit.

Snakemake merges several config files (``configfile:`` of the Snakefile, then each
``--configfile``, then ``--config`` pairs; mappings merge key by key, lists and scalars are
replaced whole). Given those layers (:func:`config_layers`), :func:`key_owner` names the layer that
holds a key, so a misspelled key in an overlay is reported in the overlay.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ttcgames.config.schema import load_yaml

__all__ = ["config_layers", "key_owner"]


def config_layers(files: Iterable[str | Path], overrides: dict | None = None) -> list[tuple[str, Any]]:
    """The merged config's layers, lowest precedence first: each file as written (name relative to
    the working directory when inside it), then the ``--config`` overrides (named ``--config``)."""
    layers: list[tuple[str, Any]] = []
    for f in files:
        name = str(f)
        try:
            rel = os.path.relpath(f)
            if not rel.startswith(".."):
                name = rel
        except ValueError:  # another drive
            pass
        layers.append((name, load_yaml(f)))
    if overrides:
        layers.append(("--config", dict(overrides)))
    return layers


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
        return True, node[part]
    if isinstance(node, dict) and part in node:
        return True, node[part]
    return False, None


def key_owner(parts: list[str | int], layers: list[tuple[str, Any]]) -> str | None:
    """The layer that sets the value at ``parts``, following Snakemake's merge (``update_config``):
    a mapping merges key by key over the earlier layers; anything else (a list, a scalar) replaces
    the earlier values whole. A key that no layer holds (a missing required key) belongs to the
    layer holding its deepest existing parent; None when not even the top key is held."""
    live = [(name, data) for name, data in layers]
    owner = None
    for part in parts:
        found = [(name, value) for name, node in live for ok, value in [_child(node, part)] if ok]
        if not found:
            break
        # A later non-mapping replaces everything before it; a mapping merges with the mappings
        # after the last non-mapping.
        last_plain = max((i for i, (_, v) in enumerate(found) if not isinstance(v, dict)), default=-1)
        if last_plain == len(found) - 1:
            found = found[-1:]
        else:
            found = found[last_plain + 1 :]
        live = found
        owner = live[-1][0]
    return owner
