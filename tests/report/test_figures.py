"""Tests for ttcgames.report.figures: what each figure shows (axis labels, one series per provider or
sweep, the data of each series against the input files computed independently), that the files are
written (PNG and PDF), inputs are validated, colours are consistent across figures. Rendering is
kept to a few small figures."""

from types import SimpleNamespace

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.report import figures
from ttcgames.report.figures import (
    FigureInputError,
    figure_curves,
    figure_dynamics,
    figure_inefficiency,
    figure_uncertainty,
    figure_values,
    plot_dynamics,
    plot_inefficiency,
    plot_uncertainty,
    plot_values,
    provider_colors,
    save_figure,
)
from ttcgames.uncertainty.paired import parse_profile_label, profile_label

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_outputs(paths):
    png, pdf = paths
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert not list(png.parent.glob("*.tmp-*"))


@pytest.fixture()
def drawn(monkeypatch):
    """The Figure objects the workflow stages (figure_*) save, for inspecting what they show."""
    figs = []
    real = figures.save_figure

    def capture(fig, outputs):
        figs.append(fig)
        return real(fig, outputs)

    monkeypatch.setattr(figures, "save_figure", capture)
    return figs


def lines_by_label(ax):
    """Labelled lines of an axis (matplotlib names unlabelled ones "_child<n>")."""
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


def market_csv(tmp_path):
    rows = []
    for name, acc0, tok in (("p-a", 0.5, 200.0), ("p-b", 0.7, 300.0), ("p-c", 0.3, 250.0)):
        for k, theta in enumerate([1, 4, 16, 64]):
            rows.append((name, theta, min(acc0 + 0.05 * k, 1.0), tok * theta, 0.1))
    path = tmp_path / "market.csv"
    pd.DataFrame(rows, columns=["provider", "theta", "accuracy", "tokens", "price_per_million"]).to_csv(path, index=False)
    return path


def trajectory_frame(beta=1000.0):
    providers = ["p-a", "p-b", "p-c"]
    levels = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (1, 1, 1), (2, 1, 1), (2, 1, 1)]
    thetas = [1, 4, 16]
    rows = []
    for t, prof in enumerate(levels):
        shares = np.array([0.5 - 0.02 * t, 0.3, 0.19 + 0.02 * t])
        for name, lv, s in zip(providers, prof, shares):
            rows.append(
                dict(
                    beta=beta,
                    t=t,
                    provider=name,
                    theta=thetas[lv],
                    level=lv,
                    share=s,
                    utility=0.1,
                    mover="",
                    welfare=1.0,
                    inefficiency=1.2 - 0.03 * t,
                    potential=0.0,
                )
            )
    return pd.DataFrame(rows)


def test_figure_values_from_market_csv(tmp_path, drawn):
    outs = [tmp_path / "f" / "values.png", tmp_path / "f" / "values.pdf"]
    path = market_csv(tmp_path)
    written = figure_values(path, outs, alpha=0.008, title="demo")
    assert written == outs
    check_outputs(outs)
    (fig,) = drawn
    ax = fig.axes[0]
    assert "test-time compute" in ax.get_xlabel()
    assert "user value" in ax.get_ylabel() and "10^{-3}" in ax.get_ylabel()
    assert ax.get_title() == "demo"
    lines = lines_by_label(ax)
    assert {"p-a", "p-b", "p-c"} <= set(lines)
    assert len([k for k in lines if k.startswith("p-")]) == 3  # one series per provider
    # V = q - p (Eq. 3), computed here from the CSV: q = alpha (b + (1 - b) acc), p = tokens ppm / 1e6.
    rows = pd.read_csv(path)
    for name, group in rows.groupby("provider"):
        expected = 0.008 * (0.1 + 0.9 * group["accuracy"]) - group["tokens"] * group["price_per_million"] / 1e6
        np.testing.assert_allclose(lines[name].get_xdata(), group["theta"], atol=0)
        np.testing.assert_allclose(lines[name].get_ydata(), 1e3 * expected.to_numpy(), rtol=1e-9)


