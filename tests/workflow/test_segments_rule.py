"""market.segments in the workflow: unset, the default run plans no segments job (nothing changes);
set, every game gets results/games/{dataset}/{method}.segments.json, and the rule writes what
ttcgames.game.segments.analyse_segments computes for the config's segments."""

from __future__ import annotations

import json

import pytest
from workflow_copy import SMALL_DEFAULT_MARKET, copy_workflow, run_snakemake

from ttcgames.game import segments as sg

pytest.importorskip("snakemake")

OVERLAY = """market:
  segments:
    - {name: casual, weight: 0.7, alpha_scale: 0.5}
    - {name: expert, weight: 0.3, alpha_scale: 2.5, beta: inf, v0: -0.001}
"""


@pytest.fixture(scope="module")
def wf(tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("segments_wf"))
    (root / "segments.yaml").write_text(OVERLAY)
    return root


def test_unset_segments_plan_no_job_and_set_segments_one_per_game(wf):
    plain = run_snakemake(wf, "-n", "--configfile", "config/config.yaml")
    assert "rule segments:" not in plain and "segments.json" not in plain
    seg = run_snakemake(wf, "-n", "--configfile", "config/config.yaml", "segments.yaml")
    assert seg.count("rule segments:") == 2  # arith x (majority, bon)
    for method in ("majority", "bon"):
        assert f"results/games/arith/{method}.segments.json" in seg


def test_the_rule_writes_the_mixture_of_the_configured_segments(wf):
    market = wf / "results" / "markets" / "arith" / "majority.csv"
    market.parent.mkdir(parents=True, exist_ok=True)
    market.write_text(SMALL_DEFAULT_MARKET)
    target = "results/games/arith/majority.segments.json"
    run_snakemake(wf, "--configfile", "config/config.yaml", "segments.yaml", "--allowed-rules", "segments", "--", target)
    doc = json.loads((wf / target).read_text())
    segments = sg.segments_from_config(
        [{"name": "casual", "weight": 0.7, "alpha_scale": 0.5}, {"name": "expert", "weight": 0.3, "alpha_scale": 2.5, "beta": "inf", "v0": -0.001}]
    )
    markets = sg.segment_markets_from_csv(market, segments, alpha=0.008, baseline=0.1, margin=0.25, v0=0.0)
    betas = [200.0, 1000.0, 100000.0, float("inf")]  # config.yaml's games.betas
    expected = sg.analyse_segments(
        markets, segments, betas, alpha=0.008, seed=0, parameters={"alpha": 0.008, "baseline": 0.1, "margin": 0.25, "v0": 0.0}
    )
    assert doc == json.loads(json.dumps(expected))
    assert [s["alpha"] for s in doc["games"][0]["segments"]] == [0.004, 0.02]
    assert [s["beta"] for s in doc["games"][0]["segments"]] == [200.0, "inf"]
