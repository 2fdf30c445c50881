"""Market shares (Table 1 of the paper).

Users split their demand over the N providers and the option to abstain, which offers the value V0.

- Bounded rationality, 0 < beta < inf: a softmax with inverse temperature beta over (V0, V_1..V_N).
  It is computed in log space (shift by the largest beta*V before exponentiating), so beta up to
  1e9 and beyond neither overflows nor gives NaN.
- Perfect rationality, beta = inf: the highest value takes the whole market. Abstention competes like
  a provider: if V0 is strictly the highest, users abstain and every provider's share is 0.

Tie rule at beta = inf (the paper assumes no ties, footnote 7): the options tied at the maximum value
split the demand equally. This is the limit of the softmax as beta -> inf, so shares, utilities and
welfare are continuous in beta at every profile without ties, and a tie with V0 sends part of the
demand to abstention.

What counts as a tie (:data:`TIE_RTOL`). Values computed along different paths carry rounding noise:
291 tokens x $0.2/M and 194 tokens x $0.3/M are the same price, yet the two doubles differ in the last
bit, and exact equality would hand the whole market to one of them. Two values tie when they differ
by at most ``TIE_RTOL`` (1e-9) times the scale of the money involved; ties are chained (single
linkage over the sorted values), so "tied" is an equivalence relation. A
:class:`~ttcgames.game.market.Market` applies this once, when it is built (:func:`snap_ties`, scale: the
largest |q|, |p| or |V0| of the market): values of one tie group are set to one number (V0 when V0 is
in the group, else the group's largest value), so that every later comparison (shares, utilities,
the optimum's grouping, the equilibria, the potential) is exact equality on the same numbers. Values
further apart than the tolerance are left bit for bit as they are. :func:`market_shares` called on
bare values applies the same rule at beta = inf, with the scale taken from those values.

All functions take values as a numpy array whose last axis runs over providers, so they work on a
single profile (shape (N,)) or a batch of profiles (shape (..., N)). The first entry of the returned
array (index 0 on the last axis) is the abstention share s_0; entries 1..N are the providers'.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["market_shares", "log_market_shares", "is_perfect", "snap_ties", "TIE_RTOL",
           "MAX_LOG_WEIGHT", "check_beta_scale"]

TIE_RTOL = 1e-9
"""Relative tolerance of a tie between two values (see the module docstring): far above float64
rounding (1e-16 per operation, 1e-12 after long sums) and far below a real economic difference (one
token at $0.1/M against a $0.008 query is 1e-5 of the scale)."""

MAX_LOG_WEIGHT = 1e300
"""The largest |beta x V| the engine accepts at finite beta: the equilibria and the optimum take sums
and differences of such terms, which must stay finite doubles. Larger betas are refused with a message
(use beta = inf, which the shares of every such beta already equal up to the tie rule)."""


def is_perfect(beta: float) -> bool:
    """True for perfectly rational users (beta = inf)."""
    return math.isinf(beta) and beta > 0


def _check_beta(beta: float) -> None:
    if not (beta > 0):  # also rejects NaN
        raise ValueError(f"beta must be positive (or inf), got {beta}")


def check_beta_scale(beta: float, values: np.ndarray, v0: float = 0.0) -> None:
    """Refuse a finite beta for which some |beta x V| (V0 included) exceeds :data:`MAX_LOG_WEIGHT`."""
    _check_beta(beta)
    if is_perfect(beta):
        return
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals)]
    largest = max(float(np.abs(vals).max()) if vals.size else 0.0, abs(float(v0)))
    if beta * largest > MAX_LOG_WEIGHT:
        raise ValueError(
            f"beta = {beta:g} is too large for these values: beta x |V| = {beta:g} x {largest:.3g} is beyond the "
            f"{MAX_LOG_WEIGHT:g} that the log-space computations allow; use beta = inf"
        )


def snap_ties(values: np.ndarray, v0: float, tol: float) -> np.ndarray:
    """Values with every tie group (chains of gaps <= ``tol`` in sorted order, V0 included) set to one
    number: V0 for the group holding V0, else the group's largest value. 1-D, finite values only.
    With ``tol = 0`` or no near ties the values come back unchanged."""
    values = np.asarray(values, dtype=float)
    allv = np.append(values, float(v0))
    order = np.argsort(allv, kind="stable")
    s = allv[order]
    starts = np.r_[True, np.diff(s) > tol]
    gid = np.cumsum(starts) - 1
    ends = np.r_[np.flatnonzero(starts)[1:] - 1, len(s) - 1]
    rep = s[ends][gid]
    v0_group = gid[np.flatnonzero(order == len(values))[0]]
    rep[gid == v0_group] = float(v0)
    out = np.empty_like(allv)
    out[order] = rep
    return out[:-1]


def _with_abstention(values: np.ndarray, v0: float) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    v0_col = np.full(values.shape[:-1] + (1,), float(v0))
    return np.concatenate([v0_col, values], axis=-1)


def log_market_shares(values: np.ndarray, beta: float, v0: float = 0.0) -> np.ndarray:
    """Log of the softmax shares over (V0, V_1..V_N), shape (..., N+1); finite beta only."""
    _check_beta(beta)
    if is_perfect(beta):
        raise ValueError("log shares are only defined for finite beta; use market_shares")
    allv = _with_abstention(values, v0)
    # Shift before scaling: beta (V - V_max) <= 0 never overflows (it may be -inf: a share of 0), so
    # the shares stay finite for every finite beta, and the difference is taken at full precision.
    with np.errstate(over="ignore"):
        shifted = beta * (allv - allv.max(axis=-1, keepdims=True))
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def market_shares(values: np.ndarray, beta: float, v0: float = 0.0, *, tie_tol: float | None = None) -> np.ndarray:
    """Shares (s_0, s_1, ..., s_N) of abstention and providers for the offered values (Table 1).

    At beta = inf the options tied with the top value split the market: ties are chains of gaps at
    most ``tie_tol``, by default ``TIE_RTOL`` times the largest |value| (V0 included) of each profile.
    The engine passes ``tie_tol=0``: a market's values are already snapped (:func:`snap_ties`).
    """
    _check_beta(beta)
    if not is_perfect(beta):
        return np.exp(log_market_shares(values, beta, v0))
    allv = _with_abstention(values, v0)
    if tie_tol is None:
        tol = TIE_RTOL * np.abs(allv).max(axis=-1, keepdims=True)
    else:
        tol = tie_tol
    desc = -np.sort(-allv, axis=-1)
    gaps = (desc[..., :-1] - desc[..., 1:]) > tol
    # the top tie group ends at the first gap larger than the tolerance
    last = np.where(gaps.any(axis=-1), gaps.argmax(axis=-1), allv.shape[-1] - 1)
    threshold = np.take_along_axis(desc, last[..., None], axis=-1)
    top = allv >= threshold
    return top / top.sum(axis=-1, keepdims=True)
