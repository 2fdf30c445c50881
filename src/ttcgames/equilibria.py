"""Pure Nash equilibria (Eq. 6): a check for one profile and the enumeration of all of them.

A profile is an equilibrium when no provider has a level whose utility beats its current utility by
more than the relative margin ``rel_tol`` (the same test that stops the better-response dynamics,
:mod:`ttcgames.dynamics`), i.e. Eq. 6 up to floating-point noise.

The enumeration visits all prod_i K_i profiles in vectorised chunks. A provider's deviation utilities
depend on the others only through one scalar, Z_{-i} = e^{beta V0} + sum_{j != i} e^{beta V_j}
(or, at beta = inf, the best other option and how many options tie there), computed for every
provider at once with prefix/suffix log-sum-exps, so a chunk costs O(B * sum_i K_i).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dynamics import REL_TOL
from .market import Market
from .payoffs import deviation_utilities, gather, social_welfare
from .shares import is_perfect

__all__ = ["is_nash_equilibrium", "Equilibria", "enumerate_equilibria", "iter_profiles", "MAX_PROFILES"]

MAX_PROFILES = 20_000_000  # "about 1e7": the paper's 9 providers x 6 levels is 10,077,696


def is_nash_equilibrium(market: Market, profile: np.ndarray, beta: float, *, rel_tol: float = REL_TOL) -> bool:
    """True if no provider can raise its utility by more than ``rel_tol`` (relative) unilaterally."""
    profile = market.check_profile(profile)
    for i in range(market.n_providers):
        u = deviation_utilities(market, profile, i, beta)
        cur = u[profile[i]]
        if u.max() > cur + rel_tol * abs(cur):
            return False
    return True


def iter_profiles(market: Market, chunk: int = 1 << 16):
    """Yield all profiles as (B, N) int arrays in mixed-radix order (last provider fastest)."""
    radices = market.n_levels
    total = market.n_profiles
    strides = np.ones(market.n_providers, dtype=np.int64)
    for i in range(market.n_providers - 2, -1, -1):
        strides[i] = strides[i + 1] * radices[i + 1]
    for lo in range(0, total, chunk):
        flat = np.arange(lo, min(lo + chunk, total), dtype=np.int64)
        yield (flat[:, None] // strides[None, :]) % radices[None, :]


def _others_stats_finite(z: np.ndarray) -> np.ndarray:
    """log of sum_{j != i} e^{z_j} over columns j of z (column 0 = abstention), for provider columns 1..N."""
    b, m = z.shape
    prefix = np.logaddexp.accumulate(z, axis=1)
    suffix = np.logaddexp.accumulate(z[:, ::-1], axis=1)[:, ::-1]
    neg = np.full((b, 1), -np.inf)
    left = prefix[:, :-1]  # columns 0..i-1 for provider column i (i = 1..N)
    right = np.concatenate([suffix[:, 2:], neg], axis=1)  # columns i+1..N
    return np.logaddexp(left, right)


def _equilibrium_mask(market: Market, P: np.ndarray, beta: float, rel_tol: float) -> np.ndarray:
    V = gather(market.value, P)
    profit = market.profit
    ok = np.ones(len(P), dtype=bool)
    allv = np.concatenate([np.full((len(P), 1), market.v0), V], axis=1)
    if is_perfect(beta):
        m1 = allv.max(axis=1)
        c1 = (allv == m1[:, None]).sum(axis=1)
        below = np.where(allv < m1[:, None], allv, -np.inf)
        m2 = below.max(axis=1)
        c2 = (allv == m2[:, None]).sum(axis=1)
    else:
        log_others = _others_stats_finite(beta * allv)
    for i in range(market.n_providers):
        k = int(market.n_levels[i])
        vi = market.value[i, :k][None, :]
        if is_perfect(beta):
            own = V[:, i]
            alone = (own == m1) & (c1 == 1)
            m = np.where(alone, m2, m1)[:, None]
            cnt = np.where(alone, c2, np.where(own == m1, c1 - 1, c1))[:, None]
            share = np.where(vi > m, 1.0, np.where(vi == m, 1.0 / (cnt + 1), 0.0))
        else:
            zi = beta * vi
            share = np.exp(zi - np.logaddexp(zi, log_others[:, i][:, None]))
        u = share * profit[i, :k][None, :]
        cur = np.take_along_axis(u, P[:, i][:, None], axis=1)[:, 0]
        ok &= u.max(axis=1) <= cur + rel_tol * np.abs(cur)
    return ok


@dataclass
class Equilibria:
    """All pure equilibria of a game: ``profiles`` (count, N) and their ``welfare``."""

    profiles: np.ndarray
    welfare: np.ndarray

    @property
    def count(self) -> int:
        return len(self.profiles)

    @property
    def worst_welfare(self) -> float:
        return float(self.welfare.min()) if self.count else float("nan")

    @property
    def best_welfare(self) -> float:
        return float(self.welfare.max()) if self.count else float("nan")


def enumerate_equilibria(
    market: Market,
    beta: float,
    *,
    rel_tol: float = REL_TOL,
    max_profiles: int = MAX_PROFILES,
    chunk: int = 1 << 16,
) -> Equilibria:
    """Every pure Nash equilibrium, by vectorised enumeration of all prod_i K_i profiles.

    The price of anarchy in the usual sense is optimum / ``worst_welfare``; the price of stability is
    optimum / ``best_welfare``. Games with more than ``max_profiles`` profiles are refused.
    """
    total = market.n_profiles
    if total > max_profiles:
        raise ValueError(
            f"the game has {total:,} profiles (levels per provider {market.n_levels.tolist()}), more than "
            f"the {max_profiles:,} that enumeration allows; drop --all-equilibria or reduce the market"
        )
    found = []
    for P in iter_profiles(market, chunk):
        mask = _equilibrium_mask(market, P, beta, rel_tol)
        if mask.any():
            found.append(P[mask])
    profiles = np.concatenate(found) if found else np.zeros((0, market.n_providers), dtype=np.int64)
    welfare = np.asarray(social_welfare(market, profiles, beta)) if len(profiles) else np.zeros(0)
    return Equilibria(profiles=profiles, welfare=np.atleast_1d(welfare))
