"""Uncertainty from the evaluation carried through the whole game: a paired bootstrap over questions.

Every number of Table 2 rests on accuracy and token curves measured on a finite set of questions
(paper, Section 5 and Appendix C). One bootstrap replicate draws the dataset's questions with
replacement, *the same draw for every provider* (they answered the same questions), rebuilds every
provider's curve, the market (Section 2; Eq. 3-5), the equilibrium reached by the same
better-response dynamics with the same seed (Section 3), the social optimum and price of anarchy
(Eq. 9), the auction (Section 4, Eq. 10-13) and every Table 2 quantity. Percentile intervals over
the replicates then say which conclusions survive the evaluation's sampling noise.

A replicate never touches the samples: the curve stage writes what each question contributes
(``{provider}.questions.csv``), and a curve is a ratio of weighted sums over questions,

    accuracy_b(theta) = sum_q w_bq A_q(theta) / sum_q w_bq D_q(theta),
    tokens_b(theta)   = sum_q w_bq T_q(theta) / sum_q w_bq D_q(theta),

where ``w_bq`` counts how often replicate ``b`` drew question ``q``. For majority vote and
best-of-n, ``A_q`` and ``T_q`` are the question's expected accuracy and tokens and ``D_q = 1``
(``D_q = 0`` for a question the provider lacks, e.g. a skipped bad line); for reasoning bins ``A_q``
is the question's correct samples in the bin, ``T_q`` their total tokens and ``D_q`` their count.
With all ``w_bq = 1`` this is exactly the curve the workflow wrote (the point estimate).

Questions are the union of the providers' question ids, in order of first appearance (providers
in market order). The draws are ``ttcgames.curves.bootstrap.question_draws`` (seed ``uncertainty.seed``),
the same indices the curves' own bootstrap bands draw for the same seed and question count.

A replicate in which some curve point has no data (a reasoning bin that no drawn question fills)
cannot define a market; it is counted as failed and left out of the intervals.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ttcgames.curves.bootstrap import question_draws
from ttcgames.game import beta as beta_codec
from ttcgames.game.analysis import auction_result, game_result
from ttcgames.game.market import Market
from ttcgames.game.quantities import LABEL_UNCERTAINTY, NUMERIC_UNCERTAINTY, quantity
from ttcgames.io.frames import read_frame

__all__ = [
    "NUMERIC_QUANTITIES",
    "LABEL_QUANTITIES",
    "REPLICATE_COLUMNS",
    "UncertaintyInputError",
    "ProviderQuestions",
    "read_question_curves",
    "align_questions",
    "draw_weights",
    "replicate_curves",
    "game_quantities",
    "paired_bootstrap",
    "summarise_replicates",
    "sweep_band",
    "profile_label",
    "parse_profile_label",
    "read_summary",
    "build_uncertainty",
]

# Table 2's quantities (USD per query unless noted) and the labels of each replicate: the
# registry's (ttcgames.game.quantities) uncertainty keys, in its order.
NUMERIC_QUANTITIES = NUMERIC_UNCERTAINTY
LABEL_QUANTITIES = LABEL_UNCERTAINTY
REPLICATE_COLUMNS = ("replicate", "ok") + NUMERIC_QUANTITIES + LABEL_QUANTITIES


class UncertaintyInputError(ValueError):
    """A per-question curve file is missing, malformed or inconsistent; the message names it."""


@dataclass(frozen=True)
class ProviderQuestions:
    """One provider's per-question curve contributions: rows are questions, columns thetas."""

    provider: str
    qids: tuple[str, ...]
    thetas: np.ndarray
    acc_num: np.ndarray
    tok_num: np.ndarray
    den: np.ndarray


