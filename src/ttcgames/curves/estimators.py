"""Curve estimators for majority voting and best-of-n, and how a voted answer's correctness is decided.

Two estimators of the same quantity, the expected accuracy over random theta-subsets of a
question's samples averaged over questions (paper, Section 5; Appendix C):

- ``exact`` (the CPU workflow's default): ``ttcgames.curves.exact`` computes the expectation exactly
  and bands it with a bootstrap over questions.
- ``subsample`` (the reference implementation's, docs/paper-notes.md, "Accuracy and token curves"): draw
  ``n_subsamples`` (50) random orderings of each question's samples; trial s uses the first theta
  samples of ordering s. A trial's accuracy (tokens) is the mean over questions; the curve point is
  the mean over trials and the band the (1-ci)/2 and (1+ci)/2 percentiles over trials. Ties follow
  the reference: best-of-n picks the tied sample that comes first in the ordering, majority the
  tied answer whose first sample comes first - both uniform at random over the ordering, the same
  tie rule as the exact estimator. ``mc_stderr`` is the standard error of the trial mean.

**Voted answer's correctness** (``vote_correct``; ``ttcgames.curves.exact`` module docstring). The
samples carrying one label may disagree on ``correct``: imported traces take the label from the
verifier's explanation string and the verdict from its ``correct`` list (the import report counts
such samples). Both estimators apply the same rule *within the drawn subset*:

- ``any`` (default; the reference implementation): the voted answer is correct when some drawn
  sample carrying it is marked correct;
- ``first``: the drawn sample carrying it with the lowest sample index decides;
- ``fraction``: the share of the drawn samples carrying it that are marked correct (the
  expectation of letting a uniformly drawn one of them decide).

So ``subsample`` converges to ``exact`` for every rule as ``n_subsamples`` grows.

**Rewards** (best-of-n) are compared at ``reward_dtype`` precision, ``float32`` by default as the
reference does (ArmoRM scores are bfloat16-like, so exact ties are common; ties are uniform).

Best-of-n and reasoning bins use each sample's own trace correctness (grades ``trace_correct``
when present).

Steps (``build_method_curve``): read the sample table; round rewards to ``reward_dtype``; compute
per-question expectations (``exact``) or per-trial accuracies (``subsample``); write the curve CSV.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ttcgames.curves.exact import (
    CURVE_COLUMNS,
    VOTE_RULES,
    CurveInputError,
    QuestionCurves,
    question_curves,
    sample_table,
    summarise_curves,
    write_question_curves,
)
from ttcgames.io.atomic import atomic_write_text

__all__ = [
    "ESTIMATORS",
    "VOTE_RULES",
    "REWARD_DTYPES",
    "subsample_orderings",
    "subsample_question_trials",
    "subsample_trials",
    "subsample_curve",
    "read_trace_table",
    "build_method_curve",
]

ESTIMATORS = ("exact", "subsample")
REWARD_DTYPES = ("float32", "float64")


def subsample_orderings(n_samples: int, n_subsamples: int, rng: np.random.Generator) -> np.ndarray:
    """``n_subsamples`` independent uniform orderings of ``range(n_samples)`` (rows)."""
    return np.argsort(rng.random((int(n_subsamples), int(n_samples))), axis=1)


def _majority_trials(codes: np.ndarray, correct: np.ndarray, order: np.ndarray, theta: int, rule: str) -> np.ndarray:
    """Correctness (0/1, or a fraction) of the majority vote of each trial's first ``theta`` samples."""
    sub = order[:, :theta]
    c = codes[sub]  # (S, theta), -1 = unparsed
    y = correct[sub].astype(float)
    n_codes = int(codes.max()) + 1 if (codes >= 0).any() else 0
    out = np.zeros(sub.shape[0])
    if n_codes == 0:
        return out
    rows = np.repeat(np.arange(sub.shape[0]), theta)
    flat = c.ravel()
    ok = flat >= 0
    counts = np.zeros((sub.shape[0], n_codes))
    np.add.at(counts, (rows[ok], flat[ok]), 1.0)
    per_pos = np.where(c >= 0, counts[np.arange(sub.shape[0])[:, None], np.maximum(c, 0)], -1.0)
    has_valid = (c >= 0).any(axis=1)
    win_pos = np.argmax(per_pos, axis=1)  # first position of a most frequent answer
    winner = c[np.arange(sub.shape[0]), win_pos]
    is_winner = c == winner[:, None]
    if rule == "any":
        out = (is_winner & (y > 0)).any(axis=1).astype(float)
    elif rule == "first":
        # The winner's drawn sample of lowest index (sample indices are the ordering's values).
        lowest = np.argmin(np.where(is_winner, sub, np.iinfo(sub.dtype).max), axis=1)
        out = y[np.arange(sub.shape[0]), lowest]
    else:
        out = (is_winner * y).sum(axis=1) / is_winner.sum(axis=1)
    return np.where(has_valid, out, 0.0)


