"""Price competition: providers choose a margin from a menu as well as their compute (issue 21).

Model. The paper fixes one margin m_ref (25%): prices are observed per token and costs inferred as
c = p / (1 + m_ref) (Section 5). Here the cost per token is that inferred cost, a fact of the
provider's hardware, and each provider also chooses its margin m from a menu M = {m_1 < ... < m_J}.
An action is a pair a = (theta, m) with

    q(a) = q(theta),    c(a) = c(theta),    p(a) = p(theta) (1 + m) / (1 + m_ref) = c(theta) (1 + m),

so V(a) = q - p(a) (Eq. 3), U_i = s_i (p(a_i) - c(a_i)) (Eq. 4) and W_i(a) = q - c (Eq. 5) is the
same at every margin. The menu market's levels are the pairs, laid out theta-major (theta
increasing, then m increasing), so with M = {m_ref} the market is the paper's market bit for bit
((1 + m) / (1 + m_ref) is exactly 1.0 and p x 1.0 == p).

Which parts of the engine rely on the paper's orderings, Eq. 1 (q increasing in theta) and Eq. 2
(p - c increasing in theta)? On a menu, Eq. 2 fails (a cheap theta at a high margin earns more than
the next theta at a low one) and Eq. 1 holds only weakly. Checked one by one:

- Theorem 1 (potential, Eq. 7; Appendix B.1): needs only p - c > 0, not the ordering (B.1.2 is an
  identity in log U; in B.1.1 a winner who gains stays the winner, whatever the order). Holds: the
  dynamics end at a pure equilibrium.
- The dynamics' "nearest level" (index distance, lower first): the index is the theta-major layout,
  so a provider first tries the neighbouring margins at its theta, then the neighbouring thetas. It
  is a search order only: the stopping rule is the equilibrium test, so the end point is a pure
  equilibrium; *which* one can depend on the layout. The start "every provider at its lowest level"
  is (lowest theta, lowest margin).
- Theorem 2 (beta = inf): part (i) as stated, theta_1 = max{theta : V_1(theta) > T}, uses Eq. 2
  (Eq. 33's second equality). Its first equality still holds: the dominant provider plays
  argmax{p - c : V_1(a) > T}; :func:`theorem2_general` computes that form, and part (ii) with it.
  ``theorems.theorem2`` (the max-index form) is flagged as not applicable on a menu.
- Theorem 3, Theorem 4 (Appendix B.3-B.4) and the equilibria enumeration (intervals in the
  others' log-mass, boxes; ``equilibria``) and the optimum (Dinkelbach's ratio, the beta = inf tie
  sets; ``optimum``) never use an ordering of the levels: they apply unchanged. In Theorem 4,
  theta*_i = argmax W_i ties across margins; the engine takes the first (lowest margin), which is
  one valid choice of the bound's theta*.
- The auction (Section 4, Theorem 5): a provider bids its cost, so the margin plays no part;
  truthful bids pick the lowest-margin copy of argmax W_i and the outcome is the paper's market's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ttcgames.game.atlas import OVERSPEND_RTOL, spend
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import Market, MarketError
from ttcgames.game.optimum import social_optimum
from ttcgames.game.outcomes import profile_outcome
from ttcgames.game.shares import is_perfect
from ttcgames.game.theorems import Theorem2

__all__ = [
    "MenuError",
    "MenuMarket",
    "menu_market",
    "parse_menu",
    "orderings",
    "theorem2_general",
    "menu_game",
    "menu_document",
    "flag_theorem2",
    "THEOREM_STATUS",
]


class MenuError(ValueError):
    """A bad price menu; the message names the value at fault."""


def parse_menu(values: Sequence[object], where: str = "price menu") -> tuple[float, ...]:
    """The menu's margins, sorted: a non-empty list of distinct positive finite numbers."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise MenuError(f"{where}: must be a non-empty list of margins, got {values!r}")
    out = []
    for v in values:
        try:
            x = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise MenuError(f"{where}: margin {v!r} is not a number") from None
        if isinstance(v, bool) or not (math.isfinite(x) and x > 0):
            raise MenuError(f"{where}: margin {v!r} must be a positive finite number")
        out.append(x)
    if len(set(out)) != len(out):
        raise MenuError(f"{where}: margins must be distinct, got {list(values)!r}")
    return tuple(sorted(out))