def read_question_curves(path: str | os.PathLike, provider: str, method: str) -> ProviderQuestions:
    """Read ``results/curves/{dataset}/{method}/{provider}.questions.csv`` (docs/contracts.md)."""
    path = Path(path)
    reasoning = method == "reasoning"
    needed = ("qid", "theta", "count", "correct", "tokens") if reasoning else ("qid", "theta", "accuracy", "tokens")
    frame = read_frame(path, needed, error=UncertaintyInputError, what="per-question curve file",
                       dtype={"qid": str}, keep_default_na=False)
    values = frame[list(needed[1:])].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        raise UncertaintyInputError(f"{path}, line {int(np.flatnonzero(bad)[0]) + 2}: non-numeric or non-finite value")
    qids = tuple(pd.unique(frame["qid"]))
    thetas = np.sort(pd.unique(values["theta"])).astype(np.int64)
    if len(frame) != len(qids) * len(thetas) or frame.duplicated(["qid", "theta"]).any():
        raise UncertaintyInputError(f"{path}: expected one row per (qid, theta) for {len(qids)} questions x {len(thetas)} thetas")
    order = {q: i for i, q in enumerate(qids)}
    rows = frame["qid"].map(order).to_numpy()
    cols = np.searchsorted(thetas, values["theta"].to_numpy())
    shape = (len(qids), len(thetas))

    def grid(column: str) -> np.ndarray:
        out = np.zeros(shape)
        out[rows, cols] = values[column].to_numpy(dtype=float)
        return out

    if reasoning:
        return ProviderQuestions(provider, qids, thetas, grid("correct"), grid("tokens"), grid("count"))
    return ProviderQuestions(provider, qids, thetas, grid("accuracy"), grid("tokens"), np.ones(shape))


def align_questions(tables: Sequence[ProviderQuestions]) -> tuple[tuple[str, ...], list[ProviderQuestions]]:
    """Put every provider on the union of question ids (first appearance, providers in order);
    a question a provider lacks gets zero numerators and denominators."""
    if not tables:
        raise UncertaintyInputError("no providers")
    union: dict[str, int] = {}
    for t in tables:
        for q in t.qids:
            union.setdefault(q, len(union))
    qids = tuple(union)
    out = []
    for t in tables:
        idx = np.array([union[q] for q in t.qids])
        parts = []
        for arr in (t.acc_num, t.tok_num, t.den):
            full = np.zeros((len(qids), arr.shape[1]))
            full[idx] = arr
            parts.append(full)
        out.append(ProviderQuestions(t.provider, qids, t.thetas, *parts))
    return qids, out


def draw_weights(n_questions: int, n_boot: int, seed: int) -> np.ndarray:
    """How often each replicate draws each question, shape (n_boot, n_questions)."""
    idx = question_draws(n_questions, n_boot, seed=seed)
    weights = np.zeros((idx.shape[0], n_questions))
    np.add.at(weights, (np.repeat(np.arange(idx.shape[0]), n_questions), idx.ravel()), 1.0)
    return weights


