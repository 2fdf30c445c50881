"""The exact enumeration of pure equilibria (ttcgames.game.equilibria.enumerate_equilibria) against the
brute force over all profiles: the equilibrium sets must be equal, profile for profile."""

import numpy as np
import pytest
from engine_strategies import monotone_markets, random_market
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.equilibria import brute_force_equilibria, enumerate_equilibria, is_nash_equilibrium
from ttcgames.game.market import Market
from ttcgames.game.optimum import social_optimum

INF = float("inf")
BETAS = [0.5, 1.0, 30.0, 1000.0, 3e4, 1e5, 3e5, 1e6, 1e9, INF]


def assert_same_set(m, beta, **kw):
    fast = enumerate_equilibria(m, beta, **kw)
    brute = brute_force_equilibria(m, beta)
    assert fast.count == brute.count
    np.testing.assert_array_equal(fast.profiles, brute.profiles)
    np.testing.assert_array_equal(fast.welfare, brute.welfare)
    assert fast.worst_welfare == brute.worst_welfare or fast.count == 0
    assert fast.best_welfare == brute.best_welfare or fast.count == 0
    return fast


@st.composite
def tied_markets(draw, max_providers: int = 4, max_levels: int = 3):
    """Providers drawn from a small pool of identical (accuracy, tokens) menus and prices: value ties
    across providers, hence symmetric games with several equilibria (and ties at beta = inf)."""
    pool = [sorted(draw(st.lists(st.sampled_from([0.1, 0.4, 0.6, 0.9]), min_size=1, max_size=max_levels)))
            for _ in range(2)]
    n = draw(st.integers(2, max_providers))
    rows = []
    for i in range(n):
        accs = pool[draw(st.integers(0, 1))]
        ppm = draw(st.sampled_from([0.05, 0.1]))
        for j, acc in enumerate(accs):
            rows.append({"provider": f"p{i}", "theta": 2**j, "accuracy": acc, "tokens": 100.0 * (j + 1),
                         "price_per_million": ppm})
    from ttcgames.game.market import market_from_rows

    return market_from_rows(rows, alpha=draw(st.sampled_from([0.008, 0.05])),
                            v0=draw(st.sampled_from([0.0, 0.0, -0.001, 0.001])))


@st.composite
def near_tie_markets(draw, max_providers: int = 3):
    """A provider's levels share a value and differ in profit by about the dynamics' 1e-8 margin, so
    the tolerance (and the rounding at it) decides which levels are best responses."""
    n = draw(st.integers(1, max_providers))
    k = 3
    values = np.zeros((n, k))
    profits = np.zeros((n, k))
    for i in range(n):
        v = draw(st.sampled_from([-0.002, 0.001, 0.002, 0.0035]))
        dv = draw(st.sampled_from([0.0, 0.0, 1e-4]))
        base = draw(st.sampled_from([1e-4, 3e-4]))
        deltas = draw(st.lists(st.sampled_from([0.0, 0.5e-8, 1e-8, 1e-8 * (1 - 1e-6), 1e-8 * (1 + 1e-6), 2e-8]),
                               min_size=k, max_size=k))
        for j in range(k):
            values[i, j] = v + dv * (j // 2)
            profits[i, j] = base * (1 + deltas[j] * j)
    price = np.full((n, k), 0.001)
    return Market(providers=tuple(f"p{i}" for i in range(n)), thetas=tuple(np.arange(1, k + 1.0) for _ in range(n)),
                  quality=values + price, price=price, cost=price - profits,
                  v0=draw(st.sampled_from([0.0, -0.001])))


# 500 random small games in all: 300 monotone, 100 with tied menus, 100 with near-ties.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monotone_markets(), st.sampled_from(BETAS), st.sampled_from([0, 256]))
def test_property_equilibrium_set_equals_brute_force(m, beta, expand_limit):
    """expand_limit 0 accepts boxes of indifferent providers whole (the path large games take);
    256 tests every profile of every candidate box."""
    assert_same_set(m, beta, expand_limit=expand_limit)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_markets(), st.sampled_from(BETAS), st.sampled_from([0, 256]))
