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
demand to abstention. Ties are exact float equality.

All functions take values as a numpy array whose last axis runs over providers, so they work on a
single profile (shape (N,)) or a batch of profiles (shape (..., N)). The first entry of the returned
array (index 0 on the last axis) is the abstention share s_0; entries 1..N are the providers'.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["market_shares", "log_market_shares", "is_perfect"]


def is_perfect(beta: float) -> bool:
    """True for perfectly rational users (beta = inf)."""
    return math.isinf(beta) and beta > 0


def _check_beta(beta: float) -> None:
    if not (beta > 0):  # also rejects NaN
        raise ValueError(f"beta must be positive (or inf), got {beta}")


def _with_abstention(values: np.ndarray, v0: float) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    v0_col = np.full(values.shape[:-1] + (1,), float(v0))
    return np.concatenate([v0_col, values], axis=-1)


def log_market_shares(values: np.ndarray, beta: float, v0: float = 0.0) -> np.ndarray:
    """Log of the softmax shares over (V0, V_1..V_N), shape (..., N+1); finite beta only."""
    _check_beta(beta)
    if is_perfect(beta):
        raise ValueError("log shares are only defined for finite beta; use market_shares")
    z = beta * _with_abstention(values, v0)
    # Shift first: subtracting the huge zmax from z before anything else keeps full precision.
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def market_shares(values: np.ndarray, beta: float, v0: float = 0.0) -> np.ndarray:
    """Shares (s_0, s_1, ..., s_N) of abstention and providers for the offered values (Table 1)."""
    _check_beta(beta)
    if not is_perfect(beta):
        return np.exp(log_market_shares(values, beta, v0))
    allv = _with_abstention(values, v0)
    top = allv == allv.max(axis=-1, keepdims=True)
    return top / top.sum(axis=-1, keepdims=True)
