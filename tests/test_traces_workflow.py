"""The trace path through Snakemake: `source: traces` replaces generation by the import.

Runs only once the Snakefile includes workflow/rules/traces.smk (the integration edits listed in
docs/traces.md); the slow test runs the whole tiny workflow on fixture traces.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from workflow_copy import copy_workflow
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from trace_fixtures import write_trace_folder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

pytestmark = [
    pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake is not installed next to this Python"),
    pytest.mark.skipif("traces.smk" not in (ROOT / "Snakefile").read_text(), reason="Snakefile does not include traces.smk yet"),
]

CONFIG = {
    "seed": 0,
    "source": "traces",
    "traces": {
        "source": "local",
        "local_dir": "fixture-traces",
        "models": {"small": "Small-1B", "mid": "Mid-3B", "big": "Big-7B", "r1-small": "reason-R1-D-Tiny-1.5B", "r1-big": "reason-R1-D-Tiny-7B"},
        "published": str(ROOT / "config" / "published.yaml"),
    },
    "datasets": [
        {"id": "gsm8k", "kind": "traces", "trace_folder": "GSM8K", "answer_format": "numeric", "alpha": 0.008},
        {"id": "gpqa", "kind": "traces", "trace_folder": "GPQA", "answer_format": "choice", "alpha": 0.02},
    ],
    "methods": ["majority", "bon", "reasoning"],
    "models": {"m": {"source": "hub", "repo": "org/model", "engine": "vllm"}},
    "providers": [
        {"id": "small", "model": "m", "prompt": "boxed", "samples": 16, "max_new_tokens": 512, "price_per_million": 0.10, "methods": ["majority", "bon"]},
        {"id": "mid", "model": "m", "prompt": "boxed", "samples": 16, "max_new_tokens": 512, "price_per_million": 0.08, "methods": ["majority", "bon"]},
        {"id": "big", "model": "m", "prompt": "boxed", "samples": 16, "max_new_tokens": 512, "price_per_million": 0.15, "methods": ["majority", "bon"]},
        {"id": "r1-small", "model": "m", "prompt": "think", "samples": 10, "max_new_tokens": 2048, "price_per_million": 0.10, "methods": ["reasoning"]},
        {"id": "r1-big", "model": "m", "prompt": "think", "samples": 10, "max_new_tokens": 2048, "price_per_million": 0.175, "methods": ["reasoning"]},
    ],
    "curves": {"thetas": [1, 2, 4, 8], "estimator": "subsample", "subsamples": 20, "n_boot": 50},
    "reasoning": {"n_boot": 100},
    "games": {"betas": [200, 1000], "sweep": {"num": 4}},
    "tables": {"methods": ["bon", "reasoning"]},
}


@pytest.fixture(scope="module")
def wf(tmp_path_factory) -> Path:
    dest = copy_workflow(tmp_path_factory.mktemp("traces-wf"))
    write_trace_folder(dest / "fixture-traces", folders={"GSM8K": False, "GPQA": True}, n_questions=8, seed=7)
    (dest / "traces.yaml").write_text(yaml.safe_dump(CONFIG))
    return dest


def _run(wf: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(SNAKEMAKE), "--configfile", "traces.yaml", *args], cwd=wf, capture_output=True, text=True, timeout=timeout)


def test_dry_run_imports_instead_of_generating(wf):
    proc = _run(wf, "--dry-run", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "import_traces" in out and "compare_published" in out and "reasoning_curve" in out
    for rule in ("generate", "grade", "score_rewards", "prepare_model"):
        assert f"\n{rule} " not in out


@pytest.mark.slow
def test_whole_trace_workflow_on_fixture_traces(wf):
    proc = _run(wf, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    compare = pd.read_csv(wf / "results" / "compare" / "published.csv", keep_default_na=False)
    assert set(compare.loc[compare["agrees"] != "n/a", "dataset"]) == {"gsm8k", "gpqa"}
    assert len(compare) == 319 and set(compare["mode"]) == {"round", "truncate", "interval", "exact", "not_comparable"}
    ran = compare[compare["agrees"] != "n/a"]
    assert set(ran["beta"]) == {"200.0", "1000.0", ""}  # the config runs betas 200 and 1000 only
    winners = ran.loc[ran["quantity"] == "auction_winner", "ours"]
    assert set(winners) <= {f"{name} ({pid})" for pid, name in CONFIG["traces"]["models"].items()}
    assert "| mode | ours agrees when it | compared | agree |" in (wf / "results" / "compare" / "published.md").read_text()
    summary = pd.read_csv(wf / "results" / "traces" / "import_summary.csv")
    assert len(summary) == 10 and (summary["bad_lines"] == 1).all() and (summary["repeated_qids"] == 1).all()
    curve = pd.read_csv(wf / "results" / "curves" / "gsm8k" / "reasoning" / "r1-big.csv")
    assert curve["theta"].tolist() == [1, 2, 3, 4, 5]
