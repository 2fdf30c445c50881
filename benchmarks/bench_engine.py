"""Benchmark of the market engine (issue: market engine).

(a) A 100-beta sweep, numpy.logspace(0, 6, 100), of a 9-provider x 6-level market: better-response
    dynamics, social optimum and price of anarchy per beta. Our engine (exact optimum by Dinkelbach's
    method) against the same sweep with a brute-force optimum over all 6^9 = 10,077,696 profiles
    (the reference implementation's method), in the same run. The brute-force baseline takes seconds
    per beta, so by default it is timed on --baseline-betas evenly spaced betas of the 100 and scaled
    to 100 (say --baseline-betas 100 to time all of them).
    Also the whole `ttcgames game` command for the 100 betas, as a user runs it (process start-up,
    CSV parsing and JSON writing included).
(b) The exact optimum of a 1000-provider x 64-level market at beta = 1000 and beta = inf.

Usage: python benchmarks/bench_engine.py [--baseline-betas N] [--repeat R] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ttcgames.game.analysis import solve_game
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.market import market_from_rows
from ttcgames.game.optimum import brute_force_optimum, social_optimum
from ttcgames.game.payoffs import social_welfare

# Paper-facts prices (USD per 1M tokens) of the nine non-reasoning models.
PRICES = [0.1455, 0.1245, 0.10, 0.08, 0.10, 0.10, 0.20, 0.065, 0.1465]
THETAS = [1, 4, 8, 16, 32, 64]


def paper_like_rows(seed: int = 0) -> list[dict]:
    """A seeded GSM8K-like market: accuracy rising with theta towards a model-specific ceiling,
    roughly 250 tokens per sample."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, ppm in enumerate(PRICES):
        base = rng.uniform(0.2, 0.85)
        ceiling = min(0.97, base + rng.uniform(0.02, 0.12))
        per_sample = rng.uniform(180, 320)
        for j, th in enumerate(THETAS):
            acc = ceiling - (ceiling - base) * np.exp(-0.9 * j)
            rows.append({"provider": f"model-{i}", "theta": th, "accuracy": acc,
                         "tokens": per_sample * th, "price_per_million": ppm})
    return rows


def random_rows(n: int, k: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        acc = np.sort(rng.uniform(0.05, 0.95, k))
        tokens = np.cumsum(rng.uniform(50, 3000, k))
        ppm = rng.uniform(0.05, 0.25)
        rows += [{"provider": f"p{i}", "theta": j + 1, "accuracy": acc[j], "tokens": tokens[j],
                  "price_per_million": ppm} for j in range(k)]
    return rows


def sweep_engine(market, betas):
    return [solve_game(market, b)["price_of_anarchy"] for b in betas]


def sweep_brute(market, betas):
    out = []
    for b in betas:
        traj = better_response_dynamics(market, b, rng=np.random.default_rng(0))
        w_eq = float(social_welfare(market, traj.final, b))
        out.append(brute_force_optimum(market, b).welfare / w_eq)
    return out


def timed(fn, *args, repeat=1):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-betas", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default="benchmarks/out")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    market = market_from_rows(paper_like_rows(), alpha=0.008)
    betas = np.logspace(0, 6, 100)
    t_engine, poa_engine = timed(sweep_engine, market, betas, repeat=args.repeat)
    idx = np.unique(np.linspace(0, 99, args.baseline_betas).round().astype(int))
    t_brute_part, poa_brute = timed(sweep_brute, market, betas[idx])
    t_brute = t_brute_part * 100 / len(idx)
    max_rel = max(abs(a - b) / b for a, b in zip(np.array(poa_engine)[idx], poa_brute))

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "market.csv"
        with csv_path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(paper_like_rows()[0]))
            w.writeheader()
            w.writerows(paper_like_rows())
        cmd = [sys.executable, "-m", "ttcgames.game.cli", "game", str(csv_path), "--json", str(Path(tmp) / "g.json")]
        for b in betas:
            cmd += ["--beta", repr(float(b))]
        cli_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            cli_times.append(time.perf_counter() - t0)
        t_cli = statistics.median(cli_times)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        t_python = time.perf_counter() - t0

    big = market_from_rows(random_rows(1000, 64, seed=1), alpha=0.008)
    t_big, opt_big = timed(social_optimum, big, 1000.0, repeat=args.repeat)
    t_big_inf, _ = timed(social_optimum, big, float("inf"), repeat=args.repeat)

    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__},
        "a_sweep_engine_s": t_engine,
        "a_sweep_bruteforce_s_scaled_to_100": t_brute,
        "a_bruteforce_betas_timed": int(len(idx)),
        "a_bruteforce_per_beta_s": t_brute_part / len(idx),
        "a_speedup": t_brute / t_engine,
        "a_poa_max_rel_diff_engine_vs_bruteforce": max_rel,
        "a_cli_100_betas_s": t_cli,
        "python_startup_s": t_python,
        "b_optimum_1000x64_beta1000_s": t_big,
        "b_optimum_1000x64_beta1000_dinkelbach_steps": opt_big.iterations,
        "b_optimum_1000x64_betainf_s": t_big_inf,
    }
    (out / "bench_engine.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| measurement | seconds |\n|---|---|")
    print(f"| (a) 100-beta sweep, engine (dynamics + exact optimum + PoA) | {t_engine:.3f} |")
    print(f"| (a) same sweep, brute-force optimum ({len(idx)} betas timed, scaled to 100) | {t_brute:.1f} |")
    print(f"| (a) speed-up | {t_brute / t_engine:,.0f}x |")
    print(f"| (a) `ttcgames game` with 100 betas, whole process | {t_cli:.3f} |")
    print(f"| python start-up alone | {t_python:.3f} |")
    print(f"| (b) exact optimum 1000 x 64, beta = 1000 ({opt_big.iterations} Dinkelbach steps) | {t_big:.4f} |")
    print(f"| (b) exact optimum 1000 x 64, beta = inf | {t_big_inf:.4f} |")
    print(f"max relative PoA difference engine vs brute force: {max_rel:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
