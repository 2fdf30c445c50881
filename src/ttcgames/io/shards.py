"""Resume state of long GPU/CPU stages: a folder of finished shard files and the settings that made them.

Used by generation (``ttcgames.generation.runner``) and by reward scoring (``ttcgames.rewards.armorm``).
A shard folder holds ``manifest.json`` (the settings of the run) and ``shard-<k>.jsonl`` files,
each written atomically when finished. ``sync_manifest`` keeps the finished shards only when the
manifest matches this run's settings exactly, and always removes temp files of killed runs.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from ttcgames.io.jsonl import write_json

__all__ = ["MANIFEST", "SHARD_RE", "TMP_RE", "shard_path", "sync_manifest"]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SHARD_RE = re.compile(r"^shard-(\d{5})\.jsonl$")
TMP_RE = re.compile(r"^shard-\d{5}\.jsonl\.tmp-\d+$")


def shard_path(shard_dir: str | Path, index: int) -> Path:
    """``<shard_dir>/shard-<index, 5 digits>.jsonl``."""
    return Path(shard_dir) / f"shard-{index:05d}.jsonl"


def sync_manifest(shard_dir: str | Path, manifest: dict[str, Any]) -> bool:
    """Keep shards only if they were made with exactly these settings; otherwise start the folder afresh.

    Returns True when the existing shards were kept.
    """
    shard_dir = Path(shard_dir)
    shard_dir.mkdir(parents=True, exist_ok=True)
    path = shard_dir / MANIFEST
    old = None
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            old = None
    # Temp files of a killed run are never finished shards; remove them whatever the manifest says.
    for p in shard_dir.iterdir():
        if TMP_RE.match(p.name):
            p.unlink(missing_ok=True)
    if old == json.loads(json.dumps(manifest)):  # round-trip so tuples and lists compare equal
        return True
    stale = [p for p in shard_dir.iterdir() if SHARD_RE.match(p.name)]
    if stale:
        log.warning("%s: settings changed since the last run; discarding %d old shards", shard_dir, len(stale))
        for p in stale:
            p.unlink()
    write_json(path, manifest)
    return False
