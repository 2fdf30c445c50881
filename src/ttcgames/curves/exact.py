"""Accuracy and token curves of a provider as a function of test-time compute theta.

Paper, Section 5 and Appendix C ("Test-time compute methods"): with majority voting or best-of-n,
compute level theta is the number of samples drawn per query; the final answer is the most
frequent answer (majority) or the highest-reward sample (best-of-n); price and cost use the total
generated tokens of all theta samples, averaged over queries.

From ``n`` stored samples per question we report the *expected* accuracy over a uniformly random
theta-subset (drawn without replacement) of the question's samples, averaged over questions. The
reference implementation estimates the same expectation from 50 random subsets; here it is exact:

- best-of-n (``best_of_n_accuracy``): the subset's chosen sample is its highest-reward sample.
  **Tie rule:** among samples tied at the subset's highest reward, one is chosen uniformly at random
  (so the expected correctness of a tied reward level is the mean correctness of its samples).
  With reward levels sorted in decreasing order, ``a_L`` samples strictly above level ``L`` and
  ``e_L`` samples at it, the chance that the subset's top level is ``L`` is
  ``[C(n - a_L, theta) - C(n - a_L - e_L, theta)] / C(n, theta)`` (no sample above ``L`` and at
  least one at ``L``).
- majority vote (``majority_accuracy``): the answer is the most frequent *valid* parsed answer in
  the subset; invalid samples never win; a subset with no valid sample is wrong.
  **Tie rule:** among answers tied at the largest count, one is chosen uniformly at random (the
  curve is the expectation over that random tie-break; lm-eval's "first seen" rule would make the
  result depend on sample order; the reference breaks ties by the subset's random order, which is
  the same uniform rule).
  **Voted answer's correctness** (``rule``): the samples carrying one label may disagree on
  ``correct`` (imported traces: the label comes from the verifier's string, the verdict from its
  ``correct`` list). ``any`` (the default, the reference's rule): the vote is correct iff some
  sample *of the drawn subset* with the winning label is correct; ``first``: the drawn sample of
  lowest index decides; ``fraction``: a uniformly drawn one of them decides (the expected share of
  correct ones). All three agree when a label's samples agree.
  Exact computation: for a label ``c`` with ``m_c`` samples,
  ``P(c wins and counts as correct) = sum_x W_c(x) * sum_t N_x(theta - x, t) / (1 + t) / C(n, theta)``,
  where ``W_c(x)`` counts the x-subsets of ``c``'s samples under which the vote is correct
  (``_voted_ways``; ``C(m_c, x) - C(m_c - k_c, x)`` for ``any``) and ``N_x(s, t)`` counts the ways
  of choosing ``s`` of the other samples so that every other label appears at most ``x`` times and
  exactly ``t`` of them exactly ``x`` times. ``N_x`` is the coefficient table of a product of
  per-label polynomials in (size, ties), built by a dynamic programme whose total work per
  question is at most ``n`` polynomial products.
- tokens (``expected_tokens``): a random theta-subset's total tokens has expectation
  ``theta x mean tokens of the question``.

Curves report the question mean and a 95% percentile bootstrap interval over questions
(``ttcgames.curves.bootstrap``). Because the accuracies are exact expectations, ``mc_stderr`` is 0.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ttcgames.curves.bootstrap import bootstrap_replicates, percentile_interval
from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.frames import read_frame
from ttcgames.io.jsonl import iter_jsonl

__all__ = [
    "METHODS",
    "CURVE_COLUMNS",
    "CurveInputError",
    "QuestionCurves",
    "read_generations",
    "read_grades",
    "read_rewards",
    "sample_table",
    "best_of_n_accuracy",
    "majority_accuracy",
    "VOTE_RULES",
    "expected_tokens",
    "question_curves",
    "summarise_curves",
    "QUESTION_CURVE_COLUMNS",
    "write_question_curves",
]

METHODS = ("majority", "bon")
# What each question contributes to a curve (results/curves/{dataset}/{method}/{provider}.questions.csv).
QUESTION_CURVE_COLUMNS = ("qid", "theta", "accuracy", "tokens")
CURVE_COLUMNS = (
    "provider",
    "method",
    "theta",
    "accuracy",
    "accuracy_lo",
    "accuracy_hi",
    "tokens",
    "tokens_lo",
    "tokens_hi",
    "mc_stderr",
    "n_questions",
)

# Float64 holds binomial coefficients up to ~1e308; C(1030, 515) is about the limit.
_MAX_SAMPLES = 1000


class CurveInputError(ValueError):
    """Invalid generation, grade or reward input; the message names the file, line and column."""


# --------------------------------------------------------------------------------------------
# I/O
# --------------------------------------------------------------------------------------------


def _int_value(raw: object, *, where: str, column: str) -> int:
    if isinstance(raw, bool):
        raise CurveInputError(f"{where}: column {column!r} must be an integer, got {raw!r}")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CurveInputError(f"{where}: column {column!r} must be an integer, got {raw!r}") from None
    if not math.isfinite(value) or not value.is_integer():
        raise CurveInputError(f"{where}: column {column!r} must be an integer, got {raw!r}")
    return int(value)


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _bool_value(raw: object, *, where: str, column: str) -> bool:
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CurveInputError(f"{where}: column {column!r} must be true/false, got {raw!r}")


def read_generations(path: str | os.PathLike) -> pd.DataFrame:
    """Generation records (contracts.md, "generation"): one JSON object per line with at least
    ``qid``, ``sample`` and ``num_tokens``. Returns columns ``qid, sample, num_tokens`` plus
    ``reasoning_tokens`` (NaN when null or absent; else an integer in [0, num_tokens], the
    tokens before the end of the reasoning)."""
    path = Path(path)
    rows = []
    for lineno, obj in iter_jsonl(path, ("qid", "sample", "num_tokens"), error=CurveInputError):
        where = f"{path}, line {lineno}"
        tokens = _int_value(obj["num_tokens"], where=where, column="num_tokens")
        if tokens < 0:
            raise CurveInputError(f"{where}: column 'num_tokens' is negative ({tokens})")
        rt = obj.get("reasoning_tokens")
        if rt is not None:
            rt = _int_value(rt, where=where, column="reasoning_tokens")
            if not 0 <= rt <= tokens:
                raise CurveInputError(
                    f"{where}: column 'reasoning_tokens' is {rt}; it counts part of the sample's "
                    f"{tokens} tokens (num_tokens), so it must lie in [0, {tokens}]"
                )
        rows.append(
            (
                str(obj["qid"]),
                _int_value(obj["sample"], where=where, column="sample"),
                tokens,
                np.nan if rt is None else float(rt),
                lineno,
            )
        )
    if not rows:
        raise CurveInputError(f"{path}: no generation records")
    frame = pd.DataFrame(rows, columns=["qid", "sample", "num_tokens", "reasoning_tokens", "line"])
    _check_unique(frame, path)
    return frame.drop(columns="line")


def _read_csv_rows(path: Path, required: Sequence[str]) -> pd.DataFrame:
    frame = read_frame(path, required, error=CurveInputError, dtype=str, keep_default_na=False)
    frame["line"] = np.arange(len(frame)) + 2  # header is line 1
    return frame


def _check_unique(frame: pd.DataFrame, path: Path) -> None:
    dup = frame.duplicated(["qid", "sample"], keep="first")
    if dup.any():
        row = frame[dup].iloc[0]
        raise CurveInputError(
            f"{path}, line {int(row['line'])}: duplicate (qid, sample) = ({row['qid']!r}, {int(row['sample'])})"
        )


def read_grades(path: str | os.PathLike) -> pd.DataFrame:
    """Grades CSV ``qid,sample,answer,valid,correct`` (contracts.md, "grading")."""
    path = Path(path)
    raw = _read_csv_rows(path, ("qid", "sample", "answer", "valid", "correct"))
    samples, valid, correct = [], [], []
    for s, a, v, c, line in zip(raw["sample"], raw["answer"], raw["valid"], raw["correct"], raw["line"]):
        where = f"{path}, line {line}"
        samples.append(_int_value(s, where=where, column="sample"))
        is_valid = _bool_value(v, where=where, column="valid")
        is_correct = _bool_value(c, where=where, column="correct")
        if is_correct and not is_valid:
            raise CurveInputError(f"{where}: sample is marked correct but not valid")
        if is_valid and a == "":
            raise CurveInputError(f"{where}: column 'answer' is empty although 'valid' is true")
        valid.append(is_valid)
        correct.append(is_correct)
    frame = pd.DataFrame(
        {
            "qid": raw["qid"].astype(str),
            "sample": samples,
            "answer": raw["answer"].where(valid, ""),
            "valid": valid,
            "correct": correct,
            "line": raw["line"],
        }
    )
    _check_unique(frame, path)
    return frame.drop(columns="line")


def read_rewards(path: str | os.PathLike) -> pd.DataFrame:
    """Rewards CSV ``qid,sample,reward`` (contracts.md, "rewards"); rewards must be finite."""
    path = Path(path)
    raw = _read_csv_rows(path, ("qid", "sample", "reward"))
    samples, rewards = [], []
    for s, r, line in zip(raw["sample"], raw["reward"], raw["line"]):
        where = f"{path}, line {line}"
        samples.append(_int_value(s, where=where, column="sample"))
        try:
            value = float(r)
        except ValueError:
            raise CurveInputError(f"{where}: column 'reward' is not a number: {r!r}") from None
        if not math.isfinite(value):
            raise CurveInputError(f"{where}: column 'reward' must be finite, got {r!r}")
        rewards.append(value)
    frame = pd.DataFrame({"qid": raw["qid"].astype(str), "sample": samples, "reward": rewards, "line": raw["line"]})
    _check_unique(frame, path)
    return frame.drop(columns="line")


def _check_same_keys(left: pd.DataFrame, right: pd.DataFrame, left_name: str, right_name: str) -> None:
    lk = pd.MultiIndex.from_frame(left[["qid", "sample"]])
    rk = pd.MultiIndex.from_frame(right[["qid", "sample"]])
    only_left = lk.difference(rk)
    only_right = rk.difference(lk)
    if len(only_left) or len(only_right):
        parts = []
        if len(only_left):
            q, s = only_left[0]
            parts.append(f"{len(only_left)} (qid, sample) pair(s) only in {left_name}, e.g. ({q!r}, {s})")
        if len(only_right):
            q, s = only_right[0]
            parts.append(f"{len(only_right)} only in {right_name}, e.g. ({q!r}, {s})")
        raise CurveInputError("; ".join(parts))


def sample_table(
    generations: str | os.PathLike | pd.DataFrame,
    grades: str | os.PathLike | pd.DataFrame,
    rewards: str | os.PathLike | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Join generations, grades and (optionally) rewards on ``(qid, sample)``.

    All inputs must cover exactly the same ``(qid, sample)`` pairs. Rows come out grouped by
    question in order of first appearance in the generations, then by sample.
    """
    names = {}
    frames = []
    for label, obj, reader in (
        ("generations", generations, read_generations),
        ("grades", grades, read_grades),
        ("rewards", rewards, read_rewards),
    ):
        if obj is None:
            frames.append(None)
            continue
        if isinstance(obj, pd.DataFrame):
            names[label] = label
            frames.append(obj)
        else:
            names[label] = str(obj)
            frames.append(reader(obj))
    gen, grd, rew = frames
    _check_same_keys(gen, grd, names["generations"], names["grades"])
    table = gen.merge(grd[["qid", "sample", "answer", "valid", "correct"]], on=["qid", "sample"], how="inner")
    if rew is not None:
        _check_same_keys(gen, rew, names["generations"], names["rewards"])
        table = table.merge(rew[["qid", "sample", "reward"]], on=["qid", "sample"], how="inner")
    order = {q: i for i, q in enumerate(pd.unique(gen["qid"]))}
    table = table.assign(_q=table["qid"].map(order)).sort_values(["_q", "sample"], kind="stable")
    return table.drop(columns="_q").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Exact expectations for one question
