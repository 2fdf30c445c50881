"""Figures of the paper's experiments (Section 5), drawn from the workflow's tidy artifacts.

- ``figure_values``: Figure 1, user value V_i(theta) = q_i(theta) - p_i(theta) (Eq. 3) per provider.
- ``figure_dynamics``: Figure 2, better-response dynamics (Section 3): compute levels theta^t per
  provider with the inefficiency max_theta W(theta) / W(theta^t) on a twin axis (upper panel) and
  market shares (Table 1, bounded rationality) as a stacked area (lower panel).
- ``figure_curves``: accuracy and generated tokens vs theta with bootstrap bands (Appendix D.1).
- ``figure_inefficiency``: max W / W (Eq. 9) vs beta at the reached, the worst and the best pure
  equilibrium (price of anarchy and price of stability).
- ``figure_uncertainty``: one game's paired bootstrap over questions (``ttcgames.uncertainty.paired``):
  the price of anarchy's distribution, how often each provider ends at each theta, and the beta
  sweep with a band.
- ``figure_overview``: every game of a run in one grid (rows datasets, columns methods): max W / W
  vs beta at the reached, the worst and the best equilibrium.

seaborn draws from tidy frames (``lineplot``, ``scatterplot``, ``histplot``, ``heatmap``, ``relplot``
facets) under one theme (``_theme``: seaborn's whitegrid style and paper context); matplotlib is
used only where seaborn has no equivalent: bands between precomputed bounds (``fill_between``), the
stacked step area of market shares, twin axes and tick placement.

Every top-level function takes plain paths and writes each output path in the format its suffix
names (PNG at 150 dpi, PDF), atomically. Provider colours come from ``provider_colors``: a
provider's colour depends only on its position in the (sorted, or given) list of all providers,
so the same provider has the same colour in every figure.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator  # noqa: E402

from ttcgames.game import beta as beta_codec  # noqa: E402
from ttcgames.game.quantities import money_unit  # noqa: E402
from ttcgames.io.frames import read_frame  # noqa: E402
from ttcgames.report.tables import METHOD_LABELS  # noqa: E402
from ttcgames.uncertainty.paired import parse_profile_label, read_summary  # noqa: E402

__all__ = [
    "FigureInputError",
    "METHOD_LABELS",
    "provider_colors",
    "save_figure",
    "plot_values",
    "plot_dynamics",
    "plot_curves",
    "plot_inefficiency",
    "figure_values",
    "figure_dynamics",
    "figure_curves",
    "figure_inefficiency",
    "plot_uncertainty",
    "figure_uncertainty",
    "sweep_frame",
    "overview_frame",
    "plot_overview",
    "figure_overview",
]

DPI = 150
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p")
# seaborn's whitegrid style without the top and right spines, its paper context at these sizes.
_AXES_STYLE = {"axes.spines.top": False, "axes.spines.right": False, "grid.color": ".9"}
_CONTEXT = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}
_RC = {"legend.frameon": False, "pdf.fonttype": 42}
TRAJECTORY_REQUIRED = ("beta", "t", "provider", "theta", "level", "share", "inefficiency")
SWEEP_REQUIRED = ("beta", "price_of_anarchy")
CURVE_REQUIRED = ("provider", "theta", "accuracy", "accuracy_lo", "accuracy_hi", "tokens", "tokens_lo", "tokens_hi")


class FigureInputError(ValueError):
    """Invalid figure input; the message names the file and column."""


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


@contextmanager
def _theme():
    """The figures' look: seaborn's whitegrid style and paper context (fonts for a 7-inch figure)."""
    with ExitStack() as stack:
        stack.enter_context(sns.axes_style("whitegrid", _AXES_STYLE))
        stack.enter_context(sns.plotting_context("paper", rc=_CONTEXT))
        stack.enter_context(plt.rc_context(_RC))
        yield


def _lines(ax: plt.Axes, names: Sequence[str], draw) -> list:
    """Call ``draw()`` (one seaborn ``lineplot`` with ``hue`` and ``legend=False``, which adds one
    line per hue level in hue order) and label the new lines with ``names``, so that each series can
    be found by its name (legends, tests)."""
    before = len(ax.lines)
    draw()
    new = ax.lines[before:]
    if len(new) != len(names):
        raise RuntimeError(f"expected {len(names)} lines from seaborn, got {len(new)}")
    for line, name in zip(new, names, strict=True):
        line.set_label(name)
    return new


def provider_colors(providers: Sequence[str], order: Sequence[str] | None = None) -> dict[str, tuple]:
    """Colour per provider, fixed by its index in ``order`` (default: ``sorted(providers)``).

    Pass the config's full provider list as ``order`` to keep colours identical across figures
    that show different subsets. seaborn palettes: tab10 up to 10 providers, tab20 up to 20, then
    husl (evenly spaced hues).
    """
    order = list(order) if order is not None else sorted(set(providers))
    unknown = [p for p in providers if p not in order]
    order += sorted(set(unknown))
    n = len(order)
    palette = sns.color_palette("tab10" if n <= 10 else "tab20" if n <= 20 else "husl", n)
    return {p: tuple(palette[order.index(p)]) for p in providers}


def _marker(provider: str, order: Sequence[str]) -> str:
    return _MARKERS[list(order).index(provider) % len(_MARKERS)]


def save_figure(fig: plt.Figure, outputs: Sequence[str | os.PathLike] | str | os.PathLike) -> list[Path]:
    """Save ``fig`` to every path in ``outputs`` (format from the suffix: png at 150 dpi, pdf, svg)
    atomically, then close it. Metadata dates are dropped so reruns give identical files."""
    if isinstance(outputs, (str, os.PathLike)):
        outputs = [outputs]
    written = []
    for out in outputs:
        path = Path(out)
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in ("png", "pdf", "svg"):
            plt.close(fig)
            raise ValueError(f"cannot save a figure as {path} (use .png, .pdf or .svg)")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        metadata = {"pdf": {"CreationDate": None, "ModDate": None}, "png": {"Software": None}, "svg": {"Date": None}}[fmt]
        try:
            fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        written.append(path)
    plt.close(fig)
    return written


def _theta_axis(ax: plt.Axes, thetas: np.ndarray) -> None:
    """Thetas as ticks; a log2 axis for sample counts that are powers of two (1, 2, 4, ...) or span a
    factor of 16 or more, a linear one otherwise (e.g. reasoning-effort bins 1..5)."""
    th = np.unique(np.asarray(thetas, dtype=float))
    th = th[np.isfinite(th)]
    if th.size >= 2 and th.min() > 0:
        powers_of_two = bool(np.all(np.abs(np.log2(th) - np.round(np.log2(th))) < 1e-9))
        if (powers_of_two and th.size >= 3) or th.max() / th.min() >= 16:
            ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(th))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))


def _read_csv(path: str | os.PathLike, required: Sequence[str]) -> pd.DataFrame:
    return read_frame(path, required, error=FigureInputError)


def _legend_right(fig: plt.Figure, handles, labels, title: str | None = None) -> None:
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), title=title)


# --------------------------------------------------------------------------------------------
# Figure 1: user values
# --------------------------------------------------------------------------------------------


def theta_label(method: str | None = None) -> str:
    """Axis label of theta: samples per query, or the reasoning-effort bin for reasoning models."""
    if method == "reasoning":
        return r"reasoning effort $\theta$ (bin of reasoning tokens, 1 = shortest)"
    return r"test-time compute $\theta$"


def _values_frame(market, scale: float) -> pd.DataFrame:
    """Tidy (provider, theta, value) rows of the market's finite user values, times ``scale``."""
    value = np.asarray(market.value, dtype=float)
    return pd.DataFrame(
        [
            (name, float(theta), value[i, k] * scale)
            for i, name in enumerate(market.providers)
            for k, theta in enumerate(np.asarray(market.thetas[i], dtype=float))
            if np.isfinite(value[i, k])
        ],
        columns=["provider", "theta", "value"],
    )


