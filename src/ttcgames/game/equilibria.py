"""Pure Nash equilibria (Eq. 6): the test of one profile, a brute force, and an exact enumeration
that never visits the prod_i K_i profiles.

The equilibrium test
--------------------
A profile is an equilibrium when no provider moves: no level's utility beats the current one by the
relative margin ``rel_tol`` (Eq. 6 with the dynamics' margin). The test is
:func:`ttcgames.game.payoffs.equilibrium_mask`, one floating-point evaluation of the utilities
(Eq. 4 with the shares of Table 1, steps 1-4 in :mod:`ttcgames.game.payoffs`) and one comparison
(``payoffs.stays``). :func:`is_nash_equilibrium`, :func:`brute_force_equilibria`, the final filter of
:func:`enumerate_equilibria` and the dynamics' stopping rule all call it, so the enumeration lists
exactly the profiles at which the dynamics would stop. Ties at beta = inf are exact comparisons of the
market's tie-snapped values (``shares.TIE_RTOL``). The tests check the enumeration against an
independent solver (pygambit's ``enumpure_solve`` on payoff tables built from the formulas,
``tests/game/test_oracle.py``) and against the brute force where pygambit cannot go.

Exact enumeration at finite beta (:func:`enumerate_equilibria`)
---------------------------------------------------------------
Write w_il = e^{beta V_il}, x = S_{-i} = e^{beta V0} + sum_{j != i} w_{j k_j}, t = log x, a = beta V.
Provider i's utility at level l, U_l(x) = pi_l w_l / (w_l + x), depends on the others only through x.
u = 2^-53 is the unit roundoff, M = max(1, max |a_il|, |beta V0|), N the number of providers.

*Lemma 1 (best responses are intervals).* For levels k, l, "U_l(x) <= c U_k(x)" with c = 1 + tau
(c = 1 - tau when pi_k < 0, so that c U_k = U_k + tau |U_k|) is, after multiplying by
(w_l + x)(w_k + x) / (w_l w_k) > 0, the linear inequality pi_l (1 + x/w_k) <= c pi_k (1 + x/w_l).
For pi_l, pi_k > 0 it reads h(t) <= r with h(t) = log(1 + e^{t - a_k}) - log(1 + e^{t - a_l}),
r = log(c pi_k / pi_l); h is strictly monotone from 0 to a_l - a_k (or constant 0), so the solution
is all t, no t, or the half-line bounded by t* = log|expm1(r)| + a_k - log|expm1(r - a_l + a_k)|
(both pi < 0: h(t) >= r with r = log(c |pi_k| / |pi_l|); mixed signs and zeros: always or never).
Intersecting over l, the set X_ik(tau) of t where k is a best response within tau is a closed
interval (possibly empty), and X_ik(tau) grows with tau.

*Lemma 2 (rounding of the test).* Let t be the exact log S_{-i} of a profile. Outside the zone
Z_i = [t_z, inf), t_z = max_{pi_l != 0} (a_l + log |pi_l| + 700), some exact |U_l| exceeds e^-701
(assuming nonzero profits of at least e^-600 in magnitude, i.e. 1e-260 dollars). Each step of the
evaluation (``payoffs``) has a relative error of at most u on its result, and logaddexp and
m + log(sum) are 1-Lipschitz in their inputs, so the computed exponent z_l - logaddexp(z_l, L_i)
is off by at most u (8M + 2N + 20): u M for each of z_l, for the N + 1 rounded z_j inside L_i and
for the terms z_j - m_i; u (N + 1) for the sum; u (M + log(N + 1)) for m_i + log; u (2M + 4) for
logaddexp and the subtraction. A computed utility that is a normal double therefore has relative
error delta <= 1.01 u (8M + 2N + 22) (exp and the product add 2u). If provider i passes the test
at level k, t is outside Z_i and pi_k > 0, then the current utility is within a factor 1 + tol + 3u of
the largest computed one, hence normal, and for every l: U_l (1 - delta) <= U_k (1 + delta)(1 + tol)
(1 + u)^2, i.e. U_l / U_k <= 1 + tol + 2.2 delta + 4u < 1 + tol + eps (pi_k < 0 likewise with
|U_k|; pi_k = 0 passes only if no computed U_l is positive, and outside Z_i a positive exact U_l >=
e^-701 computes as a positive normal double). The code takes
eps = 1e-7 + 1e-13 (M + N), more than 45 times 2.2 delta + 4u for every M and N.
So every provider that passes the test has t in X_{i,k_i}(tol + eps) or in Z_i.

*Lemma 3 (rounding of the candidate step).* The code computes Lemma 1's endpoints with tau' =
tol + eps. The computed r is within 4u (1 + |log|pi_k|| + |log|pi_l||) < 1e-12 of the exact one for
tau', while raising tau from tol to tau' raises r by log((1 + tau') / (1 + tol)) > 0.9 eps >= 9e-8;
the rounded a_l - a_k is off by at most 2uM, which changes U_l / U_k by a factor within
e^{+-2uM}, less than the other 0.1 eps. So the computed endpoints are those of an exact interval
between X_ik(tol + eps/2) and X_ik(tol + 2 eps), up to the final rounding of log, expm1 and the
additions (a few u (1 + |a| + |t|)). Mapping t to the total T = log S = logaddexp(a_ik, t)
(monotone) and widening each end by delta_T = 1e-11 (1 + N/100) (1 + |T|) (more than those
roundings plus the rounding of the key below, u (3M + N + 4)) gives closed intervals J_ik of T; with
J_ik^z = [T(t_z) - delta_T, inf) for the zone, every equilibrium has key(profile) in J_{i,k_i} or
J_{i,k_i}^z for every i, where key(profile) is the log-sum of all options computed as
m + log(sum_j exp(z_j - m)), m = max_j z_j, in index order.

*Sweep.* The ends of all J cut the T axis into elementary half-open intervals E = [left, right).
Level k of provider i is a candidate in E when J_ik or J_ik^z meets E itself: lo < right and
hi >= left (an interval that starts at ``right`` does not meet E: comparing with the closed end of E
made every level of identical providers a candidate just below their common zone, K^N candidates).
Every equilibrium has its key in exactly one E and every k_i a candidate there, so enumerating, for
every E, the products of candidates whose key lies in E (breadth-first, pruned by the smallest and
largest log-sum the remaining providers can add, with a slack of delta_T) and keeping the profiles
that pass the test yields exactly the equilibria, each once.

*Negligible providers (boxes).* In E, provider f is *free* when (a) a_f,max < left - 800 and
(b) for every other provider j that is not free, either a_f,max < LB_j - 746, with LB_j the largest
of beta V0 and the smallest candidate a of the other non-free providers (a lower bound of m_j), or
min_l a_jl > UB_j + log(N + 2) + 40, with UB_j the largest of beta V0 and the largest candidate (or,
for free providers, largest) a of the other providers (an upper bound of m_j). Then, at every profile
with key in E, in floating point: (a) f's shares are exp(x) with x < -745.2, exactly 0 at every
level (L_f >= m_f = the largest option >= key - log(N + 1)), so f stays at every level; by (b) f's
term in j's sum is exp(a_f - m_j) = +0.0, or j's shares are exactly 1.0 at every level (logaddexp
rounds to within half an ulp of z_l and exp of a number below 2^-54 in magnitude is 1.0), so every
other provider's utilities and test have the same bits whatever f's level; and f's term in the key
is exp(a_f - m) = +0.0. So the whole box (the others' levels) x (all levels of the free providers)
passes or fails together: the code tests one profile of it (every profile, when the box has at most
``expand_limit`` profiles, 0 by default; the tests run 0 and 256 against the brute force). A
provider that meets (a) but not (b) is enumerated like the others.

Exact enumeration at beta = inf
-------------------------------
Provider i's test depends on the others only through their best value m and how many options
c tie there. Let M be the top value of a profile (V0 included) and C the options at M. A provider
below M has utility 0 and stays iff no level reaching M earns anything (a test that depends only on
(M, C)); a provider at M shares the market with C - 1 others when C >= 2; a provider alone at M
faces (M2, C2), the second value and its multiplicity, which the providers below M set. Enumerating
M (each value >= V0), whether the top is tied, and for a lone top M2 (each value in [V0, M)), with a
depth-first choice per provider of "at the value" or "below it" that tracks the counts, lists every
equilibrium exactly once as a box (top levels x level classes); each (m, c) is tested with the
test's own utilities and comparison (``payoffs.utilities_at_inf``, ``payoffs.stays``). The welfare of a
box is that of any of its profiles: only the top options have shares.

Size
----
The result is a list of boxes, so counts can be astronomically large (8,589,934,592 equilibria of a
12 x 8 market at beta = inf, in a few boxes). When the candidates of one interval exceed
``MAX_CANDIDATES`` rows, or the boxes ``MAX_BOXES``, the game is refused with
:class:`EquilibriaTooLarge` (a ValueError naming beta and the size), never a numpy memory error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.payoffs import REL_TOL, equilibrium_mask, social_welfare, stays, utilities_at_inf
from ttcgames.game.shares import is_perfect

__all__ = [
    "is_nash_equilibrium",
    "Equilibria",
    "EquilibriaTooLarge",
    "enumerate_equilibria",
    "brute_force_equilibria",
    "iter_profiles",
    "MAX_PROFILES",
    "EXPAND_LIMIT",
    "MAX_CANDIDATES",
    "MAX_BOXES",
]

MAX_PROFILES = 20_000_000  # brute force only; "about 1e7": the paper's 9 providers x 6 levels is 10,077,696
EXPAND_LIMIT = 0  # boxes up to this many profiles are also tested profile by profile (a cross-check; the tests use 256)
MAX_EXPANDED = 5_000_000  # Equilibria.profiles refuses to list more
MAX_CANDIDATES = 2_000_000  # candidate rows of one interval (a few hundred bytes each while they are built)
MAX_BOXES = 1_000_000  # boxes of one game (each a tuple of N small arrays, a few hundred bytes)

_FREE_MARGIN = 800.0  # (a): a provider this far below the total has shares exp(< -745.2) == 0
_ABSORB = 746.0  # (b): a term this far below m_j adds exp(< -745.2) == +0.0 to j's sum
_SATURATE = 40.0  # (b): a level this far above the others' log-mass has share exactly 1.0
_ZONE = 700.0  # utilities below e^-700: float comparisons may be subnormal noise


class EquilibriaTooLarge(ValueError):
    """The equilibrium set of a game cannot be listed within memory (the message gives beta and the size)."""


def is_nash_equilibrium(market: Market, profile: np.ndarray, beta: float, *, rel_tol: float = REL_TOL) -> bool:
    """True if no provider can raise its utility by more than ``rel_tol`` (relative) unilaterally:
    :func:`ttcgames.game.payoffs.equilibrium_mask` on one profile."""
    profile = market.check_profile(profile)
    return bool(equilibrium_mask(market, profile[None, :], beta, rel_tol)[0])


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


@dataclass
class Equilibria:
    """All pure equilibria of a game, as disjoint boxes: ``boxes[b][i]`` is the sorted array of
    provider i's levels in box b, every profile of the product is an equilibrium, and ``box_welfare[b]``
    is the welfare (Eq. 5) of each of them. ``count`` is exact (a Python int, possibly huge);
    ``profiles`` lists them (lexicographic order) when there are at most ``MAX_EXPANDED``."""

    n_providers: int
    boxes: list = field(default_factory=list)
    box_welfare: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def from_profiles(cls, profiles: np.ndarray, welfare: np.ndarray, n_providers: int) -> Equilibria:
        boxes = [tuple(np.array([int(k)]) for k in p) for p in profiles]
        return cls(n_providers, boxes, np.asarray(welfare, dtype=float).reshape(-1))

    @property
    def box_sizes(self) -> list[int]:
        return [math.prod(len(levels) for levels in box) for box in self.boxes]

    @property
    def count(self) -> int:
        return sum(self.box_sizes)

    @property
    def worst_welfare(self) -> float:
        return float(self.box_welfare.min()) if self.boxes else float("nan")

    @property
    def best_welfare(self) -> float:
        return float(self.box_welfare.max()) if self.boxes else float("nan")

    def contains(self, profile) -> bool:
        """Whether ``profile`` (one level per provider) is one of the equilibria."""
        prof = [int(k) for k in profile]
        return any(all(k in levels for k, levels in zip(prof, box)) for box in self.boxes)

    def _expanded(self) -> tuple[np.ndarray, np.ndarray]:
        if self.count > MAX_EXPANDED:
            raise ValueError(f"{self.count:,} equilibria are too many to list (at most {MAX_EXPANDED:,}); use count, worst_welfare and best_welfare")
        if not self.boxes:
            return np.zeros((0, self.n_providers), dtype=np.int64), np.zeros(0)
        parts = [_box_profiles(box) for box in self.boxes]
        P = np.concatenate(parts)
        W = np.repeat(self.box_welfare, [len(p) for p in parts])
        order = np.lexsort(P.T[::-1])
        return P[order], W[order]

    @property
    def profiles(self) -> np.ndarray:
        return self._expanded()[0]

    @property
    def welfare(self) -> np.ndarray:
        return self._expanded()[1]


def _box_profiles(box) -> np.ndarray:
    grids = np.meshgrid(*box, indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=1).astype(np.int64)


def brute_force_equilibria(
    market: Market,
    beta: float,
    *,
    rel_tol: float = REL_TOL,
    max_profiles: int = MAX_PROFILES,
    chunk: int = 1 << 16,
) -> Equilibria:
    """Every pure Nash equilibrium, by testing all prod_i K_i profiles in vectorised chunks with
    :func:`ttcgames.game.payoffs.equilibrium_mask`. The tests use it where the independent oracle
    (pygambit) cannot go: games whose equilibria come in large boxes of indifferent providers.
    Games with more than ``max_profiles`` profiles are refused."""
    _check_beta(market, beta)
    total = market.n_profiles
    if total > max_profiles:
        raise ValueError(
            f"the game has {total:,} profiles (levels per provider {market.n_levels.tolist()}), more than "
            f"the {max_profiles:,} that brute force allows"
        )
    found = []
    for P in iter_profiles(market, chunk):
        mask = equilibrium_mask(market, P, beta, rel_tol)
        if mask.any():
            found.append(P[mask])
    profiles = np.concatenate(found) if found else np.zeros((0, market.n_providers), dtype=np.int64)
    welfare = np.atleast_1d(social_welfare(market, profiles, beta)) if len(profiles) else np.zeros(0)
    return Equilibria.from_profiles(profiles, welfare, market.n_providers)


def _check_beta(market: Market, beta: float) -> None:
    """Refuse beta <= 0, NaN, and finite betas so large that beta V overflows (see ``MAX_LOG_WEIGHT``)."""
    market.check_beta(beta)


def enumerate_equilibria(
    market: Market,
    beta: float,
    *,
    rel_tol: float = REL_TOL,
    expand_limit: int = EXPAND_LIMIT,
) -> Equilibria:
    """Every pure Nash equilibrium of the game at ``beta`` (finite or inf), exactly, without visiting
    the prod_i K_i profiles (see the module docstring for the method and its proof). A game whose
    equilibria cannot be listed within memory is refused with :class:`EquilibriaTooLarge`.

    The price of anarchy over the worst equilibrium is optimum / ``worst_welfare``; the price of
    stability is optimum / ``best_welfare`` (Eq. 9 with the min and the max over equilibria).
    """
    _check_beta(market, beta)
    try:
        if is_perfect(beta):
            return _enumerate_inf(market, rel_tol)
        return _enumerate_finite(market, float(beta), rel_tol, expand_limit)
    except (_TooLarge, MemoryError) as exc:
        what = str(exc) if isinstance(exc, _TooLarge) else "out of memory"
        raise EquilibriaTooLarge(
            f"beta = {beta:g}: the equilibrium set of this game ({market.n_providers} providers, "
            f"{market.n_profiles:,} profiles) cannot be listed within memory: {what}"
        ) from None


# ------------------------------------------------------------------------------------------------
# Finite beta
# ------------------------------------------------------------------------------------------------


def _candidate_t_intervals(a: np.ndarray, pi: np.ndarray, n_levels: np.ndarray, tau: float):
    """Lemma 1 with tolerance ``tau``: (lo, hi) of t = log S_{-i} where level k is a best response of
    provider i, shape (N, K) each (lo > hi: never; padding: lo = inf, hi = -inf)."""
    n, K = a.shape
    valid = np.arange(K)[None, :] < n_levels[:, None]
    ak, al = a[:, :, None], a[:, None, :]  # (N, K, 1) current level k, (N, 1, K) deviation l
    pk, pl = pi[:, :, None], pi[:, None, :]
    c = np.where(pk >= 0, 1.0 + tau, 1.0 - tau)
    lo = np.full((n, K, K), -np.inf)
    hi = np.full((n, K, K), np.inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = al - ak
        pos = (pk > 0) & (pl > 0)
        neg = (pk < 0) & (pl < 0)
        never = ((pl > 0) & (pk <= 0)) | ((pl == 0) & (pk < 0))
        r = np.log(c * np.abs(pk)) - np.log(np.abs(pl))
        # h(t) = log(U_l/pi_l) - log(U_k/pi_k) runs monotonically from 0 (t -> -inf) to d (t -> inf).
        t_star = np.log(np.abs(np.expm1(r))) + ak - np.log(np.abs(np.expm1(r - d)))
        # want h <= r (pos) or h >= r (neg)
        for sel, want_le in ((pos, True), (neg, False)):
            inc, dec, flat = sel & (d > 0), sel & (d < 0), sel & (d == 0)
            if want_le:
                # increasing h: all t if r >= d; none if r <= 0; else t <= t*.
                lo_none = (inc & (r <= 0)) | (dec & (r <= d)) | (flat & (r < 0))
                hi_cut = inc & (r > 0) & (r < d)
                lo_cut = dec & (r < 0) & (r > d)
            else:
                # h >= r: increasing h: all t if r <= 0; none if r >= d; else t >= t*.
                lo_none = (inc & (r >= d)) | (dec & (r >= 0)) | (flat & (r > 0))
                lo_cut = inc & (r > 0) & (r < d)
                hi_cut = dec & (r < 0) & (r > d)
            hi = np.where(hi_cut, np.minimum(hi, t_star), hi)
            lo = np.where(lo_cut, np.maximum(lo, t_star), lo)
            lo = np.where(lo_none, np.inf, lo)
        lo = np.where(never, np.inf, lo)
    pair_valid = valid[:, :, None] & valid[:, None, :]
    lo = np.where(pair_valid, lo, -np.inf)
    hi = np.where(pair_valid, hi, np.inf)
    LO, HI = lo.max(axis=2), hi.min(axis=2)
    LO = np.where(valid, LO, np.inf)
    HI = np.where(valid, HI, -np.inf)
    return LO, HI


def _key(z0: float, Z: np.ndarray) -> np.ndarray:
    """The canonical log-sum of the options: rows of Z (B, N) are the providers' beta V, z0 abstention."""
    allz = np.concatenate([np.full((len(Z), 1), z0), Z], axis=1)
    m = allz.max(axis=1)
    return m + np.log(np.exp(allz - m[:, None]).sum(axis=1))


