"""Whether a real SLURM cluster answers on this machine (the sandbox of cluster/sandbox/slurm-up.sh, or
a site's): tests that need one skip without it, except where TTCGAMES_REQUIRE_SLURM=1 (CI), where a
missing cluster is an error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["SACCT_FIELDS", "SITE", "cluster_problem", "requires_cluster", "sacct_jobs", "site_profile"]

ROOT = Path(__file__).resolve().parents[1]
# The site keys of the cluster the tests submit to (the sandbox's names unless set).
SITE = {
    "cpu_partition": os.environ.get("TTCGAMES_SLURM_CPU_PARTITION", "cpu"),
    "gpu_partition": os.environ.get("TTCGAMES_SLURM_GPU_PARTITION", "gpu"),
    "account": os.environ.get("TTCGAMES_SLURM_ACCOUNT", "my-account"),
}


def cluster_problem() -> str | None:
    """None when slurmctld answers and sacct (accounting) works, else what is missing."""
    for cmd in (["scontrol", "ping"], ["sacct", "-n", "-X", "--starttime", "now-1minutes"], ["sinfo", "-h"]):
        if shutil.which(cmd[0]) is None:
            return f"{cmd[0]} is not installed"
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(cmd)}` did not answer within 60 s"
        if proc.returncode != 0 or (cmd[1] == "ping" and "UP" not in proc.stdout):
            return f"`{' '.join(cmd)}` failed: {(proc.stdout + proc.stderr).strip()[:200]}"
    return None


def requires_cluster():
    """A skipif mark for tests that submit to SLURM; under TTCGAMES_REQUIRE_SLURM=1 a missing cluster raises."""
    problem = cluster_problem()
    if problem and os.environ.get("TTCGAMES_REQUIRE_SLURM") == "1":
        raise RuntimeError(f"TTCGAMES_REQUIRE_SLURM=1 but no SLURM cluster is usable: {problem}")
    return pytest.mark.skipif(problem is not None, reason=f"no SLURM cluster here ({problem}); start the sandbox: sudo cluster/sandbox/slurm-up.sh")


def site_profile(dest: Path, *, grouped: bool = True) -> Path:
    """`cluster/config.yaml` with only the site keys (partitions, account) replaced, as a site would,
    written to ``dest/cluster-site/``; ``grouped=False`` also drops the job groups (one sbatch job
    per rule job)."""
    import yaml

    profile = yaml.safe_load((ROOT / "cluster" / "config.yaml").read_text())
    profile["default-resources"]["slurm_partition"] = SITE["cpu_partition"]
    profile["default-resources"]["slurm_account"] = SITE["account"]
    for res in profile["set-resources"].values():
        if res.get("slurm_partition") == "gpu":
            res["slurm_partition"] = SITE["gpu_partition"]
    if not grouped:
        profile.pop("groups", None)
        profile.pop("group-components", None)
    folder = dest / "cluster-site"
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return folder


SACCT_FIELDS = (
    "JobIDRaw", "JobName", "Partition", "Account", "ReqMem", "Timelimit", "State", "Comment", "WorkDir",
    "Submit", "Start", "End", "ReqTRES",
)  # fmt: skip


def sacct_jobs(workdir: Path, since: str) -> list[dict[str, str]]:
    """Every job submitted from ``workdir`` since ``since`` (sacct, one row per job allocation)."""
    out = subprocess.run(
        ["sacct", "-X", "-P", "-n", "--starttime", since, "-o", ",".join(f"{f}%300" for f in SACCT_FIELDS)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [dict(zip(SACCT_FIELDS, line.split("|"), strict=True)) for line in out.splitlines() if line]
    return [r for r in rows if Path(r["WorkDir"]).resolve() == workdir.resolve()]
