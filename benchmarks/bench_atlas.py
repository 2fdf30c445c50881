"""Benchmark of the sensitivity atlas (issue 21): cells per second for a 9-provider x 6-level game.

The market is bench_engine.py's seeded GSM8K-like 9 x 6 market (the paper's prices and thetas
1..64). The grid is the default atlas grid (10 margins x 9 alpha multipliers x 3 price multipliers x
4 betas = 1,080 cells), or with --margins N only its first N margins (the cost per cell does not
depend on the margin axis). Per cell the atlas runs what the game rule runs per beta (dynamics, exact
optimum, every pure equilibrium) plus the spend; the auction once per market. The same cells are
also timed part by part (dynamics, optimum, all equilibria) to show where the time goes, and the
whole `atlas_rows` is compared with one `solve_game(..., all_equilibria=True)` per cell (the game
rule's per-beta call, the baseline a user would otherwise script).

Usage: python benchmarks/bench_atlas.py [--margins N] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ttcgames.game.analysis import solve_game
from ttcgames.game.atlas import DEFAULT_GRID, AtlasGrid, atlas_rows, cell_market
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import market_from_rows
from ttcgames.game.optimum import social_optimum

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import paper_like_rows  # noqa: E402


def _cells(base, grid):
    for m in grid.margins:
        for a in grid.alpha_multipliers:
            for r in grid.price_multipliers:
                market = cell_market(base, m, a, r)
                for beta in grid.betas:
                    yield market, beta


_PARTS = {
    "dynamics": lambda market, beta: better_response_dynamics(market, beta, rng=np.random.default_rng(0)),
    "optimum": social_optimum,
    "equilibria": enumerate_equilibria,
}


def _parts(base, grid) -> dict[str, float]:
    """Seconds spent in each engine call over the grid's cells."""
    spent = dict.fromkeys(_PARTS, 0.0)
    for market, beta in _cells(base, grid):
        for name, call in _PARTS.items():
            t = time.perf_counter()
            call(market, beta)
            spent[name] += time.perf_counter() - t
    return spent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--margins", type=int, default=len(DEFAULT_GRID.margins), help="first N margins of the default grid")
    ap.add_argument("--out", default="benchmarks/out")
    args = ap.parse_args()
    base = market_from_rows(paper_like_rows(), alpha=0.008, margin=0.25)
    grid = AtlasGrid(DEFAULT_GRID.margins[: args.margins], DEFAULT_GRID.alpha_multipliers, DEFAULT_GRID.price_multipliers, DEFAULT_GRID.betas)
    t = time.perf_counter()
    rows = list(atlas_rows(base, grid))
    atlas_s = time.perf_counter() - t
    t = time.perf_counter()
    for market, beta in _cells(base, grid):
        solve_game(market, beta, all_equilibria=True)
    baseline_s = time.perf_counter() - t
    parts = _parts(base, grid)
    result = {
        "market": "9 providers x 6 levels (bench_engine.paper_like_rows)",
        "cells": len(rows),
        "atlas_seconds": atlas_s,
        "cells_per_second": len(rows) / atlas_s,
        "solve_game_per_cell_seconds": baseline_s,
        "parts_seconds": parts,
        "overspending_cells": sum(r["overspend"] for r in rows),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_atlas.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| cells | atlas s | cells/s | solve_game per cell s | dynamics s | optimum s | equilibria s |")
    print(
        f"| {len(rows)} | {atlas_s:.1f} | {len(rows) / atlas_s:.1f} | {baseline_s:.1f} | "
        f"{parts['dynamics']:.1f} | {parts['optimum']:.1f} | {parts['equilibria']:.1f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