class _TooLarge(Exception):
    """Internal: the enumeration stopped before running out of memory (enumerate_equilibria words it)."""


def _free_providers(a: np.ndarray, valid: np.ndarray, z0: float, cand: list[np.ndarray], left: float) -> np.ndarray:
    """Providers that are free in an interval starting at ``left`` (conditions (a) and (b) of the
    module docstring), given every provider's candidate levels ``cand``."""
    n = a.shape[0]
    amax = np.where(valid, a, -np.inf).max(axis=1)
    amin = np.where(valid, a, np.inf).min(axis=1)
    cmin = np.array([a[i, c].min() if len(c) else np.inf for i, c in enumerate(cand)])
    cmax = np.array([a[i, c].max() if len(c) else -np.inf for i, c in enumerate(cand)])
    free = amax < left - _FREE_MARGIN  # (a)
    while free.any():
        # lower / upper bounds of m_j, the largest option other than j, for every non-free j
        low = np.where(free, -np.inf, cmin)
        high = np.where(free, amax, cmax)
        bound = np.inf
        for j in np.flatnonzero(~free):
            others = np.arange(n) != j
            lb = max(z0, float(low[others].max(initial=-np.inf)))
            ub = max(z0, float(high[others].max(initial=-np.inf)))
            if not amin[j] > ub + math.log(n + 2) + _SATURATE:  # j's shares are not pinned at 1.0
                bound = min(bound, lb - _ABSORB)
        keep = free & (amax < bound)  # (b)
        if (keep == free).all():
            break
        free = keep
    return free


