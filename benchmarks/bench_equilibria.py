"""Benchmark of the exact enumeration of every pure equilibrium (ttcgames.game.equilibria).

(a) All pure equilibria of the seeded 9-provider x 6-level paper-like market of bench_engine.py
    (10,077,696 profiles) for the 100 betas numpy.logspace(0, 6, 100), plus beta = inf:
    ``enumerate_equilibria`` (interval sweep, no profile enumeration) against the brute force that
    tests every profile, ``brute_force_equilibria``, timed on --baseline-betas of the betas in the
    same run and scaled to 100. Both must agree on the number of equilibria, the worst and the best
    welfare (and, when there are few, on the profiles).
(b) The whole ``ttcgames sweep`` work per beta (dynamics, exact optimum, all equilibria) for the
    same 100 betas, and all equilibria of a random 12-provider x 8-level market (8^12 = 6.9e10
    profiles) for the same betas.
(c) Symmetric markets (one open model served by several providers at the same price): 9 and 12
    identical providers x 6 levels (the first menu of (a)) and 9 providers in 3 identical groups (its
    first three menus), every pure equilibrium at each of the 100 betas and at beta = inf, timed one
    beta at a time (target: every beta under 50 ms); the brute force checks the 9 identical providers
    at --symmetric-baseline-betas.

Usage: python benchmarks/bench_equilibria.py [options]; ``--help`` lists them with their defaults,
which are defined once, in ``main``'s argument parser.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import paper_like_rows, random_rows, timed  # noqa: E402

from ttcgames.game.analysis import beta_sweep  # noqa: E402
from ttcgames.game.equilibria import brute_force_equilibria, enumerate_equilibria  # noqa: E402
from ttcgames.game.market import market_from_rows  # noqa: E402


def all_equilibria(market, betas):
    return [enumerate_equilibria(market, b) for b in betas]


def symmetric_rows(n: int, groups: int) -> list[dict]:
    """n providers whose menus are the first ``groups`` menus of the paper-like market, in turn."""
    menus: dict[str, list[dict]] = {}
    for r in paper_like_rows():
        menus.setdefault(r["provider"], []).append(r)
    names = list(menus)[:groups]
    return [dict(r, provider=f"p{i}") for i in range(n) for r in menus[names[i % groups]]]


def per_beta_times(market, betas, repeat):
    """Median over ``repeat`` runs of each beta's enumeration time, and the results."""
    times, results = [], []
    for b in betas:
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            eq = enumerate_equilibria(market, b)
            runs.append(time.perf_counter() - t0)
        times.append(sorted(runs)[len(runs) // 2])
        results.append(eq)
    return times, results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline-betas", nargs="+", default=["0", "50", "93", "inf"],
                    help="indices into the 100 betas (or 'inf') to run the brute force on (default: %(default)s)")
    ap.add_argument("--symmetric-baseline-betas", nargs="*", default=["50"],
                    help="indices into the 100 betas (or 'inf') to check the 9 identical providers by brute force "
                         "(default: %(default)s; none: no check)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing, the median is reported (default: %(default)s)")
    ap.add_argument("--out", default="benchmarks/out", help="folder of bench_equilibria.json (default: %(default)s)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    market = market_from_rows(paper_like_rows(), alpha=0.008)
    betas = np.logspace(0, 6, 100).tolist()
    t_fast, eqs = timed(all_equilibria, market, betas, repeat=args.repeat)
    t_inf, eq_inf = timed(enumerate_equilibria, market, float("inf"), repeat=args.repeat)

    checks, t_brute_total = [], 0.0
    for label in args.baseline_betas:
        beta = float("inf") if label == "inf" else betas[int(label)]
        fast = eq_inf if label == "inf" else eqs[int(label)]
        t0 = time.perf_counter()
        brute = brute_force_equilibria(market, beta)
        t_b = time.perf_counter() - t0
        t_brute_total += t_b
        same_profiles = None
        if brute.count <= 2_000_000 and fast.count <= 2_000_000:
            same_profiles = bool(np.array_equal(fast.profiles, brute.profiles))
        checks.append({
            "beta": label if label == "inf" else beta, "bruteforce_s": t_b, "count": fast.count,
            "count_bruteforce": brute.count, "boxes": len(fast.boxes),
            "same_worst": fast.worst_welfare == brute.worst_welfare,
            "same_best": fast.best_welfare == brute.best_welfare, "same_profiles": same_profiles,
        })
    finite = [c for c in checks if c["beta"] != "inf"]
    t_brute_100 = (sum(c["bruteforce_s"] for c in finite) / len(finite) * 100) if finite else float("nan")

    t_sweep, _ = timed(beta_sweep, market, betas, repeat=args.repeat)
    big = market_from_rows(random_rows(12, 8, seed=1), alpha=0.008)
    t_big, eqs_big = timed(all_equilibria, big, betas, repeat=1)
    t_big_inf, eq_big_inf = timed(enumerate_equilibria, big, float("inf"))

    symmetric = {}
    for label, n, groups in (("9 identical", 9, 1), ("12 identical", 12, 1), ("9 in 3 groups", 9, 3)):
        sm = market_from_rows(symmetric_rows(n, groups), alpha=0.008)
        times, res = per_beta_times(sm, betas + [float("inf")], args.repeat)
        symmetric[label] = {"max_s": max(times), "mean_s": sum(times) / len(times), "inf_s": times[-1],
                            "worst_beta": (betas + ["inf"])[int(np.argmax(times))],
                            "counts_min_max": [min(e.count for e in res), max(e.count for e in res)]}
        if label == "9 identical":
            sym_market, sym_res = sm, res
    sym_checks = []
    for label in args.symmetric_baseline_betas:
        idx = 100 if label == "inf" else int(label)
        beta = float("inf") if label == "inf" else betas[idx]
        t0 = time.perf_counter()
        brute = brute_force_equilibria(sym_market, beta)
        t_b = time.perf_counter() - t0
        fast = sym_res[idx]
        sym_checks.append({"beta": label if label == "inf" else beta, "bruteforce_s": t_b, "count": fast.count,
                           "count_bruteforce": brute.count,
                           "same_profiles": bool(np.array_equal(fast.profiles, brute.profiles)),
                           "same_worst": fast.worst_welfare == brute.worst_welfare,
                           "same_best": fast.best_welfare == brute.best_welfare})

    counts = [e.count for e in eqs]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__},
        "a_all_equilibria_100_betas_s": t_fast,
        "a_all_equilibria_beta_inf_s": t_inf,
        "a_bruteforce_checks": checks,
        "a_bruteforce_100_betas_s_scaled": t_brute_100,
        "a_speedup": t_brute_100 / t_fast,
        "a_counts_min_max": [min(counts), max(counts)],
        "a_count_beta_inf": eq_inf.count,
        "b_sweep_100_betas_s": t_sweep,
        "b_12x8_all_equilibria_100_betas_s": t_big,
        "b_12x8_all_equilibria_beta_inf_s": t_big_inf,
        "b_12x8_counts_min_max": [min(e.count for e in eqs_big), max(e.count for e in eqs_big)],
        "b_12x8_count_beta_inf": eq_big_inf.count,
        "c_symmetric_per_beta": symmetric,
        "c_symmetric_bruteforce_checks": sym_checks,
    }
    (out / "bench_equilibria.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| measurement | seconds |\n|---|---|")
    print(f"| (a) all equilibria, 9 x 6, 100 betas (exact enumeration) | {t_fast:.3f} |")
    print(f"| (a) all equilibria, 9 x 6, beta = inf | {t_inf:.3f} |")
    print(f"| (a) brute force, {len(finite)} finite betas timed, scaled to 100 | {t_brute_100:,.0f} |")
    print(f"| (a) speed-up | {t_brute_100 / t_fast:,.0f}x |")
    print(f"| (b) `ttcgames sweep` work, 9 x 6, 100 betas (dynamics + optimum + all equilibria) | {t_sweep:.3f} |")
    print(f"| (b) all equilibria, 12 x 8, 100 betas | {t_big:.3f} |")
    print(f"| (b) all equilibria, 12 x 8, beta = inf | {t_big_inf:.3f} |")
    for label, r in symmetric.items():
        print(f"| (c) all equilibria, {label} x 6, slowest of the 101 betas (beta {r['worst_beta']}) | {r['max_s']:.4f} |")
        print(f"| (c) all equilibria, {label} x 6, mean per beta | {r['mean_s']:.4f} |")
    for c in checks:
        print(f"beta {c['beta']}: {c['count']:,} equilibria ({c['boxes']} boxes), brute force {c['count_bruteforce']:,} "
              f"in {c['bruteforce_s']:.1f} s; same worst {c['same_worst']}, best {c['same_best']}, "
              f"profiles {c['same_profiles']}")
    print(f"9 x 6 counts over the 100 betas: {min(counts):,} .. {max(counts):,}; beta = inf: {eq_inf.count:,}")
    print(f"12 x 8 counts: {result['b_12x8_counts_min_max']}; beta = inf: {eq_big_inf.count:,}")
    for c in sym_checks:
        print(f"9 identical, beta {c['beta']}: {c['count']:,} equilibria, brute force {c['count_bruteforce']:,} in "
              f"{c['bruteforce_s']:.1f} s; same profiles {c['same_profiles']}, worst {c['same_worst']}, best {c['same_best']}")
    for label, r in symmetric.items():
        print(f"{label}: counts {r['counts_min_max']}")
    ok = all(c["count"] == c["count_bruteforce"] and c["same_worst"] and c["same_best"]
             and c["same_profiles"] is not False for c in checks + sym_checks)
    ok = ok and all(r["max_s"] < 0.05 for r in symmetric.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
