"""The social optimum max_theta W(theta) (the numerator of the price of anarchy, Eq. 9).

Bounded rationality. With softmax shares, Eq. 5 is a ratio of two sums that separate over providers:

    W(theta) = (V0 b_0 + sum_i W_i(theta_i) b_i(theta_i)) / (b_0 + sum_i b_i(theta_i)),
    b_i(theta) = e^{beta V_i(theta)},  b_0 = e^{beta V0}.

Maximising it is a fractional program, solved exactly by Dinkelbach's method (in log space, see
:func:`_dinkelbach`):

1. Start from the profile of each provider's highest-value level (its denominator is at least 1).
2. lambda = W(theta_k).
3. theta_{k+1} = argmax_theta N(theta) - lambda D(theta), which separates: each provider picks
   argmax_k b_i(k) (W_i(k) - lambda) on its own, O(N K).
4. Stop when that maximum is not positive (up to rounding): theta_k is optimal. Each step raises
   lambda strictly and the profile set is finite, so this ends, in practice after a handful of steps.

Perfect rationality (beta = inf). The option with the highest value takes the market, tied options
split it (see :mod:`ttcgames.game.shares`). For a candidate top value v (v >= V0 and v >= m*, where m* is
the largest of the providers' lowest values, so that everybody else can go below v), the best
welfare is the best mean of W over a tie set at v: the providers with a level worth exactly v may
join (each with its best W among such levels), providers whose lowest value is v must join, and
abstention joins iff V0 = v. The best mean takes the forced members and then optional ones in
decreasing W while they raise the mean. The optimum is the best over all candidate v. "Exactly v"
is float equality on the market's values, which are tie-snapped when the market is built (values
within ``TIE_RTOL`` of each other are one number, see :mod:`ttcgames.game.shares`), so the grouping agrees
with the shares' tie rule and with the brute force.

:func:`brute_force_optimum` enumerates all profiles: it is the test oracle and the reference
implementation's method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.payoffs import social_welfare
from ttcgames.game.shares import is_perfect

__all__ = ["Optimum", "social_optimum", "brute_force_optimum"]


@dataclass(frozen=True)
class Optimum:
    welfare: float
    profile: np.ndarray
    iterations: int = 0


def _log_sum_exp(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return -np.inf
    m = x.max()
    return float(m + np.log(np.exp(x - m).sum()))


def _signed_log_sum(logs: np.ndarray, signs: np.ndarray) -> tuple[int, float]:
    """x = sum_j sign_j e^{logs_j} as (sign of x, log|x|); (0, -inf) when the two parts cancel."""
    log_pos, log_neg = _log_sum_exp(logs[signs > 0]), _log_sum_exp(logs[signs < 0])
    if log_pos == log_neg:
        return 0, -np.inf
    if log_pos > log_neg:
        return 1, float(log_pos + np.log1p(-np.exp(log_neg - log_pos)))
    return -1, float(log_neg + np.log1p(-np.exp(log_pos - log_neg)))


def _residual(market: Market, profile: np.ndarray, beta: float, lam: float) -> tuple[int, float]:
    """W(profile) - lam as (sign, log-magnitude), resolved far below one ulp of lam.

    W - lam = s_0 (V0 - lam) + sum_i s_i (W_i - lam), because the shares (Table 1) sum to one; each
    share is kept as a logarithm, so a rival's share of e^{-250} (or one that underflows) still
    counts. At large beta the float W(profile) equals the winner's W_i exactly, and this is the only
    trace of what the other options add to it.
    """
    rows = np.arange(market.n_providers)
    z = np.r_[beta * market.v0, beta * market.value[rows, profile]]
    w = np.r_[market.v0, market.contribution[rows, profile]]
    shifted = z - z.max()
    log_s = shifted - _log_sum_exp(shifted)
    d = w - lam
    keep = d != 0
    return _signed_log_sum(log_s[keep] + np.log(np.abs(d[keep])), np.sign(d[keep]))


def _exceeds(a: tuple[int, float], b: tuple[int, float]) -> bool:
    """Whether residual a = (sign, log|.|) is above residual b (of two equal float welfares)."""
    (sa, la), (sb, lb) = a, b
    if sa != sb:
        return sa > sb
    return sa != 0 and (la > lb if sa > 0 else la < lb)


def _dinkelbach(market: Market, beta: float, max_iter: int = 500) -> Optimum:
    """Dinkelbach's method with every term kept in log space.

    The weights e^{beta V} span thousands of orders of magnitude at large beta, so no common shift
    keeps all of them representable. Each term b_i(k) (W_i(k) - lambda) is therefore handled as a
    sign and a log-magnitude, beta V_i(k) + log|W_i(k) - lambda|: a provider's best term is its largest
    positive one if it has any, else its smallest negative one, and the sign of F(lambda) is decided
    by comparing the log-sum-exp of the positive and of the negative parts.

    lambda = W(theta_k) is carried as a float plus its residual (:func:`_residual`). A level whose
    W_i(k) equals the float lambda (the current winner's own level, at large beta) gets the sign and
    size of -residual instead of a zero term: with a zero term the step could return theta_k itself
    while a better profile exists (e.g. two providers at beta = 1e9, where the winner's rival adds
    e^{-250} to W), and the method stopped short of the optimum.
    """
    mask = market.mask
    z = np.where(mask, beta * market.value, -np.inf)
    w = np.where(mask, market.contribution, np.nan)
    z0, v0 = beta * market.v0, market.v0
    profile = np.argmax(np.where(mask, market.value, -np.inf), axis=1)
    lam = float(social_welfare(market, profile, beta))
    res = None  # lambda's residual: computed only when a float tie with lambda needs it
    rows = np.arange(market.n_providers)
    for it in range(1, max_iter + 1):
        diff = w - lam
        with np.errstate(divide="ignore", invalid="ignore"):
            logmag = z + np.log(np.abs(diff))
        sign = np.sign(diff)
        at_lam = mask & (diff == 0)
        if res is None and (at_lam.any() or v0 == lam):
            res = _residual(market, profile, beta, lam)
        if at_lam.any():
            sign[at_lam], logmag[at_lam] = -res[0], z[at_lam] + res[1]
        pos = mask & (sign > 0)
        has_pos = pos.any(axis=1)
        best_pos = np.argmax(np.where(pos, logmag, -np.inf), axis=1)
        best_neg = np.argmin(np.where(mask & ~pos, logmag, np.inf), axis=1)
        nxt = np.where(has_pos, best_pos, best_neg)
        chosen = logmag[rows, nxt]
        pos_terms = list(chosen[has_pos])
        neg_terms = list(chosen[~has_pos])  # a zero term is -inf here, which the log-sum-exp drops
        s0, log0 = (np.sign(v0 - lam), z0 + np.log(abs(v0 - lam))) if v0 != lam else (-res[0], z0 + res[1])
        (pos_terms if s0 > 0 else neg_terms).append(log0)
        log_pos, log_neg = _log_sum_exp(np.array(pos_terms)), _log_sum_exp(np.array(neg_terms))
        # F(lambda) = max_theta N - lambda D >= 0, with 0 attained at the current profile. It is positive
        # (an improving profile exists) iff the positive part outweighs the negative one.
        if not log_pos > log_neg + 1e-12:
            return Optimum(welfare=lam, profile=profile, iterations=it)
        new_lam = float(social_welfare(market, nxt, beta))
        new_res = None
        if new_lam == lam:
            res = res if res is not None else _residual(market, profile, beta, lam)
            new_res = _residual(market, nxt, beta, new_lam)
        if new_lam < lam or (new_lam == lam and not _exceeds(new_res, res)):
            # Rounding allows no further progress: lam is optimal to machine precision.
            return Optimum(welfare=lam, profile=profile, iterations=it)
        profile, lam, res = nxt, new_lam, new_res
    raise RuntimeError("Dinkelbach's method did not converge; please report this market")


def _perfect(market: Market) -> Optimum:
    n = market.n_providers
    lowest = np.array([market.value[i, : market.n_levels[i]].min() for i in range(n)])
    lowest_level = np.array([int(np.argmin(market.value[i, : market.n_levels[i]])) for i in range(n)])
    floor = max(float(lowest.max()), market.v0)
    # Elements (value, provider, level) that can be on top: value >= floor. Group them by value (ties are
    # exact: the market snapped values within TIE_RTOL to one number).
    ii, kk = np.nonzero(market.mask & (np.nan_to_num(market.value, nan=-np.inf) >= floor))
    vv = market.value[ii, kk]
    order = np.lexsort((kk, ii, vv))
    ii, kk, vv = ii[order], kk[order], vv[order]
    bounds = np.flatnonzero(np.diff(vv)) + 1
    starts, ends = np.r_[0, bounds].astype(int), np.r_[bounds, len(vv)].astype(int)
    if len(vv) == 0:
        starts = ends = np.zeros(0, dtype=int)
    # Fast path: a value held by one element only, with no forced member and no tie with V0, gives
    # welfare W of that element (it wins alone). Everything else goes through the general loop.
    group_v = vv[starts] if len(starts) else np.zeros(0)
    single = (ends - starts == 1) & (group_v != floor) & (group_v != market.v0)
    best = (-np.inf, None, None)
    if single.any():
        cand = starts[single]
        wv = market.contribution[ii[cand], kk[cand]]
        j = int(np.argmax(wv))
        e = int(cand[j])
        best = (float(wv[j]), [int(ii[e])], {int(ii[e]): int(kk[e])})
    groups = [(float(vv[a]), ii[a:b], kk[a:b]) for a, b, s1 in zip(starts, ends, single) if not s1]
    if market.v0 >= floor and not (group_v == market.v0).any():
        groups.append((market.v0, ii[:0], kk[:0]))
    for v, gi, gk in groups:
        at_v: dict[int, int] = {}
        for i, k in zip(gi.tolist(), gk.tolist()):
            if i not in at_v or market.contribution[i, k] > market.contribution[i, at_v[i]]:
                at_v[i] = k
        # A provider whose lowest value is v cannot go below v: it must join the tie (v == floor).
        forced = [j for j in np.flatnonzero(lowest == v).tolist()] if v == floor else []
        if any(j not in at_v for j in forced):
            continue
        total = sum(float(market.contribution[j, at_v[j]]) for j in forced)
        count = len(forced)
        if market.v0 == v:
            total, count = total + market.v0, count + 1
        chosen = list(forced)
        optional = sorted((j for j in at_v if j not in forced), key=lambda j: -float(market.contribution[j, at_v[j]]))
        for j in optional:
            wj = float(market.contribution[j, at_v[j]])
            if count and wj <= total / count:
                break
            total, count = total + wj, count + 1
            chosen.append(j)
        if count and total / count > best[0]:
            best = (total / count, chosen, at_v)
    _, chosen, at_v = best
    assert chosen is not None, "the perfect-rationality optimum always exists"
    profile = lowest_level.copy()
    for j in chosen:
        profile[j] = at_v[j]
    # Report the welfare as the share function computes it, so it compares exactly with brute force.
    return Optimum(welfare=float(social_welfare(market, profile, np.inf)), profile=profile)


def social_optimum(market: Market, beta: float) -> Optimum:
    """max over profiles of W (Eq. 5), exactly, without enumerating the profiles; see module doc."""
    market.check_beta(beta)
    return _perfect(market) if is_perfect(beta) else _dinkelbach(market, beta)


def brute_force_optimum(market: Market, beta: float, *, max_profiles: int = 20_000_000) -> Optimum:
    """max over all prod_i K_i profiles of W, by enumeration (test oracle; exponential in N)."""
    from ttcgames.game.equilibria import iter_profiles

    market.check_beta(beta)
    if market.n_profiles > max_profiles:
        raise ValueError(f"{market.n_profiles:,} profiles is too many to enumerate")
    best_w, best_p = -np.inf, None
    for P in iter_profiles(market, 1 << 16):
        w = np.atleast_1d(social_welfare(market, P, beta))
        j = int(np.argmax(w))
        if w[j] > best_w:
            best_w, best_p = float(w[j]), P[j].copy()
    return Optimum(welfare=best_w, profile=best_p)