@dataclass(frozen=True)
class _FiniteGame:
    """The game at a finite beta in the notation of the module docstring: a = beta V (0 at the
    padding), the profits pi (0 at the padding), z0 = beta V0, the candidate step's tolerance
    tau' = tol + eps (Lemma 2) and the relative widening delta_T / (1 + |T|) (Lemma 3)."""

    market: Market
    beta: float
    rel_tol: float
    a: np.ndarray  # (N, K)
    pi: np.ndarray  # (N, K)
    z0: float
    tau: float
    rel_delta: float

    @classmethod
    def of(cls, market: Market, beta: float, rel_tol: float) -> _FiniteGame:
        valid = market.mask
        a = np.where(valid, beta * np.where(valid, market.value, 0.0), np.nan)
        z0 = beta * market.v0
        scale = max(1.0, float(np.nanmax(np.abs(a))), abs(z0))  # M of Lemma 2
        n = market.n_providers
        return cls(
            market=market,
            beta=beta,
            rel_tol=rel_tol,
            a=np.where(valid, a, 0.0),
            pi=np.where(valid, market.profit, 0.0),
            z0=z0,
            tau=rel_tol + 1e-7 + 1e-13 * (scale + n),
            rel_delta=1e-11 * (1.0 + n / 100.0),
        )

    @property
    def n(self) -> int:
        return self.market.n_providers

    @property
    def valid(self) -> np.ndarray:
        return self.market.mask

    @property
    def top_value(self) -> np.ndarray:
        """Each provider's largest a (N,): condition (a) of the negligible providers."""
        return np.where(self.valid, self.a, -np.inf).max(axis=1)

    def total_log_mass(self, t: np.ndarray) -> np.ndarray:
        """T = log S = logaddexp(a_ik, t) for t = log S_{-i} of every level (N, K)."""
        with np.errstate(invalid="ignore"):
            return np.logaddexp(self.a, t)

    def widen(self, T: np.ndarray, sign: int) -> np.ndarray:
        """Move T outward by delta_T = rel_delta (1 + |T|) (``sign`` -1: down, +1: up)."""
        return T + sign * self.rel_delta * (1.0 + np.abs(np.where(np.isfinite(T), T, 0.0)))