# --------------------------------------------------------------------------------------------


def _check_thetas(thetas: Sequence[int], n: int) -> np.ndarray:
    th = np.asarray(thetas)
    if th.ndim != 1 or th.size == 0:
        raise ValueError("thetas must be a non-empty 1-D sequence of sample counts")
    if not np.all(np.equal(np.mod(th, 1), 0)):
        raise ValueError(f"thetas must be integers, got {list(thetas)}")
    th = th.astype(np.int64)
    if (th < 1).any():
        raise ValueError(f"thetas must be at least 1, got {th.tolist()}")
    if (th > n).any():
        raise ValueError(f"theta {int(th.max())} exceeds the {n} samples available for the question")
    if n > _MAX_SAMPLES:
        raise ValueError(f"{n} samples per question is beyond the supported {_MAX_SAMPLES}")
    return th


@lru_cache(maxsize=256)
def _comb_row(m_max: int, k: int) -> np.ndarray:
    """C(m, k) for m = 0..m_max as floats."""
    return np.array([float(math.comb(m, k)) for m in range(m_max + 1)])


@lru_cache(maxsize=256)
def _binomial_row(m: int, length: int) -> np.ndarray:
    """C(m, s) for s = 0..length-1 as floats (zero beyond m)."""
    return np.array([float(math.comb(m, s)) for s in range(length)])


