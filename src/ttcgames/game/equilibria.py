"""Pure Nash equilibria (Eq. 6): a check for one profile, a brute force, and an exact enumeration
that never visits the prod_i K_i profiles.

The equilibrium test
--------------------
A profile is an equilibrium when no provider has a level whose utility beats its current utility by
more than the relative margin ``rel_tol``: ``max_l U_i(l) <= U_i(k_i) + rel_tol * |U_i(k_i)|``, the
test that stops the better-response dynamics (:mod:`ttcgames.game.dynamics`), i.e. Eq. 6 up to
floating-point noise. Utilities are evaluated as :mod:`ttcgames.game.payoffs` does: U_i(l) = pi_l * s_i(l)
with the log-space share s_i(l) = exp(beta V_l - logaddexp(beta V_l, L_i)), so a share below the
smallest double is exactly 0 and all-zero utilities are ties; at beta = inf the shares are 1, 1/(c+1)
or 0 (Table 1 with the tie rule of :mod:`ttcgames.game.shares`; values within its ``TIE_RTOL`` were made
equal when the market was built, so ties are exact comparisons of ``market.value`` here, in the
brute force and in the enumeration alike). :func:`brute_force_equilibria` applies
this test (``_equilibrium_mask``) to every profile; it is the oracle of the tests.

Exact enumeration at finite beta (:func:`enumerate_equilibria`)
---------------------------------------------------------------
Write w_il = e^{beta V_il}, x = S_{-i} = e^{beta V0} + sum_{j != i} w_{j k_j} and t = log x. Provider
i's utility at level l is U_l(x) = pi_l w_l / (w_l + x): it depends on the others only through x.

*Lemma 1 (best responses are intervals).* For levels k, l, "U_l(x) <= c U_k(x)" with c = 1 + tau
(c = 1 - tau when pi_k < 0, so that c U_k = U_k + tau |U_k|) is, after multiplying by
(w_l + x)(w_k + x) / (w_l w_k) > 0, the linear inequality pi_l (1 + x/w_k) <= c pi_k (1 + x/w_l).
For pi_l, pi_k > 0 it reads h(t) <= r with h(t) = log(1 + e^{t - a_k}) - log(1 + e^{t - a_l}),
a = beta V, r = log(c pi_k / pi_l); h is monotone between 0 and a_l - a_k, so the solution is all t,
no t, or the half-line bounded by t* = log|expm1(r)| + a_k - log|expm1(r - a_l + a_k)| (both pi < 0:
h(t) >= r with r = log(c |pi_k| / |pi_l|); mixed signs: always or never). Intersecting over l, the
set X_ik of t where k is a best response within tau is a closed interval (possibly empty).

*Lemma 2 (candidates contain every equilibrium).* Evaluate Lemma 1 with tau' = rel_tol + eps, eps =
1e-7 + 1e-13 max(1, |beta V|, |beta V0|), and add the zone Z_i = [t_z, inf), t_z = max_{pi_l != 0}
(a_l + log |pi_l| + 700), where every |U_l| < e^-700. If provider i passes the floating-point test
at level k with its computed L_i, then L_i lies in X_ik(tau') or in Z_i: outside Z_i the largest
utility is a normal double, each computed utility has relative error below 1e-13 (1 + |a| + |L|),
and an exact ratio U_l / U_k above 1 + tau' would need errors above eps / 2. Mapping t to the total
T = log S = logaddexp(a_ik, t) (monotone) and widening by delta = 1e-11 (1 + |T|) (more than the
rounding of any log-sum of at most 13 + N terms) gives closed intervals J_ik of T such that every
equilibrium has key(profile) in J_{i,k_i} for every i, where key(profile) is the log-sum of all
options computed as m + log(sum_j exp(z_j - m)), m = max_j z_j, in a fixed order.

*Sweep.* The endpoints of all J_ik cut the T axis into elementary half-open intervals E; within one E
provider i's candidate levels A_i(E) = {k : J_ik meets the closure of E} are fixed. Every
equilibrium has its key in exactly one E and k_i in A_i(E) for all i, so enumerating, for every E,
the profiles in prod_i A_i(E) whose key lies in E (a breadth-first product pruned by the bounds
of the remaining log-sum) and keeping those that pass the floating-point test yields exactly the set
of equilibria, each once.

*Negligible providers.* A provider whose every level has beta V_il < min(E) - 800 is *free* in E: its
share is below e^-797 at any profile with key in E, so its computed shares and utilities are exactly
0 at every level and it is in equilibrium at every level; its terms add exactly 0.0 to the key, so
the whole box (other providers' levels) x (all its levels) has the same key and E. Such a box is
accepted whole when the other providers pass the test with the free providers at their smallest
and at their largest masses: in real arithmetic each of them is in equilibrium on an interval of its
x (Lemma 1) and x is monotone in the free masses; in floating point the free masses are below e^-797
of the total, so the two checks agree with a check of every profile except when a provider sits
exactly on the 1e-8 boundary. Boxes of at most ``expand_limit`` profiles are instead expanded and
every profile is tested, so the result equals the brute force exactly on every game with at most
``expand_limit`` (256) profiles; the property tests check both paths against the brute force.

Exact enumeration at beta = inf
-------------------------------
Provider i's test depends on the others only through their best value m and how many options
c tie there. Let M be the top value of a profile (V0 included) and C the options at M. A provider
below M has utility 0 and is in equilibrium iff no level reaching M earns anything
(a test that depends only on (M, C)); a provider at M shares the market with C - 1 others when
C >= 2; a provider alone at M faces (M2, C2), the second value and its multiplicity, which the
providers below M set. Enumerating M (each value >= V0), whether the top is tied, and for a lone top
M2 (each value in [V0, M)), with a depth-first choice per provider of "at the value" or "below it"
that tracks the counts, lists every equilibrium exactly once as a box (top levels x level classes),
testing each (m, c) with the same floating-point expression as the brute force. The welfare of a
box is that of any of its profiles: only the top options have shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ttcgames.game.dynamics import REL_TOL
from ttcgames.game.market import Market
from ttcgames.game.payoffs import deviation_utilities, gather, social_welfare
from ttcgames.game.shares import is_perfect

__all__ = [
    "is_nash_equilibrium",
    "Equilibria",
    "enumerate_equilibria",
    "brute_force_equilibria",
    "iter_profiles",
    "MAX_PROFILES",
    "EXPAND_LIMIT",
]

MAX_PROFILES = 20_000_000  # brute force only; "about 1e7": the paper's 9 providers x 6 levels is 10,077,696
EXPAND_LIMIT = 256  # boxes up to this many profiles are checked profile by profile
MAX_EXPANDED = 5_000_000  # Equilibria.profiles refuses to list more

_FREE_MARGIN = 800.0  # log-mass gap below which a provider's shares are exactly 0 (exp(-745.2) == 0)
_ZONE = 700.0  # utilities below e^-700: float comparisons may be subnormal noise


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


def _inf_utilities(vi: np.ndarray, profit: np.ndarray, m, cnt) -> np.ndarray:
    """Utilities at beta = inf of levels ``vi`` against the others' best value m tied c times."""
    share = np.where(vi > m, 1.0, np.where(vi == m, 1.0 / (cnt + 1), 0.0))
    return share * profit