@dataclass(frozen=True)
class _Interval:
    """A run of elementary intervals [left, right) of T with the same candidate levels
    (``candidates[i, k]``: level k of provider i is a candidate) and the same condition (a)."""

    left: float
    right: float
    candidates: np.ndarray  # (N, K) bool


def _enumerate_finite(market: Market, beta: float, rel_tol: float, expand_limit: int) -> Equilibria:
    """Every pure equilibrium at a finite beta (module docstring, "Exact enumeration at finite
    beta"): Lemma 3's intervals of the total log-mass T per level, the sweep over the elementary
    intervals they cut, the pruned product of each interval's candidates (boxes where some
    providers are negligible), and the equilibrium test of every box or profile found."""
    game = _FiniteGame.of(market, beta, rel_tol)
    lo, hi, zone_lo = _total_mass_intervals(game)
    boxed, singles = _candidate_profiles(game, _sweep_intervals(game, lo, hi, zone_lo))
    return _tested_equilibria(game, boxed, singles, expand_limit)


def _total_mass_intervals(game: _FiniteGame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lemma 3: (lo, hi, zone_lo), each (N, K). [lo, hi] is J_ik, the closed interval of T where
    level k can be provider i's best response within tol + eps (lo = inf, hi = -inf when there is
    none); [zone_lo, inf) is J^z_ik, the zone Z_i of Lemma 2 (zone_lo = inf at the padding)."""
    n, K = game.a.shape
    valid = game.valid
    t_lo, t_hi = _candidate_t_intervals(game.a, game.pi, game.market.n_levels, game.tau)
    with np.errstate(divide="ignore"):
        zone_terms = np.where(valid & (game.pi != 0), game.a + np.log(np.abs(game.pi)) + _ZONE, -np.inf)
    t_zone = zone_terms.max(axis=1)  # t_z of Lemma 2, (N,)
    has_best_response = valid & (t_lo <= t_hi)
    lo = np.where(has_best_response, game.widen(game.total_log_mass(t_lo), -1), np.inf)
    hi = np.where(has_best_response, game.widen(game.total_log_mass(t_hi), +1), -np.inf)
    zone_lo = np.where(valid, game.widen(game.total_log_mass(np.broadcast_to(t_zone[:, None], (n, K))), -1), np.inf)
    return lo, hi, zone_lo


def _sweep_intervals(game: _FiniteGame, lo: np.ndarray, hi: np.ndarray, zone_lo: np.ndarray):
    """The sweep (module docstring): the finite ends of all J cut the T axis into elementary
    intervals E = [left, right); level k of provider i is a candidate in E when J_ik = [lo, hi]
    meets E (lo < right and hi >= left) or J^z_ik does (zone_lo < right). Yields the runs of
    consecutive E with the same candidates and the same condition (a) as one :class:`_Interval`,
    skipping those where some provider has no candidate and is not negligible by (a)."""
    ends = np.concatenate([lo.ravel(), hi.ravel(), zone_lo.ravel()])
    ends = np.unique(ends[np.isfinite(ends)])
    lefts = np.concatenate([[-np.inf], ends])
    rights = np.concatenate([ends, [np.inf]])
    left3, right3 = lefts[:, None, None], rights[:, None, None]
    candidates = ((lo[None] < right3) & (hi[None] >= left3)) | (zone_lo[None] < right3)  # (E, N, K)
    candidates &= game.valid[None]
    maybe_free = game.top_value[None, :] < (lefts[:, None] - _FREE_MARGIN)  # (E, N): condition (a)
    feasible = (candidates.any(axis=2) | maybe_free).all(axis=1)
    signature = np.concatenate([candidates.reshape(len(lefts), -1), maybe_free], axis=1)
    same_as_prev = np.concatenate([[False], (signature[1:] == signature[:-1]).all(axis=1)])
    first = np.flatnonzero(~same_as_prev)
    last = np.append(first[1:] - 1, len(lefts) - 1)
    for row, end in zip(first, last):
        if feasible[row]:
            yield _Interval(lefts[row], rights[end], candidates[row])


def _candidate_profiles(game: _FiniteGame, intervals) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
    """The profiles to test, over all ``intervals``: (boxed, singles). ``boxed`` holds (base profile,
    free mask) per box of more than one profile (the free providers take every level); ``singles``
    holds (B, N) arrays of profiles to test one by one. Stops (_TooLarge) past ``MAX_BOXES``."""
    boxed: list[tuple[np.ndarray, np.ndarray]] = []
    singles: list[np.ndarray] = []
    n_boxes = 0
    for interval in intervals:
        found = _interval_profiles(game, interval)
        if found is None:
            continue
        base, free = found
        n_boxes += len(base)
        if n_boxes > MAX_BOXES:
            raise _TooLarge(f"more than {MAX_BOXES:,} boxes of candidates")
        if free.any():
            boxed.extend((b, free) for b in base)
        else:
            singles.append(base)
    return boxed, singles


def _interval_profiles(game: _FiniteGame, interval: _Interval) -> tuple[np.ndarray, np.ndarray] | None:
    """The candidate profiles of one interval whose key lies in [left, right): (base (B, N), free (N,)),
    the free providers' levels in ``base`` set to 0; None when there is none."""
    n = game.n
    cand = [np.flatnonzero(interval.candidates[i]) for i in range(n)]
    free = _free_providers(game.a, game.valid, game.z0, cand, interval.left)
    core = np.flatnonzero(~free)
    if not all(len(cand[i]) for i in core):
        return None
    combos = _pruned_product(game.a, game.z0, core, cand, interval.left, interval.right, game.rel_delta)
    if len(combos) == 0:
        return None
    Z = np.full((len(combos), n), -np.inf)
    Z[:, core] = game.a[core[None, :], combos]
    keys = _key(game.z0, Z)
    combos = combos[(keys >= interval.left) & (keys < interval.right)]
    if len(combos) == 0:
        return None
    base = np.zeros((len(combos), n), dtype=np.int64)
    base[:, core] = combos
    return base, free


