"""Assemble one market table per (dataset, method) from the providers' curves and prices.

Paper, Section 5 ("Experimental setup"): a game is defined by each provider's average accuracy and
average generated tokens per query at every compute level theta, plus the provider's price per
token; quality, price and cost then follow in the engine (``ttcgames.game.market``; docs/paper-notes.md,
"Market"). This module only gathers and checks those measurements: it does not compute q, p or c.

Steps (``build_market``):
1. ``read_curve``: read and validate one provider's curve CSV (contracts.md, "curves").
2. ``check_theta_grids``: every provider offers the same compute levels (unless allowed otherwise).
3. ``market_frame``: tidy rows ``provider,theta,accuracy,tokens,price_per_million`` plus
   ``dataset,method,accuracy_lo,accuracy_hi``, providers in the order prices are given.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.frames import read_frame

__all__ = [
    "MARKET_COLUMNS",
    "MarketBuildError",
    "read_curve",
    "check_theta_grids",
    "market_frame",
    "build_market",
]

MARKET_COLUMNS = (
    "provider",
    "theta",
    "accuracy",
    "tokens",
    "price_per_million",
    "dataset",
    "method",
    "accuracy_lo",
    "accuracy_hi",
)
_CURVE_REQUIRED = ("provider", "method", "theta", "accuracy", "accuracy_lo", "accuracy_hi", "tokens")


class MarketBuildError(ValueError):
    """Inconsistent curves or prices; the message names the provider, file, line or column."""


def read_curve(path: str | os.PathLike, *, provider: str | None = None, method: str | None = None) -> pd.DataFrame:
    """Read one curve CSV and check it: required columns, one provider (equal to ``provider`` when
    given), one method (equal to ``method`` when given), unique positive thetas, accuracies in
    [0, 1] and non-negative finite tokens. Rows come back sorted by theta."""
    path = Path(path)
    frame = read_frame(path, _CURVE_REQUIRED, error=MarketBuildError, what="curve file",
                       dtype={"provider": str, "method": str}, keep_default_na=False)
    for column in ("theta", "accuracy", "accuracy_lo", "accuracy_hi", "tokens"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            line = int(np.flatnonzero(bad)[0]) + 2
            raise MarketBuildError(f"{path}, line {line}: column {column!r} is not a finite number: {frame[column].iloc[line - 2]!r}")
        frame[column] = values.astype(float)
    providers = frame["provider"].unique()
    if len(providers) != 1:
        raise MarketBuildError(f"{path}: expected one provider, found {sorted(providers)}")
    if provider is not None and providers[0] != provider:
        raise MarketBuildError(f"{path}: curve is for provider {providers[0]!r}, expected {provider!r}")
    methods = frame["method"].unique()
    if len(methods) != 1 or (method is not None and methods[0] != method):
        raise MarketBuildError(f"{path}: curve method(s) {sorted(methods)} do not match {method!r}")
    bounds = (("accuracy", 0.0, 1.0), ("accuracy_lo", 0.0, 1.0), ("accuracy_hi", 0.0, 1.0), ("theta", 0.0, math.inf), ("tokens", 0.0, math.inf))
    for column, lo, hi in bounds:
        values = frame[column].to_numpy()
        bad = (values < lo) | (values > hi) | ((values <= 0) if column == "theta" else False)
        if bad.any():
            line = int(np.flatnonzero(bad)[0]) + 2
            raise MarketBuildError(f"{path}, line {line}: column {column!r} = {values[line - 2]!r} is out of range")
    dup = frame["theta"].duplicated()
    if dup.any():
        line = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise MarketBuildError(f"{path}, line {line}: duplicate theta {frame['theta'].iloc[line - 2]:g}")
    return frame.sort_values("theta", kind="stable").reset_index(drop=True)


def check_theta_grids(curves: Mapping[str, pd.DataFrame]) -> None:
    """Raise when providers do not share the same theta grid (the market's action space Theta,
    Section 2, footnote 5: all providers share the same action space)."""
    grids = {name: tuple(frame["theta"].tolist()) for name, frame in curves.items()}
    if not grids:
        raise MarketBuildError("no curves given")
    first, reference = next(iter(grids.items()))
    for name, grid in grids.items():
        if grid != reference:
            only_here = sorted(set(grid) - set(reference))
            only_there = sorted(set(reference) - set(grid))
            raise MarketBuildError(
                f"theta mismatch: provider {name!r} has thetas {list(grid)}, provider {first!r} has {list(reference)}"
                f" (only in {name!r}: {only_here}; missing from {name!r}: {only_there})"
            )


def market_frame(
    curves: Mapping[str, pd.DataFrame],
    prices: Mapping[str, float],
    *,
    dataset: str | None = None,
    method: str | None = None,
) -> pd.DataFrame:
    """Tidy market rows (``MARKET_COLUMNS``) for the providers in ``prices``, in that order."""
    rows = []
    for name, ppm in prices.items():
        frame = curves[name]
        rows.append(
            pd.DataFrame(
                {
                    "provider": name,
                    "theta": frame["theta"].to_numpy(),
                    "accuracy": frame["accuracy"].to_numpy(),
                    "tokens": frame["tokens"].to_numpy(),
                    "price_per_million": float(ppm),
                    "dataset": dataset if dataset is not None else "",
                    "method": method if method is not None else str(frame["method"].iloc[0]),
                    "accuracy_lo": frame["accuracy_lo"].to_numpy(),
                    "accuracy_hi": frame["accuracy_hi"].to_numpy(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    # Integral thetas (sample counts) are written as integers.
    if np.all(np.mod(out["theta"].to_numpy(), 1) == 0):
        out["theta"] = out["theta"].astype(np.int64)
    return out[list(MARKET_COLUMNS)]


def build_market(
    curve_paths: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike],
    prices: Mapping[str, float],
    out: str | os.PathLike,
    *,
    dataset: str | None = None,
    method: str | None = None,
    same_thetas: bool = True,
) -> pd.DataFrame:
    """Workflow stage "markets": write ``results/markets/{dataset}/{method}.csv`` (contracts.md).

    ``curve_paths`` maps provider id to its curve CSV, or lists the CSVs (each file's stem must be
    its provider id, as in ``results/curves/{dataset}/{method}/{provider}.csv``). ``prices`` maps
    every provider of the market to its USD price per million generated tokens (config
    ``price_per_million``) and fixes the row order. Errors: a priced provider without a curve, a
    curve without a price, a non-positive price, a method mismatch, or (with ``same_thetas``)
    providers with different theta grids.
    """
    if isinstance(curve_paths, Mapping):
        paths = {str(k): Path(v) for k, v in curve_paths.items()}
    else:
        paths = {}
        for p in curve_paths:
            p = Path(p)
            if p.stem in paths:
                raise MarketBuildError(f"two curve files for provider {p.stem!r}: {paths[p.stem]} and {p}")
            paths[p.stem] = p
    if not prices:
        raise MarketBuildError("no provider prices given")
    for name, ppm in prices.items():
        if not isinstance(ppm, (int, float)) or isinstance(ppm, bool) or not math.isfinite(ppm) or ppm <= 0:
            raise MarketBuildError(f"provider {name!r}: price_per_million must be a positive number, got {ppm!r}")
    missing = [name for name in prices if name not in paths]
    if missing:
        raise MarketBuildError(f"missing curve for provider(s) {missing} (curves given: {sorted(paths)})")
    unpriced = [name for name in paths if name not in prices]
    if unpriced:
        raise MarketBuildError(f"no price_per_million for provider(s) {unpriced}")
    curves = {name: read_curve(paths[name], provider=name, method=method) for name in prices}
    if same_thetas:
        check_theta_grids(curves)
    frame = market_frame(curves, prices, dataset=dataset, method=method)
    atomic_write_text(out, frame.to_csv(index=False))
    return frame
