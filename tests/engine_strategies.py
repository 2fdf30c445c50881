"""Hypothesis strategies and small helpers for random monotone markets (Eq. 1 and Eq. 2 hold)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ttcgames.game.market import market_from_rows

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
    rows = []
    for i in range(n):
        ki = int(rng.integers(1, k + 1)) if ragged else k
        acc = np.sort(rng.uniform(0.05, 0.95, ki))
        tokens = np.cumsum(rng.uniform(50, 3000, ki))
        ppm = rng.uniform(0.05, 0.25)
        for j in range(ki):
            rows.append({"provider": f"p{i}", "theta": 2**j, "accuracy": acc[j], "tokens": tokens[j],
                         "price_per_million": ppm})
    return market_from_rows(rows, alpha=alpha, v0=v0)


def has_value_ties(market) -> bool:
    vals = np.concatenate([market.value[i, : market.n_levels[i]] for i in range(market.n_providers)] + [[market.v0]])
    return len(np.unique(vals)) < len(vals)