def best_of_n_accuracy(rewards: np.ndarray, correct: np.ndarray, thetas: Sequence[int]) -> np.ndarray:
    """Expected best-of-theta accuracy of one question (Section 5, best-of-n; tie rule in the
    module docstring: uniform among samples tied at the subset's top reward).

    Steps: group samples by reward level in decreasing order; for each level ``L`` the chance that
    a uniform theta-subset's top level is ``L`` is ``[C(n-a_L, theta) - C(n-a_L-e_L, theta)] /
    C(n, theta)``; accuracy = sum over levels of that chance times the level's mean correctness.
    """
    r = np.asarray(rewards, dtype=float)
    y = np.asarray(correct, dtype=float)
    if r.shape != y.shape or r.ndim != 1 or r.size == 0:
        raise ValueError("rewards and correct must be 1-D arrays of the same non-zero length")
    if not np.isfinite(r).all():
        raise ValueError("rewards must be finite")
    n = r.size
    th = _check_thetas(thetas, n)
    levels, inverse, counts = np.unique(-r, return_inverse=True, return_counts=True)  # decreasing reward
    correct_per_level = np.bincount(inverse, weights=y, minlength=levels.size) / counts
    above = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.empty(th.size)
    for k, theta in enumerate(th):
        row = _comb_row(n, int(theta))
        p_top = (row[n - above] - row[n - above - counts]) / row[n]
        out[k] = float(np.dot(p_top, correct_per_level))
    return out