def _tested_equilibria(game: _FiniteGame, boxed: list, singles: list[np.ndarray], expand_limit: int) -> Equilibria:
    """The equilibrium test of the candidates: boxes of more than ``expand_limit`` profiles by their
    base (module docstring, "Negligible providers"), smaller boxes profile by profile, then the single
    profiles (including those of a small box that only partly passes)."""
    nl = game.market.n_levels
    whole, small = [], []
    for base, free in boxed:
        (whole if math.prod(int(nl[f]) for f in np.flatnonzero(free)) > expand_limit else small).append((base, free))
    boxes, welfare = _passing_whole_boxes(game, whole)
    small_boxes, small_welfare, partial = _passing_small_boxes(game, [_free_box(b, fr, nl) for b, fr in small])
    single_boxes, single_welfare = _passing_profiles(game, singles + partial)
    welfare = welfare + small_welfare + single_welfare
    return Equilibria(game.n, boxes + small_boxes + single_boxes, np.concatenate(welfare) if welfare else np.zeros(0))


def _passing_whole_boxes(game: _FiniteGame, whole: list) -> tuple[list[tuple], list[np.ndarray]]:
    """Boxes tested by their base alone: every profile of one passes or fails with its base."""
    boxes: list[tuple] = []
    welfare: list[np.ndarray] = []
    if not whole:
        return boxes, welfare
    bases = np.stack([b for b, _ in whole])
    for (b, free), ok in zip(whole, equilibrium_mask(game.market, bases, game.beta, game.rel_tol)):
        if ok:
            boxes.append(_free_box(b, free, game.market.n_levels))
            welfare.append(np.atleast_1d(social_welfare(game.market, b, game.beta)))
    return boxes, welfare


