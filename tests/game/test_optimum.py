import itertools

import numpy as np
import pytest
from engine_strategies import random_market

from ttcgames.game.market import Market, market_from_rows
from ttcgames.game.optimum import brute_force_optimum, social_optimum
from ttcgames.game.payoffs import social_welfare

BETAS = [1.0, 100.0, 1000.0, 1e4, 1e6, 1e9, float("inf")]


def test_exact_optimum_equals_brute_force_on_250_random_games():
    rng = np.random.default_rng(20261128)
    checked = 0
    for trial in range(250):
        n = int(rng.integers(1, 6))
        k = int(rng.integers(1, 6))
        m = random_market(
            rng, n, k, alpha=float(rng.choice([0.008, 0.02, 0.05])), v0=float(rng.choice([0.0, 0.0, 0.002, -0.002])), ragged=bool(rng.integers(0, 2))
        )
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


def _near_tie_market() -> Market:
    """Two providers whose most valuable levels differ by 2.5e-7 in value: at beta = 1e9 the first wins
    with a share of 1 - e^{-250}, so the float W of the start profile is exactly its own W_i, while
    letting the second win (first provider at its cheap level) is better (found by Hypothesis)."""
    return Market(
        providers=("p0", "p1"),
        thetas=(np.array([1.0, 2.0]), np.array([1.0, 2.0])),
        quality=np.array([[0.0008, 0.0065375], [0.0008, 0.006875]]),
        price=np.array([[1.0e-06, 2.0e-06], [3.975e-05, 3.3975e-04]]),
        cost=np.array([[8.0e-07, 1.6e-06], [3.18e-05, 2.718e-04]]),
        v0=0.0,
    )


@pytest.mark.parametrize("beta", [1e6, 1e9])
def test_optimum_is_found_when_the_winner_takes_all_but_one_ulp(beta):
    m = _near_tie_market()
    brute = brute_force_optimum(m, beta)
    assert brute.profile.tolist() == [0, 1]
    exact = social_optimum(m, beta)
    assert exact.profile.tolist() == [0, 1]
    assert exact.welfare == brute.welfare


def _near_tie_markets(rng, count: int, max_providers: int = 3):
    """Random markets whose providers' top values differ by gaps of 1e-9..1e-6: at large beta the
    winner's share is 1 in floating point, so a profile's float W is one provider's own W_i."""
    for _ in range(count):
        n, k = int(rng.integers(2, max_providers + 1)), int(rng.integers(2, 4))
        quality = np.sort(rng.uniform(0.0005, 0.008, size=(n, k)), axis=1)
        cost = np.sort(rng.uniform(1e-7, 3e-4, size=(n, k)), axis=1)
        gaps = 10.0 ** rng.uniform(-9, -6, size=(n, 1))
        price = np.maximum(quality - quality[0, -1] + gaps, cost * 1.01)
        yield Market(
            providers=tuple(f"p{i}" for i in range(n)),
            thetas=tuple(np.arange(1.0, k + 1) for _ in range(n)),
            quality=quality,
            price=price,
            cost=cost,
            v0=0.0,
        )


def test_optimum_equals_brute_force_on_near_ties_at_large_beta():
    rng = np.random.default_rng(20261207)
    for trial, m in enumerate(_near_tie_markets(rng, 300, max_providers=4)):
        for beta in (1e6, 1e8, 1e9):
            if beta * m.max_abs_value > 700_000_000:
                continue
            exact, brute = social_optimum(m, beta), brute_force_optimum(m, beta)
            assert exact.welfare >= brute.welfare - 1e-15 * abs(brute.welfare), (trial, beta)


def _welfare_in_high_precision(mpmath, m: Market, profile, beta: float):
    """W(profile) (Eq. 5) with mpmath's exp and the working precision of the caller's context."""
    b0 = mpmath.exp(mpmath.mpf(beta) * mpmath.mpf(m.v0))
    num, den = b0 * mpmath.mpf(m.v0), b0
    for i, k in enumerate(profile):
        b = mpmath.exp(mpmath.mpf(beta) * mpmath.mpf(float(m.value[i, k])))
        num, den = num + b * mpmath.mpf(float(m.contribution[i, k])), den + b
    return num / den


def test_optimum_profile_is_the_high_precision_argmax_where_floats_tie():
    """At beta = 1e5 many profiles have the same float W (the winner's); the exact W still differs by
    what the losers' tiny shares add. Every profile's W in 600-digit arithmetic (mpmath), independently
    of the engine's shares: the engine's optimum is their maximum."""
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(7)
    beta, checked = 1e5, 0
    for m in _near_tie_markets(rng, 40):
        if beta * (np.nanmax(m.value) - np.nanmin(m.value)) > 1200:
            continue
        with mpmath.workdps(600):
            profiles = itertools.product(*(range(int(c)) for c in m.n_levels))
            best = max(_welfare_in_high_precision(mpmath, m, p, beta) for p in profiles)
            found = _welfare_in_high_precision(mpmath, m, social_optimum(m, beta).profile.tolist(), beta)
            assert found >= best - mpmath.mpf(10) ** -550
        checked += 1
    assert checked >= 20
