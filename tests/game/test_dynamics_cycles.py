"""Cycle detection in the better-response dynamics (ttcgames.game.dynamics, rule 5) on a two-segment
market built by hand so that it has no pure equilibrium, and the guarantee that the paper's game
(a potential game, Theorem 1) never reports one.

The market (baseline 0, so q = alpha x accuracy; 1e6 $ per 1M tokens, so the price is the token
count in dollars; margin 0.25, so the profit is 0.2 x price; V0 = -100, nobody abstains):

    provider  level  accuracy  price  profit   V in Q (alpha 10)   V in C (alpha 1)
    A         L      0.5       1      0.2      4                   -0.5
    A         H      0.9       2      0.4      7                   -1.1
    B         L      0.3       1      0.2      2                   -0.7
    B         H      0.7       2      0.4      5                   -1.3

Segment Q ("quality lovers", weight 0.4) and segment C ("price lovers", weight 0.6) have opposing
preferences. At the same level A beats B in both segments, so B wants to differ from A; when they
differ, A wins only one segment and wants to match B. With perfectly rational users (the best value
takes a segment), by hand, (U_A, U_B):

    (L, L): A takes Q and C: (0.2, 0)       B -> H takes Q: 0.4 x 0.4 = 0.16 > 0
    (L, H): Q -> B, C -> A: (0.12, 0.16)     A -> H takes both: 0.4 > 0.12
    (H, H): A takes both: (0.4, 0)          B -> L takes C: 0.6 x 0.2 = 0.12 > 0
    (H, L): Q -> A, C -> B: (0.16, 0.12)     A -> L takes both: 0.2 > 0.16

Every profile has an improving move, so there is no pure equilibrium, and the moves form the cycle
(L,L) -> (L,H) -> (H,H) -> (H,L) -> (L,L): matching pennies. At beta = 100 the smallest value gap,
0.2, weighs e^-20 and the same holds.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pygambit
import pytest
from engine_strategies import random_market

from ttcgames.game import segments as sg
from ttcgames.game.dynamics import better_response_dynamics, run_rounds

INF = float("inf")
FROM_ARRAYS = getattr(pygambit, "StrategicGame", pygambit.Game).from_arrays  # pygambit 17 / 16.x, as test_oracle

ROWS = [
    {"provider": "A", "theta": 1, "accuracy": 0.5, "tokens": 1.0, "price_per_million": 1e6},
    {"provider": "A", "theta": 2, "accuracy": 0.9, "tokens": 2.0, "price_per_million": 1e6},
    {"provider": "B", "theta": 1, "accuracy": 0.3, "tokens": 1.0, "price_per_million": 1e6},
    {"provider": "B", "theta": 2, "accuracy": 0.7, "tokens": 2.0, "price_per_million": 1e6},
]
HAND_UTILITIES = {(0, 0): (0.2, 0.0), (0, 1): (0.12, 0.16), (1, 1): (0.4, 0.0), (1, 0): (0.16, 0.12)}
CYCLE = [(0, 0), (0, 1), (1, 1), (1, 0)]


def pennies(beta: float) -> sg.SegmentedMarket:
    segments = [sg.Segment(weight=0.4, alpha=10.0, name="Q"), sg.Segment(weight=0.6, alpha=1.0, name="C")]
    return sg.segmented_market_from_rows(ROWS, segments, alpha=1.0, beta=beta, baseline=0.0, margin=0.25, v0=-100.0)


@pytest.mark.parametrize("beta", [INF, 100.0])
def test_the_hand_built_market_has_the_hand_computed_utilities(beta):
    sm = pennies(beta)
    for profile, hand in HAND_UTILITIES.items():
        assert sg.utilities(sm, np.array(profile)) == pytest.approx(hand, rel=1e-7, abs=1e-9), profile
    # so no profile is an equilibrium, by the engine's test and by its enumeration
    assert not sg.equilibrium_mask(sm, np.array(CYCLE)).any()
    assert sg.enumerate_equilibria(sm).count == 0


def test_pygambit_agrees_that_no_pure_equilibrium_exists():
    tables = [np.empty((2, 2), dtype=object) for _ in range(2)]
    for profile, hand in HAND_UTILITIES.items():
        for i in range(2):
            tables[i][profile] = pygambit.Rational(Fraction(hand[i]).limit_denominator(1000))
    game = FROM_ARRAYS(*tables)
    assert list(pygambit.nash.enumpure_solve(game).equilibria) == []


@pytest.mark.parametrize("beta", [INF, 100.0])
@pytest.mark.parametrize("seed", range(12))
def test_the_dynamics_report_the_cycle_instead_of_running_to_the_round_limit(beta, seed):
    sm = pennies(beta)
    run = sg.segment_dynamics(sm, rng=seed, max_rounds=1000)
    assert not run.converged
    assert run.rounds <= 4  # found after a few rounds, not at the limit of 1000
    assert run.cycle is not None
    states = [tuple(int(k) for k in p) for p in run.cycle]
    # the whole matching-pennies cycle, in its order (started wherever the repeat was seen)
    j = CYCLE.index(states[0])
    assert states == CYCLE[j:] + CYCLE[:j]
    # every step is one provider's strict improvement, and the last move returns to the start
    for a, b in zip(states, states[1:] + states[:1]):
        (mover,) = [i for i in range(2) if a[i] != b[i]]
        assert HAND_UTILITIES[b][mover] > HAND_UTILITIES[a][mover]
    r0, r1 = run.cycle_rounds
    assert 0 <= r0 < r1 == run.rounds
    assert tuple(run.profiles[-1]) == states[0]


def test_the_cycle_reaches_the_games_json_and_no_price_of_anarchy_is_claimed():
    g = sg.solve_segments(pennies(INF), seed=3, n_starts=4)
    assert g["price_of_anarchy"] is None
    assert g["equilibrium"]["converged"] is False
    cycle = g["equilibrium"]["cycle"]
    assert sorted((c["A"], c["B"]) for c in cycle) == [(1, 1), (1, 2), (2, 1), (2, 2)]  # thetas
    assert g["equilibria"] == {
        "method": "enumeration",
        "count": 0,
        "profiles": [],
        "worst_welfare": None,
        "best_welfare": None,
        "price_of_anarchy": None,
        "price_of_stability": None,
    }
    assert all(r["cycle"] is not None and r["end"] is None for r in g["runs"])


def test_run_rounds_on_a_plain_payoff_table():
    """The loop knows nothing of markets: matching pennies as a table cycles; a coordination game
    (a potential game) converges."""
    pennies_table = {(0, 0): (1, 0), (0, 1): (0, 1), (1, 1): (1, 0), (1, 0): (0, 1)}
    coordination = {(0, 0): (2, 2), (0, 1): (0, 0), (1, 1): (1, 1), (1, 0): (0, 0)}

    def deviation(table):
        def utilities(profile, i):
            out = []
            for level in range(2):
                p = list(profile)
                p[i] = level
                out.append(float(table[tuple(p)][i]))
            return np.array(out)

        return utilities

    cyc = run_rounds(deviation(pennies_table), np.array([0, 0]), np.random.default_rng(0))
    assert cyc.cycle is not None and len(cyc.cycle) == 4 and not cyc.converged
    ok = run_rounds(deviation(coordination), np.array([1, 0]), np.random.default_rng(0))
    assert ok.converged and ok.cycle is None and tuple(ok.profiles[-1]) in {(0, 0), (1, 1)}


def test_the_paper_game_never_cycles():
    """Theorem 1: every move raises the potential, so no round-end profile comes back (rule 5 never
    fires and the runs end at an equilibrium)."""
    rng = np.random.default_rng(11)
    for trial in range(60):
        m = random_market(rng, int(rng.integers(2, 6)), int(rng.integers(2, 6)))
        for beta in (1.0, 1000.0, INF):
            start = np.array([int(rng.integers(0, k)) for k in m.n_levels])
            traj = better_response_dynamics(m, beta, rng=trial, start=start, best_response=bool(trial % 2))
            assert traj.converged and traj.cycle is None and traj.cycle_rounds is None


def test_a_mixture_that_converges_has_no_cycle_and_stops_at_an_equilibrium():
    rng = np.random.default_rng(4)
    for _ in range(20):
        rows = [
            {"provider": f"p{i}", "theta": t, "accuracy": a, "tokens": tok, "price_per_million": 0.1}
            for i in range(3)
            for t, a, tok in zip((1, 2, 4), np.sort(rng.uniform(0.1, 0.9, 3)), np.cumsum(rng.uniform(50, 900, 3)))
        ]
        segs = [sg.Segment(weight=0.5, alpha_scale=0.5), sg.Segment(weight=0.5, alpha_scale=2.0, beta=300.0)]
        sm = sg.segmented_market_from_rows(rows, segs, alpha=0.008, beta=1000.0)
        eqs = sg.enumerate_equilibria(sm)
        for start in itertools.product(range(3), repeat=3):
            run = sg.segment_dynamics(sm, rng=1, start=np.array(start))
            assert run.converged == (run.cycle is None)
            if run.converged:
                assert eqs.contains(run.profiles[-1])