def _draw_abstention(ax: plt.Axes, v0: float, values: np.ndarray) -> None:
    """The abstention value V_0 as a dotted line, only when it is near the data (otherwise it
    squashes the curves)."""
    span = float(values.max() - values.min()) if values.size else 0.0
    if values.size and values.min() - 0.5 * span - 1e-12 <= v0 <= values.max() + 0.5 * span + 1e-12:
        ax.axhline(v0, color="0.4", linewidth=0.8, linestyle=":", label=r"abstention $V_0$")


def plot_values(
    market,
    *,
    scale: float = 1e3,
    title: str | None = None,
    order: Sequence[str] | None = None,
    method: str | None = None,
) -> plt.Figure:
    """Figure 1: user value V_i(theta) = q - p (Eq. 3) vs theta, one line per provider, in dollars
    times ``scale`` (1e3: $ x 1e-3). ``market`` has the ``ttcgames.game.market.Market`` attributes
    ``providers``, ``thetas`` and ``value`` (N x K, NaN padded) and optionally ``v0``. Each
    provider's best level (V_i^*, Eq. 8) is ringed."""
    providers = list(market.providers)
    order = list(order) if order is not None else sorted(providers)
    colors = provider_colors(providers, order)
    tidy = _values_frame(market, scale)
    drawn = [p for p in providers if p in set(tidy["provider"])]
    with _theme():
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        _lines(
            ax,
            drawn,
            lambda: sns.lineplot(
                tidy,
                x="theta",
                y="value",
                hue="provider",
                hue_order=drawn,
                palette=colors,
                style="provider",
                style_order=drawn,
                markers={p: _marker(p, order) for p in drawn},
                dashes=False,
                markersize=5,
                linewidth=1.5,
                errorbar=None,
                estimator=None,
                legend=False,
                ax=ax,
            ),
        )
        # Each provider's best level (V_i^*, Eq. 8), ringed in its colour.
        best = tidy.loc[tidy.groupby("provider", sort=False)["value"].idxmax()]
        sns.scatterplot(
            best, x="theta", y="value", hue="provider", hue_order=drawn, palette=colors, s=90, linewidth=1.2, legend=False, ax=ax, zorder=3
        )
        rings = ax.collections[-1]
        rings.set_edgecolors(rings.get_facecolors())
        rings.set_facecolors("none")
        _draw_abstention(ax, float(getattr(market, "v0", 0.0)) * scale, tidy["value"].to_numpy())
        _theta_axis(ax, tidy["theta"].to_numpy())
        ax.set_xlabel(theta_label(method))
        unit = money_unit(scale, tex=True)
        ax.set_ylabel(rf"user value $V_i(\theta) = q_i - p_i$ ({unit})")
        if title:
            ax.set_title(title)
        handles, labels = ax.get_legend_handles_labels()
        _legend_right(fig, handles, labels, title="provider")
        fig.tight_layout()
    return fig


