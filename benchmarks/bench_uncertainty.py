"""Benchmark of the paired bootstrap over questions (ttcgames.uncertainty.paired; issue: uncertainty).

A GSM8K-sized synthetic market: 9 providers x 1319 questions x 128 samples, thetas 1, 4, 8, 16,
32, 64, the paper's prices, alpha = 0.008. In the same run:

(a) baseline: one full rebuild of the 9 providers' exact majority-vote curves from the samples
    (``ttcgames.curves.exact.question_curves``), what a bootstrap that re-read the samples would pay for
    *every* replicate;
(b) 1000 replicates of the paired bootstrap from the per-question curves (curves, market,
    equilibrium by better-response dynamics at beta = 1000, optimum, auction, every Table 2
    quantity): ``ttcgames.uncertainty.paired.paired_bootstrap``.

Prints both wall times and their ratio; the target for (b) is under 30 s on 2 cores.

Usage: python benchmarks/bench_uncertainty.py [--replicates 1000] [--questions 1319]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from ttcgames.curves.exact import question_curves
from ttcgames.uncertainty.paired import ProviderQuestions, paired_bootstrap

PRICES = [0.1455, 0.1245, 0.10, 0.08, 0.10, 0.10, 0.20, 0.065, 0.1465]
THETAS = [1, 4, 8, 16, 32, 64]


def synthetic_samples(n_questions: int, n_samples: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Per provider a sample table: a skill per provider, a difficulty per question, five labels."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(-0.3, 0.3, n_questions)
    out = {}
    for i in range(len(PRICES)):
        skill = rng.uniform(0.3, 0.85)
        p = np.clip(skill + difficulty, 0.02, 0.98)[:, None]
        correct = rng.random((n_questions, n_samples)) < p
        wrong = rng.choice(["w1", "w2", "w3", "w4"], size=(n_questions, n_samples))
        labels = np.where(correct, "gold", wrong)
        valid = rng.random((n_questions, n_samples)) < 0.95
        tokens = rng.integers(150, 350, size=(n_questions, n_samples))
        out[f"model-{i}"] = pd.DataFrame({
            "qid": np.repeat([f"q{j}" for j in range(n_questions)], n_samples),
            "sample": np.tile(np.arange(n_samples), n_questions),
            "answer": np.where(valid, labels, "").ravel(),
            "valid": valid.ravel(),
            "correct": (correct & valid).ravel(),
            "num_tokens": tokens.ravel(),
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--questions", type=int, default=1319)
    ap.add_argument("--samples", type=int, default=128)
    args = ap.parse_args()
    tables = synthetic_samples(args.questions, args.samples)

    t0 = time.perf_counter()
    per_question = {name: question_curves(t, "majority", THETAS) for name, t in tables.items()}
    rebuild = time.perf_counter() - t0

    providers = [
        ProviderQuestions(name, qc.qids, qc.thetas, qc.accuracy, qc.tokens, np.ones_like(qc.accuracy))
        for name, qc in per_question.items()
    ]
    prices = dict(zip(per_question, PRICES))
    t0 = time.perf_counter()
    reps, point = paired_bootstrap(providers, prices, market={"alpha": 0.008}, beta=1000.0, n_boot=args.replicates, seed=0)
    boot = time.perf_counter() - t0

    poa = reps["price_of_anarchy"]
    print(f"market: {len(PRICES)} providers x {args.questions} questions x {args.samples} samples, thetas {THETAS}")
    print(f"(a) one rebuild of the 9 majority curves from the samples: {rebuild:.1f} s")
    print(f"(b) {args.replicates} paired-bootstrap replicates from per-question curves: {boot:.1f} s "
          f"({1000 * boot / args.replicates:.1f} ms per replicate)")
    print(f"ratio (b) / (a): {boot / rebuild:.2f}; re-reading the samples per replicate would take about "
          f"{args.replicates * rebuild / 60:.0f} min")
    print(f"point PoA {point['price_of_anarchy']:.4f}; 95% interval [{poa.quantile(0.025):.4f}, {poa.quantile(0.975):.4f}]; "
          f"point equilibrium in {np.mean(reps['equilibrium_profile'] == point['equilibrium_profile']):.0%} of replicates")


if __name__ == "__main__":
    main()
