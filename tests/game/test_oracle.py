"""Every pure equilibrium against an independent solver: pygambit's ``enumpure_solve`` (Gambit
17.0.0b2, the first release with a prebuilt wheel for Python 3.11: 16.7 ships only its source, a
55-minute build on 2 cores; 16.x's API works too).

For each of a few hundred random markets (2-5 providers, 2-6 levels; monotone, symmetric menus,
values tied within ``TIE_RTOL`` along different rounding paths, and levels whose utilities straddle
the 1e-8 margin), this file builds the payoff tables itself, from the paper's formulas and the
market's inputs (quality q, price p, cost c as doubles, V0), without the engine's helpers:

- values V = q - p with ties made exact as ``ttcgames.game.shares`` documents them (values within
  TIE_RTOL x the largest |q|, |p|, |V0| chain into one group, set to V0 if V0 is in it, else to the
  group's largest value), rewritten here from that rule;
- shares (Table 1) at finite beta as e^{beta V_i} / (e^{beta V0} + sum_j e^{beta V_j}) in 50-digit
  decimal arithmetic from the exact rationals of beta and V; at beta = inf exactly 1, 1/(c+1) or 0;
- utilities U_i = s_i (p_i - c_i) (Eq. 4), welfare W = sum_i s_i (q_i - c_i) + V0 s_0 (Eq. 5).

The engine's rule "a level beats the current one only by more than the relative margin 1e-8"
(``payoffs.REL_TOL``) is not Nash's "any strict gain". It is encoded exactly, in rationals, by a
change of payoffs: player i's payoff at (l, theta_-i) becomes

    U'_i(l, theta_-i) = min(U_i(l) + tol |U_i(l)|, max_l' U_i(l', theta_-i)),   tol = Fraction(1e-8),

so that the level k is an exact best response in U' iff U_i(k) + tol |U_i(k)| >= max_l U_i(l): the
margin rule. (U'(l) <= max U for every l, and the level attaining max U keeps U' = max U.) Every
payoff goes to pygambit as an exact Rational, and its pure equilibria of U' must be the engine's
equilibria, profile for profile, with the same worst and best welfare.

What stays with the hand-written brute force (``brute_force_equilibria``, test_equilibria.py), and
why: (1) large boxes of indifferent providers. At large beta the engine's shares below the smallest
double are exactly 0, so such providers are indifferent among all their levels (boxes of thousands
of equilibria); the exact shares here are positive, so pygambit would answer a different game, and
those games are also too large for its tables. The betas here stay in 10..1e4, where no share
underflows. (2) Margins closer than the rounding of the utilities. The engine's test is a
floating-point test (its error bound is Lemma 2 in ``ttcgames.game.equilibria``, at most about
1e-13 relative here); the near-margin menus here straddle the margin by 1e-12 to 1e-6, and the
one-ulp straddles are checked between the enumeration, the brute force and the dynamics, which share
the one test.
"""

from __future__ import annotations

import decimal
import itertools
import math
from fractions import Fraction

import numpy as np
import pygambit
import pytest
from engine_strategies import hand_worked_market, near_margin_market, random_market, symmetric_market

from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import market_from_rows

INF = float("inf")
TOL = Fraction(1e-8)  # the exact rational of the double 1e-8, the engine's REL_TOL
TIE = 1e-9  # shares.TIE_RTOL, as documented in the README's conventions table
# pygambit 17 moved the constructor from Game to StrategicGame (16.x has only Game.from_arrays).
FROM_ARRAYS = getattr(pygambit, "StrategicGame", pygambit.Game).from_arrays


def pure_profile(game, eq) -> tuple[int, ...]:
    """A pure equilibrium as each player's strategy index: pygambit 17 names players and strategies
    by label (``eq[player][label]``), 16.x hands out objects (``eq[strategy]``)."""
    if hasattr(game, "get_strategies"):
        return tuple(next(j for j, s in enumerate(game.get_strategies(p)) if eq[p][s] == 1) for p in game.players)
    return tuple(next(j for j, s in enumerate(player.strategies) if eq[s] == 1) for player in game.players)


CTX = decimal.Context(prec=50, Emin=-10**6, Emax=10**6)  # the shares: 50 digits
# After the shares every operation must be exact: a wide context that raises on any rounding.
EXACT = decimal.Context(prec=400, Emin=-10**6, Emax=10**6, traps=[decimal.Inexact, decimal.Overflow, decimal.Underflow])
TOL_D = decimal.Decimal(1e-8)  # the same number as TOL (Decimal of a double is exact)


