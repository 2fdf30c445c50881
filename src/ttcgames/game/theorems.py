"""Closed-form predictions of the paper, reported beside every computed game.

- Theorem 2 (perfect rationality): the dominant provider's equilibrium level and the value some rival
  must offer in any pure equilibrium.
- Theorem 4: the lower bound on the price of anarchy, up to higher-order terms (Appendix B.4), and
  whether it is informative for the game at hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.payoffs import gather
from ttcgames.game.shares import is_perfect

__all__ = ["Theorem2", "theorem2", "Theorem4", "theorem4_bound", "EXPANSION_LIMIT"]


@dataclass(frozen=True)
class Theorem2:
    """Theorem 2's characterisation of every pure equilibrium at beta = inf.

    ``dominant`` is the provider with the highest best value V*_1 (Eq. 8); ``level`` its equilibrium
    level max{theta : V_1(theta) > T}; ``rival_threshold`` the value that at least one rival must
    exceed (-inf when the set in Theorem 2 (ii) is empty). ``dominant`` is None when no provider
    beats T.

    The paper states the theorem for V0 below every offer. Here the abstention value V0 competes
    like a rival that always offers V0 (Section 2: users abstain when no provider offers more), so
    both parts use T = max(V*_2, V0) where the paper has V*_2 (the proof in Appendix B.2 carries
    over with the abstention as provider 2):

    (i)  theta_1 = max{theta_1 : V_1(theta_1) > T};
    (ii) some rival i != 1 offers V_i(theta_i) > max{V_1(theta_1) : V0 <= V_1(theta_1) < T and
         p_1(theta_1) - c_1(theta_1) > p_1(theta_1^dagger) - c_1(theta_1^dagger)}.

    A more profitable deviation of provider 1 that offers less than V0 is already beaten by the
    abstention, so no rival needs to beat it; with V0 >= V*_2 the set in (ii) is empty.
    """

    v_star: np.ndarray
    dominant: int | None
    level: int | None
    threshold: float
    rival_threshold: float


def theorem2(market: Market) -> Theorem2:
    value = np.where(market.mask, market.value, -np.inf)
    v_star = value.max(axis=1)
    order = np.argsort(-v_star, kind="stable")
    first = int(order[0])
    second = float(v_star[order[1]]) if market.n_providers > 1 else -np.inf
    threshold = max(second, market.v0)
    above = np.flatnonzero(value[first] > threshold)
    if above.size == 0:
        return Theorem2(v_star, None, None, threshold, -np.inf)
    level = int(above.max())
    profit = market.profit[first]
    k = int(market.n_levels[first])
    cands = [
        float(value[first, j])
        for j in range(k)
        if market.v0 <= value[first, j] < threshold and profit[j] > profit[level]
    ]
    return Theorem2(v_star, first, level, threshold, max(cands) if cands else -np.inf)


# The first-order bound drops terms of order e^{-2 beta dV} (Lemma 2, Eq. 55 and 63): it is read as
# a bound only while both expansion terms e^{-beta dV}, e^{-beta dV*} are at most this.
EXPANSION_LIMIT = 0.1


@dataclass(frozen=True)
class Theorem4:
    """Theorem 4's bound, PoA >= 1 + dW/W* + f(beta) (Eq. 70), with its parts.

    ``expansion`` holds e^{-beta dV} and e^{-beta dV*} (both 0 at beta = inf). ``informative`` is
    False, with the reason in ``why_not``, when the bound says nothing about this game: when it is
    at most 1 (the price of anarchy is at least 1 by definition, Eq. 9; at small beta the bound is
    often negative), or when an expansion term exceeds ``EXPANSION_LIMIT`` (the dropped
    higher-order terms are then not small, and the "bound" can even exceed the true price of
    anarchy).
    """

    bound: float
    leading: float
    f_beta: float
    w_star: float
    delta_w: float
    delta_v_eq: float
    delta_v_star: float
    expansion: tuple[float, float] = (0.0, 0.0)

    @property
    def why_not(self) -> str | None:
        if max(self.expansion) > EXPANSION_LIMIT:
            return (
                f"beyond the first-order expansion: e^(-beta dV) = {max(self.expansion):.3g} > {EXPANSION_LIMIT} "
                "(the higher-order terms the bound drops are not small)"
            )
        if not self.bound > 1.0:
            return f"the bound {self.bound:.6g} is at most 1, which the price of anarchy always is"
        return None

    @property
    def informative(self) -> bool:
        return self.why_not is None


def _top_two(values: np.ndarray, v0: float) -> tuple[np.ndarray, float]:
    order = np.argsort(-values, kind="stable")
    second = max(float(values[order[1]]), v0) if len(values) > 1 else v0
    return order, float(values[order[0]]) - second


def theorem4_bound(market: Market, equilibrium: np.ndarray, beta: float) -> Theorem4 | None:
    """The lower bound of Theorem 4 at the equilibrium ``equilibrium`` (level indices).

    theta*_i = argmax W_i; pi and pi* order providers by value at the equilibrium and at theta*;
    W* = W_{pi*(1)}(theta*), dW = W* - W_{pi(1)}(theta_eq); Delta V and Delta V* are the gaps between
    the top value and the next option (the next provider or V0). Following Eq. 70 (Eq. 72-73 drop
    the factor W* in one term):

        bound = 1 + dW/W* + e^{-beta dV}(1 + sum_{i>=2} drho_i / W*)
                  - e^{-beta dV*}(1 + sum_{i>=2} (1 + W_{pi*(i)}(theta*) / W*)),

    with drho_i the profit of pi(1) minus that of pi(i) at equilibrium; the exponentials vanish at
    beta = inf. It holds up to second-order terms, so at finite beta it can exceed the true price
    of anarchy by a small amount. Returns None when W* <= 0 or V0 exceeds the top provider's value.
    """
    eq = market.check_profile(equilibrium)
    star = np.argmax(np.where(market.mask, market.contribution, -np.inf), axis=1)
    v_eq, v_st = gather(market.value, eq), gather(market.value, star)
    w_eq, w_st = gather(market.contribution, eq), gather(market.contribution, star)
    rho_eq = gather(market.profit, eq)
    pi, dv_eq = _top_two(v_eq, market.v0)
    pi_star, dv_st = _top_two(v_st, market.v0)
    w_star = float(w_st[pi_star[0]])
    if not w_star > 0 or dv_eq < 0 or dv_st < 0:
        return None  # W* <= 0, or abstention beats every provider: the premise of Theorem 4 fails
    delta_w = w_star - float(w_eq[pi[0]])
    leading = 1.0 + delta_w / w_star
    if is_perfect(beta):
        f, expansion = 0.0, (0.0, 0.0)
    else:
        drho = float((rho_eq[pi[0]] - rho_eq[pi[1:]]).sum())
        rest = float((1.0 + w_st[pi_star[1:]] / w_star).sum())
        expansion = (math.exp(-beta * dv_eq), math.exp(-beta * dv_st))
        f = expansion[0] * (1.0 + drho / w_star) - expansion[1] * (1.0 + rest)
    return Theorem4(leading + f, leading, f, w_star, delta_w, dv_eq, dv_st, expansion)
