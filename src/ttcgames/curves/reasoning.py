"""Reasoning-effort curves: accuracy and tokens of a reasoning model per bin of reasoning effort.

Paper, Section 5 and Appendix C (reasoning models; docs/paper-notes.md, "Accuracy and token curves"): a
reasoning model's compute level is how long it thinks. From the stored samples of each question:

1. ``keep_samples``: keep a sample only if it was not truncated (total tokens < ``max_total_tokens``,
   2048) and it reasoned at all (reasoning tokens > ``min_reasoning_tokens``, 5).
2. ``bin_edges`` / ``assign_bins``: split that question's kept samples at the quantiles
   ``quantiles`` (0, .2, .4, .6, .8, 1) of their reasoning tokens. Edges are ``numpy.quantile``
   with its default linear interpolation; bin b (1-based) holds the samples with
   ``edge[b-1] <= r < edge[b]``, except the last bin, which is closed, ``edge[-2] <= r <= edge[-1]``.
   **Ties** (``ties``), i.e. samples with equal reasoning tokens, so that several edges coincide:

   - ``jitter`` (the reference implementation's): every kept sample's count gets a seeded uniform
     ``[0, 1e-5)`` jitter before the quantiles (``jitter_counts``), and edges that still coincide
     are forced apart (each edge at least ``EDGE_STEP`` above the previous one). Tied counts then
     split at random across the bins their quantiles span, and a question with a single kept
     sample puts it in the *first* bin. The jitter is drawn from one generator seeded with
     ``SeedSequence([seed, JITTER_STREAM])``, question by question in table order.
   - ``upper``: no jitter; a sample lying exactly on an inner edge goes to the *upper* bin, so when
     several edges coincide the bins between them are empty for that question and its samples fill
     the upper one (a single kept sample lands in the *last* bin).
3. ``pool_bins``: bin b pools the samples of bin b of every question; its accuracy is the mean
   correctness of those samples, its tokens the mean *total* tokens of those samples (one sample
   per query, not theta of them: a reasoning provider answers once).
4. ``reasoning_curve``: bands are 95% percentile bootstrap intervals with ``n_boot`` (2000)
   replicates, via ``ttcgames.curves.bootstrap``. ``unit = "sample"`` resamples a bin's pooled samples (the
   reference implementation); ``unit = "question"`` resamples questions and pools their samples
   (ratio of sums). Bin b uses bootstrap seed ``SeedSequence([seed, b]).generate_state(1)[0]``.

The curve CSV has the format of docs/contracts.md with ``theta`` = bin index 1..K (K = number of
quantile intervals), ``method = reasoning``, ``mc_stderr`` = 0 (the points are exact pooled
means) and ``n_questions`` = questions with at least one kept sample.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttcgames.curves.bootstrap import bootstrap_replicates, percentile_interval
from ttcgames.curves.exact import CURVE_COLUMNS, CurveInputError, read_generations
from ttcgames.io.atomic import atomic_write_text

__all__ = [
    "DEFAULT_QUANTILES",
    "TIE_RULES",
    "jitter_counts",
    "ReasoningBins",
    "keep_samples",
    "bin_edges",
    "assign_bins",
    "pool_bins",
    "reasoning_curve",
    "build_reasoning_curve",
    "REASONING_QUESTION_COLUMNS",
    "write_reasoning_questions",
]

DEFAULT_QUANTILES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# What each question contributes to each bin (results/curves/{dataset}/reasoning/{provider}.questions.csv).
REASONING_QUESTION_COLUMNS = ("qid", "theta", "count", "correct", "tokens")
TIE_RULES = ("jitter", "upper")
JITTER_WIDTH = 1e-5  # the reference's jitter: uniform [0, 1e-5)
EDGE_STEP = 1e-9  # coinciding edges are forced this far apart (far below the jitter's width)
JITTER_STREAM = 0x6A17  # second word of the jitter generator's seed sequence


def _check_quantiles(quantiles: Sequence[float]) -> np.ndarray:
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or q.size < 2:
        raise ValueError(f"quantiles must list at least two values, got {list(quantiles)}")
    if q[0] != 0.0 or q[-1] != 1.0 or np.any(np.diff(q) <= 0):
        raise ValueError(f"quantiles must increase strictly from 0 to 1, got {list(quantiles)}")
    return q


def keep_samples(
    reasoning_tokens: np.ndarray,
    total_tokens: np.ndarray,
    *,
    max_total_tokens: int = 2048,
    min_reasoning_tokens: int = 5,
) -> np.ndarray:
    """Boolean mask: not truncated (total < ``max_total_tokens``) and reasoned (> ``min_reasoning_tokens``)."""
    r = np.asarray(reasoning_tokens, dtype=float)
    t = np.asarray(total_tokens, dtype=float)
    return (t < max_total_tokens) & (r > min_reasoning_tokens)


def jitter_counts(reasoning_tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reasoning counts plus a uniform ``[0, JITTER_WIDTH)`` jitter each (the reference's tie breaker)."""
    r = np.asarray(reasoning_tokens, dtype=float)
    return r + rng.uniform(0.0, JITTER_WIDTH, size=r.shape)


