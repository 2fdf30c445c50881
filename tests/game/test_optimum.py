import numpy as np
import pytest
from engine_strategies import random_market

from ttcgames.game.market import market_from_rows
from ttcgames.game.optimum import brute_force_optimum, social_optimum
from ttcgames.game.payoffs import social_welfare

BETAS = [1.0, 100.0, 1000.0, 1e4, 1e6, 1e9, float("inf")]


def test_exact_optimum_equals_brute_force_on_250_random_games():
    rng = np.random.default_rng(20261128)
    checked = 0
    for trial in range(250):
        n = int(rng.integers(1, 6))
        k = int(rng.integers(1, 6))
        m = random_market(rng, n, k, alpha=float(rng.choice([0.008, 0.02, 0.05])),
                          v0=float(rng.choice([0.0, 0.0, 0.002, -0.002])), ragged=bool(rng.integers(0, 2)))
        beta = BETAS[trial % len(BETAS)]
        exact = social_optimum(m, beta)
        brute = brute_force_optimum(m, beta)
        assert exact.welfare == pytest.approx(brute.welfare, rel=1e-12, abs=1e-18), (trial, beta)
        assert social_welfare(m, exact.profile, beta) == pytest.approx(exact.welfare, rel=1e-12, abs=1e-18)
        checked += 1
    assert checked == 250


def test_perfect_rationality_optimum_with_ties_and_abstention():
    # p0 and p1 can only tie at value 0.5 (p1 has a single level); the best is to let p0 win alone.
    rows = [
        {"provider": "p0", "theta": 1, "accuracy": 0.5, "tokens": 0, "price_per_million": 1},
        {"provider": "p0", "theta": 2, "accuracy": 0.9, "tokens": 100000, "price_per_million": 1},
        {"provider": "p1", "theta": 1, "accuracy": 0.5, "tokens": 0, "price_per_million": 1},
    ]
    m = market_from_rows(rows, alpha=1.0, baseline=0.0)
    opt = social_optimum(m, float("inf"))
    assert opt.welfare == pytest.approx(brute_force_optimum(m, float("inf")).welfare, rel=1e-15)
    # abstention above everybody: the optimum is V0 itself
    m2 = market_from_rows(rows, alpha=1.0, baseline=0.0, v0=5.0)
    assert social_optimum(m2, float("inf")).welfare == 5.0


def test_large_market_optimum_is_at_least_every_single_provider_profile():
    rng = np.random.default_rng(7)
    m = random_market(rng, 200, 16)
    for beta in (1.0, 1000.0, 1e6, float("inf")):
        opt = social_optimum(m, beta)
        # compare with the best of 2000 random profiles and with greedy single-provider changes
        profiles = np.stack([rng.integers(0, 16, 200) for _ in range(2000)])
        assert opt.welfare >= np.max(social_welfare(m, profiles, beta)) - 1e-15
        for i in range(0, 200, 25):
            for k in range(16):
                p = opt.profile.copy()
                p[i] = k
                assert social_welfare(m, p, beta) <= opt.welfare + 1e-15
