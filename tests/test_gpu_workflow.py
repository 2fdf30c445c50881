"""The paper-scale plan on SLURM, checked with a dry run (no SLURM, no GPU needed):
`snakemake -n --profile cluster --configfile config/paper.yaml`, typed from the repository root.

It must plan one GPU generation job per (model, dataset) = 12 x 3 and one GPU reward job per
(non-reasoning model, dataset) = 9 x 3, each with `gpu` and the site keys of the cluster profile,
and the workflow profile (profiles/default) must not override what the cluster profile sets.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from workflow_copy import copy_workflow

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
FILES = ("Snakefile", "workflow", "config", "profiles", "envs", "src", "cluster")

# Only a missing snakemake executable skips (another Python ran the tests). A workflow that lost
# a feature this plan needs (ArmoRM rewards, GPU reward jobs) or a missing SLURM plugin (a declared
# dependency in pyproject.toml) fails the tests instead.
pytestmark = pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake is not installed next to this Python")


def test_the_schema_admits_the_paper_configs_armorm_rewards():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert "armorm" in schema["properties"]["rewards"]["properties"]["kind"]["enum"]
    assert yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())["rewards"]["kind"] == "armorm"


def test_the_slurm_executor_plugin_is_installed():
    import importlib.util

    assert importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None, (
        "snakemake-executor-plugin-slurm (a dependency in pyproject.toml) is not installed"
    )


@pytest.fixture(scope="module")
def wf(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("gpuwf"), FILES)


def jobs_of(output: str) -> list[dict[str, str]]:
    """The job blocks of a dry run: rule name plus the `key: value` lines under it."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", output):
        m = re.match(r"(?:local)?rule (\w+):\n", block)
        if not m:
            continue
        job = {"rule": m.group(1)}
        for line in block.splitlines()[1:]:
            kv = re.match(r"^\s{4}(\w+): (.*)$", line)
            if kv:
                job[kv.group(1)] = kv.group(2)
        jobs.append(job)
    return jobs


def resources(job: dict[str, str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in job.get("resources", "").split(", ") if "=" in item)


@pytest.fixture(scope="module")
def plan(wf) -> list[dict[str, str]]:
    proc = subprocess.run(
        [str(SNAKEMAKE), "-n", "--profile", "cluster", "--configfile", "config/paper.yaml"],
        cwd=wf, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return jobs_of(proc.stdout + proc.stderr)


def test_paper_plan_has_every_generation_and_reward_job_on_a_gpu(plan):
    paper = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    datasets = [d["id"] for d in paper["datasets"]]
    providers = [p["id"] for p in paper["providers"]]
    non_reasoning = [p["id"] for p in paper["providers"] if "reasoning" not in p["methods"]]
    assert (len(datasets), len(providers), len(non_reasoning)) == (3, 12, 9)

    gen = [j for j in plan if j["rule"] == "generate_vllm"]
    rew = [j for j in plan if j["rule"] == "score_rewards"]
    pairs = lambda jobs: Counter(tuple(sorted(dict(w.split("=") for w in j["wildcards"].split(", ")).items())) for j in jobs)  # noqa: E731
    assert pairs(gen) == Counter(tuple(sorted({"dataset": d, "provider": p}.items())) for d in datasets for p in providers)
    assert pairs(rew) == Counter(tuple(sorted({"dataset": d, "provider": p}.items())) for d in datasets for p in non_reasoning)
    for job in gen + rew:
        res = resources(job)
        assert int(res["gpu"]) >= 1, job
        assert res["slurm_partition"] and res["slurm_account"], job  # the cluster profile's site keys
        assert int(res["runtime"]) > 60 and int(res["mem_mb"]) >= 16000, job  # the GPU sizing, not the defaults
        assert "cpus_per_gpu" in res, job
    # nothing else asks for a GPU
    assert all("gpu" not in resources(j) for j in plan if j["rule"] not in ("generate_vllm", "score_rewards"))
    # every (dataset, provider) is graded
    assert len([j for j in plan if j["rule"] == "grade"]) == 36


def test_cluster_profile_keys_survive_the_workflow_profile(wf, monkeypatch):
    from snakemake.cli import parse_args

    monkeypatch.chdir(wf)
    _, args = parse_args(["--profile", "cluster", "-n"])
    cluster = yaml.safe_load((wf / "cluster" / "config.yaml").read_text())
    assert args.executor == "slurm"
    assert args.jobs == cluster["jobs"]
    assert args.latency_wait == cluster["latency-wait"]
    assert args.keep_going is True and args.retries == cluster["retries"]
    # --cores caps every job's threads, also for remote jobs: the workflow profile must not pin a
    # fixed number; "all" is the submitting machine's cores
    from snakemake.cli import parse_cores

    assert yaml.safe_load((wf / "profiles" / "default" / "config.yaml").read_text()).get("cores", "all") == "all"
    assert args.cores == parse_cores("all")
