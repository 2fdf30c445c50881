"""Hypothesis strategies and small helpers for random monotone markets (Eq. 1 and Eq. 2 hold)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ttcgames.game.market import Market, market_from_rows

BETAS = [1.0, 30.0, 1000.0, 1e5, 1e9, float("inf")]


@st.composite
def monotone_markets(draw, max_providers: int = 4, max_levels: int = 4, min_providers: int = 1):
    """Markets whose quality is non-decreasing and price (hence profit) strictly increasing in theta."""
    n = draw(st.integers(min_providers, max_providers))
    rows = []
    for i in range(n):
        k = draw(st.integers(1, max_levels))
        acc = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k)))
        steps = draw(st.lists(st.floats(1.0, 400.0), min_size=k, max_size=k))
        ppm = draw(st.floats(0.01, 1.0))
        tokens = np.cumsum(steps)
        for j in range(k):
            rows.append({"provider": f"p{i}", "theta": 2**j, "accuracy": acc[j], "tokens": tokens[j],
                         "price_per_million": ppm})
    alpha = draw(st.sampled_from([0.008, 0.02, 0.05]))
    v0 = draw(st.sampled_from([0.0, 0.0, -0.001, 0.001]))
    return market_from_rows(rows, alpha=alpha, v0=v0)


def random_market(rng: np.random.Generator, n: int, k: int, *, alpha: float = 0.008, v0: float = 0.0,
                  ragged: bool = False):
    """A random monotone market: accuracies sorted, tokens increasing, prices per 1M around 0.1."""
    return market_from_rows(random_rows(rng, n, k, ragged=ragged), alpha=alpha, v0=v0)


def random_rows(rng: np.random.Generator, n: int, k: int, *, ragged: bool = False) -> list[dict]:
    """The measurement rows of :func:`random_market` (provider, theta, accuracy, tokens, price_per_million)."""
    rows = []
    for i in range(n):
        ki = int(rng.integers(1, k + 1)) if ragged else k
        acc = np.sort(rng.uniform(0.05, 0.95, ki))
        tokens = np.cumsum(rng.uniform(50, 3000, ki))
        ppm = rng.uniform(0.05, 0.25)
        for j in range(ki):
            rows.append({"provider": f"p{i}", "theta": 2**j, "accuracy": acc[j], "tokens": tokens[j],
                         "price_per_million": ppm})
    return rows


def has_value_ties(market) -> bool:
    vals = np.concatenate([market.value[i, : market.n_levels[i]] for i in range(market.n_providers)] + [[market.v0]])
    return len(np.unique(vals)) < len(vals)


def symmetric_market(rng: np.random.Generator, n: int, k: int, groups: int = 1, *, alpha: float = 0.008,
                     v0: float = 0.0):
    """n providers in ``groups`` groups of identical menus (the same accuracies, tokens and price per
    token): one open model served by several providers at the same price. Groups are as equal in
    size as n allows; each menu is monotone as in :func:`random_market`."""
    menus = []
    for _ in range(groups):
        acc = np.sort(rng.uniform(0.05, 0.95, k))
        tokens = np.cumsum(rng.uniform(50, 3000, k))
        menus.append((acc, tokens, rng.uniform(0.05, 0.25)))
    rows = []
    for i in range(n):
        acc, tokens, ppm = menus[i % groups]
        rows += [{"provider": f"p{i}", "theta": 2**j, "accuracy": acc[j], "tokens": tokens[j],
                  "price_per_million": ppm} for j in range(k)]
    return market_from_rows(rows, alpha=alpha, v0=v0)


# Every near-margin profit is a multiple of 2^-75 in [2^-14, 2^-13): with price 2^-13 the cost
# c = 2^-13 - pi is exact (Sterbenz) and the engine's profit p - c gives back pi bit for bit.
NEAR_PRICE = 2.0**-13


def near_margin_market(rng: np.random.Generator, n: int, k: int, beta: float, *, straddle=(2.0**-52, 1e-6),
                       v0: float = 0.0):
    """A market whose levels' utilities straddle the dynamics' margin at a reference profile.

    Every provider's levels have values close to one another (the shares of two levels differ by at
    most e^0.3 at finite beta; equal or apart at beta = inf) and, at a random reference profile of the
    others, provider i's utility at every level l != r_i is U_r (1 + 1e-8)(1 +- d) with d log-uniform in
    ``straddle`` (one ulp to 1e-6 by default) and a random sign: each level beats the reference
    level by just more, or just less, than the margin, which is what decides the candidate intervals'
    ends (Lemma 1, ``ttcgames.game.equilibria``). Shares are computed here from Table 1 in floating
    point, so the straddle is relative to this computation; prices are ``NEAR_PRICE`` and profits lie
    in [price/2, price), so costs and profits are exact. Returns (market, reference profile)."""
    from ttcgames.game.market import Market
    from ttcgames.game.shares import is_perfect

    p = NEAR_PRICE
    base = rng.uniform(0.001, 0.004, n)
    if is_perfect(beta):
        steps = rng.choice([-2e-4, 0.0, 0.0, 1e-4, 2e-4], size=(n, k))
    else:
        steps = rng.choice([-0.15, -0.05, 0.0, 0.0, 0.05, 0.15], size=(n, k)) / beta
    value = base[:, None] + steps
    if rng.random() < 0.5:  # an identical competitor for provider 0 (symmetric menus)
        value[-1] = value[0]
    quality = value + p
    price = np.full((n, k), p)
    probe = Market(providers=tuple(f"p{i}" for i in range(n)), thetas=tuple(np.arange(1.0, k + 1) for _ in range(n)),
                   quality=quality, price=price, cost=np.full((n, k), p / 2), v0=v0)
    V = probe.value  # the values the engine will use (q - p, tie-snapped)
    ref = rng.integers(0, k, n)
    profit = np.zeros((n, k))
    lo_d, hi_d = np.log(straddle[0]), np.log(straddle[1])
    for i in range(n):
        others = [V[j, ref[j]] for j in range(n) if j != i] + [v0]
        if is_perfect(beta):
            m = max(others)
            c = sum(o == m for o in others)
            share = np.where(V[i] > m, 1.0, np.where(V[i] == m, 1.0 / (c + 1), 0.0))
        else:
            zmax = max(beta * o for o in others)
            log_x = zmax + np.log(sum(np.exp(beta * o - zmax) for o in others))
            with np.errstate(over="ignore"):
                share = 1.0 / (1.0 + np.exp(log_x - beta * V[i]))
        r = ref[i]
        profit[i, r] = rng.uniform(0.62, 0.72) * p
        for lv in range(k):
            if lv == r:
                continue
            d = np.exp(rng.uniform(lo_d, hi_d)) * rng.choice([-1.0, 1.0])
            target = profit[i, r] * share[r] * (1 + 1e-8) * (1 + d) / share[lv] if share[lv] > 0 else np.nan
            if not (0.5 * p <= target < p):  # out of range (or no share): an ordinary level
                target = rng.uniform(0.5, 1.0) * p
            profit[i, lv] = target
    profit = np.round(profit * 2.0**75) / 2.0**75
    m = Market(providers=probe.providers, thetas=probe.thetas, quality=quality, price=price, cost=p - profit, v0=v0)
    assert np.array_equal(m.profit, profit) and np.array_equal(m.value, V)
    return m, ref


def hand_worked_market() -> Market:
    """Two providers, values V = [[4, 3], [3, 4]], profits [[1, 2], [2, 0.5]] (price 1 everywhere).
    Worked by hand at beta = inf: the equilibria are (a at 4, b at 4), welfare 4.75, and
    (a at 3, b at 3), welfare 5; every other profile has a profitable deviation."""
    v = np.array([[4.0, 3.0], [3.0, 4.0]])
    profit = np.array([[1.0, 2.0], [2.0, 0.5]])
    price = np.ones((2, 2))
    return Market(providers=("a", "b"), thetas=(np.array([1.0, 2.0]),) * 2, quality=v + price, price=price, cost=price - profit)