@dataclass(frozen=True, eq=False)
class MenuMarket:
    """A market whose levels are (theta, margin) pairs (module docstring); ``margin_of_level[i][k]``
    is the margin of provider i's level k, ``market.thetas[i][k]`` its theta."""

    market: Market
    margins: tuple[float, ...]
    reference_margin: float
    margin_of_level: tuple[np.ndarray, ...]

    def actions(self, profile: Sequence[int]) -> dict[str, dict[str, float]]:
        """{provider: {"theta": theta, "margin": m}} of a profile of level indices."""
        thetas = self.market.theta_of(profile)
        return {
            p: {"theta": thetas[p], "margin": float(self.margin_of_level[i][int(k)])} for i, (p, k) in enumerate(zip(self.market.providers, profile))
        }


def menu_market(base: Market, margins: Sequence[object], *, reference_margin: float) -> MenuMarket:
    """The menu market of ``base`` (built at ``reference_margin``, so base.cost = base.price / (1 + m_ref))."""
    menu = parse_menu(margins)
    if not (math.isfinite(reference_margin) and reference_margin > 0):
        raise MenuError(f"reference margin must be a positive finite number, got {reference_margin!r}")
    factors = np.array([(1.0 + m) / (1.0 + reference_margin) for m in menu])
    n, j = base.n_providers, len(menu)
    shape = (n, base.max_levels * j)
    quality, price, cost = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    thetas, level_margins = [], []
    for i in range(n):
        k = int(base.n_levels[i])
        quality[i, : k * j] = np.repeat(base.quality[i, :k], j)
        cost[i, : k * j] = np.repeat(base.cost[i, :k], j)
        price[i, : k * j] = (base.price[i, :k, None] * factors[None, :]).reshape(-1)
        thetas.append(np.repeat(base.thetas[i], j))
        level_margins.append(np.tile(np.array(menu), k))
    try:
        market = Market(base.providers, tuple(thetas), quality, price, cost, v0=base.v0)
    except MarketError as exc:
        raise MenuError(f"price menu {list(menu)}: {exc}") from None
    return MenuMarket(market, menu, float(reference_margin), tuple(level_margins))


def orderings(market: Market) -> dict[str, bool]:
    """Whether the paper's orderings hold on every provider's levels in index order: Eq. 1
    (quality non-decreasing) and Eq. 2 (profit p - c strictly increasing)."""
    eq1 = eq2 = True
    for i in range(market.n_providers):
        k = int(market.n_levels[i])
        eq1 &= bool((np.diff(market.quality[i, :k]) >= 0).all())
        eq2 &= bool((np.diff(market.profit[i, :k]) > 0).all())
    return {"eq1_quality_increasing": eq1, "eq2_profit_increasing": eq2}


def theorem2_general(market: Market) -> Theorem2:
    """Theorem 2 at beta = inf in the form that does not need Eq. 2 (Appendix B.2, Eq. 33's first
    equality): the dominant provider 1 (highest V*_1, Eq. 8) plays the most profitable level among
    those worth more than T = max(V*_2, V0) (the highest such level on equal profits), and some
    rival offers more than max{V_1(a) : V0 <= V_1(a) < T, p_1(a) - c_1(a) > p_1(a_1) - c_1(a_1)}.
    On markets satisfying Eq. 2 it equals ``theorems.theorem2``."""
    value = np.where(market.mask, market.value, -np.inf)
    v_star = value.max(axis=1)
    order = np.argsort(-v_star, kind="stable")
    first = int(order[0])
    threshold = max(float(v_star[order[1]]) if market.n_providers > 1 else -np.inf, market.v0)
    profit = np.where(market.mask[first], market.profit[first], -np.inf)
    above = value[first] > threshold
    if not above.any():
        return Theorem2(v_star, None, None, threshold, -np.inf)
    best = profit[above].max()
    level = int(np.flatnonzero(above & (profit == best)).max())
    rivals = (value[first] >= market.v0) & (value[first] < threshold) & (profit > profit[level])
    rival = float(value[first][rivals].max()) if rivals.any() else -np.inf
    return Theorem2(v_star, first, level, threshold, rival)


