"""Utilities (Eq. 4) and social welfare (Eq. 5) of a compute profile.

A profile is an integer array with one level index per provider (shape (N,)), or a batch of them
(shape (..., N)). Levels index each provider's increasing thetas.
"""

from __future__ import annotations

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.shares import MAX_LOG_WEIGHT, is_perfect, market_shares

__all__ = [
    "gather",
    "profile_shares",
    "utilities",
    "social_welfare",
    "deviation_utilities",
]


def gather(table: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """Pick ``table[i, profiles[..., i]]`` for every provider i: per-provider entries at the profile."""
    profiles = np.asarray(profiles, dtype=np.int64)
    return np.take_along_axis(
        np.broadcast_to(table, profiles.shape[:-1] + table.shape),
        profiles[..., None],
        axis=-1,
    )[..., 0]


def profile_shares(market: Market, profiles: np.ndarray, beta: float) -> np.ndarray:
    """Shares (s_0, s_1..s_N) at the profile(s): abstention first, then providers (Table 1).

    The market's values are already tie-snapped (:mod:`ttcgames.game.shares`), so ties are exact here."""
    return market_shares(gather(market.value, profiles), beta, market.v0, tie_tol=0.0)


def utilities(market: Market, profiles: np.ndarray, beta: float) -> np.ndarray:
    """U_i = s_i * (p_i - c_i) for every provider (Eq. 4); shape (..., N)."""
    s = profile_shares(market, profiles, beta)[..., 1:]
    return s * gather(market.profit, profiles)


def social_welfare(market: Market, profiles: np.ndarray, beta: float) -> np.ndarray | float:
    """W = sum_i s_i * (q_i - c_i) + V0 * s_0 (Eq. 5); prices cancel out."""
    s = profile_shares(market, profiles, beta)
    w = (s[..., 1:] * gather(market.contribution, profiles)).sum(axis=-1) + market.v0 * s[..., 0]
    return float(w) if np.ndim(w) == 0 else w


def deviation_utilities(market: Market, profile: np.ndarray, i: int, beta: float) -> np.ndarray:
    """U_i(k; theta_{-i}) for each of provider i's levels k, the others held at ``profile``.

    Finite beta: s_i(k) = e^{beta V_i(k)} / (Z_{-i} + e^{beta V_i(k)}) with Z_{-i} the others' and
    abstention's softmax mass, evaluated in log space. beta = inf: provider i takes the whole market
    above the best other option m, shares it equally with the c options tied at m, and gets 0 below
    (values are tie-snapped when the market is built, so "tied" is exact equality here). A finite beta
    with |beta V| above ``MAX_LOG_WEIGHT`` is refused (ValueError).
    """
    k = int(market.n_levels[i])
    vi = market.value[i, :k]
    profit = market.profit[i, :k]
    others = np.delete(np.asarray(profile, dtype=np.int64), i)
    idx = np.delete(np.arange(market.n_providers), i)
    v_others = np.append(market.value[idx, others], market.v0)
    if is_perfect(beta):
        m = v_others.max()
        tied = np.count_nonzero(v_others == m)
        share = np.where(vi > m, 1.0, np.where(vi == m, 1.0 / (tied + 1), 0.0))
        return share * profit
    if beta * market.max_abs_value > MAX_LOG_WEIGHT:
        market.check_beta(beta)
    z_others = beta * v_others
    zmax = z_others.max()
    log_z_minus = zmax + np.log(np.exp(z_others - zmax).sum())
    zi = beta * vi
    log_share = zi - np.logaddexp(zi, log_z_minus)
    return np.exp(log_share) * profit
