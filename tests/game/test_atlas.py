"""The sensitivity atlas (ttcgames.game.atlas): its cell at the paper's point is the game rule's
output, its other cells are the markets the game rule would build with those parameters, and its
grid is checked like the rest of the config."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from engine_strategies import random_market

from ttcgames.game.atlas import DEFAULT_GRID, AtlasError, AtlasGrid, atlas_columns, atlas_rows, cell_market, spend
from ttcgames.game.cli import main
from ttcgames.game.market import read_market_csv
from ttcgames.io.csv_file import write_csv

INF = math.inf
BETAS = ("200", "1000", "100000", "inf")


def _market_csv(path, seed=3, n=4, k=5):
    rng = np.random.default_rng(seed)
    lines = ["provider,theta,accuracy,tokens,price_per_million"]
    for i in range(n):
        acc = np.sort(rng.uniform(0.1, 0.95, k))
        tokens = np.cumsum(rng.uniform(5, 40, k))
        lines += [f"prov-{i},{2**j},{float(acc[j])!r},{float(tokens[j])!r},{[10.0, 7.0, 5.0, 4.0][i % 4]}" for j in range(k)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _game_rule_json(tmp_path, csv, *, alpha, margin, seed=0):
    """What the game rule writes (workflow/scripts/game.py: the CLI with --all-equilibria)."""
    out = tmp_path / "game.json"
    argv = ["game", str(csv)]
    for beta in BETAS:
        argv += ["--beta", beta]
    argv += ["--alpha", repr(alpha), "--baseline", "0.1", "--margin", repr(margin), "--v0", "0.0", "--seed", str(seed)]
    assert main([*argv, "--all-equilibria", "--json", str(out)]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_paper_cell_equals_the_game_rule(tmp_path, seed):
    csv = _market_csv(tmp_path / "m.csv", seed=seed)
    doc = _game_rule_json(tmp_path, csv, alpha=0.008, margin=0.25, seed=seed)
    base = read_market_csv(csv, alpha=0.008, margin=0.25)
    grid = AtlasGrid((0.1, 0.25), (1.0, 2.0), (0.5, 1.0), tuple(float(b) for b in BETAS))
    rows = [r for r in atlas_rows(base, grid, seed=seed) if (r["margin"], r["alpha_multiplier"], r["price_multiplier"]) == (0.25, 1.0, 1.0)]
    assert len(rows) == len(doc["games"]) == 4
    auction = doc["auction"]
    for row, game in zip(rows, doc["games"]):
        assert row["beta"] == game["beta"]
        eq, alls = game["equilibrium"], game["equilibria"]
        assert (row["equilibrium_welfare"], row["user_value"], row["price"], row["provider_utility"], row["iterations"]) == (
            eq["welfare"],
            eq["user_value"],
            eq["price"],
            eq["provider_utility"],
            eq["iterations"],
        )
        assert (row["optimal_welfare"], row["price_of_anarchy"]) == (game["optimum"]["welfare"], game["price_of_anarchy"])
        assert (row["equilibria"], row["worst_equilibrium_welfare"], row["best_equilibrium_welfare"]) == (
            alls["count"],
            alls["worst_welfare"],
            alls["best_welfare"],
        )
        assert (row["worst_price_of_anarchy"], row["price_of_stability"]) == (alls["price_of_anarchy"], alls["price_of_stability"])
        assert {p: row[f"theta:{p}"] for p in base.providers} == eq["profile"]
        assert {p: row[f"optimal_theta:{p}"] for p in base.providers} == game["optimum"]["profile"]
        assert (row["auction_winner"], row["auction_user_value"], row["auction_price"], row["auction_utility"], row["auction_welfare"]) == (
            auction["winner"],
            auction["user_value"],
            auction["price"],
            auction["utility"],
            auction["welfare"],
        )


def test_other_cells_are_the_markets_the_game_rule_builds(tmp_path):
    csv = _market_csv(tmp_path / "m.csv", seed=5)
    doc = _game_rule_json(tmp_path, csv, alpha=0.016, margin=0.5)
    base = read_market_csv(csv, alpha=0.008, margin=0.25)
    grid = AtlasGrid((0.5,), (2.0,), (1.0,), tuple(float(b) for b in BETAS))
    for row, game in zip(atlas_rows(base, grid), doc["games"]):
        assert row["optimal_welfare"] == pytest.approx(game["optimum"]["welfare"], rel=1e-12)
        assert row["equilibrium_welfare"] == pytest.approx(game["equilibrium"]["welfare"], rel=1e-12)
        assert {p: row[f"theta:{p}"] for p in base.providers} == game["equilibrium"]["profile"]
    direct = read_market_csv(csv, alpha=0.008, margin=0.5)
    cell = cell_market(base, 0.5, 1.0, 1.0)
    assert cell.cost.tobytes() == direct.cost.tobytes() and cell.price.tobytes() == direct.price.tobytes()


def test_a_uniform_margin_moves_the_optimum_but_not_the_equilibria():
    base = random_market(np.random.default_rng(12), 4, 5)
    grid = AtlasGrid((0.05, 0.25, 2.0), (1.0,), (1.0,), (1000.0, INF))
    rows = list(atlas_rows(base, grid))
    thetas = [tuple(r[f"theta:{p}"] for p in base.providers) + (r["equilibria"],) for r in rows]
    assert thetas[0::2] == [thetas[0]] * 3 and thetas[1::2] == [thetas[1]] * 3
    # W = sum s q - sum s p / (1 + m): a higher margin weighs the priced compute B = sum s p less, so by
    # revealed preference the optimum's B = spend x (1 + m) cannot fall as m rises
    for betas in (rows[0::2], rows[1::2]):
        priced = [r["optimal_spend"] * (1 + r["margin"]) for r in betas]
        assert all(b >= a * (1 - 1e-12) for a, b in zip(priced, priced[1:]))


def test_overspend_compares_the_two_spends():
    base = random_market(np.random.default_rng(2), 3, 4)
    for r in atlas_rows(base, AtlasGrid((0.25, 1.0), (0.25, 4.0), (1.0,), (200.0, INF))):
        assert r["overspend"] == (r["equilibrium_spend"] > r["optimal_spend"] * (1 + 1e-9))
        assert r["price_of_anarchy"] is None or r["price_of_anarchy"] >= 1.0
    market = cell_market(base, 0.25, 1.0, 1.0)
    s = spend(market, np.zeros(3, dtype=np.int64), INF)
    assert s == pytest.approx(max(market.cost[i, 0] for i in range(3) if market.value[i, 0] == market.value[:, 0].max()))


def test_the_csv_is_deterministic_and_has_the_documented_columns(tmp_path):
    base = random_market(np.random.default_rng(4), 3, 3)
    grid = AtlasGrid((0.25, 0.5), (1.0,), (1.0, 2.0), (1000.0, INF))
    for name in ("a.csv", "b.csv"):
        write_csv(tmp_path / name, atlas_rows(base, grid, seed=1), atlas_columns(base.providers))
    text = (tmp_path / "a.csv").read_text()
    assert text == (tmp_path / "b.csv").read_text()
    lines = text.splitlines()
    assert lines[0].split(",") == atlas_columns(base.providers) and len(lines) == 1 + grid.size


def test_grid_from_config_defaults_and_errors():
    assert AtlasGrid.from_config(None) == DEFAULT_GRID
    assert AtlasGrid.from_config({"betas": [1000, "inf"]}).betas == (1000.0, INF)
    assert 0.25 in DEFAULT_GRID.margins and 1.0 in DEFAULT_GRID.alpha_multipliers and 1.0 in DEFAULT_GRID.price_multipliers
    for block, message in [
        ({"margins": []}, "atlas.margins: must be a non-empty list"),
        ({"margins": [0.1, 0.1]}, "atlas.margins: values must be distinct"),
        ({"alpha_multipliers": [1, -2]}, "atlas.alpha_multipliers: -2 is not allowed"),
        ({"price_multipliers": ["inf"]}, "atlas.price_multipliers: 'inf' is not allowed"),
        ({"betas": [0]}, "atlas.betas: 0 is not allowed"),
        ({"margin": [0.1]}, r"atlas: unknown key\(s\) \['margin'\]"),
        ({"margins": list(np.linspace(0.01, 9, 500)), "alpha_multipliers": list(np.linspace(0.1, 9, 500))}, "cells"),
    ]:
        with pytest.raises(AtlasError, match=message):
            AtlasGrid.from_config(block)


def test_a_refused_cell_is_named():
    base = random_market(np.random.default_rng(0), 2, 2)
    with pytest.raises(AtlasError, match=r"cell margin=0.25, alpha x 1, prices x 1, beta=1e\+305"):
        list(atlas_rows(base, AtlasGrid((0.25,), (1.0,), (1.0,), (1e305,))))


def test_the_schema_defaults_are_the_default_grid():
    yaml = pytest.importorskip("yaml")
    from pathlib import Path

    schema = yaml.safe_load((Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml").read_text())
    block = {k: v["default"] for k, v in schema["properties"]["atlas"]["properties"].items()}
    assert AtlasGrid.from_config(block) == DEFAULT_GRID