def bin_edges(reasoning_tokens: np.ndarray, quantiles: Sequence[float] = DEFAULT_QUANTILES, *, force_apart: bool = False) -> np.ndarray:
    """One question's bin edges: ``numpy.quantile`` (linear interpolation) of its reasoning tokens;
    with ``force_apart`` each edge is raised to at least ``EDGE_STEP`` above the previous one."""
    r = np.asarray(reasoning_tokens, dtype=float)
    if r.size == 0:
        raise ValueError("no samples to bin")
    edges = np.quantile(r, _check_quantiles(quantiles))
    if force_apart:
        for i in range(1, edges.size):
            edges[i] = max(edges[i], edges[i - 1] + EDGE_STEP)
    return edges


def assign_bins(reasoning_tokens: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index 0..K-1 per sample: ``[edge_b, edge_b+1)`` for inner bins, last bin closed.

    Values below the first edge or above the last get -1 (cannot happen with a question's own edges).
    """
    r = np.asarray(reasoning_tokens, dtype=float)
    e = np.asarray(edges, dtype=float)
    k = e.size - 1
    # side="right": a value equal to an inner edge goes to the bin that starts at it.
    idx = np.searchsorted(e, r, side="right") - 1
    idx = np.where(r == e[-1], k - 1, idx)  # the closed last bin
    return np.where((r < e[0]) | (r > e[-1]), -1, idx)


@dataclass(frozen=True)
class ReasoningBins:
    """Per-question counts and sums per bin (rows: questions with kept samples; columns: bins)."""

    qids: tuple[str, ...]
    count: np.ndarray  # samples per (question, bin)
    correct: np.ndarray  # correct samples per (question, bin)
    tokens: np.ndarray  # total tokens summed per (question, bin)
    sample_bin: np.ndarray  # pooled samples: bin index
    sample_correct: np.ndarray  # pooled samples: 0/1
    sample_tokens: np.ndarray  # pooled samples: total tokens
    dropped_samples: int  # samples removed by keep_samples

    @property
    def n_bins(self) -> int:
        return self.count.shape[1]


def pool_bins(
    table: pd.DataFrame,
    *,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    max_total_tokens: int = 2048,
    min_reasoning_tokens: int = 5,
    correct_column: str = "correct",
    ties: str = "upper",
    seed: int = 0,
) -> ReasoningBins:
    """Bin every question's kept samples at its own quantiles and pool the bins across questions.

    ``table`` has one row per sample with ``qid``, ``reasoning_tokens``, ``num_tokens`` (total) and
    ``correct_column``. A question with no kept sample contributes nothing. ``ties`` and ``seed``:
    the module docstring, step 2.
    """
    if ties not in TIE_RULES:
        raise ValueError(f"ties must be one of {TIE_RULES}, got {ties!r}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), JITTER_STREAM]))
    q = _check_quantiles(quantiles)
    _check_reasoning_table(table, correct_column)
    questions: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []  # (qid, bin, correct, tokens) per sample
    dropped = 0
    for qid, group in table.groupby("qid", sort=False):
        r = group["reasoning_tokens"].to_numpy(dtype=float)
        t = group["num_tokens"].to_numpy(dtype=float)
        c = group[correct_column].to_numpy(dtype=float)
        keep = keep_samples(r, t, max_total_tokens=max_total_tokens, min_reasoning_tokens=min_reasoning_tokens)
        dropped += int((~keep).sum())
        if keep.any():
            questions.append((str(qid), _question_bins(r[keep], q, ties, rng), c[keep], t[keep]))
    if not questions:
        raise CurveInputError(f"no sample passes the filter (total tokens < {max_total_tokens} and reasoning tokens > {min_reasoning_tokens})")
    return _pooled(questions, q.size - 1, dropped)


def _check_reasoning_table(table: pd.DataFrame, correct_column: str) -> None:
    """The columns the reasoning bins need, and a reasoning token count on every sample."""
    for col in ("qid", "reasoning_tokens", "num_tokens", correct_column):
        if col not in table.columns:
            raise CurveInputError(f"reasoning curves need column {col!r}; the table has {list(table.columns)}")
    if table["reasoning_tokens"].isna().any():
        qid = table.loc[table["reasoning_tokens"].isna(), "qid"].iloc[0]
        raise CurveInputError(f"question {qid!r} has samples without reasoning_tokens; reasoning curves need a reasoning model's traces")


def _question_bins(reasoning: np.ndarray, quantiles: np.ndarray, ties: str, rng: np.random.Generator) -> np.ndarray:
    """Bin index per kept sample of one question, at the question's own quantiles (module docstring,
    step 2: ``jitter`` draws the question's jitter from ``rng`` and forces the edges apart)."""
    if ties == "jitter":
        reasoning = jitter_counts(reasoning, rng)
    return assign_bins(reasoning, bin_edges(reasoning, quantiles, force_apart=ties == "jitter"))


def _pooled(questions: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], k: int, dropped: int) -> ReasoningBins:
    """Per-question counts and sums over ``k`` bins, and the pooled samples, from (qid, bin, correct,
    tokens) per question."""
    return ReasoningBins(
        qids=tuple(qid for qid, _, _, _ in questions),
        count=np.vstack([np.bincount(b, minlength=k) for _, b, _, _ in questions]).astype(float),
        correct=np.vstack([np.bincount(b, weights=c, minlength=k) for _, b, c, _ in questions]),
        tokens=np.vstack([np.bincount(b, weights=t, minlength=k) for _, b, _, t in questions]),
        sample_bin=np.concatenate([b for _, b, _, _ in questions]),
        sample_correct=np.concatenate([c for _, _, c, _ in questions]),
        sample_tokens=np.concatenate([t for _, _, _, t in questions]),
        dropped_samples=dropped,
    )


def _bin_seed(seed: int, b: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(b)]).generate_state(1)[0])


