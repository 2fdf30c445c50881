"""One writer per shard folder (ttcgames.io.shards.hold_shard_dir): a second process waits for the
first, says whom it waits for, and takes over when the first ends, whether it exits or is killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ttcgames.io.shards import LOCK, hold_shard_dir, lock_holder, sync_manifest

SRC = Path(__file__).resolve().parents[2] / "src"


def _holder(shard_dir: Path, ready: Path) -> subprocess.Popen:
    """A separate process that takes the folder's lock, says so through ``ready``, then sleeps."""
    code = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(SRC)!r})
        from ttcgames.io.shards import hold_shard_dir
        hold_shard_dir({str(shard_dir)!r})
        open({str(ready)!r}, "w").close()
        time.sleep(60)
        """
    )
    env = {**os.environ, "SLURM_JOB_ID": "4711"}
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _wait_for(path: Path, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < end, f"{path} did not appear"
        time.sleep(0.05)


def test_a_second_writer_waits_names_the_first_and_takes_over_when_it_dies(tmp_path):
    shard_dir = tmp_path / "p.shards"
    first = _holder(shard_dir, tmp_path / "ready")
    try:
        _wait_for(tmp_path / "ready")
        record = json.loads((shard_dir / LOCK).read_text())
        assert record["pid"] == first.pid and record["slurm_job_id"] == "4711"
        assert f"SLURM job 4711, pid {first.pid} on host " in lock_holder(shard_dir)

        notices = []

        def kill_first_after_a_notice(message):
            notices.append(message)
            if len(notices) == 1:
                first.kill()  # SIGKILL: no clean-up runs, the kernel drops the lock

        start = time.monotonic()
        hold_shard_dir(shard_dir, poll_seconds=0.05, notify=kill_first_after_a_notice)
        assert time.monotonic() - start < 30
    finally:
        first.kill()
        first.wait()
    assert "is being written by another job (SLURM job 4711" in notices[0], notices
    assert "released the folder" in notices[-1], notices
    # the lock file now names this process
    assert json.loads((shard_dir / LOCK).read_text())["pid"] == os.getpid()


def test_the_lock_is_reentrant_and_taken_by_sync_manifest(tmp_path):
    shard_dir = tmp_path / "q.shards"
    assert sync_manifest(shard_dir, {"seed": 0}) is False  # takes the lock, writes the manifest
    assert hold_shard_dir(shard_dir, notify=lambda m: (_ for _ in ()).throw(AssertionError(m))) == shard_dir
    assert sync_manifest(shard_dir, {"seed": 0}) is True
    # another process cannot take it while this one holds it
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; fh = open(sys.argv[1]); "
            "sys.exit(0 if fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB) is None else 1)",
            str(shard_dir / LOCK),
        ],
        capture_output=True,
        text=True,
    )
    assert probe.returncode != 0 and "BlockingIOError" in probe.stderr, probe