def test_property_games_with_several_equilibria(m, beta, expand_limit):
    assert_same_set(m, beta, expand_limit=expand_limit)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_tie_markets(), st.sampled_from(BETAS))
def test_property_near_ties_at_the_tolerance(m, beta):
    assert_same_set(m, beta)


def test_near_tie_within_the_margin_makes_two_equilibria():
    m = Market(providers=("a", "b"), thetas=(np.array([1.0, 2.0]),) * 2,
               quality=np.full((2, 2), 0.003), price=np.full((2, 2), 0.001),
               cost=0.001 - np.array([[1e-4, 1e-4 * (1 + 0.5e-8)], [1e-4, 1e-4 * (1 + 2e-8)]]))
    # a's second level earns 0.5e-8 more (within the margin: both levels are equilibria), b's 2e-8 (beyond)
    eq = assert_same_set(m, 1000.0)
    assert eq.count == 2 and set(map(tuple, eq.profiles)) == {(0, 1), (1, 1)}


@pytest.mark.parametrize("beta", [30.0, 1000.0, 1e5, 5e5, 1e6, INF])
def test_a_7_x_6_game_against_brute_force(beta):
    """279,936 profiles; at large beta providers far below the leader are indifferent and the
    enumeration returns boxes of thousands of equilibria."""
    m = random_market(np.random.default_rng(11), 7, 6)
    assert_same_set(m, beta)


@pytest.mark.parametrize("beta", [100.0, 1e4, 1e6, INF])
def test_a_12_x_8_game_contains_the_dynamics_end_and_bounds_poa(beta):
    m = random_market(np.random.default_rng(5), 12, 8, ragged=True)
    eqs = enumerate_equilibria(m, beta)
    assert eqs.count >= 1
    traj = better_response_dynamics(m, beta, rng=0)
    assert eqs.contains(traj.final)
    opt = social_optimum(m, beta)
    assert opt.welfare >= eqs.best_welfare >= eqs.worst_welfare
    # every box is made of equilibria: check a few profiles drawn from the boxes
    rng = np.random.default_rng(0)
    for box in eqs.boxes[:20]:
        prof = np.array([rng.choice(levels) for levels in box])
        assert is_nash_equilibrium(m, prof, beta)


def test_two_equilibria_with_different_welfare():
    """Values V = [[4, 3], [3, 4]], profits [[1, 2], [2, 0.5]] (welfare contribution V + profit).
    Worked by hand at beta = inf: (a at 4, b at 4) tie,
    welfare (5 + 4.5) / 2 = 4.75, and (a=3, b=3) tie, welfare 5; every other profile has a
    profitable deviation."""
    v = np.array([[4.0, 3.0], [3.0, 4.0]])
    profit = np.array([[1.0, 2.0], [2.0, 0.5]])
    price = np.ones((2, 2))
    m = Market(providers=("a", "b"), thetas=(np.array([1.0, 2.0]),) * 2, quality=v + price, price=price,
               cost=price - profit)
    eq = assert_same_set(m, INF)
    assert set(map(tuple, eq.profiles)) == {(0, 1), (1, 0)}
    assert (eq.worst_welfare, eq.best_welfare) == (4.75, 5.0)
    eq = assert_same_set(m, 3.0)  # the same two equilibria survive at beta = 3
    assert set(map(tuple, eq.profiles)) == {(0, 1), (1, 0)} and eq.worst_welfare < eq.best_welfare


def test_brute_force_refuses_huge_games():
    m = random_market(np.random.default_rng(0), 12, 8)
    with pytest.raises(ValueError, match="profiles"):
        brute_force_equilibria(m, 1.0)
    with pytest.raises(ValueError, match="beta"):
        enumerate_equilibria(m, 0.0)
