"""Ties at beta = inf between values computed along different paths (ttcgames.game.shares.TIE_RTOL).

291 tokens x $0.2/M and 194 tokens x $0.3/M are the same price, but the two doubles differ in the
last bit. The engine treats values within TIE_RTOL of the market's scale as tied, everywhere: shares,
utilities, the optimum's grouping, the equilibria and the dynamics. The oracle here is written from
the definitions (Table 1 with the tie rule, Eq. 4, 5, 6) on the raw q - p, with ties decided by
``math.isclose``, over every profile; it shares no code with the engine beyond building q and p.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttcgames.game.auction import Bids, auction_outcome, second_price_auction, truthful_bids
from ttcgames.game.dynamics import REL_TOL, better_response_dynamics
from ttcgames.game.equilibria import brute_force_equilibria, enumerate_equilibria
from ttcgames.game.market import market_from_rows
from ttcgames.game.optimum import brute_force_optimum, social_optimum
from ttcgames.game.payoffs import profile_shares, utilities
from ttcgames.game.shares import TIE_RTOL, market_shares, snap_ties

INF = float("inf")
# Equal prices in exact arithmetic, different doubles: tokens x price per million along several paths.
PRICE_PATHS = [
    [(291, 0.2), (194, 0.3), (582, 0.1), (97, 0.6)],  # $58.2 per million tokens
    [(300, 0.7), (700, 0.3), (2100, 0.1), (210, 1.0)],  # $210
    [(1000, 0.03), (300, 0.1), (100, 0.3), (30, 1.0)],  # $30
]


def the_example(alpha=0.008, v0=0.0, extra=()):
    rows = [
        {"provider": "A", "theta": 1, "accuracy": 0.5, "tokens": 291, "price_per_million": 0.2},
        {"provider": "B", "theta": 1, "accuracy": 0.5, "tokens": 194, "price_per_million": 0.3},
        *extra,
    ]
    return market_from_rows(rows, alpha=alpha, v0=v0), rows


def test_the_paths_really_differ_in_floating_point():
    assert 291 * 0.2 / 1e6 != 194 * 0.3 / 1e6  # otherwise the tests below would test nothing


def test_the_example_splits_the_market_at_beta_inf_like_the_softmax_limit():
    m, _ = the_example()
    both = np.array([0, 0])
    np.testing.assert_array_equal(profile_shares(m, both, INF), [0.0, 0.5, 0.5])
    np.testing.assert_allclose(profile_shares(m, both, 1e15), [0.0, 0.5, 0.5], rtol=1e-12)
    # and on the bare values, without a Market
    raw = np.array([0.008 * (0.1 + 0.9 * 0.5) - 291 * 0.2 / 1e6, 0.008 * (0.1 + 0.9 * 0.5) - 194 * 0.3 / 1e6])
    assert raw[0] != raw[1]
    np.testing.assert_array_equal(market_shares(raw, INF), [0.0, 0.5, 0.5])
    # the same price and accuracy give the same utility: half the profit each
    profit = 291 * 0.2 / 1e6 * 0.25 / 1.25
    np.testing.assert_allclose(utilities(m, both, INF), [profit / 2, profit / 2], rtol=1e-12)


def test_the_example_optimum_and_equilibria_treat_the_offers_as_tied():
    # A also has a cheaper, worse level; B only the tied one. At beta = inf the single profile where
    # A undercuts B's value hands B nothing; with A at the tied level both split the market.
    low = {"provider": "A", "theta": 0, "accuracy": 0.2, "tokens": 10, "price_per_million": 0.2}
    m, _ = the_example(extra=[low])
    eq = enumerate_equilibria(m, INF)
    brute = brute_force_equilibria(m, INF)
    np.testing.assert_array_equal(eq.profiles, brute.profiles)
    # A's levels: 0 = theta 0 (low), 1 = theta 1 (tied with B). By hand: at (1, 0) each earns half the
    # tied profit; moving to low gives A nothing, so (1, 0) is an equilibrium; at (0, 0) B alone has
    # the market and A gains by moving up to share it: not an equilibrium.
    assert [tuple(p) for p in eq.profiles] == [(1, 0)]
    q = 0.008 * (0.1 + 0.9 * 0.5)
    c = 291 * 0.2 / 1e6 / 1.25
    assert eq.worst_welfare == pytest.approx(q - c, rel=1e-12)
    opt = social_optimum(m, INF)
    assert opt.welfare == pytest.approx(brute_force_optimum(m, INF).welfare, rel=1e-15)
    assert opt.welfare == pytest.approx(q - c, rel=1e-12)


def test_values_further_apart_than_the_tolerance_stay_bit_for_bit():
    rows = [
        {"provider": "A", "theta": 1, "accuracy": 0.5, "tokens": 291, "price_per_million": 0.2},
        {"provider": "B", "theta": 1, "accuracy": 0.5, "tokens": 292, "price_per_million": 0.2},
    ]
    m = market_from_rows(rows, alpha=0.008)
    np.testing.assert_array_equal(m.value, m.quality - m.price)
    np.testing.assert_array_equal(profile_shares(m, np.array([0, 0]), INF), [0.0, 1.0, 0.0])


def test_a_tie_with_the_abstention_value_keeps_v0():
    m, _ = the_example(v0=0.008 * (0.1 + 0.9 * 0.5) - 194 * 0.3 / 1e6)
    assert m.value[0, 0] == m.value[1, 0] == m.v0
    np.testing.assert_allclose(profile_shares(m, np.array([0, 0]), INF), [1 / 3, 1 / 3, 1 / 3])


# ---------------------------------------------------------------------------------------------------
# snap_ties against a union-find over all pairs
# ---------------------------------------------------------------------------------------------------


def _components(vals: list[float], tol: float) -> list[int]:
    parent = list(range(len(vals)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in itertools.combinations(range(len(vals)), 2):
        if abs(vals[a] - vals[b]) <= tol:
            parent[find(a)] = find(b)
    return [find(a) for a in range(len(vals))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=12), st.integers(-50, 50),
       st.sampled_from([0.0, 1.0, 2.5]))
def test_property_snap_ties_merges_exactly_the_chains(ints, v0_int, tol):
    vals = [float(k) for k in ints]  # integers: gaps equal to the tolerance are exact
    v0 = float(v0_int)
    out = snap_ties(np.array(vals), v0, tol)
    comp = _components(vals + [v0], tol)
    for a, b in itertools.combinations(range(len(vals)), 2):
        assert (out[a] == out[b]) == (comp[a] == comp[b])
        if vals[a] <= vals[b]:
            assert out[a] <= out[b]  # order is kept
    for a in range(len(vals)):
        if comp[a] == comp[-1]:
            assert out[a] == v0  # the abstention value never moves
        else:
            members = [vals[j] for j in range(len(vals)) if comp[j] == comp[a]]
            assert out[a] == max(members)
    np.testing.assert_array_equal(snap_ties(out, v0, tol), out)  # idempotent
    if tol == 0.0:
        np.testing.assert_array_equal(out, vals)


# ---------------------------------------------------------------------------------------------------
# The engine against an oracle written from the definitions
# ---------------------------------------------------------------------------------------------------


@st.composite
def tie_markets(draw):
    """Small markets whose levels share accuracies and prices reached along different paths."""
    n = draw(st.integers(1, 3))
    rows = []
    for i in range(n):
        k = draw(st.integers(1, 3))
        for j in range(k):
            tokens, ppm = draw(st.sampled_from(draw(st.sampled_from(PRICE_PATHS))))
            rows.append({"provider": f"p{i}", "theta": j, "accuracy": draw(st.sampled_from([0.3, 0.5, 0.8])),
                         "tokens": tokens, "price_per_million": ppm})
    alpha = draw(st.sampled_from([0.008, 0.05]))
    v0 = draw(st.sampled_from([0.0, 0.0, alpha * (0.1 + 0.9 * 0.5) - 291 * 0.2 / 1e6]))
    return rows, alpha, v0


def oracle(rows, alpha, v0, baseline=0.1, margin=0.25):
    """Every profile's shares, utilities and welfare at beta = inf from the definitions, the
    equilibria (Eq. 6 with the dynamics' margin) and the optimum (max of Eq. 5)."""
    levels: dict[str, list] = {}
    for r in rows:
        q = alpha * (baseline + (1 - baseline) * r["accuracy"])
        p = r["tokens"] * r["price_per_million"] / 1e6
        levels.setdefault(r["provider"], []).append((r["theta"], q, p, p / (1 + margin)))
    menus = [sorted(v) for v in levels.values()]
    scale = max([abs(x) for menu in menus for _, q, p, _ in menu for x in (q, p)] + [abs(v0)])

    def tied(a, b):
        return math.isclose(a, b, rel_tol=0.0, abs_tol=TIE_RTOL * scale)

    def outcome(profile):
        offers = [menus[i][k] for i, k in enumerate(profile)]
        vals = [v0] + [q - p for _, q, p, _ in offers]
        top = max(vals)
        on_top = [tied(v, top) for v in vals]
        share = [1 / sum(on_top) if t else 0.0 for t in on_top]
        u = [share[i + 1] * (p - c) for i, (_, q, p, c) in enumerate(offers)]
        w = share[0] * v0 + sum(share[i + 1] * (q - c) for i, (_, q, p, c) in enumerate(offers))
        return share, u, w

    profiles = list(itertools.product(*[range(len(menu)) for menu in menus]))
    table = {prof: outcome(prof) for prof in profiles}
    equilibria = []
    for prof in profiles:
        ok = True
        for i in range(len(menus)):
            cur = table[prof][1][i]
            for k in range(len(menus[i])):
                dev = prof[:i] + (k,) + prof[i + 1:]
                if table[dev][1][i] > cur + REL_TOL * abs(cur):
                    ok = False
        if ok:
            equilibria.append(prof)
    return table, equilibria, max(w for _, _, w in table.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tie_markets(), st.integers(0, 3))
def test_property_engine_matches_the_oracle_at_beta_inf(spec, seed):
    rows, alpha, v0 = spec
    m = market_from_rows(rows, alpha=alpha, v0=v0)
    table, equilibria, best = oracle(rows, alpha, v0)
    for prof, (share, u, _w) in table.items():
        P = np.array(prof)
        np.testing.assert_allclose(profile_shares(m, P, INF), share, rtol=1e-15)
        np.testing.assert_allclose(utilities(m, P, INF), u, rtol=1e-12, atol=1e-20)
    eq = enumerate_equilibria(m, INF)
    assert [tuple(p) for p in eq.profiles.tolist()] == equilibria
    np.testing.assert_array_equal(eq.profiles, brute_force_equilibria(m, INF).profiles)
    assert social_optimum(m, INF).welfare == pytest.approx(best, rel=1e-12)
    assert brute_force_optimum(m, INF).welfare == pytest.approx(best, rel=1e-12)
    # the dynamics stop in one of those equilibria
    end = better_response_dynamics(m, INF, rng=seed).final
    assert tuple(int(k) for k in end) in equilibria


# ------------------------------------------------------------------ the auction (Eq. 10-13, Theorem 5)


def _auction_oracle(m, levels, prices):
    """Winner, runner-up and payment from Eq. 10 with the module's stated conventions, ties decided by
    ``math.isclose`` at TIE_RTOL of the money involved, the first listed provider winning a tie."""
    scale = max(np.abs(m.quality[m.mask]).max(), np.abs(m.cost[m.mask]).max(), np.abs(m.price[m.mask]).max(), abs(m.v0),
                np.abs(prices).max())
    tie = lambda a, b: math.isclose(a, b, rel_tol=0.0, abs_tol=TIE_RTOL * scale)  # noqa: E731
    offered = [float(m.quality[i, levels[i]] - prices[i]) for i in range(m.n_providers)]
    top = None
    for i, v in enumerate(offered):  # first listed among the (near-)largest
        if top is None or (v > offered[top] and not tie(v, offered[top])):
            top = i
    if offered[top] < m.v0 or tie(offered[top], m.v0):
        return None, None, 0.0
    runner = None
    for i, v in enumerate(offered):
        if i != top and (runner is None or (v > offered[runner] and not tie(v, offered[runner]))):
            runner = i
    second = m.v0 if runner is None else max(offered[runner], m.v0)
    if tie(offered[top], second):
        second = offered[top]
    return top, runner, float(m.quality[top, levels[top]]) - second


# The same accuracy reached along different paths (a mean over questions summed in another order):
# 0.1 * 7 is 0.7000000000000001, and the contribution q - c keeps that difference where the value
# q - p may lose it (the market snaps values; contributions are compared with the tolerance here).
ACC_PATHS = [(0.7, 0.1 * 7), (0.1 + 0.2, 0.3)]


def test_the_accuracy_paths_really_give_different_contributions():
    for a, b in ACC_PATHS:
        rows = [{"provider": n, "theta": 1, "accuracy": x, "tokens": 291, "price_per_million": 0.2} for n, x in (("A", a), ("B", b))]
        m = market_from_rows(rows, alpha=0.008)
        assert m.contribution[0, 0] != m.contribution[1, 0]  # otherwise the tests below would test nothing


@pytest.mark.parametrize("accs", ACC_PATHS)
@pytest.mark.parametrize("swap", [False, True])
def test_the_auction_gives_a_tie_to_the_first_listed_provider_whatever_the_rounding(accs, swap):
    # Two providers whose truthful offers are the same number in exact arithmetic, in both orders, and a
    # worse third: the first listed wins, the second listed is the runner-up, the winner's utility is 0.
    a, b = accs[::-1] if swap else accs
    rows = [{"provider": n, "theta": 1, "accuracy": x, "tokens": 291, "price_per_million": 0.2}
            for n, x in (("A", a), ("B", b), ("C", 0.2))]
    m = market_from_rows(rows, alpha=0.008)
    out = second_price_auction(m)
    assert (out.winner, out.runner_up) == (0, 1)
    assert out.utilities.tolist() == [0.0, 0.0, 0.0]
    assert out.welfare == m.contribution[0, 0]
    bids = truthful_bids(m)
    assert (out.winner, out.runner_up, out.payment) == _auction_oracle(m, bids.levels, bids.prices)


@pytest.mark.parametrize("accs", ACC_PATHS)
@pytest.mark.parametrize("swap", [False, True])
def test_truthful_bids_take_the_lowest_of_tied_levels(accs, swap):
    # One provider, two levels with contributions equal in exact arithmetic and a worse third level:
    # theta* is the lowest of the tied levels (Theorem 5's argmax with the module's tie rule).
    a, b = accs[::-1] if swap else accs
    rows = [{"provider": "A", "theta": t, "accuracy": x, "tokens": 291, "price_per_million": 0.2}
            for t, x in ((0, 0.1), (1, a), (2, b))]
    m = market_from_rows(rows, alpha=0.008)
    assert truthful_bids(m).levels.tolist() == [1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 4),
    data=st.data(),
)
def test_auction_outcome_matches_the_definition_on_random_near_tied_bids(n, data):
    # Random markets whose offers come from a few exact values reached along different rounding paths,
    # and random bids (truthful prices or the list prices): winner, runner-up, payment equal the oracle's.
    path = data.draw(st.sampled_from(PRICE_PATHS))
    accs = [x for pair in ACC_PATHS for x in pair]
    rows = []
    for i in range(n):
        for level in range(data.draw(st.integers(1, 3))):
            t, p = data.draw(st.sampled_from(path))
            acc = data.draw(st.sampled_from(accs))
            rows.append({"provider": f"P{i}", "theta": level, "accuracy": acc, "tokens": t, "price_per_million": p})
    v0 = data.draw(st.sampled_from([0.0, 0.008 * (0.1 + 0.9 * 0.3) - 291 * 0.2 / 1e6]))
    m = market_from_rows(rows, alpha=0.008, v0=v0)
    levels = np.array([data.draw(st.integers(0, int(m.n_levels[i]) - 1)) for i in range(n)])
    use_cost = data.draw(st.booleans())
    prices = np.array([m.cost[i, levels[i]] if use_cost else m.price[i, levels[i]] for i in range(n)])
    out = auction_outcome(m, Bids(levels, prices))
    winner, runner, payment = _auction_oracle(m, levels, prices)
    assert (out.winner, out.runner_up) == (winner, runner)
    assert out.payment == payment