def snapped_values(quality, price, n_levels, v0):
    """V = q - p per level with the documented tie rule (chains of gaps <= TIE x scale)."""
    raw = [[float(quality[i, k]) - float(price[i, k]) for k in range(n_levels[i])] for i in range(len(n_levels))]
    scale = max([abs(float(quality[i, k])) for i in range(len(n_levels)) for k in range(n_levels[i])]
                + [abs(float(price[i, k])) for i in range(len(n_levels)) for k in range(n_levels[i])] + [abs(v0)])
    items = sorted([(v, (i, k)) for i, row in enumerate(raw) for k, v in enumerate(row)] + [(v0, None)],
                   key=lambda t: t[0])
    groups, current = [], [items[0]]
    for prev, item in zip(items, items[1:]):
        if item[0] - prev[0] <= TIE * scale:
            current.append(item)
        else:
            groups.append(current)
            current = [item]
    groups.append(current)
    out = [list(row) for row in raw]
    for group in groups:
        has_v0 = any(key is None for _, key in group)
        rep = v0 if has_v0 else max(v for v, _ in group)
        for _, key in group:
            if key is not None:
                out[key[0]][key[1]] = rep
    return out


class Oracle:
    """Payoff tables from the formulas, and pygambit's pure equilibria of the margin-encoded game."""

    def __init__(self, market, beta):
        self.n = market.n_providers
        self.K = [int(k) for k in market.n_levels]
        self.v0 = float(market.v0)
        self.beta = beta
        q, p, c = market.quality, market.price, market.cost
        self.V = snapped_values(q, p, self.K, self.v0)
        self.profit = [[Fraction(float(p[i, k]) - float(c[i, k])) for k in range(self.K[i])] for i in range(self.n)]
        self.contrib = [[Fraction(float(q[i, k]) - float(c[i, k])) for k in range(self.K[i])] for i in range(self.n)]
        self.profit_d = [[decimal.Decimal(float(p[i, k]) - float(c[i, k])) for k in range(self.K[i])] for i in range(self.n)]
        if beta != INF:
            D = CTX.create_decimal_from_float
            z = [[CTX.multiply(D(beta), D(v)) for v in row] for row in self.V]
            z0 = CTX.multiply(D(beta), D(self.v0))
            top = max([z0] + [x for row in z for x in row])
            self.w = [[CTX.exp(CTX.subtract(x, top)) for x in row] for row in z]  # e^{beta V - top}
            self.w0 = CTX.exp(CTX.subtract(z0, top))

    def shares(self, profile):
        """(s_0, s_1..s_N): exact Fractions at beta = inf, 50-digit Decimals at finite beta."""
        if self.beta == INF:
            vals = [self.v0] + [self.V[i][k] for i, k in enumerate(profile)]
            m = max(vals)
            c = sum(v == m for v in vals)
            return [Fraction(1, c) if v == m else Fraction(0) for v in vals]
        ws = [self.w0] + [self.w[i][k] for i, k in enumerate(profile)]
        total = decimal.Decimal(0)
        for x in ws:
            total = CTX.add(total, x)
        return [CTX.divide(x, total) for x in ws]

    def welfare(self, profile):
        s = [Fraction(x) for x in self.shares(profile)]
        return s[0] * Fraction(self.v0) + sum(s[i + 1] * self.contrib[i][k] for i, k in enumerate(profile))

    def payoffs(self):
        """U_i at every profile: exact Fractions (beta = inf) or exact Decimals of 50-digit shares."""
        shape = tuple(self.K)
        U = [np.empty(shape, dtype=object) for _ in range(self.n)]
        profit = self.profit if self.beta == INF else self.profit_d
        for prof in itertools.product(*(range(k) for k in self.K)):
            s = self.shares(prof)
            for i, k in enumerate(prof):
                U[i][prof] = s[i + 1] * profit[i][k] if self.beta == INF else EXACT.multiply(s[i + 1], profit[i][k])
        return U

    def tables(self, with_margin=True):
        """Player i's payoffs as pygambit Rationals: U'_i of the module docstring, or U_i itself."""
        U = self.payoffs()
        shape = tuple(self.K)
        tol = TOL if self.beta == INF else TOL_D
        out = []
        for i in range(self.n):
            table = np.empty(shape, dtype=object)
            for rest in itertools.product(*(range(k) for j, k in enumerate(self.K) if j != i)):
                col = [rest[:i] + (lv,) + rest[i:] for lv in range(self.K[i])]
                best = max(U[i][c] for c in col)
                for c in col:
                    u = U[i][c]
                    if with_margin:
                        u = min(u + tol * abs(u), best) if self.beta == INF else \
                            min(EXACT.add(u, EXACT.multiply(tol, u.copy_abs())), best)
                    table[c] = pygambit.Rational(u)
            out.append(table)
        return out

    def equilibria(self, with_margin=True):
        """pygambit's pure equilibria of the margin-encoded game (or, with_margin=False, of U itself)."""
        game = FROM_ARRAYS(*self.tables(with_margin))
        return {pure_profile(game, eq) for eq in pygambit.nash.enumpure_solve(game).equilibria}


