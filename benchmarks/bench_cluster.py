"""The default workflow on a SLURM cluster: sbatch jobs and wall time, with and without job groups,
against a local `--cores 2` run in the same session.

    sudo cluster/sandbox/slurm-up.sh            # or any cluster: set the TTCGAMES_SLURM_* site keys
    python benchmarks/bench_cluster.py [--out benchmarks/out/cluster.json]

Each variant runs in a fresh copy of the workflow (nothing reused): `local` (`snakemake --cores 2`),
`grouped` (`--profile`: cluster/config.yaml with the site keys replaced) and `ungrouped` (the same
profile without its `groups:` and `group-components:`, i.e. one sbatch job per rule job, as before
the groups). Reported per variant: wall time, sbatch jobs (from sacct: jobs whose working folder is
the copy) and, for the cluster variants, the summed queue wait (start - submit). Results go into
benchmarks/README.md ("SLURM").
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from slurm_sandbox import cluster_problem, sacct_jobs, site_profile  # noqa: E402
from workflow_copy import copy_workflow  # noqa: E402

FILES = ("Snakefile", "workflow", "config", "profiles", "envs", "src", "cluster")
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def run_variant(name: str, scratch: Path) -> dict:
    wf = copy_workflow(scratch / name, FILES)
    args = ["--cores", "2"] if name == "local" else ["--profile", str(site_profile(wf, grouped=name == "grouped"))]
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    start = time.monotonic()
    proc = subprocess.run([str(SNAKEMAKE), *args], cwd=wf, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{name}: snakemake failed\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    result = {"variant": name, "seconds": round(seconds, 1)}
    if name != "local":
        rows = sacct_jobs(wf, since)
        parse = lambda t: datetime.fromisoformat(t)  # noqa: E731
        result["sbatch_jobs"] = len(rows)
        result["queue_wait_s"] = sum((parse(r["Start"]) - parse(r["Submit"])).total_seconds() for r in rows)
        result["jobs_by_rule"] = {}
        for r in rows:
            rule = r["Comment"].removeprefix("rule_").split("_wildcards_")[0]
            result["jobs_by_rule"][rule] = result["jobs_by_rule"].get(rule, 0) + 1
    table = wf / "results" / "tables" / "table2.md"
    result["table2_sha256"] = __import__("hashlib").sha256(table.read_bytes()).hexdigest()
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "cluster.json")
    parser.add_argument("--variants", nargs="+", default=["local", "grouped", "ungrouped"])
    args = parser.parse_args()
    problem = cluster_problem()
    if problem:
        raise SystemExit(f"bench_cluster: no SLURM cluster ({problem}); start one: sudo cluster/sandbox/slurm-up.sh")
    scratch = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    try:
        results = [run_variant(v, scratch) for v in args.variants]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    base = next((r for r in results if r["variant"] == "local"), None)
    if base:
        for r in results:
            r["wall_vs_local"] = round(r["seconds"] / base["seconds"], 2)
    if len({r["table2_sha256"] for r in results}) != 1:
        raise SystemExit(f"bench_cluster: Table 2 differs between variants: {results}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    for r in results:
        print(
            f"{r['variant']:>10}: {r['seconds']:7.1f} s ({r.get('wall_vs_local', 1):.2f} x local), "
            f"{r.get('sbatch_jobs', 0)} sbatch jobs, queue wait {r.get('queue_wait_s', 0):.0f} s"
        )


if __name__ == "__main__":
    main()
