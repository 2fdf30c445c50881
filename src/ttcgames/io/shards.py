"""Resume state of long GPU/CPU stages: a folder of finished shard files and the settings that made them.

Used by generation (``ttcgames.generation.runner``) and by reward scoring (``ttcgames.rewards.armorm``).
A shard folder holds ``manifest.json`` (the settings of the run) and ``shard-<k>.jsonl`` files,
each written atomically when finished. ``sync_manifest`` keeps the finished shards only when the
manifest matches this run's settings exactly, and always removes temp files of killed runs.

One writer per folder: ``sync_manifest`` first takes the folder's lock (``hold_shard_dir``), an
exclusive ``flock`` on ``<folder>/.lock`` held until the process ends. Two jobs writing the same
shards happen on a cluster when the Snakemake driver is killed (its jobs keep running) and a
restarted driver submits the same job again; the second copy would delete the first one's temp
files and write the same shards and output. With the lock, the second copy waits, logging which job
holds the folder (host, pid, SLURM job id, since when), then finds the shards the first one finished
and only merges them. The kernel drops the lock when the holder dies, so a killed job never leaves
a stale lock behind.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ttcgames.io.json_file import write_json

__all__ = ["MANIFEST", "LOCK", "SHARD_RE", "TMP_RE", "shard_path", "sync_manifest", "hold_shard_dir", "lock_holder"]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LOCK = ".lock"
SHARD_RE = re.compile(r"^shard-(\d{5})\.jsonl$")
TMP_RE = re.compile(r"^shard-\d{5}\.jsonl\.tmp-\d+$")


def shard_path(shard_dir: str | Path, index: int) -> Path:
    """``<shard_dir>/shard-<index, 5 digits>.jsonl``."""
    return Path(shard_dir) / f"shard-{index:05d}.jsonl"


# Shard folders whose lock this process holds: resolved path -> open lock file (kept open = lock held).
_HELD: dict[Path, Any] = {}


def lock_holder(shard_dir: str | Path) -> str:
    """Who holds (or last held) a shard folder's lock, in words, from the owner record in its lock file."""
    try:
        info = json.loads((Path(shard_dir) / LOCK).read_text(encoding="utf-8") or "{}")
    except (OSError, json.JSONDecodeError):
        info = {}
    if not info:
        return "an unknown process"
    job = f"SLURM job {info['slurm_job_id']}, " if info.get("slurm_job_id") else ""
    return f"{job}pid {info.get('pid', '?')} on host {info.get('host', '?')}, since {info.get('since', '?')}"


def hold_shard_dir(
    shard_dir: str | Path,
    *,
    poll_seconds: float = 2.0,
    notice_seconds: float = 300.0,
    notify=None,
) -> Path:
    """Take the exclusive lock of a shard folder for the rest of this process; wait while another holds it.

    Reentrant within a process (a second call returns at once). While another process holds the
    folder, a notice naming it goes to ``notify`` (default: this module's logger, or stderr before logging is set up) at once
    and every ``notice_seconds``; the lock is retried every ``poll_seconds``. The holder's record
    (host, pid, ``SLURM_JOB_ID``, start time in UTC) is written into the lock file for those notices.
    """
    shard_dir = Path(shard_dir)
    shard_dir.mkdir(parents=True, exist_ok=True)
    key = shard_dir.resolve()
    if key in _HELD:
        return shard_dir
    fh = open(shard_dir / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 (kept open: the lock lives as long as the file)
    waited_since = None
    last_notice = -float("inf")
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            now = time.monotonic()
            waited_since = waited_since if waited_since is not None else now
            if now - last_notice >= notice_seconds:
                last_notice = now
                message = (
                    f"{shard_dir} is being written by another job ({lock_holder(shard_dir)}); waiting for it "
                    f"to finish (waited {now - waited_since:.0f} s). Two copies of one job run when a restarted "
                    "Snakemake resubmits a job whose first copy still runs (e.g. after the driver was killed): "
                    "this copy then only merges the shards the first one writes. To stop waiting, cancel the "
                    "other job (scancel) or this one."
                )
                (notify or _notify)(message)
            time.sleep(poll_seconds)
    if waited_since is not None:
        (notify or _notify)(f"{shard_dir}: the other job released the folder after {time.monotonic() - waited_since:.0f} s")
    record = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps(record) + "\n")
    fh.flush()
    _HELD[key] = fh
    return shard_dir


def _notify(message: str) -> None:
    """To the log when logging is set up, else (a job that has not opened its log yet) on stderr."""
    if logging.getLogger().handlers:
        log.warning(message)
    else:
        print(f"ttcgames: {message}", file=sys.stderr, flush=True)


def sync_manifest(shard_dir: str | Path, manifest: dict[str, Any]) -> bool:
    """Keep shards only if they were made with exactly these settings; otherwise start the folder afresh.

    Takes the folder's lock first (``hold_shard_dir``). Returns True when the existing shards were kept.
    """
    shard_dir = hold_shard_dir(shard_dir)
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