THEOREM_STATUS = {
    "theorem1_potential": "applies (needs p - c > 0 only)",
    "theorem2_max_theta": "not applicable: Eq. 2 fails on a menu; see theorem2_general",
    "theorem2_general": "applies (argmax of profit among levels worth more than max(V*_2, V0))",
    "theorem3": "applies",
    "theorem4_bound": "applies (theta* = argmax W_i, lowest margin among equal W)",
    "theorem5_auction": "applies; margins play no part (bids are costs)",
    "dynamics_nearest_level": "a search order on the theta-major layout, not a distance in compute",
}


def menu_game(menu: MenuMarket, beta: float, *, seed: int = 0, all_equilibria: bool = True) -> dict:
    """One beta of the price-competition game: the dynamics' equilibrium actions (theta, margin) and
    margins, the optimum's actions, welfare, price of anarchy (Eq. 9), spend (sum_i s_i c_i) at both,
    whether the market over-spends, optionally every pure equilibrium's margins, and at beta = inf
    whether the reached equilibrium agrees with :func:`theorem2_general`."""
    market = menu.market
    market.check_beta(beta)
    traj = better_response_dynamics(market, beta, rng=np.random.default_rng(seed))
    if not traj.converged:
        raise MenuError(f"beta={beta:g}: the better-response dynamics did not converge")
    eq = traj.final
    out, opt = profile_outcome(market, eq, beta), social_optimum(market, beta)
    eq_spend, opt_spend = spend(market, eq, beta), spend(market, opt.profile, beta)
    entry = {
        "beta": "inf" if is_perfect(beta) else float(beta),
        "equilibrium": menu.actions(eq),
        "equilibrium_margins": {p: a["margin"] for p, a in menu.actions(eq).items()},
        "welfare": out.welfare,
        "user_value": out.user_value,
        "price": out.price,
        "provider_utility": out.provider_utility,
        "optimum": menu.actions(opt.profile),
        "optimal_welfare": opt.welfare,
        "price_of_anarchy": opt.welfare / out.welfare if out.welfare > 0 else None,
        "equilibrium_spend": eq_spend,
        "optimal_spend": opt_spend,
        "overspend": bool(eq_spend > opt_spend + OVERSPEND_RTOL * abs(opt_spend)),
    }
    if all_equilibria:
        eqs = enumerate_equilibria(market, beta)
        margins = sorted({float(menu.margin_of_level[i][int(k)]) for box in eqs.boxes for i, lv in enumerate(box) for k in lv})
        entry["equilibria"] = {
            "count": eqs.count,
            "margins_used": margins,
            "worst_welfare": eqs.worst_welfare if eqs.count else None,
            "best_welfare": eqs.best_welfare if eqs.count else None,
        }
    if is_perfect(beta):
        t2 = theorem2_general(market)
        entry["theorem2_general_agrees"] = bool(t2.dominant is not None and eq[t2.dominant] == t2.level)
    return entry


def menu_document(menu: MenuMarket, betas: Sequence[float], *, seed: int = 0, all_equilibria: bool = True) -> dict:
    """The ``price_menu`` section of ``ttcgames game --price-menu``: the menu, which of the paper's
    orderings and theorems still apply (:data:`THEOREM_STATUS`) and :func:`menu_game` per beta."""
    return {
        "margins": list(menu.margins),
        "reference_margin": menu.reference_margin,
        "orderings": orderings(menu.market),
        "theorems": dict(THEOREM_STATUS),
        "games": [menu_game(menu, beta, seed=seed, all_equilibria=all_equilibria) for beta in betas],
    }


def flag_theorem2(doc: dict, menu: MenuMarket) -> dict:
    """Mark the max-theta form of Theorem 2 in a game document (``doc["games"][*]["theorem2"]``) as not
    applicable when the menu market breaks Eq. 2; the general form is in the ``price_menu`` section."""
    if not orderings(menu.market)["eq2_profit_increasing"]:
        for game in doc.get("games", []):
            if "theorem2" in game:
                game["theorem2"] = {"not_applicable": "Eq. 2 (profit increasing with the level) fails on this menu market; see price_menu.theorems"}
    return doc