def _tie_weighted_counts(others: np.ndarray, free: int, x: int, length: int) -> np.ndarray:
    """sum_t N_x(s, t) / (1 + t) for s = 0..length-1 (see the module docstring).

    ``others`` are the sample counts of the competing valid answers that can reach ``x``
    (count >= x); ``free`` is the number of remaining samples (invalid ones and answers that
    cannot reach ``x``), which are unrestricted.
    """
    n_big = int(others.size)
    table = np.zeros((n_big + 1, length))
    table[0] = _binomial_row(free, length)
    idx = np.arange(length)
    diff = idx[None, :] - idx[:, None]  # s_new - s_old
    band = (diff >= 0) & (diff < x)
    for j, m in enumerate(others):
        coef = _binomial_row(int(m), length)
        # Counts y < x of answer j keep the tie count; y = x adds a tie.
        step = np.where(band, coef[np.clip(diff, 0, length - 1)], 0.0)
        new = np.vstack([table[: j + 1] @ step, np.zeros((1, length))])
        if x < length:
            new[1:, x:] += float(math.comb(int(m), x)) * table[: j + 1, : length - x]
        table[: j + 2] = new
    weights = 1.0 / (1.0 + np.arange(n_big + 1))
    return weights @ table


VOTE_RULES = ("any", "first", "fraction")


