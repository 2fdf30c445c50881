import itertools
from dataclasses import replace

import numpy as np
from engine_strategies import has_value_ties, monotone_markets, random_market
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ttcgames.game.analysis import solve_game
from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import Market
from ttcgames.game.theorems import theorem2, theorem4_bound

INF = float("inf")


@st.composite
def markets_with_v0_above_second(draw):
    """Markets whose abstention value V0 lies strictly between V*_2 and V*_1. Half of them are
    priced so that value peaks inside the grid (prices up to 50x the usual): then the dominant
    provider has more profitable levels offering less than V0, the case Theorem 2 (ii) must skip."""
    m = draw(monotone_markets(min_providers=2, max_levels=5))
    if draw(st.booleans()):
        scale = draw(st.floats(5.0, 50.0))
        m = replace(m, price=m.price * scale, cost=m.cost * scale)
    v_star = np.sort(np.where(m.mask, m.value, -np.inf).max(axis=1))[::-1]
    assume(v_star[0] > v_star[1])
    u = draw(st.floats(0.01, 0.99))
    return replace(m, v0=float(v_star[1] + u * (v_star[0] - v_star[1])))


def _check_theorem2_is_exact(m):
    """Under no ties and profits increasing in theta, Theorem 2 characterises the pure equilibria
    at beta = inf exactly: the dominant provider at its level and some rival above the threshold.
    Checked against the brute-force enumeration of every profile."""
    assume(not has_value_ties(m))
    t2 = theorem2(m)
    assume(t2.dominant is not None)
    found = {tuple(int(x) for x in p) for p in enumerate_equilibria(m, INF).profiles}
    predicted = set()
    for prof in itertools.product(*(range(k) for k in m.n_levels)):
        values = m.value[np.arange(m.n_providers), list(prof)]
        others = np.delete(values, t2.dominant)
        if prof[t2.dominant] == t2.level and others.max() > t2.rival_threshold:
            predicted.add(prof)
    assert found == predicted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monotone_markets(min_providers=2))
def test_property_theorem2_describes_every_equilibrium_at_beta_inf(m):
    _check_theorem2_is_exact(m)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(markets_with_v0_above_second())
def test_property_theorem2_with_v0_above_the_second_best_value(m):
    """The abstention competes as a rival: level and threshold use max(V*_2, V0). With V0 above
    every rival's best value, a deviation of the dominant provider below its level's value is beaten
    by the abstention or by nobody, so no rival is constrained: every profile with the dominant
    provider at its level is an equilibrium."""
    _check_theorem2_is_exact(m)
    assert theorem2(m).rival_threshold == -INF


def test_theorem2_rival_threshold_ignores_deviations_the_abstention_beats():
    """Issue example: P1 values [0.005, 0.003, -0.001], P2 [0, -0.01], V0 = 0.001. P1's more
    profitable level 2 offers less than V0, so users would abstain: no rival needs to beat it."""
    m = Market(
        providers=("P1", "P2"),
        thetas=(np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0])),
        quality=np.array([[0.010, 0.010, 0.010], [0.002, 0.002, np.nan]]),
        price=np.array([[0.005, 0.007, 0.011], [0.002, 0.012, np.nan]]),
        cost=np.array([[0.0, 0.0, 0.0], [0.0, 0.0, np.nan]]),
        v0=0.001,
    )
    np.testing.assert_allclose(m.value[0], [0.005, 0.003, -0.001], atol=1e-15)
    np.testing.assert_allclose(m.value[1, :2], [0.0, -0.01], atol=1e-15)
    t2 = theorem2(m)
    assert (t2.dominant, t2.level, t2.threshold) == (0, 1, 0.001)
    assert t2.rival_threshold == -INF
    # Brute force: P1 at level 1 with P2 at either level is an equilibrium.
    assert {tuple(p) for p in enumerate_equilibria(m, INF).profiles.tolist()} == {(1, 0), (1, 1)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monotone_markets(min_providers=2))
def test_property_theorem4_bound_holds_at_beta_inf(m):
    assume(not has_value_ties(m))
    g = solve_game(m, INF)
    if g["theorem4_bound"] is not None and g["equilibrium"]["welfare"] > 0:
        assert g["price_of_anarchy"] >= g["theorem4_bound"] - 1e-12


def test_theorem4_correction_vanishes_as_beta_grows():
    rng = np.random.default_rng(3)
    m = random_market(rng, 5, 5)
    eq = np.zeros(5, dtype=int)
    fs = [abs(theorem4_bound(m, eq, b).f_beta) for b in (10.0, 1e3, 1e5, 1e7)]
    assert fs[-1] <= fs[0]
    assert theorem4_bound(m, eq, INF).f_beta == 0.0