def _bon_trials(rewards: np.ndarray, correct: np.ndarray, order: np.ndarray, theta: int) -> np.ndarray:
    sub = order[:, :theta]
    best = np.argmax(rewards[sub], axis=1)  # first in the ordering among tied rewards
    return correct[sub][np.arange(sub.shape[0]), best].astype(float)


def subsample_question_trials(
    table: pd.DataFrame,
    method: str,
    thetas: Sequence[int],
    *,
    n_subsamples: int = 50,
    seed: int = 0,
    vote_correct: str = "any",
    correct_column: str = "correct",
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Question ids and each question's accuracy and tokens in every trial, shape
    (n_subsamples, questions, len(thetas)).

    One generator (``numpy.random.default_rng(seed)``) draws the orderings question by question in
    table order, so the result depends only on the seed and the data.
    """
    if method not in ("majority", "bon"):
        raise ValueError(f"method must be 'majority' or 'bon', got {method!r}")
    if vote_correct not in VOTE_RULES:
        raise ValueError(f"vote_correct must be one of {VOTE_RULES}, got {vote_correct!r}")
    th = [int(t) for t in thetas]
    if not th or min(th) < 1:
        raise ValueError(f"thetas must be positive integers, got {list(thetas)}")
    if int(n_subsamples) < 1:
        raise ValueError(f"n_subsamples must be at least 1, got {n_subsamples}")
    rng = np.random.default_rng(int(seed))
    qids, accs, toks = [], [], []
    for qid, group in table.groupby("qid", sort=False):
        n = len(group)
        if max(th) > n:
            raise CurveInputError(f"question {qid!r} has {n} samples, fewer than the largest theta {max(th)}")
        order = subsample_orderings(n, n_subsamples, rng)
        correct = group[correct_column].to_numpy(dtype=bool)
        tokens = group["num_tokens"].to_numpy(dtype=float)
        if method == "majority":
            valid = group["valid"].to_numpy(dtype=bool)
            answers = group["answer"].astype(str).to_numpy()
            codes = np.full(n, -1)
            if valid.any():
                _, inv = np.unique(answers[valid], return_inverse=True)
                codes[valid] = inv
        else:
            rewards = group["reward"].to_numpy(dtype=float)
        acc = np.zeros((int(n_subsamples), len(th)))
        tok = np.zeros_like(acc)
        for k, theta in enumerate(th):
            if method == "majority":
                acc[:, k] = _majority_trials(codes, correct, order, theta, vote_correct)
            else:
                acc[:, k] = _bon_trials(rewards, correct, order, theta)
            tok[:, k] = tokens[order[:, :theta]].sum(axis=1)
        qids.append(str(qid))
        accs.append(acc)
        toks.append(tok)
    if not qids:
        raise CurveInputError("sample table has no questions")
    return tuple(qids), np.stack(accs, axis=1), np.stack(toks, axis=1)


def subsample_trials(
    table: pd.DataFrame,
    method: str,
    thetas: Sequence[int],
    *,
    n_subsamples: int = 50,
    seed: int = 0,
    vote_correct: str = "any",
    correct_column: str = "correct",
) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial accuracy and tokens, each of shape (n_subsamples, len(thetas)): means over questions."""
    _, acc, tok = subsample_question_trials(
        table, method, thetas, n_subsamples=n_subsamples, seed=seed, vote_correct=vote_correct, correct_column=correct_column
    )
    return acc.mean(axis=1), tok.mean(axis=1)


def subsample_curve(
    table: pd.DataFrame,
    method: str,
    thetas: Sequence[int],
    *,
    provider: str,
    n_subsamples: int = 50,
    seed: int = 0,
    level: float = 0.95,
    vote_correct: str = "any",
    correct_column: str = "correct",
) -> pd.DataFrame:
    """The reference-style curve rows (``CURVE_COLUMNS``): trial means and percentile bands over trials."""
    acc, tok = subsample_trials(
        table, method, thetas, n_subsamples=n_subsamples, seed=seed, vote_correct=vote_correct, correct_column=correct_column
    )
    return _trial_frame(acc, tok, thetas, provider=provider, method=method, level=level, n_questions=table["qid"].nunique())


def _trial_frame(
    acc: np.ndarray, tok: np.ndarray, thetas: Sequence[int], *, provider: str, method: str, level: float, n_questions: int
) -> pd.DataFrame:
    lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    a_mean, t_mean = acc.mean(axis=0), tok.mean(axis=0)
    s = acc.shape[0]
    stderr = acc.std(axis=0, ddof=1) / np.sqrt(s) if s > 1 else np.zeros(acc.shape[1])
    return pd.DataFrame(
        {
            "provider": provider,
            "method": method,
            "theta": np.asarray([int(t) for t in thetas]),
            "accuracy": a_mean,
            "accuracy_lo": np.minimum(np.quantile(acc, lo_q, axis=0), a_mean),
            "accuracy_hi": np.maximum(np.quantile(acc, hi_q, axis=0), a_mean),
            "tokens": t_mean,
            "tokens_lo": np.minimum(np.quantile(tok, lo_q, axis=0), t_mean),
            "tokens_hi": np.maximum(np.quantile(tok, hi_q, axis=0), t_mean),
            "mc_stderr": stderr,
            "n_questions": n_questions,
        },
        columns=list(CURVE_COLUMNS),
    )


def read_trace_table(
    generations: str | os.PathLike, grades: str | os.PathLike, rewards: str | os.PathLike | None = None
) -> pd.DataFrame:
    """``ttcgames.curves.exact.sample_table`` plus ``trace_correct`` (the grades' column when present, else ``correct``)."""
    table = sample_table(generations, grades, rewards)
    extra = pd.read_csv(grades, dtype={"qid": str}, keep_default_na=False)
    if "trace_correct" in extra.columns:
        flags = extra["trace_correct"].astype(str).str.strip().str.lower()
        bad = ~flags.isin(["true", "false"])
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise CurveInputError(f"{grades}, line {line}: column 'trace_correct' must be true/false")
        extra = extra.assign(trace_correct=flags.eq("true"))[["qid", "sample", "trace_correct"]]
        extra["sample"] = extra["sample"].astype(int)
        table = table.merge(extra, on=["qid", "sample"], how="left", validate="one_to_one")
    else:
        table = table.assign(trace_correct=table["correct"].astype(bool))
    return table


def build_method_curve(
    generations: str | os.PathLike,
    grades: str | os.PathLike,
    rewards: str | os.PathLike | None,
    out: str | os.PathLike,
    *,
    provider: str,
    method: str,
    thetas: Sequence[int],
    estimator: str = "exact",
    vote_correct: str = "any",
    n_subsamples: int = 50,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    reward_dtype: str = "float32",
    questions_out: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Workflow stage "curves" with a choice of estimator: write the curve CSV (contracts.md) and return it.

    Majority voting uses ``correct`` (labelled and marked correct) through ``vote_correct``;
    best-of-n uses ``trace_correct`` and rewards rounded to ``reward_dtype``. ``questions_out``
    also writes what each question contributes (``ttcgames.curves.exact.write_question_curves``): its
    exact expectation, or with ``subsample`` its mean over the trials, so that the curve is the
    mean of those rows and any resample of questions rebuilds it without the samples.
    """
    if reward_dtype not in REWARD_DTYPES:
        raise ValueError(f"reward_dtype must be one of {REWARD_DTYPES}, got {reward_dtype!r}")
    if vote_correct not in VOTE_RULES:
        raise ValueError(f"vote_correct must be one of {VOTE_RULES}, got {vote_correct!r}")
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if method not in ("majority", "bon"):
        raise ValueError(f"method must be 'majority' or 'bon' (reasoning curves: ttcgames.curves.reasoning), got {method!r}")
    if method == "bon" and rewards is None:
        raise ValueError("best-of-n curves need a rewards file")
    table = read_trace_table(generations, grades, rewards if method == "bon" else None)
    if method == "bon":
        table = table.assign(reward=table["reward"].to_numpy(dtype=np.float64).astype(reward_dtype).astype(np.float64))
    column = "correct" if method == "majority" else "trace_correct"
    if estimator == "subsample":
        qids, acc, tok = subsample_question_trials(
            table, method, thetas, n_subsamples=n_subsamples, seed=seed, vote_correct=vote_correct, correct_column=column
        )
        frame = _trial_frame(
            acc.mean(axis=1), tok.mean(axis=1), thetas, provider=provider, method=method, level=level, n_questions=len(qids)
        )
        per_question = QuestionCurves(qids=qids, thetas=np.asarray(thetas, dtype=np.int64), accuracy=acc.mean(axis=0), tokens=tok.mean(axis=0))
    else:
        if method == "bon":
            table = table.assign(correct=table["trace_correct"].astype(bool))
        per_question = question_curves(table, method, thetas, vote_rule=vote_correct)
        frame = summarise_curves(per_question, provider=provider, method=method, n_boot=n_boot, seed=seed, level=level)
    if questions_out is not None:
        write_question_curves(per_question, questions_out)
    atomic_write_text(out, frame.to_csv(index=False))
    return frame