def _voted_ways(y_label: np.ndarray, rule: str, length: int) -> np.ndarray:
    """For x = 0..length: the number of x-subsets of one label's samples, each weighted by whether
    the voted answer counts as correct under ``rule`` (module docstring, "voted answer's correctness").

    ``y_label`` holds the label's samples' correctness in sample-index order. With ``m`` samples,
    ``k`` of them correct:

    - ``any``: subsets holding at least one correct sample, ``C(m, x) - C(m - k, x)``;
    - ``first`` (the drawn sample of lowest index decides): ``sum_j y_j C(m - j, x - 1)`` with
      ``j = 1..m`` the samples in index order (sample ``j`` is the lowest drawn one in
      ``C(m - j, x - 1)`` subsets);
    - ``fraction`` (the share of correct drawn samples, i.e. a uniformly drawn one of them, which is
      also "the first in the subset's random order"): ``C(m, x) * k / m``.
    """
    y = np.asarray(y_label, dtype=float)
    m = y.size
    k = float(y.sum())
    out = np.zeros(length + 1)
    for x in range(1, min(m, length) + 1):
        if rule == "any":
            out[x] = math.comb(m, x) - math.comb(m - int(round(k)), x)
        elif rule == "first":
            out[x] = sum(y[j - 1] * math.comb(m - j, x - 1) for j in range(1, m + 1) if y[j - 1])
        else:
            out[x] = math.comb(m, x) * k / m
    return out


def majority_accuracy(
    answers: Sequence[str],
    valid: np.ndarray,
    correct: np.ndarray,
    thetas: Sequence[int],
    rule: str = "any",
) -> np.ndarray:
    """Expected majority-vote accuracy of one question over uniform theta-subsets (Section 5,
    majority voting; invalid answers never win, no valid answer = wrong, ties broken uniformly).

    ``rule`` decides whether the voted answer is correct when its samples disagree on ``correct``
    (``any``: some drawn sample with the label is correct, the reference's rule; ``first``: the
    drawn one of lowest sample index; ``fraction``: a uniformly drawn one). Samples must be given in
    sample-index order for ``first``.

    Steps: count each valid label; for every label with a correct sample, sum over its subset count
    ``x`` the rule-weighted ways to draw ``x`` of its samples (``_voted_ways``) times the number of
    ways the other samples keep every other label at most ``x`` (``_tie_weighted_counts``, weighting
    a t-way tie by ``1/(1+t)``); divide by ``C(n, theta)``.
    """
    if rule not in VOTE_RULES:
        raise ValueError(f"vote rule must be one of {VOTE_RULES}, got {rule!r}")
    valid = np.asarray(valid, dtype=bool)
    y = np.asarray(correct, dtype=float)
    answers = np.asarray(answers, dtype=object)
    if not (answers.shape == valid.shape == y.shape) or valid.ndim != 1 or valid.size == 0:
        raise ValueError("answers, valid and correct must be 1-D arrays of the same non-zero length")
    n = valid.size
    th = _check_thetas(thetas, n)
    out = np.zeros(th.size)
    if not valid.any():
        return out
    labels, inverse, counts = np.unique(answers[valid].astype(str), return_inverse=True, return_counts=True)
    y_valid = y[valid]
    n_invalid = int(n - valid.sum())
    length = int(th.max())  # s = theta - x ranges over 0..theta_max - 1
    total = np.array([float(math.comb(n, int(t))) for t in th])
    for c in range(labels.size):
        y_c = y_valid[inverse == c]
        if not y_c.any():
            continue
        m_c = int(counts[c])
        ways = _voted_ways(y_c, rule, length)
        rest = np.delete(counts, c)
        win = np.zeros(th.size)
        for x in range(1, min(m_c, length) + 1):
            big = rest[rest >= x]
            free = n_invalid + int(rest[rest < x].sum())
            tw = _tie_weighted_counts(big, free, x, length)
            for k, theta in enumerate(th):
                s = int(theta) - x
                if s >= 0:
                    win[k] += ways[x] * tw[s]
        out += win / total
    return np.clip(out, 0.0, 1.0)


def expected_tokens(num_tokens: np.ndarray, thetas: Sequence[int]) -> np.ndarray:
    """Expected total generated tokens of a uniform theta-subset: theta x mean tokens (Appendix C:
    price and cost use the tokens of all theta outputs)."""
    tok = np.asarray(num_tokens, dtype=float)
    if tok.ndim != 1 or tok.size == 0:
        raise ValueError("num_tokens must be a non-empty 1-D array")
    th = _check_thetas(thetas, tok.size)
    return th.astype(float) * tok.mean()


