"""The atlas in the workflow: `atlas_only` plans one atlas and one figure job per game and `all` none;
the rule writes what ttcgames.game.atlas computes for the config's grid, and the figure rule its heat maps."""

from __future__ import annotations

import csv

import pytest
from workflow_copy import SMALL_DEFAULT_MARKET, copy_workflow, run_snakemake

from ttcgames.game.atlas import AtlasGrid, atlas_columns, atlas_rows
from ttcgames.game.market import read_market_csv

pytest.importorskip("snakemake")

OVERLAY = """atlas:
  margins: [0.1, 0.25, 1.0]
  alpha_multipliers: [0.5, 1.0, 2.0]
  price_multipliers: [1.0]
  betas: [1000, inf]
"""


@pytest.fixture(scope="module")
def wf(tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("atlas_wf"))
    (root / "atlas.yaml").write_text(OVERLAY)
    return root


def test_atlas_only_plans_one_atlas_per_game_and_all_plans_none(wf):
    plan = run_snakemake(wf, "-n", "atlas_only")
    assert plan.count("rule atlas:") == 2 and plan.count("rule figure_atlas:") == 2  # arith x (majority, bon)
    for method in ("majority", "bon"):
        assert f"results/atlas/arith/{method}.csv" in plan and f"results/atlas/arith/{method}.poa.png" in plan
    assert "rule atlas:" not in run_snakemake(wf, "-n")


def test_the_rule_writes_the_atlas_of_the_configured_grid_and_its_figures(wf):
    market = wf / "results" / "markets" / "arith" / "bon.csv"
    market.parent.mkdir(parents=True, exist_ok=True)
    market.write_text(SMALL_DEFAULT_MARKET)
    targets = [f"results/atlas/arith/bon.{s}" for s in ("csv", "poa.png", "spend.pdf")]
    run_snakemake(wf, "--configfile", "config/config.yaml", "atlas.yaml", "--allowed-rules", "atlas", "figure_atlas", "--", *targets)
    base = read_market_csv(market, alpha=0.008, baseline=0.1, margin=0.25, v0=0.0)
    grid = AtlasGrid((0.1, 0.25, 1.0), (0.5, 1.0, 2.0), (1.0,), (1000.0, float("inf")))
    with open(wf / targets[0], newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == atlas_columns(base.providers)
        written = list(reader)
    expected = [{k: _cell(v) for k, v in row.items()} for row in atlas_rows(base, grid, seed=0)]
    assert written == expected
    assert (wf / targets[1]).read_bytes().startswith(b"\x89PNG") and (wf / targets[2]).read_bytes().startswith(b"%PDF")


def _cell(value) -> str:
    """A value as the CSV writes it: floats by repr, booleans true/false, None empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)