def _passing_small_boxes(game: _FiniteGame, small: list[tuple]) -> tuple[list[tuple], list[np.ndarray], list[np.ndarray]]:
    """Boxes tested profile by profile (the same answer as by the base; the tests compare the paths):
    (boxes that pass whole, their welfare, the passing profiles of boxes that pass in part)."""
    boxes: list[tuple] = []
    welfare: list[np.ndarray] = []
    partial: list[np.ndarray] = []
    if not small:
        return boxes, welfare, partial
    parts = [_box_profiles(box) for box in small]
    oks = np.split(equilibrium_mask(game.market, np.concatenate(parts), game.beta, game.rel_tol), np.cumsum([len(P) for P in parts])[:-1])
    for box, P, ok in zip(small, parts, oks):
        if ok.all():
            boxes.append(box)
            welfare.append(np.atleast_1d(social_welfare(game.market, P[0], game.beta)))
        elif ok.any():
            partial.append(P[ok])
    return boxes, welfare, partial


def _passing_profiles(game: _FiniteGame, singles: list[np.ndarray]) -> tuple[list[tuple], list[np.ndarray]]:
    """The single profiles that pass the test, as one-profile boxes, and their welfare (one array)."""
    if not singles:
        return [], []
    P = np.concatenate(singles)
    good = P[equilibrium_mask(game.market, P, game.beta, game.rel_tol)]
    if not len(good):
        return [], []
    boxes = [tuple(np.array([k]) for k in p) for p in good.tolist()]
    return boxes, [np.atleast_1d(social_welfare(game.market, good, game.beta))]


