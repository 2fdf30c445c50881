"""Figures of the sensitivity atlas (``ttcgames.game.atlas``, issue 21), from one game's atlas CSV.

- :func:`figure_atlas_poa`: the price of anarchy of the reached equilibrium (Eq. 9) as heat maps over
  margin (x) and alpha multiplier (y); one panel per beta (columns) and per price multiplier (rows).
  Cells where the market over-spends compared with the optimum (``overspend``: the equilibrium's
  generation cost per query exceeds the optimum's) are hatched; the paper's own point (margin 0.25,
  alpha x 1, prices x 1) is marked with a star.
- :func:`figure_atlas_spend`: the same grid coloured by equilibrium spend / optimal spend on a
  diverging scale centred at 1 (red: the market spends more on compute than the optimum, blue: less),
  with the over-spending region hatched as well.

Axes are categorical (one column per configured margin, one row per multiplier), so every cell has
the same size whatever the grid's spacing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import Normalize, TwoSlopeNorm  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from ttcgames.io.frames import read_frame  # noqa: E402
from ttcgames.report.figures import FigureInputError, save_figure  # noqa: E402

__all__ = ["ATLAS_REQUIRED", "PAPER_POINT", "read_atlas", "plot_atlas", "figure_atlas_poa", "figure_atlas_spend"]

ATLAS_REQUIRED = ("margin", "alpha_multiplier", "price_multiplier", "beta", "price_of_anarchy", "equilibrium_spend", "optimal_spend", "overspend")
PAPER_POINT = (0.25, 1.0, 1.0)
"""(margin, alpha multiplier, price multiplier) of the paper's own market (Section 5)."""


def read_atlas(path: str | os.PathLike) -> pd.DataFrame:
    """An atlas CSV with ``beta`` as text ("inf" stays a label) and ``overspend`` as booleans."""
    frame = read_frame(path, ATLAS_REQUIRED, error=FigureInputError, what="atlas CSV", dtype={"beta": str})
    bad = ~frame["overspend"].astype(str).str.lower().isin(["true", "false"])
    if bad.any():
        raise FigureInputError(f"{path}: column 'overspend' must be true/false, got {frame['overspend'][bad].iloc[0]!r}")
    frame["overspend"] = frame["overspend"].astype(str).str.lower() == "true"
    return frame


def _beta_title(label: str) -> str:
    if label == "inf":
        return "β = ∞"
    value = float(label)
    return f"β = {value:g}"


def _grid(sub: pd.DataFrame, column: str, margins: Sequence[float], alphas: Sequence[float]) -> np.ndarray:
    table = sub.pivot_table(index="alpha_multiplier", columns="margin", values=column, aggfunc="first", dropna=False)
    return table.reindex(index=alphas, columns=margins).to_numpy(dtype=float)


def _hatch(ax: plt.Axes, mask: np.ndarray) -> None:
    for y, x in zip(*np.nonzero(mask)):
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.15", linewidth=0))


def _axes_ticks(ax: plt.Axes, margins: Sequence[float], alphas: Sequence[float], left: bool, bottom: bool) -> None:
    ax.set_xticks(range(len(margins)), [f"{m:.0%}" for m in margins] if bottom else [], rotation=90)
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas] if left else [])
    ax.grid(False)


POA_CAP = 2.0
"""The price-of-anarchy colour scale ends here (darker cells beyond it share the top colour)."""


def _colouring(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, str, Normalize, str, str]:
    """The frame with the plotted column added, its name, colour norm, colour map and label."""
    if kind == "poa":
        poa = frame["price_of_anarchy"].astype(float)
        top = min(max(float(np.nanmax(poa)), 1.01), POA_CAP) if poa.notna().any() else POA_CAP
        return frame.assign(shown=poa), "shown", Normalize(1.0, top), "magma_r", "price of anarchy max W / W(θ†)"
    ratio = (frame["equilibrium_spend"] / frame["optimal_spend"]).replace([np.inf, 0], np.nan).astype(float)
    log_ratio = np.log2(ratio)
    span = max(float(np.nanmax(np.abs(log_ratio))), 0.1) if log_ratio.notna().any() else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span)
    return frame.assign(shown=log_ratio), "shown", norm, "RdBu_r", "log2(equilibrium spend / optimal spend)"