def reasoning_curve(
    bins: ReasoningBins,
    *,
    provider: str,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    unit: str = "sample",
) -> pd.DataFrame:
    """The curve rows (``CURVE_COLUMNS``): one per bin, ``theta`` = bin index 1..K.

    An empty bin (no sample of any question) is an error: the market needs every level.
    """
    if unit not in ("sample", "question"):
        raise ValueError(f"unit must be 'sample' or 'question', got {unit!r}")
    k = bins.n_bins
    n_per_bin = bins.count.sum(axis=0)
    if (n_per_bin == 0).any():
        empty = [int(b) + 1 for b in np.flatnonzero(n_per_bin == 0)]
        raise CurveInputError(f"reasoning bin(s) {empty} hold no sample for provider {provider!r}")
    acc = bins.correct.sum(axis=0) / n_per_bin
    tok = bins.tokens.sum(axis=0) / n_per_bin
    acc_lo, acc_hi, tok_lo, tok_hi = (np.empty(k) for _ in range(4))
    for b in range(k):
        if unit == "sample":
            mask = bins.sample_bin == b
            values = np.column_stack([bins.sample_correct[mask], bins.sample_tokens[mask]])
            reps = bootstrap_replicates(values, n_boot, seed=_bin_seed(seed, b))
        else:
            cnt = bins.count[:, b]
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.column_stack([bins.correct[:, b] / cnt, bins.tokens[:, b] / cnt])
            reps = bootstrap_replicates(values, n_boot, seed=_bin_seed(seed, b), weights=cnt)
        lo, hi = percentile_interval(reps, level)
        acc_lo[b], acc_hi[b], tok_lo[b], tok_hi[b] = lo[0], hi[0], lo[1], hi[1]
    return pd.DataFrame(
        {
            "provider": provider,
            "method": "reasoning",
            "theta": np.arange(1, k + 1),
            "accuracy": acc,
            "accuracy_lo": np.minimum(acc_lo, acc),
            "accuracy_hi": np.maximum(acc_hi, acc),
            "tokens": tok,
            "tokens_lo": np.minimum(tok_lo, tok),
            "tokens_hi": np.maximum(tok_hi, tok),
            "mc_stderr": np.zeros(k),
            "n_questions": len(bins.qids),
        },
        columns=list(CURVE_COLUMNS),
    )