def _free_box(base: np.ndarray, free: np.ndarray, n_levels: np.ndarray) -> tuple:
    return tuple(np.arange(n_levels[i]) if free[i] else np.array([int(base[i])]) for i in range(len(base)))


def _pruned_product(a: np.ndarray, z0: float, core: np.ndarray, cand: list[np.ndarray], left: float, right: float, rel_delta: float) -> np.ndarray:
    """Rows (B, len(core)) of candidate levels of the core providers whose log-sum of options can
    lie in [left, right): a breadth-first product pruned by the smallest and largest log-sum the
    remaining providers can add (with the slack delta_T for rounding). Stops (_TooLarge) rather than
    hold more than ``MAX_CANDIDATES`` rows."""
    slack = rel_delta * (1.0 + max(abs(left) if math.isfinite(left) else 0.0, abs(right) if math.isfinite(right) else 0.0))
    c = len(core)
    if c == 0:
        return np.zeros((1, 0), dtype=np.int64)
    mins = np.array([a[i, cand[i]].min() for i in core])
    maxs = np.array([a[i, cand[i]].max() for i in core])
    # log-sums of the remaining providers' smallest / largest masses after position d
    rest_min = np.full(c + 1, -np.inf)
    rest_max = np.full(c + 1, -np.inf)
    for d in range(c - 1, -1, -1):
        rest_min[d] = np.logaddexp(rest_min[d + 1], mins[d])
        rest_max[d] = np.logaddexp(rest_max[d + 1], maxs[d])
    rows = np.zeros((1, 0), dtype=np.int64)
    partial = np.array([z0])
    for d, i in enumerate(core):
        levels = cand[i]
        if len(rows) * len(levels) > MAX_CANDIDATES:
            raise _TooLarge(
                f"{len(rows) * len(levels):,} candidate profiles of {d + 1} of {c} providers "
                f"in one interval of the total mass (at most {MAX_CANDIDATES:,})"
            )
        rows = np.concatenate([np.repeat(rows, len(levels), axis=0), np.tile(levels, len(rows))[:, None]], axis=1)
        partial = np.logaddexp(np.repeat(partial, len(levels)), np.tile(a[i, levels], len(partial)))
        lo_total = np.logaddexp(partial, rest_min[d + 1])
        hi_total = np.logaddexp(partial, rest_max[d + 1])
        keep = (lo_total < right + slack) & (hi_total >= left - slack)
        rows, partial = rows[keep], partial[keep]
        if len(rows) == 0:
            break
    return rows


# ------------------------------------------------------------------------------------------------
# beta = inf
# ------------------------------------------------------------------------------------------------


def _enumerate_inf(market: Market, rel_tol: float) -> Equilibria:
    """Every pure equilibrium at beta = inf, as boxes (module docstring, "Exact enumeration at beta = inf")."""
    return _PerfectCompetition(market, rel_tol).equilibria()


# One provider's choice in a box: (levels, how many options it adds at the value being counted).
_Option = tuple[np.ndarray, int]