def replicate_curves(table: ProviderQuestions, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy and tokens of every replicate, shape (replicates, thetas); NaN where a point has no data."""
    den = weights @ table.den
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(den > 0, (weights @ table.acc_num) / np.where(den > 0, den, 1.0), np.nan)
        tok = np.where(den > 0, (weights @ table.tok_num) / np.where(den > 0, den, 1.0), np.nan)
    return acc, tok


def profile_label(profile: Mapping[str, Any]) -> str:
    """``{"a": 4, "b": 64}`` -> ``"a=4;b=64"`` (providers in market order)."""
    return ";".join(f"{k}={v}" for k, v in profile.items())


def parse_profile_label(label: str) -> dict[str, float]:
    """The inverse of :func:`profile_label`, thetas as floats: ``"a=4;b=64"`` -> ``{"a": 4.0, "b": 64.0}``
    (``""`` -> ``{}``, as a failed replicate's empty label)."""
    profile = {}
    for part in filter(None, str(label).split(";")):
        name, _, theta = part.partition("=")
        profile[name] = float(theta)
    return profile


def game_quantities(market: Market, beta: float, *, seed: int = 0) -> dict[str, Any]:
    """Table 2's quantities of one market at ``beta`` (``NUMERIC_QUANTITIES`` then ``LABEL_QUANTITIES``):
    the normal pipeline's game (``game_result``) and auction, read through the registry, so a
    replicate is exactly the pipeline run on its resampled curves."""
    game, auction = game_result(market, beta, seed=seed), auction_result(market)
    out = {name: quantity(name).read(game, auction) for name in NUMERIC_QUANTITIES + LABEL_QUANTITIES}
    out["equilibrium_profile"] = profile_label(out["equilibrium_profile"])
    return out


def _markets(
    tables: Sequence[ProviderQuestions], weights: np.ndarray, prices: Mapping[str, float], market: Mapping[str, float]
):
    """Yield (replicate index, market or None) for every row of ``weights``."""
    curves = [replicate_curves(t, weights) for t in tables]
    names = [t.provider for t in tables]
    thetas = [t.thetas for t in tables]
    for b in range(weights.shape[0]):
        acc = [c[0][b] for c in curves]
        tok = [c[1][b] for c in curves]
        if any(not np.isfinite(a).all() for a in acc) or any(not np.isfinite(t).all() for t in tok):
            yield b, None
            continue
        yield b, Market.from_measurements(names, thetas, acc, tok, [prices[n] for n in names], **market)


def paired_bootstrap(
    tables: Sequence[ProviderQuestions],
    prices: Mapping[str, float],
    *,
    market: Mapping[str, float],
    beta: float,
    n_boot: int = 1000,
    seed: int = 0,
    game_seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Replicate rows (``REPLICATE_COLUMNS``) and the point estimate (all questions once).

    ``market`` holds ``alpha`` and optionally ``baseline``, ``margin``, ``v0``; ``seed`` draws the
    questions, ``game_seed`` orders the dynamics (the workflow's ``seed``, as in the games stage).
    """
    qids, aligned = align_questions(tables)
    # The point estimate uses every question once: each provider's curve is the mean over its own questions.
    point_weights = np.ones((1, len(qids)))
    point = None
    for _, m in _markets(aligned, point_weights, prices, market):
        if m is None:
            raise UncertaintyInputError("the curves have a point without data; cannot build the market")
        point = game_quantities(m, beta, seed=game_seed)
    weights = draw_weights(len(qids), n_boot, seed)
    rows = []
    for b, m in _markets(aligned, weights, prices, market):
        row: dict[str, Any] = {"replicate": b, "ok": m is not None}
        if m is None:
            row.update({k: np.nan for k in NUMERIC_QUANTITIES})
            row.update({k: "" for k in LABEL_QUANTITIES})
        else:
            row.update(game_quantities(m, beta, seed=game_seed))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(REPLICATE_COLUMNS)), point


def summarise_replicates(
    replicates: pd.DataFrame, point: Mapping[str, Any], *, level: float = 0.95, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Point estimate, percentile interval, standard error and mean per quantity; the frequency of
    each equilibrium profile and auction winner/runner-up (failed replicates excluded)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    ok = replicates[replicates["ok"].astype(bool)]
    lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    quantities = {}
    for name in NUMERIC_QUANTITIES:
        x = pd.to_numeric(ok[name], errors="coerce").to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        quantities[name] = {
            "point": None if point.get(name) is None else float(point[name]),
            "lo": float(np.quantile(x, lo_q)) if x.size else None,
            "hi": float(np.quantile(x, hi_q)) if x.size else None,
            "se": float(x.std(ddof=1)) if x.size > 1 else None,
            "mean": float(x.mean()) if x.size else None,
        }
    frequencies = {}
    for name in LABEL_QUANTITIES:
        counts = ok[name].astype(str).value_counts()
        frequencies[name] = {
            "point": point.get(name),
            "point_share": float(counts.get(str(point.get(name)), 0) / len(ok)) if len(ok) else None,
            "shares": {str(k): float(v / len(ok)) for k, v in counts.items()},
        }
    return {
        **(dict(extra) if extra else {}),
        "level": level,
        "replicates": int(len(replicates)),
        "failed_replicates": int(len(replicates) - len(ok)),
        "quantities": quantities,
        "frequencies": frequencies,
    }


def read_summary(path: str | os.PathLike, *, error: type[Exception] = UncertaintyInputError) -> dict[str, Any]:
    """Read an uncertainty summary JSON (:func:`build_uncertainty`); an unreadable one raises
    ``error`` (the reading stage's error class) naming the file."""
    import json

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise error(f"{path}: unreadable uncertainty summary ({exc})") from None


def sweep_band(
    tables: Sequence[ProviderQuestions],
    prices: Mapping[str, float],
    *,
    market: Mapping[str, float],
    betas: Sequence[float],
    n_boot: int,
    seed: int = 0,
    game_seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """The beta sweep of the price of anarchy with a band: per beta, the point PoA and the
    percentile interval over the first ``n_boot`` replicates (the same draws as ``paired_bootstrap``)."""
    betas = [beta_codec.parse(b, "sweep beta") for b in betas]
    qids, aligned = align_questions(tables)
    weights = np.vstack([np.ones((1, len(qids))), draw_weights(len(qids), n_boot, seed)])
    poa = np.full((weights.shape[0], len(betas)), np.nan)
    for b, m in _markets(aligned, weights, prices, market):
        if m is None:
            continue
        for k, beta in enumerate(betas):
            value = game_result(m, beta, seed=game_seed).price_of_anarchy
            poa[b, k] = np.nan if value is None else value
    reps = poa[1:]
    lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    with np.errstate(all="ignore"):
        return pd.DataFrame(
            {
                "beta": np.asarray(betas, dtype=float),
                "price_of_anarchy": poa[0],
                "price_of_anarchy_lo": np.nanquantile(reps, lo_q, axis=0) if reps.size else np.nan,
                "price_of_anarchy_hi": np.nanquantile(reps, hi_q, axis=0) if reps.size else np.nan,
                "price_of_anarchy_median": np.nanmedian(reps, axis=0) if reps.size else np.nan,
                "replicates": int(reps.shape[0]),
            }
        )


def build_uncertainty(
    question_paths: Mapping[str, str | os.PathLike],
    prices: Mapping[str, float],
    *,
    method: str,
    market: Mapping[str, float],
    beta: float,
    replicates_out: str | os.PathLike,
    summary_out: str | os.PathLike,
    sweep_out: str | os.PathLike | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    game_seed: int = 0,
    sweep_betas: Sequence[float] = (),
    sweep_n_boot: int = 0,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Workflow stage "uncertainty" of one (dataset, method): read the providers' per-question curves
    (``question_paths``: provider -> file, in market order), run the paired bootstrap at ``beta``
    and write ``{method}.replicates.csv``, ``{method}.summary.json`` and, with ``sweep_out``, the
    sweep band over ``sweep_betas`` from the first ``sweep_n_boot`` replicates. Returns the summary."""
    from ttcgames.io.atomic import atomic_write_text
    from ttcgames.io.json_file import write_json

    if int(n_boot) < 1:
        raise ValueError(f"uncertainty.n_boot must be at least 1, got {n_boot}")
    beta = beta_codec.parse(beta, "uncertainty beta")
    missing = [p for p in question_paths if p not in prices]
    if missing:
        raise UncertaintyInputError(f"no price_per_million for provider(s) {missing}")
    tables = [read_question_curves(path, provider, method) for provider, path in question_paths.items()]
    reps, point = paired_bootstrap(tables, prices, market=market, beta=beta, n_boot=n_boot, seed=seed, game_seed=game_seed)
    extra = {
        **(dict(context) if context else {}),
        "method": method,
        "beta": beta_codec.to_json(beta),  # "inf" at beta = inf: JSON has no infinity
        "n_boot": int(n_boot),
        "seed": int(seed),
        "questions": len(align_questions(tables)[0]),
        "providers": list(question_paths),
        "thetas": [float(t) for t in tables[0].thetas],
    }
    summary = summarise_replicates(reps, point, level=level, extra=extra)
    atomic_write_text(replicates_out, reps.to_csv(index=False))
    if sweep_out is not None:
        band = sweep_band(
            tables, prices, market=market, betas=list(sweep_betas), n_boot=int(sweep_n_boot), seed=seed,
            game_seed=game_seed, level=level,
        )
        atomic_write_text(sweep_out, band.to_csv(index=False))
    write_json(summary_out, summary)
    return summary