def figure_values(
    market_csv: str | os.PathLike,
    outputs: Sequence[str | os.PathLike],
    *,
    alpha: float,
    baseline: float = 0.1,
    margin: float = 0.25,
    v0: float = 0.0,
    scale: float = 1e3,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> list[Path]:
    """Workflow stage: Figure 1 from a market CSV; q and p come from ``ttcgames.game.market``."""
    from ttcgames.game.market import read_market_csv

    market = read_market_csv(market_csv, alpha=alpha, baseline=baseline, margin=margin, v0=v0)
    methods = set(pd.read_csv(market_csv, usecols=lambda c: c == "method").get("method", pd.Series([], dtype=str)))
    method = methods.pop() if len(methods) == 1 else None
    return save_figure(plot_values(market, scale=scale, title=title, order=order, method=method), outputs)


# --------------------------------------------------------------------------------------------
# Figure 2: dynamics
# --------------------------------------------------------------------------------------------


def _select_beta(frame: pd.DataFrame, beta: float | str | None, source: str) -> tuple[pd.DataFrame, float]:
    """The rows of one beta (``None``: the only one there is), matched by the beta codec."""
    betas = pd.to_numeric(frame["beta"].astype(str), errors="coerce")
    if betas.isna().any():
        line = int(np.flatnonzero(betas.isna().to_numpy())[0]) + 2
        raise FigureInputError(f"{source}, line {line}: column 'beta' is not a number: {frame['beta'].iloc[line - 2]!r}")
    available = sorted(betas.unique())
    if beta is None:
        if len(available) != 1:
            raise FigureInputError(f"{source}: several betas {available}; choose one")
        beta = available[0]
    try:
        target = beta_codec.parse(beta, source)
    except beta_codec.BetaError as exc:
        raise FigureInputError(str(exc)) from None
    hit = beta_codec.matches(betas.to_numpy(dtype=float), target)
    if not hit.any():
        raise FigureInputError(f"{source}: no rows for beta = {beta_codec.text(target)}; available: {available}")
    return frame[hit].copy(), target


@dataclass(frozen=True)
class _Dynamics:
    """Figure 2's data at one beta, reshaped from the long trajectory table (``_dynamics_data``)."""

    beta: float
    providers: list[str]
    ts: np.ndarray  # the steps t, sorted
    level: pd.DataFrame  # t x provider: compute level index
    share: pd.DataFrame  # t x provider: market share
    inefficiency: pd.Series  # by t: max W / W(theta^t)
    level_theta: dict[int, float]  # level index -> theta (the first provider's, when they differ)
    common: bool  # every provider has the same theta at each level index
    steps: pd.DataFrame  # long (t, provider, level, shown): levels offset per provider to stay visible
    t_eq: float  # last step at which any provider changed level: the dynamics reached the equilibrium


def _level_thetas(frame: pd.DataFrame) -> tuple[dict[int, float], bool]:
    """Level index -> theta over all providers, and whether the providers share that grid."""
    grids = frame.groupby("provider")[["level", "theta"]].apply(lambda g: tuple(sorted(set(zip(g["level"].astype(int), g["theta"].astype(float))))))
    level_theta: dict[int, float] = {}
    common = True
    for pairs in grids:
        for lv, th in pairs:
            if level_theta.setdefault(lv, th) != th:
                common = False
    return level_theta, common


def _dynamics_data(trajectory: pd.DataFrame, beta: float | str | None, source: str) -> _Dynamics:
    """Check the trajectory table and reshape its rows at ``beta`` into ``_Dynamics``."""
    missing = [c for c in TRAJECTORY_REQUIRED if c not in trajectory.columns]
    if missing:
        raise FigureInputError(f"{source}: missing column(s) {missing}")
    frame, beta_value = _select_beta(trajectory, beta, source)
    providers = list(pd.unique(frame["provider"]))
    ts = np.sort(frame["t"].unique())
    level = frame.pivot_table(index="t", columns="provider", values="level", aggfunc="first").reindex(ts)[providers]
    share = frame.pivot_table(index="t", columns="provider", values="share", aggfunc="first").reindex(ts)[providers]
    ineff = frame.groupby("t")["inefficiency"].first().reindex(ts)
    if level.isna().any().any() or share.isna().any().any():
        raise FigureInputError(f"{source}: some (t, provider) rows are missing for beta = {beta_value:g}")
    level_theta, common = _level_thetas(frame)
    n = len(providers)
    offsets = dict(zip(providers, (np.arange(n) - (n - 1) / 2) * (0.3 / max(n - 1, 1)), strict=True))
    steps = level.reset_index().melt(id_vars="t", var_name="provider", value_name="level")
    steps["shown"] = steps["level"] + steps["provider"].map(offsets)
    changed = np.flatnonzero((level.diff().abs().sum(axis=1) > 0).to_numpy())
    t_eq = ts[changed[-1]] if changed.size else ts[0]
    return _Dynamics(beta_value, providers, ts, level, share, ineff, level_theta, common, steps, t_eq)


def _draw_levels(ax: plt.Axes, d: _Dynamics, colors: Mapping[str, tuple]) -> None:
    """Upper panel: each provider's compute level theta^t as steps, thetas as tick labels."""
    _lines(
        ax,
        d.providers,
        lambda: sns.lineplot(
            d.steps,
            x="t",
            y="shown",
            hue="provider",
            hue_order=d.providers,
            palette=colors,
            drawstyle="steps-post",
            linewidth=1.6,
            errorbar=None,
            estimator=None,
            legend=False,
            ax=ax,
        ),
    )
    levels_seen = sorted(d.level_theta)
    ax.set_yticks(levels_seen)
    if d.common:
        ax.set_yticklabels([f"{d.level_theta[lv]:g}" for lv in levels_seen])
        ax.set_ylabel(r"compute level $\theta_i^t$")
    else:
        ax.set_ylabel(r"compute level index of $\theta_i^t$")
    ax.set_ylim(min(levels_seen) - 0.4, max(levels_seen) + 0.4)


def _draw_inefficiency(ax: plt.Axes, d: _Dynamics) -> plt.Axes:
    """The inefficiency max W / W(theta^t) on a twin axis of the upper panel (dashed black)."""
    twin = ax.twinx()
    _lines(
        twin,
        [r"inefficiency $\max W / W(\theta^t)$"],
        lambda: sns.lineplot(
            x=d.ts,
            y=d.inefficiency.to_numpy(),
            color="black",
            linestyle="--",
            linewidth=1.4,
            drawstyle="steps-post",
            errorbar=None,
            estimator=None,
            legend=False,
            ax=twin,
        ),
    )
    twin.set_ylabel(r"inefficiency $\max_\theta W(\theta) / W(\theta^t)$")
    twin.spines["right"].set_visible(True)
    twin.grid(False)
    lo = min(1.0, float(np.nanmin(d.inefficiency)))
    hi = float(np.nanmax(d.inefficiency))
    pad = max(0.02 * (hi - lo), 0.005)
    twin.set_ylim(lo - pad, hi + pad)
    return twin


def _draw_shares(ax: plt.Axes, ax_top: plt.Axes, d: _Dynamics, colors: Mapping[str, tuple]) -> None:
    """Lower panel: market shares as a stacked step area, abstention in grey on top."""
    stack = [d.share[name].to_numpy() for name in d.providers]
    abstain = np.clip(1.0 - np.sum(stack, axis=0), 0.0, 1.0)
    ax.stackplot(
        d.ts,
        *stack,
        abstain,
        colors=[colors[p] for p in d.providers] + ["0.85"],
        labels=d.providers + ["abstention"],
        step="post",
        linewidth=0,
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(d.ts.min(), d.ts.max() if d.ts.max() > d.ts.min() else d.ts.min() + 1)
    ax_top.set_xlabel("")
    ax.set_ylabel(r"market share $s_i$")
    ax.set_xlabel("better-response step $t$")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # t counts provider turns
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{100 * y:.0f}%"))


def _mark_equilibrium(ax_top: plt.Axes, ax_bot: plt.Axes, d: _Dynamics, title: str | None) -> None:
    """A dotted line where the dynamics reach the equilibrium, named in the title."""
    for ax in (ax_top, ax_bot):
        ax.axvline(d.t_eq, color="0.3", linestyle=":", linewidth=1.0)
    beta_text = r"$\beta = \infty$" if math.isinf(d.beta) else rf"$\beta = {d.beta:g}$"
    head = f"{beta_text}, equilibrium reached at $t = {d.t_eq:g}$ (dotted)"
    ax_top.set_title(f"{title}: {head}" if title else head)


def plot_dynamics(
    trajectory: pd.DataFrame,
    *,
    beta: float | str | None = None,
    title: str | None = None,
    order: Sequence[str] | None = None,
    source: str = "trajectory",
) -> plt.Figure:
    """Figure 2 for one beta from the long trajectory table (one row per (beta, t, provider)).

    Upper panel: each provider's compute level theta^t (steps; providers are offset slightly so
    overlapping lines stay visible) and, on a twin axis, the inefficiency max W / W(theta^t)
    (dashed black). Lower panel: market shares as a stacked area, abstention in grey on top.
    Steps: ``_dynamics_data`` (reshaping) -> ``_draw_levels``, ``_draw_inefficiency``,
    ``_draw_shares``, ``_mark_equilibrium`` (drawing) -> one legend for the three.
    """
    d = _dynamics_data(trajectory, beta, source)
    colors = provider_colors(d.providers, list(order) if order is not None else sorted(d.providers))
    with _theme():
        fig, (ax_top, ax_bot) = plt.subplots(2, 1, figsize=(7.0, 5.6), sharex=True, gridspec_kw={"height_ratios": [1.25, 1.0]})
        _draw_levels(ax_top, d, colors)
        twin = _draw_inefficiency(ax_top, d)
        _draw_shares(ax_bot, ax_top, d, colors)
        _mark_equilibrium(ax_top, ax_bot, d, title)
        handles, labels = ax_top.get_legend_handles_labels()
        th, tl = twin.get_legend_handles_labels()
        sh, sl = ax_bot.get_legend_handles_labels()
        handles += th + [sh[-1]]
        labels += tl + [sl[-1]]
        fig.tight_layout()
        _legend_right(fig, handles, labels)
    return fig


def figure_dynamics(
    trajectory_csv: str | os.PathLike,
    outputs: Sequence[str | os.PathLike],
    *,
    beta: float | str | None = 1000,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> list[Path]:
    """Workflow stage: Figure 2 from ``ttcgames game ... --trajectory OUT.csv``."""
    frame = _read_csv(trajectory_csv, TRAJECTORY_REQUIRED)
    fig = plot_dynamics(frame, beta=beta, title=title, order=order, source=str(trajectory_csv))
    return save_figure(fig, outputs)


# --------------------------------------------------------------------------------------------
# Accuracy and tokens vs theta
# --------------------------------------------------------------------------------------------


def _draw_curve_panel(ax: plt.Axes, tidy: pd.DataFrame, y: str, band: tuple[str, str], providers: list[str], colors, markers) -> None:
    """One panel of the curves figure: a line per provider with its bootstrap band shaded."""
    _lines(
        ax,
        providers,
        lambda: sns.lineplot(
            tidy,
            x="theta",
            y=y,
            hue="provider",
            hue_order=providers,
            palette=colors,
            style="provider",
            style_order=providers,
            markers=markers,
            dashes=False,
            markersize=4.5,
            linewidth=1.4,
            errorbar=None,
            estimator=None,
            legend=False,
            ax=ax,
        ),
    )
    # The bands are the curves' own bootstrap bounds (precomputed, so not seaborn's errorbar).
    for name, c in tidy.groupby("provider", sort=False):
        ax.fill_between(c["theta"], c[band[0]], c[band[1]], color=colors[name], alpha=0.15, linewidth=0)


def plot_curves(
    curves: pd.DataFrame,
    *,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> plt.Figure:
    """Accuracy (%) and mean generated tokens per query vs theta, one line per provider, with the
    bootstrap bands ``*_lo``/``*_hi`` shaded (Appendix D.1). The legend is the figure's."""
    missing = [c for c in CURVE_REQUIRED if c not in curves.columns]
    if missing:
        raise FigureInputError(f"curves: missing column(s) {missing}")
    providers = list(pd.unique(curves["provider"]))
    order = list(order) if order is not None else sorted(providers)
    colors = provider_colors(providers, order)
    tidy = curves.sort_values(["provider", "theta"]).copy()
    tidy["theta"] = tidy["theta"].astype(float)
    for column in ("accuracy", "accuracy_lo", "accuracy_hi"):
        tidy[f"{column}_pct"] = 100 * tidy[column]
    markers = {p: _marker(p, order) for p in providers}
    with _theme():
        fig, (ax_acc, ax_tok) = plt.subplots(1, 2, figsize=(9.0, 3.6))
        for ax, y, band in ((ax_acc, "accuracy_pct", ("accuracy_lo_pct", "accuracy_hi_pct")), (ax_tok, "tokens", ("tokens_lo", "tokens_hi"))):
            _draw_curve_panel(ax, tidy, y, band, providers, colors, markers)
        methods = set(curves["method"]) if "method" in curves.columns else set()
        xlabel = theta_label(next(iter(methods)) if len(methods) == 1 else None)
        for ax in (ax_acc, ax_tok):
            _theta_axis(ax, curves["theta"].to_numpy(dtype=float))
            ax.set_xlabel(xlabel)
        ax_acc.set_ylabel("accuracy (%)")
        ax_acc.set_title("accuracy (95% bootstrap band)")
        ax_tok.set_ylabel("generated tokens per query")
        ax_tok.set_title("tokens (95% bootstrap band)")
        tok = curves["tokens"].to_numpy(dtype=float)
        if tok.min() > 0 and tok.max() / tok.min() >= 10:
            ax_tok.set_yscale("log")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        handles, labels = ax_acc.get_legend_handles_labels()
        _legend_right(fig, handles, labels, title="provider")
    return fig


def figure_curves(
    curve_paths: Sequence[str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    *,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> list[Path]:
    """Workflow stage: accuracy and tokens vs theta from the providers' curve CSVs."""
    if isinstance(curve_paths, (str, os.PathLike)):
        curve_paths = [curve_paths]
    frames = [_read_csv(p, CURVE_REQUIRED) for p in curve_paths]
    if not frames:
        raise FigureInputError("no curve files given")
    return save_figure(plot_curves(pd.concat(frames, ignore_index=True), title=title, order=order), outputs)


# --------------------------------------------------------------------------------------------
# Inefficiency vs beta
# --------------------------------------------------------------------------------------------


_SWEEP_CURVES = (
    # (column, curve, short name): Eq. 9 at the worst pure equilibrium, the dynamics' one, the best one
    ("worst_price_of_anarchy", "worst equilibrium (price of anarchy)", "worst"),
    ("price_of_anarchy", "equilibrium reached by the dynamics", "reached"),
    ("price_of_stability", "best equilibrium (price of stability)", "best"),
)
# Drawn so that coinciding curves stay visible: the worst as a wide pale band, the reached
# equilibrium as a thin line on top, the best as hollow markers.
_SWEEP_STYLE = {
    "worst": {"linewidth": 5.0, "alpha": 0.3, "solid_capstyle": "butt", "zorder": 2},
    "reached": {"linewidth": 1.3, "zorder": 3},
    "best": {"linestyle": "none", "marker": "o", "markersize": 4.0, "zorder": 4},
}


def sweep_frame(sweeps: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Tidy rows (``sweep``, ``curve``, ``beta``, ``inefficiency``) of the sweeps' curves at finite
    positive beta: ``curve`` is ``worst``, ``reached`` or ``best`` (a sweep without the
    all-equilibria columns has ``reached`` only)."""
    parts = []
    for label, frame in sweeps.items():
        beta = pd.to_numeric(frame["beta"].astype(str), errors="coerce")
        for column, _, curve in _SWEEP_CURVES:
            if column not in frame.columns:
                continue
            y = pd.to_numeric(frame[column], errors="coerce")
            ok = np.isfinite(beta) & np.isfinite(y) & (beta > 0)
            parts.append(pd.DataFrame({"sweep": label, "curve": curve, "beta": beta[ok], "inefficiency": y[ok]}))
    tidy = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["sweep", "curve", "beta", "inefficiency"])
    return tidy.sort_values(["sweep", "curve", "beta"], kind="stable").reset_index(drop=True)


def _inf_value(frame: pd.DataFrame, column: str) -> float | None:
    beta = pd.to_numeric(frame["beta"].astype(str), errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    hit = np.isinf(beta) & np.isfinite(y)
    return float(y[hit][0]) if hit.any() else None


def plot_inefficiency(
    sweeps: Mapping[str, pd.DataFrame],
    *,
    title: str | None = None,
) -> plt.Figure:
    """max W / W(theta) (Eq. 9) vs beta (log x), one colour per sweep (e.g. per method) and three
    curves each: at the equilibrium the better-response dynamics reach, at the worst pure
    equilibrium (the price of anarchy proper) and at the best (the price of stability); a sweep
    without the all-equilibria columns gets the first curve only. Rows with beta = inf or no value
    are skipped for the lines; the beta = inf values are noted in the legend when present."""
    tidy = sweep_frame(sweeps)
    labels = list(sweeps)
    palette = dict(zip(labels, sns.color_palette("tab10", len(labels)), strict=True))
    with _theme():
        fig, ax = plt.subplots(figsize=(7.0, 3.8))
        for column, name, curve in _SWEEP_CURVES:
            part = tidy[tidy["curve"] == curve]
            drawn = [lab for lab in labels if lab in set(part["sweep"])]
            if not drawn:
                continue
            names = []
            for lab in drawn:
                method = METHOD_LABELS.get(lab, lab)
                text = f"{method}: {name}" if len(sweeps) > 1 else name
                inf = _inf_value(sweeps[lab], column)
                names.append(text + (rf" ($\beta=\infty$: {inf:.3g})" if inf is not None else ""))
            style = dict(_SWEEP_STYLE[curve])
            if curve == "best":
                style["markevery"] = max(1, int(part.groupby("sweep").size().max()) // 25)
            lines = _lines(
                ax,
                names,
                lambda part=part, drawn=drawn, style=style: sns.lineplot(
                    part,
                    x="beta",
                    y="inefficiency",
                    hue="sweep",
                    hue_order=drawn,
                    palette=palette,
                    errorbar=None,
                    estimator=None,
                    legend=False,
                    ax=ax,
                    **style,
                ),
            )
            if curve == "best":  # hollow markers in the line's colour (seaborn edges markers in white)
                for line in lines:
                    line.set_markeredgecolor(line.get_color())
                    line.set_markerfacecolor("none")
        ax.axhline(1.0, color="0.4", linewidth=0.8, linestyle=(0, (1, 3)), label="efficient (= 1)")
        ax.set_xscale("log")
        ax.set_xlabel(r"user rationality $\beta$")
        ax.set_ylabel(r"inefficiency $\max W / W(\theta)$ at an equilibrium")
        if title:
            ax.set_title(title)
        handles, labels_ = ax.get_legend_handles_labels()
        _legend_right(fig, handles, labels_)
        fig.tight_layout()
    return fig


def _sweep_label(path: Path) -> str:
    # results/games/{dataset}/{method}.sweep.csv -> method
    return path.name.split(".")[0]


def figure_inefficiency(
    sweep_paths: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike] | str | os.PathLike,
    outputs: Sequence[str | os.PathLike],
    *,
    title: str | None = None,
) -> list[Path]:
    """Workflow stage: inefficiency vs beta from one or more sweep CSVs (label: mapping key, or
    the method part of ``{method}.sweep.csv``)."""
    if isinstance(sweep_paths, (str, os.PathLike)):
        sweep_paths = [sweep_paths]
    if isinstance(sweep_paths, Mapping):
        items = [(str(k), Path(v)) for k, v in sweep_paths.items()]
    else:
        items = [(_sweep_label(Path(p)), Path(p)) for p in sweep_paths]
    if not items:
        raise FigureInputError("no sweep files given")
    sweeps = {label: _read_csv(path, SWEEP_REQUIRED) for label, path in items}
    return save_figure(plot_inefficiency(sweeps, title=title), outputs)


# --------------------------------------------------------------------------------------------
# Overview: every game of a run in one grid
# --------------------------------------------------------------------------------------------

_OVERVIEW_CURVES = {  # short name -> legend label, colour, line width, dashes
    "worst": ("worst equilibrium (price of anarchy)", "#f4a582", 4.0, ""),
    "reached": ("equilibrium reached by the dynamics", "black", 1.3, ""),
    "best": ("best equilibrium (price of stability)", "#2166ac", 1.3, (2, 2)),
}


def overview_frame(sweeps: Mapping[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """Tidy rows (``dataset``, ``method``, ``equilibrium``, ``beta``, ``inefficiency``) of every
    game's sweep, keyed by (dataset, method); ``equilibrium`` is the curve's legend label."""
    parts = []
    for (dataset, method), frame in sweeps.items():
        tidy = sweep_frame({method: frame})
        tidy.insert(0, "dataset", dataset)
        tidy["method"] = METHOD_LABELS.get(method, method)
        tidy["equilibrium"] = tidy["curve"].map(lambda c: _OVERVIEW_CURVES[c][0])
        parts.append(tidy.drop(columns=["sweep", "curve"]))
    if not parts:
        raise FigureInputError("no sweeps given")
    return pd.concat(parts, ignore_index=True)[["dataset", "method", "equilibrium", "beta", "inefficiency"]]


def plot_overview(
    sweeps: Mapping[tuple[str, str], pd.DataFrame],
    *,
    title: str | None = None,
) -> plt.Figure:
    """All games of a run in one grid (seaborn ``relplot``: rows datasets, columns methods, in the
    mapping's order): max W / W (Eq. 9) vs beta (log x) at the reached, the worst and the best pure
    equilibrium, with the efficient level 1 dotted. Each panel has its own y range."""
    tidy = overview_frame(sweeps)
    datasets = list(dict.fromkeys(d for d, _ in sweeps))
    methods = list(dict.fromkeys(METHOD_LABELS.get(m, m) for _, m in sweeps))
    present = [v[0] for k, v in _OVERVIEW_CURVES.items() if v[0] in set(tidy["equilibrium"])]
    spec = {v[0]: v for v in _OVERVIEW_CURVES.values()}
    with _theme():
        grid = sns.relplot(
            tidy,
            kind="line",
            x="beta",
            y="inefficiency",
            row="dataset",
            col="method",
            row_order=datasets,
            col_order=methods,
            hue="equilibrium",
            hue_order=present,
            palette={k: spec[k][1] for k in present},
            size="equilibrium",
            size_order=present,
            sizes={k: spec[k][2] for k in present},
            style="equilibrium",
            style_order=present,
            dashes={k: spec[k][3] for k in present},
            errorbar=None,
            estimator=None,
            height=2.4,
            aspect=1.35,
            facet_kws={"sharey": False, "margin_titles": True},
        )
        grid.set(xscale="log")
        grid.refline(y=1.0, color="0.4", linewidth=0.8, linestyle=(0, (1, 3)))
        grid.set_axis_labels(r"user rationality $\beta$", r"$\max W / W$ at equilibrium")
        grid.set_titles(row_template="{row_name}", col_template="{col_name}")
        sns.move_legend(grid, "upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(present), title=None, frameon=False)
        if title:
            grid.figure.suptitle(title, y=1.02)
    return grid.figure


def figure_overview(
    sweep_paths: Mapping[tuple[str, str], str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    *,
    title: str | None = None,
) -> list[Path]:
    """Workflow stage: the overview grid from every game's sweep CSV, keyed by (dataset, method)."""
    if not sweep_paths:
        raise FigureInputError("no sweep files given")
    sweeps = {key: _read_csv(path, SWEEP_REQUIRED) for key, path in sweep_paths.items()}
    return save_figure(plot_overview(sweeps, title=title), outputs)


# --------------------------------------------------------------------------------------------
# Uncertainty: the paired bootstrap over questions (ttcgames.uncertainty.paired)
# --------------------------------------------------------------------------------------------


def _profile_counts(profiles: pd.Series, providers: Sequence[str], thetas: Sequence[float] = ()) -> pd.DataFrame:
    """Share of replicates in which each provider ends at each theta (rows providers, columns every
    theta of the market, also those no replicate reaches)."""
    rows = [pair for label in profiles.astype(str) for pair in parse_profile_label(label).items()]
    frame = pd.DataFrame(rows, columns=["provider", "theta"])
    shares = pd.crosstab(frame["provider"], frame["theta"]) / max(len(profiles), 1)
    order = [p for p in providers if p in shares.index] + [p for p in shares.index if p not in providers]
    columns = sorted(set(float(t) for t in thetas) | set(shares.columns))
    shares = shares.reindex(index=order, columns=columns, fill_value=0.0)
    shares.columns = [f"{c:g}" for c in shares.columns]
    return shares


def _draw_poa_histogram(ax: plt.Axes, poa: pd.Series, q: Mapping, level: float, replicates: int) -> None:
    """Panel (a): the price of anarchy over replicates, the percentile interval and the point estimate."""
    sns.histplot(x=poa, ax=ax, bins=30, color="tab:blue", edgecolor="white", stat="probability")
    if q["lo"] is not None:
        ax.axvspan(q["lo"], q["hi"], color="tab:blue", alpha=0.12, label=f"{level:.0%} interval")
    if q["point"] is not None:
        ax.axvline(q["point"], color="black", linewidth=1.4, label=f"point estimate {q['point']:.3f}")
    ax.set_xlabel(r"price of anarchy $\max W / W(\theta^\dagger)$")
    ax.set_ylabel(f"share of {replicates} replicates")
    ax.set_title("(a) price of anarchy")
    ax.legend(loc="upper right")


def _draw_profile_heatmap(ax: plt.Axes, profiles: pd.Series, summary: Mapping, method: str | None) -> None:
    """Panel (b): how often each provider ends at each theta, the point estimate's profile boxed."""
    shares = _profile_counts(profiles, summary.get("providers") or [], summary.get("thetas") or ())
    sns.heatmap(
        shares,
        ax=ax,
        cmap="Blues",
        vmin=0.0,
        vmax=1.0,
        annot=shares.shape[1] <= 8,
        fmt=".2f",
        annot_kws={"fontsize": 7},
        cbar_kws={"label": "share of replicates"},
        linewidths=0.5,
        linecolor="white",
    )
    point = summary["frequencies"]["equilibrium_profile"]
    for name, theta in parse_profile_label(point["point"] or "").items():
        if name in shares.index and f"{theta:g}" in shares.columns:
            r, c = list(shares.index).index(name), list(shares.columns).index(f"{theta:g}")
            ax.add_patch(plt.Rectangle((c, r), 1, 1, fill=False, edgecolor="black", linewidth=1.6))
    ax.grid(False)
    ax.set_xlabel(theta_label(method) + " at equilibrium")
    ax.set_ylabel("provider")
    share = point["point_share"]
    ax.set_title(f"(b) equilibrium levels (point profile boxed: {share:.0%} of replicates)" if share is not None else "(b) equilibrium levels")


def _draw_sweep_band(ax: plt.Axes, sweep: pd.DataFrame, level: float) -> None:
    """Panel (c): the beta sweep of the price of anarchy with its percentile band."""
    s = sweep.sort_values("beta")
    ax.fill_between(
        s["beta"],
        s["price_of_anarchy_lo"],
        s["price_of_anarchy_hi"],
        color="tab:orange",
        alpha=0.25,
        label=f"{level:.0%} band ({int(s['replicates'].iloc[0])} replicates)",
    )
    sns.lineplot(x=s["beta"], y=s["price_of_anarchy"], ax=ax, color="tab:orange", label="point estimate")
    ax.axhline(1.0, color="0.4", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_xlabel(r"user rationality $\beta$")
    ax.set_ylabel("price of anarchy")
    ax.set_title("(c) price of anarchy vs beta")
    ax.legend(loc="upper right")


def plot_uncertainty(
    replicates: pd.DataFrame,
    summary: Mapping,
    sweep: pd.DataFrame | None = None,
    *,
    method: str | None = None,
    title: str | None = None,
) -> plt.Figure:
    """Three panels of one game's paired bootstrap: (a) the distribution of the price of anarchy
    (Eq. 9) over replicates with the point estimate and the percentile interval; (b) how often each
    provider ends at each theta in the reached equilibrium (heat map; the point estimate's profile
    outlined); (c) the beta sweep of the price of anarchy with its percentile band."""
    ok = replicates[replicates["ok"].astype(bool)]
    poa = pd.to_numeric(ok["price_of_anarchy"], errors="coerce").dropna()
    level = summary.get("level", 0.95)
    with _theme():
        panels = 3 if sweep is not None else 2
        fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 3.8), gridspec_kw={"width_ratios": [1, 1.2, 1.2][:panels]})
        _draw_poa_histogram(axes[0], poa, summary["quantities"]["price_of_anarchy"], level, len(ok))
        _draw_profile_heatmap(axes[1], ok["equilibrium_profile"], summary, method)
        if sweep is not None:
            _draw_sweep_band(axes[2], sweep, level)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig


UNCERTAINTY_REQUIRED = ("ok", "price_of_anarchy", "equilibrium_profile")
SWEEP_BAND_REQUIRED = ("beta", "price_of_anarchy", "price_of_anarchy_lo", "price_of_anarchy_hi", "replicates")


def figure_uncertainty(
    replicates_path: str | os.PathLike,
    summary_path: str | os.PathLike,
    outputs: Sequence[str | os.PathLike],
    *,
    sweep_path: str | os.PathLike | None = None,
    method: str | None = None,
    title: str | None = None,
) -> list[Path]:
    """Workflow stage: the uncertainty figure of one game from its replicates, summary and sweep band."""
    replicates = _read_csv(replicates_path, UNCERTAINTY_REQUIRED)
    summary = read_summary(summary_path, error=FigureInputError)
    sweep = _read_csv(sweep_path, SWEEP_BAND_REQUIRED) if sweep_path is not None else None
    return save_figure(plot_uncertainty(replicates, summary, sweep, method=method, title=title), outputs)
