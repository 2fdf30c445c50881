"""Utilities (Eq. 4), social welfare (Eq. 5) and the one equilibrium test (Eq. 6).

A profile is an integer array with one level index per provider (shape (N,)), or a batch of them
(shape (..., N)). Levels index each provider's increasing thetas.

The equilibrium test
--------------------
Provider i's utility at level l against the others' levels is U_i(l) = (p_l - c_l) s_i(l) (Eq. 4),
with the share s_i(l) of Table 1. A provider *moves* when some level beats its current one by the
relative margin ``REL_TOL``: U_i(l) > U_i(k_i) + REL_TOL |U_i(k_i)|. A profile is a pure equilibrium
(Eq. 6 up to that margin) when no provider moves. :func:`deviation_utilities_rows` is the one
floating-point evaluation of U_i(l) and :func:`stays` the one comparison; together they are
:func:`equilibrium_mask`, which the dynamics' stopping rule (``dynamics.improving_level``), the
enumeration's final filter, its brute force and ``equilibria.is_nash_equilibrium`` all use, so
they cannot disagree about any profile, however close to the margin.

The evaluation at finite beta, per row of profiles and per provider i (every step is an elementwise
numpy operation in a fixed order, so a row gives the same bits alone or in a batch):

1. z_j = beta V_j for the N + 1 options (abstention first), V the market's tie-snapped values;
2. m_i = the largest z_j over the options other than i (abstention included), exactly;
3. L_i = m_i + log(sum_{j != i} exp(z_j - m_i)), summed left to right over the options in index
   order (abstention first; i's own term is exp(-inf) = +0.0);
4. s_i(l) = exp(z_l - logaddexp(z_l, L_i)) for each of i's levels l, U_i(l) = s_i(l) (p_l - c_l).

A term more than 745.2 below m_i is exp(.) = +0.0 exactly and leaves the sum's bits unchanged: a
provider whose mass is that far below every other provider's competitors cannot change anybody's
test (``equilibria`` relies on this for its boxes of indifferent providers). A share below the
smallest double is exactly 0, so all-zero utilities tie and such a provider stays at every level.

At beta = inf, s_i(l) is 1 above the others' best value m, 1/(c+1) when tied with the c options at m,
0 below (Table 1 with the tie rule of :mod:`ttcgames.game.shares`; the market's values are already
tie-snapped, so ties are exact comparisons).
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
    "deviation_utilities_rows",
    "others_log_mass",
    "equilibrium_mask",
    "improves",
    "stays",
    "utilities_at_inf",
    "REL_TOL",
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


REL_TOL = 1e-8
"""The relative margin by which a level must beat the current one for a provider to move (the authors'
implementation, docs/paper-notes.md, "Dynamics")."""

_CHUNK_CELLS = 1 << 21  # rows x providers x options per block of :func:`equilibrium_mask`


def improves(new, cur, rel_tol: float = REL_TOL):
    """Whether utility ``new`` beats ``cur`` by the relative margin: new > cur + rel_tol |cur|."""
    return new > cur + rel_tol * np.abs(cur)


def stays(u: np.ndarray, cur, rel_tol: float = REL_TOL):
    """No level beats the current one (``u``: utilities of every level on the last axis, ``cur``: the
    current level's): the provider does not move. The only comparison of the equilibrium test."""
    return ~improves(u.max(axis=-1), cur, rel_tol)


def _check_scale(market: Market, beta: float) -> None:
    if not is_perfect(beta) and beta * market.max_abs_value > MAX_LOG_WEIGHT:
        market.check_beta(beta)


def utilities_at_inf(vi: np.ndarray, profit: np.ndarray, m, cnt) -> np.ndarray:
    """Utilities at beta = inf of levels with values ``vi`` and profits ``profit`` against the others'
    best value m tied by cnt options (Table 1's tie rule): the whole market above m, 1/(cnt+1) of it
    at m, nothing below."""
    share = np.where(vi > m, 1.0, np.where(vi == m, 1.0 / (cnt + 1), 0.0))
    return share * profit


def others_log_mass(z: np.ndarray, providers: np.ndarray) -> np.ndarray:
    """L_i = log sum_{j != i} e^{z_j} (steps 2-3 of the module docstring) for the providers ``providers``
    (0-based); ``z`` is (B, N+1) with abstention in column 0. Returns (B, len(providers))."""
    cols = np.asarray(providers, dtype=np.int64) + 1
    Z = np.repeat(z[:, None, :], len(cols), axis=1)  # (B, P, N+1), C-contiguous
    Z[:, np.arange(len(cols)), cols] = -np.inf
    m = Z.max(axis=2)
    Z -= m[:, :, None]
    E = np.exp(Z)  # contiguous input: the same exp kernel for every shape
    acc = np.add.accumulate(E, axis=2)[:, :, -1]  # left to right (an accumulation is sequential)
    return m + np.log(acc)


def _option_values(market: Market, P: np.ndarray) -> np.ndarray:
    """(B, N+1): V0, then each provider's value at the row's level."""
    out = np.empty((len(P), market.n_providers + 1))
    out[:, 0] = market.v0
    out[:, 1:] = market.value[np.arange(market.n_providers)[None, :], P]
    return out


def deviation_utilities_rows(market: Market, profiles: np.ndarray, i: int, beta: float,
                             log_others: np.ndarray | None = None) -> np.ndarray:
    """U_i(l; theta_{-i}) for every level l of provider i and every row of ``profiles`` (B, N):
    shape (B, K_i). The single floating-point evaluation of the module docstring. ``log_others``
    (B,) may pass provider i's L_i when the caller has computed it for several providers at once
    (:func:`others_log_mass`); it is the same number."""
    P = np.asarray(profiles, dtype=np.int64)
    k = int(market.n_levels[i])
    vi = market.value[i, :k][None, :]
    profit = market.profit[i, :k][None, :]
    if is_perfect(beta):
        allv = _option_values(market, P)
        allv[:, i + 1] = -np.inf
        m = allv.max(axis=1)[:, None]
        cnt = (allv == m).sum(axis=1)[:, None]
        return utilities_at_inf(vi, profit, m, cnt)
    _check_scale(market, beta)
    if log_others is None:
        log_others = others_log_mass(beta * _option_values(market, P), np.array([i]))[:, 0]
    zi = beta * vi
    share = np.exp(zi - np.logaddexp(zi, log_others[:, None]))
    return share * profit


def deviation_utilities(market: Market, profile: np.ndarray, i: int, beta: float) -> np.ndarray:
    """U_i(k; theta_{-i}) for each of provider i's levels k, the others held at ``profile`` (one row of
    :func:`deviation_utilities_rows`, bit for bit). A finite beta with |beta V| above
    ``MAX_LOG_WEIGHT`` is refused (ValueError)."""
    prof = np.asarray(profile, dtype=np.int64).reshape(1, -1)
    return deviation_utilities_rows(market, prof, i, beta)[0]


def equilibrium_mask(market: Market, profiles: np.ndarray, beta: float, rel_tol: float = REL_TOL) -> np.ndarray:
    """THE equilibrium test: for each row of ``profiles`` (B, N), True when no provider moves
    (:func:`stays` on :func:`deviation_utilities_rows` for every provider; module docstring)."""
    P = np.asarray(profiles, dtype=np.int64).reshape(-1, market.n_providers)
    n = market.n_providers
    _check_scale(market, beta)
    out = np.ones(len(P), dtype=bool)
    rows = max(1, _CHUNK_CELLS // (n * (n + 1)))
    for lo in range(0, len(P), rows):
        Q = P[lo:lo + rows]
        ok = out[lo:lo + rows]
        log_others = None if is_perfect(beta) else others_log_mass(beta * _option_values(market, Q), np.arange(n))
        for i in range(n):
            u = deviation_utilities_rows(market, Q, i, beta, None if log_others is None else log_others[:, i])
            cur = np.take_along_axis(u, Q[:, i][:, None], axis=1)[:, 0]
            ok &= stays(u, cur, rel_tol)
    return out