def _passes(u: np.ndarray, cur: np.ndarray, rel_tol: float) -> np.ndarray:
    """The dynamics' stopping test, row-wise: no level beats the current utility by the margin."""
    return u.max(axis=-1) <= cur + rel_tol * np.abs(cur)


def _equilibrium_mask(market: Market, P: np.ndarray, beta: float, rel_tol: float) -> np.ndarray:
    """The floating-point equilibrium test of every row of P (the oracle's test)."""
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
            u = _inf_utilities(vi, profit[i, :k][None, :], m, cnt)
        else:
            zi = beta * vi
            share = np.exp(zi - np.logaddexp(zi, log_others[:, i][:, None]))
            u = share * profit[i, :k][None, :]
        cur = np.take_along_axis(u, P[:, i][:, None], axis=1)[:, 0]
        ok &= _passes(u, cur, rel_tol)
    return ok


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
            raise ValueError(f"{self.count:,} equilibria are too many to list (at most {MAX_EXPANDED:,}); "
                             "use count, worst_welfare and best_welfare")
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
    """Every pure Nash equilibrium, by testing all prod_i K_i profiles in vectorised chunks (the
    oracle of :func:`enumerate_equilibria`). Games with more than ``max_profiles`` profiles are refused."""
    _check_beta(market, beta)
    total = market.n_profiles
    if total > max_profiles:
        raise ValueError(
            f"the game has {total:,} profiles (levels per provider {market.n_levels.tolist()}), more than "
            f"the {max_profiles:,} that brute force allows"
        )
    found = []
    for P in iter_profiles(market, chunk):
        mask = _equilibrium_mask(market, P, beta, rel_tol)
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
    the prod_i K_i profiles (see the module docstring for the method and its proof).

    The price of anarchy over the worst equilibrium is optimum / ``worst_welfare``; the price of
    stability is optimum / ``best_welfare`` (Eq. 9 with the min and the max over equilibria).
    """
    _check_beta(market, beta)
    if is_perfect(beta):
        eq = _enumerate_inf(market, rel_tol)
    else:
        eq = _enumerate_finite(market, float(beta), rel_tol, expand_limit)
    return eq


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


def _enumerate_finite(market: Market, beta: float, rel_tol: float, expand_limit: int) -> Equilibria:
    n, K = market.n_providers, market.max_levels
    nl = market.n_levels
    valid = market.mask
    a = np.where(valid, beta * np.where(valid, market.value, 0.0), np.nan)
    pi = np.where(valid, market.profit, 0.0)
    z0 = beta * market.v0
    scale = max(1.0, float(np.nanmax(np.abs(a))), abs(z0))
    tau = rel_tol + 1e-7 + 1e-13 * scale
    a_fill = np.where(valid, a, 0.0)
    LO, HI = _candidate_t_intervals(a_fill, pi, nl, tau)
    with np.errstate(divide="ignore"):
        tz_terms = np.where(valid & (pi != 0), a_fill + np.log(np.abs(pi)) + _ZONE, -np.inf)
    t_zone = tz_terms.max(axis=1)  # (N,)

    def to_T(t):
        with np.errstate(invalid="ignore"):
            T = np.logaddexp(a_fill, t)
        return T

    def widen(T, sign):
        return T + sign * 1e-11 * (1.0 + np.abs(np.where(np.isfinite(T), T, 0.0)))

    has_br = valid & (LO <= HI)
    J1lo = np.where(has_br, widen(to_T(LO), -1), np.inf)
    J1hi = np.where(has_br, widen(to_T(HI), +1), -np.inf)
    J2lo = np.where(valid, widen(to_T(np.broadcast_to(t_zone[:, None], (n, K))), -1), np.inf)
    ends = np.concatenate([J1lo[has_br], J1hi[has_br], J2lo[valid]])
    ends = np.unique(ends[np.isfinite(ends)])
    lefts = np.concatenate([[-np.inf], ends])
    rights = np.concatenate([ends, [np.inf]])
    # candidate levels per elementary interval [left, right): (M, N, K)
    L3, R3 = lefts[:, None, None], rights[:, None, None]
    A = ((J1lo[None] <= R3) & (J1hi[None] >= L3)) | (J2lo[None] <= R3)
    A &= valid[None]
    amax = np.where(valid, a_fill, -np.inf).max(axis=1)
    free = amax[None, :] < (lefts[:, None] - _FREE_MARGIN)  # (M, N)
    core_ok = (A.any(axis=2) | free).all(axis=1)
    # merge consecutive intervals with the same candidate sets and free providers
    sig = np.concatenate([A.reshape(len(lefts), -1), free], axis=1)
    same_as_prev = np.concatenate([[False], (sig[1:] == sig[:-1]).all(axis=1)])
    first = np.flatnonzero(~same_as_prev)
    last = np.append(first[1:] - 1, len(lefts) - 1)
    g_left, g_right = lefts[first], rights[last]
    low_level = np.argmin(np.where(valid, a_fill, np.inf), axis=1)
    high_level = np.argmax(np.where(valid, a_fill, -np.inf), axis=1)
    singles: list[np.ndarray] = []  # profiles to test one by one
    small: list[tuple[np.ndarray, np.ndarray]] = []  # (base profile, free mask): boxes tested profile by profile
    big: list[tuple[np.ndarray, np.ndarray]] = []  # boxes accepted whole after the two checks
    for g in range(len(first)):
        row = first[g]
        if not core_ok[row]:
            continue
        fr = free[row]
        core = np.flatnonzero(~fr)
        cand = [np.flatnonzero(A[row, i]) for i in range(n)]
        combos = _pruned_product(a_fill, z0, core, cand, g_left[g], g_right[g])
        if len(combos) == 0:
            continue
        Z = np.full((len(combos), n), -np.inf)
        Z[:, core] = a_fill[core[None, :], combos]
        keys = _key(z0, Z)
        combos = combos[(keys >= g_left[g]) & (keys < g_right[g])]
        if len(combos) == 0:
            continue
        base = np.zeros((len(combos), n), dtype=np.int64)
        base[:, core] = combos
        free_idx = np.flatnonzero(fr)
        box_size = math.prod(int(nl[f]) for f in free_idx)
        if box_size == 1:
            singles.append(base)
        elif box_size <= expand_limit:
            small.extend((b, fr) for b in base)
        else:
            big.extend((b, fr) for b in base)
    boxes: list[tuple] = []
    welfare: list[np.ndarray] = []
    if big:  # check the core at the free providers' smallest and largest masses (see the docstring)
        lows = np.stack([np.where(fr, low_level, b) for b, fr in big])
        highs = np.stack([np.where(fr, high_level, b) for b, fr in big])
        ok_low = _equilibrium_mask(market, lows, beta, rel_tol)
        ok_high = _equilibrium_mask(market, highs, beta, rel_tol)
        for (b, fr), lo_ok, hi_ok, lowp in zip(big, ok_low, ok_high, lows):
            if lo_ok and hi_ok:
                boxes.append(_free_box(b, fr, nl))
                welfare.append(np.atleast_1d(social_welfare(market, lowp, beta)))
            elif lo_ok or hi_ok:  # not expected: test every profile of the box
                size = math.prod(len(levels) for levels in _free_box(b, fr, nl))
                if size > MAX_EXPANDED:
                    raise ValueError(
                        f"beta = {beta:g}: the equilibrium test of profile {b.tolist()} depends on providers "
                        f"{np.flatnonzero(fr).tolist()} whose shares are 0, and the {size:,} profiles of that box "
                        "are too many to test one by one")
                small.append((b, fr))
    for b, fr in small:  # test every profile; keep the box whole when all pass
        box = _free_box(b, fr, nl)
        P = _box_profiles(box)
        ok = np.concatenate([_equilibrium_mask(market, P[lo:lo + (1 << 16)], beta, rel_tol)
                             for lo in range(0, len(P), 1 << 16)])
        if ok.all():
            boxes.append(box)
            welfare.append(np.atleast_1d(social_welfare(market, P[0], beta)))
        elif ok.any():
            singles.append(P[ok])
    if singles:
        P = np.concatenate(singles)
        good = P[_equilibrium_mask(market, P, beta, rel_tol)]
        if len(good):
            boxes.extend(tuple(np.array([k]) for k in p) for p in good.tolist())
            welfare.append(np.atleast_1d(social_welfare(market, good, beta)))
    w = np.concatenate(welfare) if welfare else np.zeros(0)
    return Equilibria(n, boxes, w)


def _free_box(base: np.ndarray, free: np.ndarray, n_levels: np.ndarray) -> tuple:
    return tuple(np.arange(n_levels[i]) if free[i] else np.array([int(base[i])]) for i in range(len(base)))


def _pruned_product(a: np.ndarray, z0: float, core: np.ndarray, cand: list[np.ndarray], left: float,
                    right: float) -> np.ndarray:
    """Rows (B, len(core)) of candidate levels of the core providers whose log-sum of options can
    lie in [left, right): a breadth-first product pruned by the smallest and largest log-sum the
    remaining providers can add (with a relative slack for rounding)."""
    slack = 1e-11 * (1.0 + max(abs(left) if math.isfinite(left) else 0.0, abs(right) if math.isfinite(right) else 0.0))
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
        rows = np.concatenate([np.repeat(rows, len(levels), axis=0),
                               np.tile(levels, len(rows))[:, None]], axis=1)
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
    n = market.n_providers
    nl = market.n_levels
    vals = [market.value[i, : nl[i]] for i in range(n)]
    profits = [market.profit[i, : nl[i]] for i in range(n)]
    v0 = market.v0
    INF = float("inf")

    def br(i: int, m: float, c: int) -> np.ndarray:
        """Which of provider i's levels pass the test against others' best value m tied c times."""
        u = _inf_utilities(vals[i], profits[i], m, c)
        return u.max() <= u + rel_tol * np.abs(u)

    boxes: list[tuple] = []
    welfare: list[float] = []

    def emit(classes: list[np.ndarray]) -> None:
        box = tuple(np.asarray(cl, dtype=np.int64) for cl in classes)
        boxes.append(box)
        rep = np.array([int(cl[0]) for cl in box])
        welfare.append(float(social_welfare(market, rep, INF)))

    def choose(order: list[int], options: dict[int, list[tuple[np.ndarray, int]]], need: int,
               fixed: dict[int, np.ndarray]) -> None:
        """Depth-first: for each provider in ``order`` pick one (levels, adds) option so that the
        adds total ``need``; emit each completed box."""
        # the most each suffix can still add, for pruning
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
                classes = [None] * n
                for i, lv in fixed.items():
                    classes[i] = lv
                for j, lv in zip(order, chosen):
                    classes[j] = lv
                emit(classes)
                return
            for levels, ad in options[order[d]]:
                chosen[d] = levels
                rec(d + 1, got + ad)

        rec(0, 0)

    tops = np.unique(np.concatenate(vals + [np.array([v0])]))
    for M in tops[tops >= v0]:
        v0_top = 1 if v0 == M else 0
        at = [np.flatnonzero(vals[i] == M) for i in range(n)]
        under = [np.flatnonzero(vals[i] < M) for i in range(n)]
        # Case 1: C >= 2 options tie at M, or V0 alone at M (C = 1, no provider at M).
        for C in range(1, n + 1 + v0_top):
            if C == 1 and not v0_top:
                continue
            options: dict[int, list[tuple[np.ndarray, int]]] = {}
            feasible = True
            for i in range(n):
                opts = []
                if len(at[i]) and C >= 2:
                    ok = br(i, M, C - 1)
                    opts += [(np.array([k]), 1) for k in at[i] if ok[k]]
                if len(under[i]):
                    ok = br(i, M, C)
                    if ok[under[i][0]]:
                        opts.append((under[i], 0))
                if not opts:
                    feasible = False
                    break
                options[i] = opts
            if feasible:
                choose(list(range(n)), options, C - v0_top, {})
        # Case 2: one provider t alone at M > V0; the others below M face (M, 1).
        if v0_top:
            continue
        below_ok = [len(under[j]) > 0 and bool(br(j, M, 1)[under[j][0]]) for j in range(n)]
        for t in range(n):
            if not len(at[t]) or not all(below_ok[j] for j in range(n) if j != t):
                continue
            others = [j for j in range(n) if j != t]
            seconds = np.unique(np.concatenate([vals[j][under[j]] for j in others] + [np.array([v0])]))
            for M2 in seconds[seconds >= v0]:
                v0_second = 1 if v0 == M2 else 0
                at2 = {j: under[j][vals[j][under[j]] == M2] for j in others}
                under2 = {j: under[j][vals[j][under[j]] < M2] for j in others}
                for C2 in range(1, len(others) + 1 + v0_second):
                    ok = br(t, M2, C2)
                    t_levels = [k for k in at[t] if ok[k]]
                    if not t_levels:
                        continue
                    options = {}
                    feasible = True
                    for j in others:
                        opts = []
                        if len(at2[j]):
                            opts.append((at2[j], 1))
                        if len(under2[j]):
                            opts.append((under2[j], 0))
                        if not opts:
                            feasible = False
                            break
                        options[j] = opts
                    if not feasible:
                        continue
                    for k in t_levels:
                        choose(others, options, C2 - v0_second, {t: np.array([k])})
    return Equilibria(n, boxes, np.asarray(welfare, dtype=float))
