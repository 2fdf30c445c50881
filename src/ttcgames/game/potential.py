"""The potential of a test-time compute game (Eq. 7, Theorem 1, Appendix B.1).

Bounded rationality (Eq. 7 bottom, Eq. 23): an exact potential for the providers' log-utilities,

    Phi = sum_i log(p_i - c_i) + beta * sum_i V_i - log(e^{beta V0} + sum_i e^{beta V_i}),

so a unilateral deviation changes Phi by exactly the change of the mover's log U. A provider at a
level with zero profit (a level with zero tokens has price and cost 0) earns nothing whatever its
share, log U = -inf, and so Phi = -inf for every profile that puts some provider there; we keep that
value (it is what Eq. 7 says, and a move off such a level raises Phi from -inf, as Theorem 1 needs)
rather than drop the term, which would break exactness. The trajectory's ``potential`` column
reads ``-inf`` on those rows.

Perfect rationality (Eq. 7 top, Eq. 19): Phi = log(p - c of the provider offering the highest value)
+ C * (second-highest value), with the abstention value V0 taking part in the ordering. When
abstention offers the highest value no provider earns anything and Phi = -inf.

The constant C (Appendix B.1.1). A strict improvement by a provider that is not on top makes it the
new top, so Phi changes by C * (V_top - V_second) + log U_new - log U_old_top; this is positive for
every such move when C * delta_min > log U_max - log U_min, where U_max and U_min are the largest and
smallest positive profits of any level and delta_min is the smallest positive gap between the values
of two different options (providers or abstention). The paper writes C = log(U_max) / delta_min,
which is not enough when profits are below 1 (they are fractions of a dollar here, so log U_max < 0
and that C is negative); we use C = (log(U_max / U_min) + 1) / delta_min.
"""

from __future__ import annotations

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.payoffs import gather
from ttcgames.game.shares import MAX_LOG_WEIGHT, is_perfect

__all__ = ["potential", "potential_constant"]


def potential_constant(market: Market) -> float:
    """The constant C of Eq. 19 for ``market`` (see the module docstring)."""
    profit = market.profit[market.mask]
    positive = profit[profit > 0]
    if positive.size == 0:
        return 1.0
    spread = float(np.log(positive.max()) - np.log(positive.min()))
    values = [market.value[i, : market.n_levels[i]] for i in range(market.n_providers)]
    owners = np.concatenate([np.full(len(v), i) for i, v in enumerate(values)] + [np.array([-1])])
    allv = np.concatenate(values + [np.array([market.v0])])
    order = np.argsort(allv, kind="stable")
    allv, owners = allv[order], owners[order]
    # Group equal values; the smallest positive gap between different options is attained between
    # two consecutive distinct values whose owner sets are not one and the same single option.
    distinct, start = np.unique(allv, return_index=True)
    groups = np.split(owners, start[1:])
    delta = np.inf
    for a in range(len(distinct) - 1):
        ga, gb = set(groups[a].tolist()), set(groups[a + 1].tolist())
        if len(ga | gb) > 1:
            delta = min(delta, float(distinct[a + 1] - distinct[a]))
    if not np.isfinite(delta):
        return 1.0
    return (spread + 1.0) / delta


def potential(market: Market, profiles: np.ndarray, beta: float, constant: float | None = None) -> np.ndarray | float:
    """Phi(theta) of Eq. 7 for a profile or a batch of profiles (shape (..., N)).

    A finite beta with some |beta V| above ``MAX_LOG_WEIGHT`` is refused (ValueError), as in the payoffs:
    beta V would overflow and Phi come back NaN."""
    profiles = np.asarray(profiles, dtype=np.int64)
    if not is_perfect(beta) and beta * market.max_abs_value > MAX_LOG_WEIGHT:
        market.check_beta(beta)
    values = gather(market.value, profiles)
    with np.errstate(divide="ignore"):
        log_profit = np.log(gather(market.profit, profiles))
    if not is_perfect(beta):
        z = beta * np.concatenate([np.full(values.shape[:-1] + (1,), market.v0), values], axis=-1)
        zmax = z.max(axis=-1)
        lse = zmax + np.log(np.exp(z - zmax[..., None]).sum(axis=-1))
        out = log_profit.sum(axis=-1) + beta * values.sum(axis=-1) - lse
    else:
        c = potential_constant(market) if constant is None else constant
        allv = np.concatenate([np.full(values.shape[:-1] + (1,), market.v0), values], axis=-1)
        order = np.argsort(-allv, axis=-1, kind="stable")
        top = order[..., 0]
        second_value = np.take_along_axis(allv, order[..., 1:2], axis=-1)[..., 0]
        padded = np.concatenate([np.full(values.shape[:-1] + (1,), -np.inf), log_profit], axis=-1)
        top_log_profit = np.take_along_axis(padded, top[..., None], axis=-1)[..., 0]
        out = np.where(top == 0, -np.inf, top_log_profit + c * second_value)
    return float(out) if np.ndim(out) == 0 else out
