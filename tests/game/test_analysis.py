"""ttcgames.game.analysis: what solve_game writes when the theory says nothing or the dynamics fail."""

import math

import numpy as np
import pytest
from engine_strategies import random_market

from ttcgames.game.analysis import SWEEP_COLUMNS, NotConvergedError, analyse, beta_sweep, game_result, solve_game
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.market import market_from_rows
from ttcgames.game.payoffs import gather
from ttcgames.game.results import GameResult

INF = float("inf")


def test_theorem4_at_beta_1_is_flagged_not_informative():
    """At beta = 1 the value gaps (fractions of a cent) give e^{-beta dV} ~ 1: the first-order
    "bound" is often negative and says nothing; the JSON says so."""
    m = random_market(np.random.default_rng(5), 4, 4)
    g = solve_game(m, 1.0)
    t4 = g["theorem4"]
    assert min(t4["expansion_terms"]) > 0.99
    assert t4["informative"] is False
    assert "beyond the first-order expansion" in t4["not_informative_because"]
    assert g["theorem4_bound"] < 1  # the uninformative number is still written, flagged


def test_theorem4_bound_at_most_one_is_not_informative_even_at_beta_inf():
    rng = np.random.default_rng(0)
    seen = {True: 0, False: 0}
    for _ in range(40):
        m = random_market(rng, 3, 4)
        t4 = solve_game(m, INF)["theorem4"]
        if t4 is None:
            continue
        bound = 1 + t4["delta_w"] / t4["w_star"]  # Eq. 70 at beta = inf: f = 0
        assert t4["expansion_terms"] == [0.0, 0.0]
        assert t4["informative"] is (bound > 1)
        if bound <= 1:
            assert "at most 1" in t4["not_informative_because"]
        else:
            assert t4["not_informative_because"] is None
        seen[t4["informative"]] += 1
    assert seen[True] and seen[False]  # both cases occur in these markets


def test_sweep_rows_carry_the_flag():
    m = random_market(np.random.default_rng(5), 4, 4)
    rows = beta_sweep(m, [1.0, INF])
    assert rows[0]["theorem4_informative"] is False
    assert rows[0]["theorem4_bound"] < 1
    assert rows[1]["theorem4_informative"] is (rows[1]["theorem4_bound"] > 1)


def test_dynamics_that_hit_the_round_limit_are_an_error():
    """A profile the dynamics did not finish with is no equilibrium: no JSON is produced from it."""
    m = random_market(np.random.default_rng(1), 4, 5)
    full = better_response_dynamics(m, 1000.0, rng=np.random.default_rng(0))
    assert full.rounds >= 2  # one round is not enough here
    with pytest.raises(NotConvergedError, match=r"beta=1000.0: the better-response dynamics did not reach an equilibrium within 1 rounds"):
        solve_game(m, 1000.0, max_rounds=1)
    assert solve_game(m, 1000.0, max_rounds=full.rounds)["equilibrium"]["rounds"] == full.rounds


def test_potential_is_minus_inf_exactly_while_a_provider_earns_nothing_per_query():
    """Eq. 7 takes log(p_i - c_i): at finite beta, a provider at a zero-price level (zero tokens)
    makes Phi = -inf on those rows (documented in ttcgames.game.potential and the README); every other
    row is finite."""
    rows = [
        dict(provider="a", theta=1, accuracy=0.5, tokens=0, price_per_million=1),
        dict(provider="a", theta=2, accuracy=0.6, tokens=100, price_per_million=1),
        dict(provider="b", theta=1, accuracy=0.4, tokens=50, price_per_million=1),
        dict(provider="b", theta=2, accuracy=0.45, tokens=0 + 80, price_per_million=1),
    ]
    m = market_from_rows(rows, alpha=0.008)
    _, traj_rows = analyse(m, [1000.0])
    by_t = {}
    for r in traj_rows:
        by_t.setdefault(r["t"], {})[r["provider"]] = r
    for t, rs in by_t.items():
        levels = [rs[p]["level"] for p in m.providers]
        zero = (gather(m.profit, np.array(levels)) == 0).any()
        assert math.isinf(rs["a"]["potential"]) == zero, (t, levels)
    assert math.isinf(by_t[0]["a"]["potential"]) and math.isfinite(by_t[max(by_t)]["a"]["potential"])


def test_the_json_entry_is_the_typed_result_and_the_sweep_row_reads_it():
    """solve_game's JSON is game_result's to_json; the sweep row is the same numbers under the CSV's
    column names (the header is the sweep CSV's, unchanged)."""
    m = random_market(np.random.default_rng(9), 3, 3)
    typed = game_result(m, 1000.0, seed=4, all_equilibria=True)
    entry = solve_game(m, 1000.0, seed=4, all_equilibria=True)
    assert typed.to_json() == entry and list(entry) == list(GameResult.from_json(entry, "g").to_json())
    assert SWEEP_COLUMNS == (
        "beta", "equilibrium_welfare", "optimal_welfare", "price_of_anarchy", "iterations",
        "user_value", "price", "provider_utility", "theorem4_bound", "theorem4_informative",
        "equilibria", "worst_equilibrium_welfare", "best_equilibrium_welfare",
        "worst_price_of_anarchy", "price_of_stability",
    )
    (row,) = beta_sweep(m, [1000.0], seed=4)
    eq, eqs = entry["equilibrium"], entry["equilibria"]
    assert row == {
        "beta": 1000.0, "equilibrium_welfare": eq["welfare"], "optimal_welfare": entry["optimum"]["welfare"],
        "price_of_anarchy": entry["price_of_anarchy"], "iterations": eq["iterations"], "user_value": eq["user_value"],
        "price": eq["price"], "provider_utility": eq["provider_utility"], "theorem4_bound": entry["theorem4_bound"],
        "theorem4_informative": entry["theorem4"]["informative"] if entry["theorem4"] else False,
        "equilibria": eqs["count"], "worst_equilibrium_welfare": eqs["worst_welfare"],
        "best_equilibrium_welfare": eqs["best_welfare"], "worst_price_of_anarchy": eqs["price_of_anarchy"],
        "price_of_stability": eqs["price_of_stability"],
    }
    assert solve_game(m, INF)["beta"] == "inf" and game_result(m, INF).beta == INF