def test_plot_values_plots_scaled_user_value():
    market = SimpleNamespace(
        providers=("x", "y"),
        thetas=(np.array([1.0, 2.0]), np.array([1.0])),
        value=np.array([[0.001, 0.002], [0.003, np.nan]]),
        v0=0.0,
    )
    fig = plot_values(market, scale=1e3)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["x"].get_ydata(), [1.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(lines["y"].get_ydata(), [3.0], atol=1e-12)
    assert "10^{-3}" in ax.get_ylabel()
    save_figure(fig, [])  # closes the figure


def test_figure_dynamics_selects_beta(tmp_path, drawn):
    other = trajectory_frame(200.0)
    other["inefficiency"] += 0.5  # so the selected beta shows in the data
    frame = pd.concat([trajectory_frame(1000.0), other])
    path = tmp_path / "traj.csv"
    frame.to_csv(path, index=False)
    outs = [tmp_path / "dyn.png", tmp_path / "dyn.pdf"]
    figure_dynamics(path, outs, beta=1000)
    check_outputs(outs)
    (fig,) = drawn
    ax_top, ax_bot, twin = fig.axes[0], fig.axes[1], fig.axes[2]
    assert r"\beta = 1000" in ax_top.get_title()
    assert "compute level" in ax_top.get_ylabel() and "market share" in ax_bot.get_ylabel()
    assert ax_bot.get_xlabel() == "better-response step $t$"
    assert sorted(lines_by_label(ax_top)) == ["p-a", "p-b", "p-c"]  # one level line per provider
    np.testing.assert_allclose(twin.get_lines()[0].get_ydata(), 1.2 - 0.03 * np.arange(6), atol=1e-12)
    with pytest.raises(FigureInputError, match=r"no rows for beta = 5; available"):
        figure_dynamics(path, outs, beta=5)
    with pytest.raises(FigureInputError, match="several betas"):
        figure_dynamics(path, outs, beta=None)


def test_dynamics_panels_hold_levels_inefficiency_and_shares():
    fig = plot_dynamics(trajectory_frame(), beta=1000)
    ax_top, ax_bot, twin = fig.axes[0], fig.axes[1], fig.axes[2]
    # Three provider step lines on the top axis, the dashed inefficiency on the twin axis.
    assert len(ax_top.get_lines()) >= 3
    ineff = twin.get_lines()[0]
    assert ineff.get_linestyle() == "--"
    np.testing.assert_allclose(ineff.get_ydata(), 1.2 - 0.03 * np.arange(6), atol=1e-12)
    # Stacked shares: three providers plus abstention.
    assert len(ax_bot.collections) == 4
    assert "t = 4" in ax_top.get_title()  # last level change
    save_figure(fig, [])


def test_dynamics_infinite_beta_and_missing_column(tmp_path):
    frame = trajectory_frame()
    frame["beta"] = "inf"
    fig = plot_dynamics(frame, beta=float("inf"))
    assert r"\infty" in fig.axes[0].get_title()
    save_figure(fig, [])
    path = tmp_path / "t.csv"
    frame.drop(columns="share").to_csv(path, index=False)
    with pytest.raises(FigureInputError, match=r"t.csv: missing column\(s\) \['share'\]"):
        figure_dynamics(path, [tmp_path / "x.png"], beta="inf")


def test_figure_curves_and_inefficiency(tmp_path, drawn):
    paths = []
    for name, acc in (("p-a", 0.4), ("p-b", 0.6)):
        theta = np.array([1, 2, 4, 8])
        a = acc + 0.05 * np.log2(theta)
        frame = pd.DataFrame(
            dict(
                provider=name,
                method="bon",
                theta=theta,
                accuracy=a,
                accuracy_lo=a - 0.03,
                accuracy_hi=a + 0.03,
                tokens=100.0 * theta,
                tokens_lo=95.0 * theta,
                tokens_hi=105.0 * theta,
                mc_stderr=0.0,
                n_questions=40,
            )
        )
        paths.append(tmp_path / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    outs = [tmp_path / "curves.png", tmp_path / "curves.pdf"]
    figure_curves(paths, outs, title="demo")
    check_outputs(outs)
    ax_acc, ax_tok = drawn[0].axes[:2]
    assert ax_acc.get_ylabel() == "accuracy (%)" and ax_tok.get_ylabel() == "generated tokens per query"
    assert "test-time compute" in ax_acc.get_xlabel()
    acc_lines = lines_by_label(ax_acc)
    assert sorted(k for k in acc_lines if k.startswith("p-")) == ["p-a", "p-b"]
    assert len(ax_tok.get_lines()) == 2
    for path in paths:
        c = pd.read_csv(path)
        name = c["provider"].iloc[0]
        np.testing.assert_allclose(acc_lines[name].get_ydata(), 100 * c["accuracy"], rtol=1e-12)  # percent
        tok = [line for line in ax_tok.get_lines() if line.get_color() == acc_lines[name].get_color()]
        np.testing.assert_allclose(tok[0].get_ydata(), c["tokens"], rtol=1e-12)
    assert len(ax_acc.collections) == 2  # one bootstrap band per provider

    sweeps = {}
    for method, offset in (("majority", 0.1), ("bon", 0.2)):
        beta = np.logspace(0, 6, 13)
        frame = pd.DataFrame(
            dict(beta=beta, equilibrium_welfare=1.0, optimal_welfare=1.0 + offset, price_of_anarchy=1.0 + offset / (1 + np.log10(beta)), iterations=5)
        )
        frame.loc[len(frame)] = dict(beta=float("inf"), equilibrium_welfare=1.0, optimal_welfare=1.0, price_of_anarchy=1.0, iterations=3)
        sweeps[method] = tmp_path / "games" / f"{method}.sweep.csv"
        sweeps[method].parent.mkdir(exist_ok=True)
        frame.to_csv(sweeps[method], index=False)
    outs = [tmp_path / "ineff.png", tmp_path / "ineff.pdf"]
    figure_inefficiency(list(sweeps.values()), outs)
    check_outputs(outs)
    ax = drawn[1].axes[0]
    assert ax.get_xscale() == "log" and "rationality" in ax.get_xlabel() and "max W" in ax.get_ylabel()
    for method, path in sweeps.items():
        frame = pd.read_csv(path)
        finite = frame[np.isfinite(frame["beta"])]
        # Some line shows this sweep's finite betas and their price of anarchy, in beta order.
        assert any(
            len(line.get_xdata()) == len(finite)
            and np.allclose(line.get_xdata(), finite["beta"])
            and np.allclose(line.get_ydata(), finite["price_of_anarchy"])
            for line in ax.get_lines()
        ), method


def test_inefficiency_draws_reached_worst_and_best_equilibrium():
    beta = np.logspace(0, 6, 7)
    reached = np.array([1.3, 1.3, 1.2, 1.1, 1.05, 1.05, 1.05])
    frame = pd.DataFrame(dict(beta=beta, price_of_anarchy=reached, worst_price_of_anarchy=reached + 0.1, price_of_stability=reached - 0.04))
    frame.loc[len(frame)] = dict(beta=float("inf"), price_of_anarchy=1.05, worst_price_of_anarchy=1.2, price_of_stability=1.01)
    fig = plot_inefficiency({"bon": frame})
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    worst = next(ln for lab, ln in lines.items() if lab.startswith("worst equilibrium"))
    dyn = next(ln for lab, ln in lines.items() if lab.startswith("equilibrium reached"))
    best = next(ln for lab, ln in lines.items() if lab.startswith("best equilibrium"))
    np.testing.assert_allclose(worst.get_ydata(), reached + 0.1)
    np.testing.assert_allclose(dyn.get_ydata(), reached)
    np.testing.assert_allclose(best.get_ydata(), reached - 0.04)
    assert "1.2)" in worst.get_label() and "1.01)" in best.get_label()  # the beta = inf values
    # an old sweep without the all-equilibria columns still draws the dynamics' curve alone
    fig = plot_inefficiency({"bon": frame[["beta", "price_of_anarchy"]]})
    assert [ln.get_label() for ln in fig.axes[0].get_lines()][0].startswith("equilibrium reached")
    assert len(fig.axes[0].get_lines()) == 2  # and the efficient line


def test_missing_files_and_bad_suffix(tmp_path):
    with pytest.raises(FigureInputError, match="missing input file"):
        figure_curves([tmp_path / "none.csv"], [tmp_path / "x.png"])
    fig = plot_values(SimpleNamespace(providers=("x",), thetas=(np.array([1.0]),), value=np.array([[0.0]])))
    with pytest.raises(ValueError, match="use .png, .pdf or .svg"):
        save_figure(fig, [tmp_path / "x.jpg"])


@settings(max_examples=50, deadline=None)
@given(
    everyone=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=1, max_size=25, unique=True),
    data=st.data(),
)
def test_property_colours_are_consistent_and_distinct(everyone, data):
    subset = data.draw(st.lists(st.sampled_from(everyone), min_size=1, unique=True))
    full = provider_colors(everyone, order=everyone)
    part = provider_colors(subset, order=everyone)
    for name in subset:
        assert part[name] == full[name]
    hexes = {mcolors.to_hex(c) for c in full.values()}
    assert len(hexes) == len(everyone)
    # Default order is sorted names, so the colours do not depend on the input order.
    assert provider_colors(list(reversed(everyone))) == provider_colors(everyone)


# --------------------------------------------------------------------------------------------
# Uncertainty: the paired bootstrap's figure


def uncertainty_inputs():
    """Four replicates (one failed) of a two-provider game and its summary, as ttcgames.uncertainty writes them."""
    profiles = [profile_label({"a": 4, "b": 8}), profile_label({"a": 4, "b": 16}), profile_label({"a": 2, "b": 8}), ""]
    replicates = pd.DataFrame(
        {"replicate": range(4), "ok": [True, True, True, False], "price_of_anarchy": [1.1, 1.2, 1.3, None], "equilibrium_profile": profiles}
    )
    summary = {
        "level": 0.9,
        "providers": ["a", "b"],
        "thetas": [1.0, 2.0, 4.0, 8.0, 16.0],
        "quantities": {"price_of_anarchy": {"point": 1.15, "lo": 1.11, "hi": 1.29, "se": 0.1, "mean": 1.2}},
        "frequencies": {"equilibrium_profile": {"point": profiles[0], "point_share": 1 / 3, "shares": {}}},
    }
    sweep = pd.DataFrame(
        {
            "beta": [1000.0, 10.0, 100.0],
            "price_of_anarchy": [1.1, 1.3, 1.2],
            "price_of_anarchy_lo": [1.0, 1.1, 1.05],
            "price_of_anarchy_hi": [1.2, 1.5, 1.4],
            "replicates": 3,
        }
    )
    return replicates, summary, sweep


def test_profile_labels_read_back_as_written():
    assert parse_profile_label(profile_label({"qwen-7b": 4, "llama": 16.0})) == {"qwen-7b": 4.0, "llama": 16.0}
    assert parse_profile_label("") == {}


def test_uncertainty_panels_show_poa_equilibrium_levels_and_sweep():
    replicates, summary, sweep = uncertainty_inputs()
    fig = plot_uncertainty(replicates, summary, sweep, method="bon", title="gsm8k")
    ax_poa, ax_levels, ax_sweep = fig.axes[:3]
    # (a) the three successful replicates, the 90% interval and the point estimate
    assert ax_poa.get_ylabel() == "share of 3 replicates"
    assert ax_poa.get_lines()[0].get_xdata()[0] == pytest.approx(1.15)
    assert [t.get_text() for t in ax_poa.get_legend().get_texts()] == ["90% interval", "point estimate 1.150"]
    # (b) share of replicates per provider and theta, every theta of the market a column
    assert [t.get_text() for t in ax_levels.get_xticklabels()] == ["1", "2", "4", "8", "16"]
    shares = np.asarray(ax_levels.collections[0].get_array()).reshape(2, 5)
    np.testing.assert_allclose(shares, [[0, 1 / 3, 2 / 3, 0, 0], [0, 0, 0, 2 / 3, 1 / 3]])
    boxes = [(p.get_x(), p.get_y()) for p in ax_levels.patches if isinstance(p, figures.plt.Rectangle) and not p.get_fill()]
    assert sorted(boxes) == [(2, 0), (3, 1)]  # the point profile a=4, b=8
    assert "33% of replicates" in ax_levels.get_title()
    # (c) the sweep, sorted by beta, with its band
    np.testing.assert_allclose(ax_sweep.get_lines()[0].get_xdata(), [10.0, 100.0, 1000.0])
    assert "90% band (3 replicates)" in [t.get_text() for t in ax_sweep.get_legend().get_texts()]
    save_figure(fig, [])


def test_figure_uncertainty_refuses_an_unreadable_summary(tmp_path):
    replicates, _, _ = uncertainty_inputs()
    replicates.to_csv(tmp_path / "r.csv", index=False)
    (tmp_path / "s.json").write_text("{not json")
    with pytest.raises(FigureInputError, match=r"s.json: unreadable uncertainty summary"):
        figure_uncertainty(tmp_path / "r.csv", tmp_path / "s.json", [tmp_path / "u.png"])
