"""The overview grid (every game of a run: datasets x methods) and the seaborn look of the figures:
what each panel shows, read back from the figure objects, against the sweep tables it came from."""

from types import SimpleNamespace

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from ttcgames.report.figures import (
    METHOD_LABELS,
    FigureInputError,
    figure_overview,
    overview_frame,
    plot_curves,
    plot_overview,
    plot_values,
    provider_colors,
    save_figure,
)

BETA = np.logspace(0, 6, 9)


def sweep(offset: float, *, all_equilibria: bool = True) -> pd.DataFrame:
    reached = 1.0 + offset / (1.0 + np.log10(BETA))
    frame = pd.DataFrame({"beta": BETA, "price_of_anarchy": reached})
    if all_equilibria:
        frame["worst_price_of_anarchy"] = reached + 0.05
        frame["price_of_stability"] = reached - offset / 4
    frame.loc[len(frame)] = {c: (np.inf if c == "beta" else 1.0) for c in frame.columns}  # beta = inf row
    return frame


def games():
    return {
        ("gsm8k", "majority"): sweep(0.1),
        ("gsm8k", "bon"): sweep(0.2),
        ("aime", "majority"): sweep(0.3),
        ("aime", "bon"): sweep(0.4, all_equilibria=False),
    }


def test_overview_frame_is_tidy_and_drops_infinite_beta():
    tidy = overview_frame(games())
    assert list(tidy.columns) == ["dataset", "method", "equilibrium", "beta", "inefficiency"]
    # 3 curves x 9 finite betas for three games, the reached curve only for the fourth
    assert len(tidy) == 3 * 3 * 9 + 9
    assert np.isfinite(tidy["beta"]).all()
    one = tidy[(tidy["dataset"] == "aime") & (tidy["method"] == METHOD_LABELS["majority"])]
    worst = one[one["equilibrium"].str.startswith("worst")].sort_values("beta")
    np.testing.assert_allclose(worst["inefficiency"], 1.05 + 0.3 / (1.0 + np.log10(BETA)))


def test_overview_grid_has_one_panel_per_game_with_its_curves():
    fig = plot_overview(games(), title="every game")
    axes = [ax for ax in fig.axes if ax.get_lines()]
    assert len(axes) == 4  # 2 datasets x 2 methods
    # columns are methods (titled on the top row), rows datasets (titled in the right margin)
    assert [ax.get_title() for ax in axes] == [METHOD_LABELS["majority"], METHOD_LABELS["bon"], "", ""]
    row_labels = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"gsm8k", "aime"} <= row_labels  # margin titles name the datasets
    assert all(r"\beta" in ax.get_xlabel() for ax in axes[2:])  # the bottom row
    for ax in axes:
        assert ax.get_xscale() == "log"
        data = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(BETA)]
        refline = [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [1.0, 1.0]]
        assert refline, "the efficient level 1 is drawn"
        assert len(data) in (1, 3)
    # the bottom-right panel is aime x best-of-n: the reached curve only, with the sweep's values
    panel = fig.axes[3]
    (reached,) = [ln for ln in panel.get_lines() if len(ln.get_xdata()) == len(BETA)]
    np.testing.assert_allclose(reached.get_xdata(), BETA)
    np.testing.assert_allclose(reached.get_ydata(), 1.0 + 0.4 / (1.0 + np.log10(BETA)))
    # the top-left panel (gsm8k x majority): worst above reached above best at every beta
    ys = sorted((np.asarray(ln.get_ydata()) for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) == len(BETA)), key=lambda y: y[0])
    assert len(ys) == 3 and np.all(ys[0] < ys[1]) and np.all(ys[1] < ys[2])
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "worst equilibrium (price of anarchy)",
        "equilibrium reached by the dynamics",
        "best equilibrium (price of stability)",
    ]
    assert fig._suptitle.get_text() == "every game"
    save_figure(fig, [])


def test_figure_overview_writes_files_and_names_a_bad_input(tmp_path):
    paths = {}
    for (dataset, method), frame in games().items():
        paths[(dataset, method)] = tmp_path / dataset / f"{method}.sweep.csv"
        paths[(dataset, method)].parent.mkdir(exist_ok=True)
        frame.to_csv(paths[(dataset, method)], index=False)
    outs = [tmp_path / "overview.png", tmp_path / "overview.pdf"]
    assert figure_overview(paths, outs) == outs
    assert all(p.stat().st_size > 1000 for p in outs)
    pd.DataFrame({"beta": [1.0]}).to_csv(paths[("aime", "bon")], index=False)
    with pytest.raises(FigureInputError, match=r"aime/bon.sweep.csv: missing column\(s\) \['price_of_anarchy'\]"):
        figure_overview(paths, outs)
    with pytest.raises(FigureInputError, match="no sweep files"):
        figure_overview({}, outs)


def test_seaborn_lines_keep_provider_colours_and_names():
    """The same provider has the same colour in the values and the curves figure (provider_colors
    over the config's full list), and every line is found by its provider's name."""
    order = ["p-a", "p-b", "p-c"]
    market = SimpleNamespace(
        providers=("p-c", "p-a"), thetas=(np.array([1.0, 2.0]), np.array([1.0, 2.0])), value=np.array([[0.001, 0.002], [0.004, 0.003]]), v0=0.0
    )
    values = plot_values(market, order=order)
    rows = []
    for name, acc in (("p-a", 0.5), ("p-b", 0.6), ("p-c", 0.7)):
        for theta in (1, 2, 4):
            rows.append(
                {
                    "provider": name,
                    "theta": theta,
                    "accuracy": acc,
                    "accuracy_lo": acc - 0.1,
                    "accuracy_hi": acc + 0.1,
                    "tokens": 10.0 * theta,
                    "tokens_lo": 9.0 * theta,
                    "tokens_hi": 11.0 * theta,
                }
            )
    curves = plot_curves(pd.DataFrame(rows), order=order)
    expected = provider_colors(order, order)
    for fig, names in ((values, ["p-c", "p-a"]), (curves, order)):
        lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
        for name in names:
            assert mcolors.to_hex(lines[name].get_color()) == mcolors.to_hex(expected[name])
    vlines = {ln.get_label(): ln for ln in values.axes[0].get_lines()}
    np.testing.assert_allclose(vlines["p-a"].get_ydata(), [4.0, 3.0])
    clines = {ln.get_label(): ln for ln in curves.axes[0].get_lines()}
    np.testing.assert_allclose(clines["p-b"].get_ydata(), [60.0, 60.0, 60.0])
    # each provider's best level is ringed: hollow markers edged in its colour
    rings = values.axes[0].collections[-1]
    assert np.all(rings.get_facecolors()[:, 3] == 0)
    assert {mcolors.to_hex(c) for c in rings.get_edgecolors()} == {mcolors.to_hex(expected[p]) for p in ("p-a", "p-c")}
    save_figure(values, [])
    save_figure(curves, [])


def test_overview_is_a_figure_target_registered_in_the_report():
    from workflow_copy import ROOT
    from workflow_rules import load_workflow

    wf = load_workflow(ROOT, "config/ci.yaml")
    rule = wf.get_rule("figure_overview")
    png = next(f for f in rule.output if str(f).endswith("overview.png"))
    assert png.flags.get("report")  # shown by `snakemake --report`
    assert "results/figures/overview.png" in wf.globals["targets"]("figures")
    assert wf.globals["targets"]("figures") == [f for f in wf.globals["targets"]("all") if "/figures/" in f]