def build_reasoning_curve(
    generations: str | os.PathLike,
    grades: str | os.PathLike,
    out: str | os.PathLike,
    *,
    provider: str,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    max_total_tokens: int = 2048,
    min_reasoning_tokens: int = 5,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    unit: str = "sample",
    ties: str = "upper",
    questions_out: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Workflow stage "reasoning curve": generations + grades -> ``results/curves/{dataset}/reasoning/{provider}.csv``.

    ``questions_out`` also writes each question's samples, correct samples and token sum per bin
    (``write_reasoning_questions``), from which any resample of questions rebuilds the curve.

    Correctness is the grades' ``trace_correct`` column when present (imported traces: the trace's
    own flag), else ``correct``.
    """
    gen = read_generations(generations)
    grades_frame = pd.read_csv(grades, dtype={"qid": str}, keep_default_na=False)
    column = "trace_correct" if "trace_correct" in grades_frame.columns else "correct"
    for col in ("qid", "sample", column):
        if col not in grades_frame.columns:
            raise CurveInputError(f"{grades}: missing column {col!r}")
    flags = grades_frame[column].astype(str).str.strip().str.lower()
    bad = ~flags.isin(["true", "false"])
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise CurveInputError(f"{grades}, line {line}: column {column!r} must be true/false")
    grades_frame = grades_frame.assign(_correct=flags.eq("true"))[["qid", "sample", "_correct"]]
    table = gen.merge(grades_frame, on=["qid", "sample"], how="left", validate="one_to_one")
    if table["_correct"].isna().any():
        row = table[table["_correct"].isna()].iloc[0]
        raise CurveInputError(f"{grades}: no grade for (qid, sample) = ({row['qid']!r}, {int(row['sample'])}) of {generations}")
    bins = pool_bins(
        table,
        quantiles=quantiles,
        max_total_tokens=max_total_tokens,
        min_reasoning_tokens=min_reasoning_tokens,
        correct_column="_correct",
        ties=ties,
        seed=seed,
    )
    frame = reasoning_curve(bins, provider=provider, n_boot=n_boot, seed=seed, level=level, unit=unit)
    if questions_out is not None:
        write_reasoning_questions(bins, questions_out)
    atomic_write_text(out, frame.to_csv(index=False))
    return frame


def write_reasoning_questions(bins: ReasoningBins, out: str | os.PathLike) -> None:
    """``REASONING_QUESTION_COLUMNS``, one row per (question with kept samples, bin); ``theta`` is
    the bin index 1..K. Bin b's curve point is sum(correct) / sum(count) and sum(tokens) / sum(count)."""
    q, k = bins.count.shape
    frame = pd.DataFrame(
        {
            "qid": np.repeat(np.asarray(bins.qids, dtype=object), k),
            "theta": np.tile(np.arange(1, k + 1), q),
            "count": bins.count.ravel().astype(np.int64),
            "correct": bins.correct.ravel().astype(np.int64),
            "tokens": bins.tokens.ravel().astype(np.int64),
        },
        columns=list(REASONING_QUESTION_COLUMNS),
    )
    atomic_write_text(out, frame.to_csv(index=False))
