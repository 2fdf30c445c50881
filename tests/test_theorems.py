import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from engine_strategies import has_value_ties, monotone_markets, random_market
from ttcgames.analysis import solve_game
from ttcgames.equilibria import enumerate_equilibria
from ttcgames.theorems import theorem2, theorem4_bound

INF = float("inf")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monotone_markets(min_providers=2))
def test_property_theorem2_describes_every_equilibrium_at_beta_inf(m):
    assume(not has_value_ties(m))
    t2 = theorem2(m)
    assume(t2.dominant is not None)
    eqs = enumerate_equilibria(m, INF)
    for prof in eqs.profiles:
        assert prof[t2.dominant] == t2.level  # (i): the dominant provider's level
        values = m.value[np.arange(m.n_providers), prof]
        others = np.delete(values, t2.dominant)
        assert others.max() > t2.rival_threshold  # (ii)


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
