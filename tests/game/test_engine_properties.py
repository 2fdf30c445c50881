"""Property tests of the theory (Theorems 1, 5, the definition of the optimum and PoA)."""

import numpy as np
import pytest
from engine_strategies import BETAS, has_value_ties, monotone_markets
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ttcgames.game.analysis import solve_game
from ttcgames.game.auction import Bids, auction_outcome, second_price_auction, truthful_bids
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.equilibria import enumerate_equilibria, is_nash_equilibrium, iter_profiles
from ttcgames.game.optimum import social_optimum
from ttcgames.game.payoffs import deviation_utilities, social_welfare, utilities
from ttcgames.game.potential import potential, potential_constant

SETTINGS = settings(max_examples=int(__import__("os").environ.get("TTC_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def all_profiles(m):
    return np.concatenate(list(iter_profiles(m)))


@SETTINGS
@given(monotone_markets(), st.sampled_from(BETAS))
def test_property_strict_improvements_raise_the_potential(m, beta):
    """Theorem 1: U_i(theta'_i) > U_i(theta_i) implies Phi(theta') > Phi(theta), both cases of Eq. 7."""
    if np.isinf(beta):
        assume(not has_value_ties(m))  # the perfect-rationality potential assumes no ties (Sec. 2)
    const = potential_constant(m) if np.isinf(beta) else None
    for prof in all_profiles(m):
        u = utilities(m, prof, beta)
        phi = potential(m, prof, beta, const)
        for i in range(m.n_providers):
            dev = deviation_utilities(m, prof, i, beta)
            for k in range(m.n_levels[i]):
                if dev[k] > u[i] * (1 + 1e-9) + 1e-300:
                    new = prof.copy()
                    new[i] = k
                    assert potential(m, new, beta, const) > phi


@SETTINGS
@given(monotone_markets(), st.sampled_from(BETAS), st.integers(0, 2**32 - 1), st.booleans())
def test_property_dynamics_end_in_a_pure_equilibrium(m, beta, seed, best):
    traj = better_response_dynamics(m, beta, rng=seed, best_response=best)
    assert traj.converged
    assert is_nash_equilibrium(m, traj.final, beta)
    # every move strictly improves the mover, and the potential never falls along the path
    for t in np.flatnonzero(traj.moved):
        i = traj.movers[t]
        assert traj.utilities[t, i] > traj.utilities[t - 1, i]
    if not np.isinf(beta) or not has_value_ties(m):
        for t in np.flatnonzero(traj.moved):
            before, after = traj.potential[t - 1], traj.potential[t]
            assert after > before or after >= before - 1e-15 * abs(before)


@SETTINGS
@given(monotone_markets(), st.sampled_from(BETAS))
def test_property_optimum_dominates_every_profile_and_poa_at_least_one(m, beta):
    opt = social_optimum(m, beta)
    w = np.atleast_1d(social_welfare(m, all_profiles(m), beta))
    assert opt.welfare >= w.max() - 1e-12 * max(1.0, abs(w.max()))
    assert social_welfare(m, opt.profile, beta) == pytest.approx(opt.welfare, rel=1e-12, abs=1e-15)
    g = solve_game(m, beta)
    if g["equilibrium"]["welfare"] > 0:
        assert g["price_of_anarchy"] >= 1 - 1e-12


@SETTINGS
@given(monotone_markets(), st.sampled_from(BETAS))
def test_property_enumerated_equilibria_contain_the_dynamics_end_and_bound_poa(m, beta):
    eqs = enumerate_equilibria(m, beta)
    traj = better_response_dynamics(m, beta, rng=1)
    assert eqs.count >= 1  # Theorem 1: a pure equilibrium exists
    assert any((p == traj.final).all() for p in eqs.profiles)
    for p in eqs.profiles:
        assert is_nash_equilibrium(m, p, beta)
    opt = social_optimum(m, beta)
    assert opt.welfare >= eqs.best_welfare - 1e-12 * abs(eqs.best_welfare) >= eqs.worst_welfare - 1e-9


@SETTINGS
@given(monotone_markets(min_providers=2), st.data())
def test_property_truthful_bidding_is_dominant(m, data):
    """Theorem 5: no unilateral deviation (level and price) beats (theta*_i, c_i(theta*_i))."""
    n = m.n_providers
    levels = np.array([data.draw(st.integers(0, m.n_levels[i] - 1)) for i in range(n)])
    prices = np.array([data.draw(st.floats(0.0, 0.05)) for _ in range(n)])
    truthful = truthful_bids(m)
    for i in range(n):
        lv, pr = levels.copy(), prices.copy()
        lv[i], pr[i] = truthful.levels[i], truthful.prices[i]
        base = auction_outcome(m, Bids(lv, pr)).utilities[i]
        for k in range(m.n_levels[i]):
            for p in (0.0, m.cost[i, k], m.price[i, k], data.draw(st.floats(0.0, 0.05))):
                lv2, pr2 = lv.copy(), pr.copy()
                lv2[i], pr2[i] = k, p
                assert auction_outcome(m, Bids(lv2, pr2)).utilities[i] <= base + 1e-15


@SETTINGS
@given(monotone_markets())
def test_property_auction_welfare_is_the_best_contribution(m):
    out = second_price_auction(m)
    best = np.nanmax(np.where(m.mask, m.contribution, np.nan))
    if best > m.v0:
        assert out.welfare == pytest.approx(best, rel=1e-12)
        assert out.user_value + out.winner_utility == pytest.approx(out.welfare, rel=1e-9, abs=1e-15)
        assert out.winner_utility >= 0