class _PerfectCompetition:
    """The enumeration at beta = inf. For each top value M (each value >= V0) it lists the boxes
    where C >= 2 options tie at M or V0 is alone at M (:meth:`_tied_top`), and those where one
    provider is alone at M and faces the second value M2 (:meth:`_lone_top`); each (m, c) that a
    provider faces is tested with the test's own utilities and comparison (:meth:`_stays`)."""

    def __init__(self, market: Market, rel_tol: float):
        self.market = market
        self.rel_tol = rel_tol
        self.n = market.n_providers
        nl = market.n_levels
        self.values = [market.value[i, : nl[i]] for i in range(self.n)]
        self.profits = [market.profit[i, : nl[i]] for i in range(self.n)]
        self.v0 = market.v0
        self.boxes: list[tuple] = []
        self.welfare: list[float] = []

    def equilibria(self) -> Equilibria:
        tops = np.unique(np.concatenate(self.values + [np.array([self.v0])]))
        for top in tops[tops >= self.v0]:
            at_top = [np.flatnonzero(v == top) for v in self.values]
            below_top = [np.flatnonzero(v < top) for v in self.values]
            self._tied_top(top, at_top, below_top)
            if self.v0 != top:
                self._lone_top(top, at_top, below_top)
        return Equilibria(self.n, self.boxes, np.asarray(self.welfare, dtype=float))

    def _stays(self, i: int, best: float, ties: int) -> np.ndarray:
        """Which of provider i's levels pass the test against the others' best value ``best``
        held by ``ties`` options."""
        u = utilities_at_inf(self.values[i], self.profits[i], best, ties)
        return stays(u[None, :], u, self.rel_tol)

    def _tied_top(self, top: float, at_top: list[np.ndarray], below_top: list[np.ndarray]) -> None:
        """Case 1: C >= 2 options tie at M, or V0 alone at M (C = 1, no provider at M). A provider at
        M faces (M, C - 1), one below M faces (M, C) and earns nothing, so all its lower levels are
        one class."""
        v0_top = 1 if self.v0 == top else 0
        for ties in range(1, self.n + 1 + v0_top):
            if ties == 1 and not v0_top:
                continue
            options: dict[int, list[_Option]] = {}
            for i in range(self.n):
                opts = []
                if len(at_top[i]) and ties >= 2:
                    ok = self._stays(i, top, ties - 1)
                    opts += [(np.array([k]), 1) for k in at_top[i] if ok[k]]
                if len(below_top[i]) and self._stays(i, top, ties)[below_top[i][0]]:
                    opts.append((below_top[i], 0))
                if not opts:
                    break
                options[i] = opts
            else:
                self._choose(list(range(self.n)), options, ties - v0_top, {})

    def _lone_top(self, top: float, at_top: list[np.ndarray], below_top: list[np.ndarray]) -> None:
        """Case 2: one provider alone at M > V0; the others are below M and face (M, 1)."""
        below_ok = [len(below_top[j]) > 0 and bool(self._stays(j, top, 1)[below_top[j][0]]) for j in range(self.n)]
        for lone in range(self.n):
            if len(at_top[lone]) and all(below_ok[j] for j in range(self.n) if j != lone):
                self._lone_top_provider(lone, at_top[lone], below_top)

    def _lone_top_provider(self, lone: int, lone_levels: np.ndarray, below_top: list[np.ndarray]) -> None:
        """Case 2 for provider ``lone`` at M: for each second value M2 (in [V0, M)) and each number C2
        of options there, the lone provider's levels that stay against (M2, C2), and the others'
        choices of "at M2" or "below M2" that put C2 options at M2."""
        others = [j for j in range(self.n) if j != lone]
        seconds = np.unique(np.concatenate([self.values[j][below_top[j]] for j in others] + [np.array([self.v0])]))
        for second in seconds[seconds >= self.v0]:
            v0_second = 1 if self.v0 == second else 0
            options: dict[int, list[_Option]] = {}
            for j in others:
                below_values = self.values[j][below_top[j]]
                at_second, below_second = below_top[j][below_values == second], below_top[j][below_values < second]
                options[j] = [opt for opt in ((at_second, 1), (below_second, 0)) if len(opt[0])]
            if not all(options.values()):
                continue
            for ties in range(1, len(others) + 1 + v0_second):
                ok = self._stays(lone, second, ties)
                for k in (k for k in lone_levels if ok[k]):
                    self._choose(others, options, ties - v0_second, {lone: np.array([k])})

    def _choose(self, order: list[int], options: dict[int, list[_Option]], need: int, fixed: dict[int, np.ndarray]) -> None:
        """Depth-first: for each provider in ``order`` pick one (levels, adds) option so that the
        adds total ``need`` (pruned by the least and the most each suffix can still add); emit
        each completed box, with the ``fixed`` providers' levels."""
        most = [0] * (len(order) + 1)
        least = [0] * (len(order) + 1)
        for d in range(len(order) - 1, -1, -1):
            adds = [ad for _, ad in options[order[d]]]
            most[d] = most[d + 1] + max(adds)
            least[d] = least[d + 1] + min(adds)
        chosen: list[np.ndarray] = [None] * len(order)  # type: ignore[list-item]

        def rec(d: int, got: int) -> None:
            if got + least[d] > need or got + most[d] < need:
                return
            if d == len(order):
                classes = [None] * self.n
                for i, levels in fixed.items():
                    classes[i] = levels
                for j, levels in zip(order, chosen):
                    classes[j] = levels
                self._emit(classes)
                return
            for levels, ad in options[order[d]]:
                chosen[d] = levels
                rec(d + 1, got + ad)

        rec(0, 0)

    def _emit(self, classes: list[np.ndarray]) -> None:
        """Record one box (a class of levels per provider) and its welfare, that of any of its profiles."""
        if len(self.boxes) >= MAX_BOXES:
            raise _TooLarge(f"more than {MAX_BOXES:,} boxes of equilibria")
        box = tuple(np.asarray(levels, dtype=np.int64) for levels in classes)
        self.boxes.append(box)
        representative = np.array([int(levels[0]) for levels in box])
        self.welfare.append(float(social_welfare(self.market, representative, float("inf"))))
