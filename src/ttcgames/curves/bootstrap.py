"""Seeded percentile bootstrap over questions (paper, Appendix C: "95% bootstrapped confidence
intervals"; Section 5 measures average accuracy and tokens over the queries of a task).

Every curve in the workflow is a mean over questions of a per-question quantity (expected
accuracy or expected tokens at each compute level). Its uncertainty comes from the finite set of
questions, so a bootstrap replicate resamples questions with replacement and recomputes the mean
of every column of a per-question matrix at once (columns share the resampled questions, so an
accuracy band and a token band come from the same replicates).

Reproducibility: replicates are drawn in fixed-size chunks; chunk ``c`` uses its own generator
seeded with ``numpy.random.SeedSequence(seed, spawn_key=(c,))``. Replicate ``r`` therefore only
depends on ``(seed, chunk_size, r)``: not on how many chunks there are, in what order they run,
or whether they run in parallel, and the first ``B`` replicates of a larger run are the ``B``
replicates of a smaller one.

Steps (``bootstrap_interval``):
1. ``bootstrap_replicates``: for each chunk, draw question indices, take (weighted) column means.
2. ``percentile_interval``: the (1 - level)/2 and (1 + level)/2 quantiles of the replicates.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "chunk_generator",
    "bootstrap_chunk",
    "question_draws",
    "bootstrap_replicates",
    "percentile_interval",
    "bootstrap_interval",
]

DEFAULT_CHUNK_SIZE = 100


def _as_matrix(values: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        return arr[:, None], True
    if arr.ndim != 2:
        raise ValueError(f"values must be 1-D (questions) or 2-D (questions x columns), got shape {arr.shape}")
    return arr, False


def _check_weights(weights: np.ndarray | None, n: int, shape: tuple[int, int]) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.ndim == 1:
        w = w[:, None]
    if w.shape[0] != n or w.shape[1] not in (1, shape[1]):
        raise ValueError(f"weights must have shape ({n},) or {shape}, got {np.shape(weights)}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return np.broadcast_to(w, shape)


def chunk_generator(seed: int, chunk_index: int) -> np.random.Generator:
    """The generator of bootstrap chunk ``chunk_index`` under master ``seed``."""
    if chunk_index < 0:
        raise ValueError(f"chunk_index must be non-negative, got {chunk_index}")
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(chunk_index),)))


def _weighted_means(values: np.ndarray, weights: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
    """Column means over the resampled rows ``idx`` (shape (R, Q)); ratio of sums when weighted."""
    if weights is None:
        return values[idx].mean(axis=1)
    w = weights[idx]
    num = (w * np.nan_to_num(values[idx])).sum(axis=1)
    den = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bootstrap_chunk(
    values: np.ndarray,
    *,
    seed: int,
    chunk_index: int,
    size: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """``size`` bootstrap replicates of the column means of ``values`` (questions x columns).

    With ``weights`` (same shape, or one weight per question) a replicate is the ratio
    sum(w * x) / sum(w) over the resampled questions; this pools items across questions (e.g. the
    samples of a reasoning-effort bin) while still resampling whole questions. A replicate whose
    weights sum to zero is NaN. Returns an array of shape (size, columns).
    """
    mat, _ = _as_matrix(values)
    n = mat.shape[0]
    if n == 0:
        raise ValueError("cannot bootstrap zero questions")
    w = _check_weights(weights, n, mat.shape)
    if w is None and not np.isfinite(mat).all():
        raise ValueError("values contain NaN or infinite entries")
    rng = chunk_generator(seed, chunk_index)
    idx = rng.integers(0, n, size=(int(size), n))
    return _weighted_means(mat, w, idx)


def question_draws(n_questions: int, n_boot: int, *, seed: int = 0, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """The question indices every replicate draws, shape (n_boot, n_questions): exactly the draws
    ``bootstrap_replicates`` makes for ``n_questions`` rows with the same seed and chunk size, so a
    bootstrap built from them (e.g. the paired one of ``ttcgames.uncertainty.paired``) resamples the same
    questions as the curves' own bands."""
    if int(n_questions) < 1:
        raise ValueError("cannot bootstrap zero questions")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    parts = []
    for c in range(math.ceil(int(n_boot) / int(chunk_size))):
        size = min(int(chunk_size), int(n_boot) - c * int(chunk_size))
        parts.append(chunk_generator(seed, c).integers(0, int(n_questions), size=(size, int(n_questions))))
    return np.concatenate(parts, axis=0)


def bootstrap_replicates(
    values: np.ndarray,
    n_boot: int = 1000,
    *,
    seed: int = 0,
    weights: np.ndarray | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """All ``n_boot`` replicates (shape (n_boot, columns); 1-D input gives shape (n_boot,)).

    Chunk ``c`` holds replicates ``c * chunk_size`` .. ``(c + 1) * chunk_size - 1``; see the module
    docstring for why the result does not depend on the chunking being run in parallel.
    """
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    mat, was_1d = _as_matrix(values)
    n_chunks = math.ceil(int(n_boot) / int(chunk_size))
    parts = []
    for c in range(n_chunks):
        size = min(int(chunk_size), int(n_boot) - c * int(chunk_size))
        parts.append(bootstrap_chunk(mat, seed=seed, chunk_index=c, size=size, weights=weights))
    reps = np.concatenate(parts, axis=0)
    return reps[:, 0] if was_1d else reps


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``replicates`` along axis 0 (NaN replicates are ignored)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    reps = np.asarray(replicates, dtype=float)
    lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    with np.errstate(all="ignore"):
        lo = np.nanquantile(reps, lo_q, axis=0)
        hi = np.nanquantile(reps, hi_q, axis=0)
    return lo, hi


def bootstrap_interval(
    values: np.ndarray,
    n_boot: int = 1000,
    *,
    seed: int = 0,
    level: float = 0.95,
    weights: np.ndarray | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval (``level``, default 95%) of the column means of ``values``
    over questions, resampling questions with replacement ``n_boot`` times from ``seed``.

    Returns ``(lo, hi)`` with one entry per column (scalars' arrays of shape () for 1-D input).
    """
    reps = bootstrap_replicates(values, n_boot, seed=seed, weights=weights, chunk_size=chunk_size)
    return percentile_interval(reps, level)
