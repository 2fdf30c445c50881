"""The paper-scale plan on SLURM, checked with a dry run (no SLURM, no GPU needed):
`snakemake -n --profile cluster --configfile config/paper.yaml`, typed from the repository root.

It must plan one GPU generation job per (model, dataset) = 12 x 3 and one GPU reward job per
(non-reasoning model, dataset) = 9 x 3, each with `gpu` and the site keys of the cluster profile,
and the workflow profile (profiles/default) must not override what the cluster profile sets.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from slurm_sandbox import requires_cluster
from workflow_copy import copy_workflow

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
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
    """The job blocks of a dry run: rule name plus the `key: value` lines under it (the jobs of a
    group job are listed inside its block, indented by four more spaces)."""
    jobs = []
    for block in re.split(r"\n(?= *(?:local)?rule \w+:\n)", output):
        m = re.match(r" *(?:local)?rule (\w+):\n", block)
        if not m:
            continue
        job = {"rule": m.group(1)}
        for line in block.splitlines()[1:]:
            kv = re.match(r"^(?: {4}| {8})(\w+): (.*)$", line)
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
    rew = [j for j in plan if j["rule"] == "score_rewards_gpu"]
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
    assert all("gpu" not in resources(j) for j in plan if j["rule"] not in ("generate_vllm", "score_rewards_gpu"))
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


# --- the sbatch line of the GPU jobs, built by the installed SLURM executor plugin ---------------


def _value(text: str):
    """A resource value as Snakemake holds it: integers as int, everything else as str."""
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def sbatch_line(job: dict[str, str], **site_defaults) -> str:
    """What the installed snakemake-executor-plugin-slurm submits for a planned job: its own
    ``get_submit_command`` and ``set_gres_string`` on the job's resources from the dry run
    (plus ``site_defaults``, resources a site profile may add to every job)."""
    from types import SimpleNamespace

    from snakemake.iocontainers import ResourceList
    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    res = {k: _value(v) for k, v in resources(job).items() if v != "<TBD>"}
    res = {**site_defaults, **res}
    fake_job = SimpleNamespace(
        resources=ResourceList(fromdict=res), threads=int(job.get("threads", 1)), name=job["rule"], is_group=lambda: False
    )
    params = {
        "run_uuid": "uuid", "slurm_logfile": "slurm.log", "comment_str": f"rule_{job['rule']}",
        "account": f"-A {res['slurm_account']}", "partition": f"-p {res['slurm_partition']}", "workdir": "/work",
    }
    return get_submit_command(fake_job, params) + set_gres_string(fake_job)


def test_gpu_jobs_ask_slurm_for_one_gpu_without_ntasks_per_gpu(plan):
    cluster = yaml.safe_load((ROOT / "cluster" / "config.yaml").read_text())["set-resources"]
    for rule in ("generate_vllm", "score_rewards_gpu"):
        job = next(j for j in plan if j["rule"] == rule)
        line = sbatch_line(job)
        assert " --gpus=1" in line, line
        assert f"--cpus-per-gpu={cluster[rule]['cpus_per_gpu']}" in line and "--cpus-per-task" not in line, line
        assert f"-t {cluster[rule]['runtime']}" in line and f"--mem {cluster[rule]['mem_mb']}" in line, line
        assert "-p gpu" in line, line
        assert "--ntasks-per-gpu" not in line, line
        # Many site profiles set `tasks: 1` for every job; the plugin turns that into
        # --ntasks-per-gpu=1 for GPU jobs unless tasks_per_gpu: 0 says otherwise.
        assert "--ntasks-per-gpu" not in sbatch_line(job, tasks=1), line
        control = dict(job, resources=job["resources"].replace(", tasks_per_gpu=0", ""))
        assert "--ntasks-per-gpu=1" in sbatch_line(control, tasks=1)  # what tasks_per_gpu: 0 prevents
    cpu_job = next(j for j in plan if j["rule"] == "grade")
    line = sbatch_line(cpu_job)
    assert "--gpus" not in line and "--ntasks=1" in line and "-p cpu" in line, line


# --- what stays on the submitting machine, what is protected, what is downloaded first ----------


@pytest.fixture(scope="module")
def paper_workflow(wf):
    from workflow_rules import load_workflow

    return load_workflow(wf, "config/paper.yaml")


def test_seconds_long_jobs_and_downloads_run_locally(plan, paper_workflow):
    from workflow_rules import runs_locally_on_a_cluster

    local = {r.name for r in paper_workflow.rules if runs_locally_on_a_cluster(paper_workflow, r)}
    counts = Counter(j["rule"] for j in plan)
    submitted = {rule for rule in counts if rule not in local}
    # only the jobs of minutes to hours become sbatch jobs
    assert submitted == {"generate_vllm", "score_rewards_gpu", "grade", "curve", "reasoning_curve", "game", "sweep", "uncertainty"}
    # ... and the cluster profile groups those of seconds into one job per connected part of the DAG
    groups = yaml.safe_load((ROOT / "cluster" / "config.yaml").read_text())["groups"]
    assert submitted - {"generate_vllm", "score_rewards_gpu"} <= set(groups), groups
    assert not {"generate_vllm", "score_rewards_gpu", "generate", "prepare_model"} & set(groups), groups
    seconds_long = ("market", "table2", "table2_render", "figure", "figure_overview")
    assert sum(counts[r] for r in seconds_long) == 58 and set(seconds_long) <= local
    # the login node fetches what the compute nodes need: 12 models, ArmoRM, 3 datasets
    assert (counts["download_model"], counts["download_reward_model"], counts["prepare_data"]) == (12, 1, 3)
    assert {"download_model", "download_reward_model", "prepare_data", "download_only"} <= local


def test_gpu_outputs_are_protected(paper_workflow):
    flags = {r.name: set(r.output[0].flags) for r in paper_workflow.rules if r.output}
    assert "protected" in flags["generate_vllm"] and "protected" in flags["score_rewards_gpu"]
    assert "protected" not in flags["score_rewards"]  # mean-logprob: seconds to redo
    assert "protected" not in flags["grade"] and "protected" not in flags["generate"]  # cheap to redo


def test_gpu_jobs_wait_for_their_downloads(plan):
    for job in plan:
        if job["rule"] == "generate_vllm":
            provider = dict(w.split("=") for w in job["wildcards"].split(", "))["provider"]
            assert f"results/downloads/models/{provider}.json" in job["input"], job
        if job["rule"] == "score_rewards_gpu":
            assert "results/downloads/reward_model.json" in job["input"], job


def test_download_only_plans_just_the_downloads(wf):
    proc = subprocess.run(
        [str(SNAKEMAKE), "download_only", "-n", "--profile", "cluster", "--configfile", "config/paper.yaml"],
        cwd=wf, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert Counter(j["rule"] for j in jobs_of(proc.stdout + proc.stderr)) == Counter(
        {"download_model": 12, "download_reward_model": 1, "prepare_data": 3, "download_only": 1}
    )


def test_one_machine_with_two_gpus_runs_one_job_per_gpu(wf):
    """`--resources gpu=2` admits two GPU jobs at once only because each asks for exactly one GPU;
    which device each gets is ttcgames.generation.gpu's lock-file slots (tests/generation/test_gpu.py, fake devices)."""
    proc = subprocess.run(
        [str(SNAKEMAKE), "-n", "--cores", "16", "--resources", "gpu=2", "--configfile", "config/paper.yaml"],
        cwd=wf, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    gpu_jobs = [j for j in jobs_of(proc.stdout + proc.stderr) if "gpu" in resources(j)]
    assert len(gpu_jobs) == 36 + 27
    assert {resources(j)["gpu"] for j in gpu_jobs} == {"1"}
    pairs = (("generate_vllm", "generate"), ("score_rewards_gpu", "score_rewards"))
    scripts = {r: (ROOT / "workflow" / "scripts" / f"{s}.py").read_text() for r, s in pairs}
    for rule, text in scripts.items():
        # the device is claimed before the first import of ttcgames' model code (torch, vLLM)
        assert text.index("gpu_setup(snakemake") < text.index("from ttcgames."), rule


# --- the same lines, submitted to a real SLURM with --test-only ----------------------------------


@requires_cluster()
def test_the_real_sbatch_accepts_every_gpu_job_of_the_paper_plan(plan, tmp_path):
    """`sbatch --test-only` (the scheduler validates and plans the job, runs nothing) accepts the
    submission line of every generate_vllm and score_rewards_gpu job, with the GPU partition, the
    GRES request, --cpus-per-gpu, memory and time limit the cluster profile gives them."""
    gpu_jobs = [j for j in plan if j["rule"] in ("generate_vllm", "score_rewards_gpu")]
    assert len(gpu_jobs) == 36 + 27
    lines = {}
    for job in gpu_jobs:
        line = sbatch_line(job).replace("--output slurm.log", f"--output {tmp_path}/slurm.log")
        lines.setdefault(line, job)
    for line, job in lines.items():
        proc = subprocess.run([*shlex.split(line), "--test-only", "--wrap", "true"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "to start at" in proc.stderr, f"{job['rule']} {job.get('wildcards')}: {line}\n{proc.stderr}"