# --------------------------------------------------------------------------------------------
# Per-question matrices and curves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionCurves:
    """Per-question expected accuracy and tokens at each theta (rows: questions, columns: thetas).

    Reused by any curve that is a mean over questions (e.g. reasoning-effort bins) so that they all
    share the same bootstrap (``summarise_curves``)."""

    qids: tuple[str, ...]
    thetas: np.ndarray
    accuracy: np.ndarray
    tokens: np.ndarray


def question_curves(table: pd.DataFrame, method: str, thetas: Sequence[int], vote_rule: str = "any") -> QuestionCurves:
    """Per-question expected accuracy (``method`` = ``majority`` or ``bon``) and tokens.

    ``vote_rule`` is ``majority_accuracy``'s rule for a voted answer's correctness.

    ``table`` is a ``sample_table``; ``bon`` needs its ``reward`` column. Every question must have
    at least ``max(thetas)`` samples (the error names the first one that does not).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    needed = ["qid", "num_tokens", "answer", "valid", "correct"] + (["reward"] if method == "bon" else [])
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise CurveInputError(f"sample table is missing column(s) {missing} needed for method {method!r}")
    th = np.asarray(thetas)
    qids, acc_rows, tok_rows = [], [], []
    for qid, group in table.groupby("qid", sort=False):
        n = len(group)
        if np.max(th) > n:
            raise CurveInputError(
                f"question {qid!r} has {n} samples, fewer than the largest theta {int(np.max(th))}"
            )
        if method == "bon":
            acc = best_of_n_accuracy(group["reward"].to_numpy(), group["correct"].to_numpy(), th)
        else:
            acc = majority_accuracy(
                group["answer"].to_numpy(), group["valid"].to_numpy(), group["correct"].to_numpy(), th, vote_rule
            )
        qids.append(str(qid))
        acc_rows.append(acc)
        tok_rows.append(expected_tokens(group["num_tokens"].to_numpy(), th))
    if not qids:
        raise CurveInputError("sample table has no questions")
    return QuestionCurves(
        qids=tuple(qids),
        thetas=th.astype(np.int64),
        accuracy=np.vstack(acc_rows),
        tokens=np.vstack(tok_rows),
    )


def summarise_curves(
    curves: QuestionCurves,
    *,
    provider: str,
    method: str,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    mc_stderr: np.ndarray | None = None,
) -> pd.DataFrame:
    """Question means and percentile bootstrap intervals (questions resampled with replacement;
    accuracy and tokens share the replicates). Columns follow ``CURVE_COLUMNS`` (contracts.md)."""
    k = curves.thetas.size
    stacked = np.hstack([curves.accuracy, curves.tokens])
    reps = bootstrap_replicates(stacked, n_boot, seed=seed)
    lo, hi = percentile_interval(reps, level)
    acc = curves.accuracy.mean(axis=0)
    tok = curves.tokens.mean(axis=0)
    return pd.DataFrame(
        {
            "provider": provider,
            "method": method,
            "theta": curves.thetas,
            "accuracy": acc,
            # Percentile bounds can miss the mean by float rounding; keep lo <= mean <= hi.
            "accuracy_lo": np.minimum(lo[:k], acc),
            "accuracy_hi": np.maximum(hi[:k], acc),
            "tokens": tok,
            "tokens_lo": np.minimum(lo[k:], tok),
            "tokens_hi": np.maximum(hi[k:], tok),
            "mc_stderr": np.zeros(k) if mc_stderr is None else np.asarray(mc_stderr, dtype=float),
            "n_questions": len(curves.qids),
        },
        columns=list(CURVE_COLUMNS),
    )


def write_question_curves(curves: QuestionCurves, out: str | os.PathLike) -> None:
    """Write ``QUESTION_CURVE_COLUMNS``, one row per (question, theta), questions in curve order.

    The curve's accuracy and tokens at theta are the means of these rows over questions; a
    bootstrap over questions (``ttcgames.uncertainty.paired``) reweights them without reading samples.
    """
    q, k = curves.accuracy.shape
    frame = pd.DataFrame(
        {
            "qid": np.repeat(np.asarray(curves.qids, dtype=object), k),
            "theta": np.tile(curves.thetas, q),
            "accuracy": curves.accuracy.ravel(),
            "tokens": curves.tokens.ravel(),
        },
        columns=list(QUESTION_CURVE_COLUMNS),
    )
    atomic_write_text(out, frame.to_csv(index=False))