def tie_path_market(rng, n, k):
    """Menus with one price per level reached along different rounding paths (291 tokens x $0.2/M and
    194 x $0.3/M are the same price, two doubles): values tied within TIE_RTOL, across providers."""
    paths = [(291, 0.2), (194, 0.3), (582, 0.1), (97, 0.6)]
    acc = np.sort(rng.choice([0.2, 0.35, 0.5, 0.65, 0.8, 0.9], size=k, replace=False))
    rows = []
    for i in range(n):
        shift = int(rng.integers(0, 2))  # some providers offer the menu one level higher
        for j in range(k):
            tokens, ppm = paths[int(rng.integers(0, 4))]
            step = j + 1 + shift
            rows.append({"provider": f"p{i}", "theta": 2**j, "accuracy": acc[min(j + shift, k - 1)],
                         "tokens": tokens * step, "price_per_million": ppm})
    return market_from_rows(rows, alpha=0.008, v0=float(rng.choice([0.0, 0.0, 0.001])))


def generated_games(count=240, seed=2026):
    """(kind, market, beta) for ``count`` games: monotone, symmetric, tie-path and near-margin menus,
    N in 2..5, K in 2..6 with at most 1,300 profiles, beta in 10..1e4 or inf."""
    rng = np.random.default_rng(seed)
    kinds = ["monotone", "symmetric", "ties", "near"]
    for g in range(count):
        kind = kinds[g % 4]
        n = int(rng.integers(2, 6))
        k = int(rng.integers(2, min(6, int(1300 ** (1 / n))) + 1))
        beta = INF if rng.random() < 0.25 else float(10 ** rng.uniform(1, 4))
        if kind == "monotone":
            m = random_market(rng, n, k, v0=float(rng.choice([0.0, -0.001, 0.001])), ragged=bool(rng.random() < 0.3))
        elif kind == "symmetric":
            m = symmetric_market(rng, n, k, int(rng.integers(1, n)), v0=float(rng.choice([0.0, 0.001])))
        elif kind == "ties":
            m = tie_path_market(rng, n, k)
        else:
            m, _ = near_margin_market(rng, n, k, beta, straddle=(1e-12, 1e-6), v0=float(rng.choice([0.0, -0.001])))
        yield kind, m, beta


GAMES = list(generated_games())


@pytest.mark.parametrize("start", range(0, len(GAMES), 40))
def test_pygambit_finds_the_engines_equilibria(start):
    """Equilibrium sets equal profile for profile; worst and best welfare equal (to the rounding of
    the engine's doubles)."""
    for kind, m, beta in GAMES[start:start + 40]:
        oracle = Oracle(m, beta)
        want = oracle.equilibria()
        eqs = enumerate_equilibria(m, beta)
        got = {tuple(p) for p in eqs.profiles.tolist()}
        assert got == want, (kind, beta, sorted(got ^ want)[:5])
        assert want, "Theorem 1: a pure equilibrium exists"
        w = [oracle.welfare(p) for p in want]
        assert eqs.worst_welfare == pytest.approx(float(min(w)), rel=1e-11, abs=1e-18)
        assert eqs.best_welfare == pytest.approx(float(max(w)), rel=1e-11, abs=1e-18)


def test_the_generated_games_reach_what_they_claim():
    """The games are not all trivial: several equilibria with different welfare, ties at beta = inf,
    and near-margin games where the margin changes the equilibrium set (exact Nash without the margin
    differs), so the encoding of the margin is exercised."""
    several = differ = tied_inf = margin_matters = 0
    for _kind, m, beta in GAMES:
        eqs = enumerate_equilibria(m, beta)
        several += eqs.count > 1
        differ += eqs.count > 1 and eqs.worst_welfare < eqs.best_welfare
        if beta == INF:
            v = m.value[m.mask]
            tied_inf += len(np.unique(v)) < len(v)
    for kind, m, beta in GAMES:
        if kind == "near" and math.prod(int(k) for k in m.n_levels) <= 200:
            oracle = Oracle(m, beta)
            margin_matters += oracle.equilibria() != oracle.equilibria(with_margin=False)
    assert several >= 50 and differ >= 25 and tied_inf >= 30 and margin_matters >= 8, (
        several, differ, tied_inf, margin_matters)


def test_the_oracle_knows_a_game_worked_by_hand():
    """The oracle itself on test_equilibria's hand-worked game: values [[4, 3], [3, 4]], profits
    [[1, 2], [2, 0.5]] at beta = inf; equilibria (a at 4, b at 4) and (a at 3, b at 3), welfare 4.75 and 5."""
    oracle = Oracle(hand_worked_market(), INF)
    assert oracle.equilibria() == {(0, 1), (1, 0)}
    assert sorted(oracle.welfare(p) for p in oracle.equilibria()) == [Fraction(19, 4), Fraction(5)]
