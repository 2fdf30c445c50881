"""The trace path through Snakemake, as a user runs it: the shipped config/paper-traces.yaml plus a
small overlay that points at a local folder of real-format fixture traces (docs/traces.md).

The fixture folder holds GSM8K-, AIME- (numeric) and GPQA-shaped (letter) files for the paper's 12
trace model names, every explanation variant, tied bfloat16-like rewards, truncated reasoning
samples, a bad JSON line and a repeated qid in every file, and one file that is not a trace at all.
The exact majority and best-of-n curves the workflow writes are checked against a brute-force
enumeration of every theta-subset computed here from the raw JSONL (labels read independently).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_fixtures import FixtureModel, write_trace_folder  # noqa: E402
from workflow_copy import copy_workflow  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
PAPER = yaml.safe_load((ROOT / "config" / "paper-traces.yaml").read_text())
THETAS = [1, 2, 4, 8]
N_SAMPLES, N_REASONING = 16, 10
FOLDERS = {"GSM8K": False, "AIME": False, "GPQA": True}

pytestmark = pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake is not installed next to this Python")


def _overlay() -> dict:
    """Local traces, the exact estimator and fewer samples per question so brute force stays small."""
    providers = []
    for p in PAPER["providers"]:
        reasoning = p["methods"] == ["reasoning"]
        providers.append(dict(p, samples=N_REASONING if reasoning else N_SAMPLES))
    return {
        "traces": {"source": "local", "local_dir": "fixture-traces"},
        "providers": providers,
        "curves": {"thetas": THETAS, "estimator": "exact", "n_boot": 50},
        "reasoning": {"n_boot": 100},
        "games": {"sweep": {"num": 4}},
        "uncertainty": {"n_boot": 100, "sweep_n_boot": 5, "sweep_num": 5},
    }


def _fixture_models() -> tuple[FixtureModel, ...]:
    models = []
    for i, p in enumerate(PAPER["providers"]):
        name = PAPER["traces"]["models"][p["id"]]
        if p["methods"] == ["reasoning"]:
            models.append(FixtureModel(name, 0.5 + 0.1 * (i % 3), reasoning=True, samples=N_REASONING, max_tokens=2048, mean_tokens=900))
        else:
            models.append(FixtureModel(name, 0.3 + 0.05 * i, samples=N_SAMPLES, mean_tokens=120 + 15 * i))
    return tuple(models)


@pytest.fixture(scope="module")
def wf(tmp_path_factory) -> Path:
    dest = copy_workflow(tmp_path_factory.mktemp("traces-wf"))
    write_trace_folder(dest / "fixture-traces", folders=FOLDERS, models=_fixture_models(), n_questions=6, seed=7)
    # A file that is not a trace of any configured model: never read.
    (dest / "fixture-traces" / "GSM8K" / "Broken--temp-0.7--samples-16--max-512.jsonl").write_text("not json\n")
    (dest / "overlay.yaml").write_text(yaml.safe_dump(_overlay()))
    return dest


def _run(wf: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "--configfile", "config/paper-traces.yaml", "overlay.yaml", *args]
    return subprocess.run(cmd, cwd=wf, capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- brute force from the raw files


def _label(explanation: str, letters: bool) -> str | None:
    """The vote label, read here without ttcgames: quoted value of 'boxed=', 'extracted=' or 'parsed='."""
    head = explanation.split(";")[0]
    key, _, value = head.partition("=")
    value = value.strip().strip("'")
    if letters:
        return value if key == "parsed" else None
    if key not in ("boxed", "extracted"):
        return None
    try:
        number = float(value.replace("$", "").replace(",", ""))
    except ValueError:
        return None
    return repr(number)


def _records(path: Path) -> list[dict]:
    seen, out = set(), []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec["qid"] not in seen:  # the repeated qid: the first occurrence is kept
            seen.add(rec["qid"])
            out.append(rec)
    return out


def _brute_force(rec: dict, letters: bool, theta: int) -> tuple[float, float]:
    """Majority (the reference's rule: ties uniform, correct iff some drawn sample with the winning
    label is) and best-of-n (float32 rewards, null lowest, ties uniform) over every theta-subset."""
    labels = [_label(e, letters) for e in rec["explanations"]]
    uniq = sorted({lab for lab in labels if lab is not None})
    codes = np.array([uniq.index(lab) if lab is not None else -1 for lab in labels])
    y = np.array(rec["correct"], dtype=bool)
    r = np.array([-np.inf if v is None else v for v in rec["rewards"]], dtype=np.float32)
    subsets = np.array(list(itertools.combinations(range(len(labels)), theta)))
    c, ys = codes[subsets], y[subsets]
    maj = np.zeros(len(subsets))
    if uniq:
        counts = np.stack([(c == k).sum(axis=1) for k in range(len(uniq))], axis=1)
        top = counts.max(axis=1)
        tied = (counts == top[:, None]) & (top[:, None] > 0)
        n_tied = np.maximum(tied.sum(axis=1), 1)
        for k in range(len(uniq)):
            maj += tied[:, k] * ((c == k) & ys).any(axis=1) / n_tied
    rs = r[subsets]
    at_top = rs == rs.max(axis=1, keepdims=True)
    bon = (at_top & ys).sum(axis=1) / at_top.sum(axis=1)
    return float(maj.mean()), float(bon.mean())


# ---------------------------------------------------------------- tests


def test_dry_run_imports_instead_of_generating(wf):
    proc = _run(wf, "--dry-run", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "import_traces" in out and "compare_published" in out and "reasoning_curve" in out
    for rule in ("generate", "grade", "score_rewards", "prepare_model"):
        assert f"\n{rule} " not in out


@pytest.mark.slow
def test_paper_traces_config_on_real_format_fixtures(wf):
    proc = _run(wf, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = wf / "results"

    summary = pd.read_csv(results / "traces" / "import_summary.csv")
    assert len(summary) == 36 and (summary["bad_lines"] == 1).all() and (summary["repeated_qids"] == 1).all()
    assert (summary["labels_from_explanations"] > 0).all() and (summary["labels_from_text"] == 0).all()
    assert (summary["unknown_explanations"] == 0).all()
    reasoning = summary[summary["provider"].str.startswith("r1d")]
    assert (reasoning["questions_with_tied_reasoning"] > 0).all()

    # The exact curves equal brute force over every theta-subset, for every dataset and provider.
    checked = 0
    for folder, letters in FOLDERS.items():
        dataset = folder.lower()
        for p in PAPER["providers"]:
            if p["methods"] == ["reasoning"]:
                continue
            name = PAPER["traces"]["models"][p["id"]]
            path = next((wf / "fixture-traces" / folder).glob(f"{name}--temp-*.jsonl"))
            recs = _records(path)
            brute = np.array([[_brute_force(rec, letters, t) for t in THETAS] for rec in recs])  # (q, theta, 2)
            for k, method in enumerate(("majority", "bon")):
                curve = pd.read_csv(results / "curves" / dataset / method / f"{p['id']}.csv")
                assert curve["theta"].tolist() == THETAS
                np.testing.assert_allclose(curve["accuracy"], brute[:, :, k].mean(axis=0), rtol=0, atol=1e-12)
                checked += 1
    assert checked == 3 * 9 * 2

    curve = pd.read_csv(results / "curves" / "gsm8k" / "reasoning" / "r1d-qwen-7b.csv")
    assert curve["theta"].tolist() == [1, 2, 3, 4, 5]
    compare = pd.read_csv(results / "compare" / "published.csv", keep_default_na=False)
    assert set(compare.loc[compare["agrees"] != "n/a", "dataset"]) == {"gsm8k", "aime", "gpqa"}
    assert len(compare) == 319 and set(compare["mode"]) == {"round", "truncate", "interval", "exact", "not_comparable"}
    ran = compare[compare["agrees"] != "n/a"]
    assert set(ran["beta"]) == {"200.0", "1000.0", "100000.0", ""}  # the paper config's three betas
    winners = ran.loc[ran["quantity"] == "auction_winner", "ours"]
    assert set(winners) <= {f"{name} ({pid})" for pid, name in PAPER["traces"]["models"].items()}
    assert "| mode | ours agrees when it | compared | agree |" in (results / "compare" / "published.md").read_text()
    assert (results / "tables" / "table2.md").exists()
    # Every game reports all its pure equilibria (worst-case PoA, PoS) at every beta, and its uncertainty.
    for dataset in ("gsm8k", "aime", "gpqa"):
        for method in ("majority", "bon", "reasoning"):
            doc = json.loads((results / "games" / dataset / f"{method}.json").read_text())
            for entry in doc["games"]:
                eqs = entry["equilibria"]
                assert eqs["count"] >= 1 and eqs["price_of_anarchy"] >= eqs["price_of_stability"] >= 1 - 1e-12
            summary = json.loads((results / "uncertainty" / dataset / f"{method}.summary.json").read_text())
            assert summary["replicates"] == summary["n_boot"] and summary["quantities"]["welfare"]["lo"] is not None
    assert "[" in (results / "tables" / "table2.md").read_text()  # intervals