def _panel(ax: plt.Axes, sub: pd.DataFrame, axes: tuple[list, list], colour: tuple, point: tuple[float, float] | None):
    margins, alphas = axes
    column, norm, cmap = colour
    cmap = plt.get_cmap(cmap).with_extremes(bad="0.7")
    image = ax.imshow(_grid(sub, column, margins, alphas), origin="lower", cmap=cmap, norm=norm, aspect="auto")
    _hatch(ax, _grid(sub, "overspend", margins, alphas) > 0)
    if point is not None and point[0] in margins and point[1] in alphas:
        ax.plot(
            margins.index(point[0]),
            alphas.index(point[1]),
            marker="*",
            markersize=13,
            markerfacecolor="white",
            markeredgecolor="black",
            linestyle="none",
        )
    return image


def plot_atlas(frame: pd.DataFrame, kind: str, title: str = "", point: tuple[float, float, float] = PAPER_POINT) -> plt.Figure:
    """The heat-map grid of ``kind`` "poa" or "spend" (module docstring) for one game's atlas frame;
    grey cells have no price of anarchy (the equilibrium's welfare is not positive). ``point`` (margin,
    alpha multiplier, price multiplier) is starred in the panels of its price multiplier."""
    margins = sorted(frame["margin"].unique())
    alphas = sorted(frame["alpha_multiplier"].unique())
    prices = sorted(frame["price_multiplier"].unique())
    betas = list(dict.fromkeys(frame["beta"]))
    frame, column, norm, cmap, label = _colouring(frame, kind)
    fig, axes = plt.subplots(len(prices), len(betas), figsize=(2.1 * len(betas) + 1.4, 2.1 * len(prices) + 0.8), squeeze=False)
    image = None
    for r, price in enumerate(prices):
        for c, beta in enumerate(betas):
            ax = axes[r][c]
            sub = frame[(frame["price_multiplier"] == price) & (frame["beta"] == beta)]
            image = _panel(ax, sub, (margins, alphas), (column, norm, cmap), point=point[:2] if price == point[2] else None)
            ax.set_title(f"{_beta_title(beta)}, prices × {price:g}", fontsize=9)
            _axes_ticks(ax, margins, alphas, left=c == 0, bottom=r == len(prices) - 1)
    fig.supxlabel("margin (price over cost)", fontsize=9)
    fig.supylabel("alpha multiplier (worth of accuracy)", fontsize=9)
    note = "hatched: the market over-spends (equilibrium cost per query above the optimum's)"
    star = f"★ the market as configured (margin {point[0]:.0%}, alpha × {point[1]:g}, prices × {point[2]:g})"
    fig.suptitle(f"{title}\n{note}\n{star}".strip(), fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.8, label=label, extend="max" if kind == "poa" else "neither")
    return fig


def _figure(atlas, outputs, kind: str, title: str, point: tuple[float, float, float]) -> list[Path]:
    return save_figure(plot_atlas(read_atlas(atlas), kind, title, point), outputs)


def figure_atlas_poa(
    atlas: str | os.PathLike, outputs: Sequence[str | os.PathLike], *, title: str = "", point: tuple[float, float, float] = PAPER_POINT
) -> list[Path]:
    """Price-of-anarchy heat maps of one atlas CSV, written to every path in ``outputs`` (png, pdf);
    ``point`` (margin, alpha multiplier, price multiplier) is starred, by default the paper's."""
    return _figure(atlas, outputs, "poa", title, point)


def figure_atlas_spend(
    atlas: str | os.PathLike, outputs: Sequence[str | os.PathLike], *, title: str = "", point: tuple[float, float, float] = PAPER_POINT
) -> list[Path]:
    """Over-spending heat maps (equilibrium spend / optimal spend) of one atlas CSV (png, pdf)."""
    return _figure(atlas, outputs, "spend", title, point)
