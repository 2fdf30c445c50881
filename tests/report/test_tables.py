"""Tests for ttcgames.report.tables: Table 2 from games JSON files (CSV, Markdown, LaTeX)."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.game.quantities import NUMERIC_UNCERTAINTY
from ttcgames.game.results import parse_games
from ttcgames.report.tables import (
    TABLE2_COLUMNS,
    TableInputError,
    build_table2,
    game_at_beta,
    read_table2_csv,
    render_latex,
    render_markdown,
    render_table2,
    table2_frame,
)

TOL = 1e-9


def games_doc(value=0.0055, price=0.0012, utility=0.00025, welfare=0.0058, optimum=0.0069, betas=(200.0, 1000.0, "inf")):
    """A games JSON like ``ttcgames game`` writes (dollars, not scaled)."""
    games = []
    for k, beta in enumerate(betas):
        games.append(
            {
                "beta": beta,
                "equilibrium": {
                    "profile": {"a": 4, "b": 8},
                    "iterations": 44 + k,
                    "welfare": welfare + k * 1e-5,
                    "user_value": value + k * 1e-5,
                    "price": price,
                    "provider_utility": utility,
                    "shares": {"a": 0.6, "b": 0.4},
                },
                "optimum": {"welfare": optimum, "profile": {"a": 4, "b": 4}},
                "price_of_anarchy": optimum / (welfare + k * 1e-5),
            }
        )
    return {
        "auction": {
            "winner": "qwen25-7b",
            "runner_up": "qwen25-3b",
            "user_value": 0.0071,
            "price": 0.00032,
            "utility": 0.00018,
            "welfare": 0.0073,
            "offered_value": {"qwen25-7b": 0.0073, "qwen25-3b": 0.0071},
        },
        "games": games,
    }


def typed(doc):
    """The games JSON as every reader holds it (``ttcgames.game.results``)."""
    return parse_games(doc, "games.json")


def write_games(tmp_path, dataset, method, doc):
    path = tmp_path / "games" / dataset / f"{method}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def value_of(frame, mechanism, quantity, dataset="gsm8k", method="bon"):
    row = frame[(frame["dataset"] == dataset) & (frame["method"] == method) & (frame["mechanism"] == mechanism) & (frame["quantity"] == quantity)]
    assert len(row) == 1
    return row["value"].iloc[0]


def test_worked_example_scales_to_milli_dollars():
    frame = table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000, scale=1000)
    assert list(frame.columns) == list(TABLE2_COLUMNS)
    # beta = 1000 is the second entry: values carry its +1e-5 offset.
    assert abs(value_of(frame, "Game", "User value") - 5.51) < TOL
    assert abs(value_of(frame, "Game", "Price") - 1.2) < TOL
    assert abs(value_of(frame, "Game", "Provider(s') utility") - 0.25) < TOL
    assert abs(value_of(frame, "Game", "Social welfare") - 5.81) < TOL
    assert abs(value_of(frame, "Auction", "User value") - 7.1) < TOL
    assert abs(value_of(frame, "Auction", "Price") - 0.32) < TOL
    assert abs(value_of(frame, "Auction", "Provider(s') utility") - 0.18) < TOL
    assert abs(value_of(frame, "Auction", "Social welfare") - 7.3) < TOL
    assert abs(value_of(frame, "Game", "Price of anarchy") - 6.9 / 5.81) < TOL
    assert abs(value_of(frame, "Auction", "Price of anarchy") - 1.0) < TOL
    assert value_of(frame, "Game", "Iterations to equilibrium") == 45
    assert value_of(frame, "Auction", "Auction winner") == "qwen25-7b"
    assert value_of(frame, "Auction", "Auction runner-up") == "qwen25-3b"
    assert set(frame.loc[frame["quantity"] == "Price", "unit"]) == {"$ x 1e-3"}


def test_beta_selection_including_infinity():
    doc = typed(games_doc())
    assert game_at_beta(doc, "inf").equilibrium.iterations == 46
    assert game_at_beta(doc, math.inf).equilibrium.iterations == 46
    assert game_at_beta(doc, 200).equilibrium.iterations == 44
    assert game_at_beta(doc, 1000 * (1 + 1e-12)).equilibrium.iterations == 45  # read back from text: the same beta
    with pytest.raises(TableInputError, match=r"no game at beta = 500; available betas"):
        game_at_beta(doc, 500)


def test_build_table2_writes_csv_md_tex(tmp_path):
    paths = [
        write_games(tmp_path, "gsm8k", "bon", games_doc()),
        write_games(tmp_path, "gsm8k", "majority", games_doc(value=0.0058)),
    ]
    out = tmp_path / "tables" / "table2.csv"
    frame = build_table2(
        paths,
        out,
        beta=1000.0,
        datasets=["gsm8k"],
        methods=["majority", "bon"],
        out_md=tmp_path / "tables" / "table2.md",
        out_tex=tmp_path / "tables" / "table2.tex",
        labels={"gsm8k": "GSM8K"},
    )
    # Column order follows the config order given, not the file order.
    assert list(dict.fromkeys(frame["method"])) == ["majority", "bon"]
    back = read_table2_csv(out)
    assert len(back) == len(frame)
    assert abs(value_of(back, "Game", "User value", method="majority") - 5.81) < TOL
    md = (tmp_path / "tables" / "table2.md").read_text()
    assert "| User value | 5.81 | 7.10 | 5.51 | 7.10 |" in md
    assert "GSM8K Best-of-n: Auction" in md
    tex = (tmp_path / "tables" / "table2.tex").read_text()
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"\cmidrule(lr){2-3}" in tex
    assert r"\multicolumn{2}{c}{GSM8K Majority vote}" in tex
    assert r"Provider(s') utility & 0.25 & 0.18 & 0.25 & 0.18 \\" in tex
    assert r"\$ $\times 10^{-3}$" in tex


def test_render_table2_from_csv(tmp_path):
    path = write_games(tmp_path, "aime", "majority", games_doc())
    csv = tmp_path / "t.csv"
    build_table2([path], csv)
    md = render_table2(csv, tmp_path / "t.md")
    tex = render_table2(csv, tmp_path / "t.tex")
    assert md == (tmp_path / "t.md").read_text() and "aime Majority vote: Game" in md
    assert tex.startswith(r"\begin{table}")
    with pytest.raises(ValueError, match="unknown table format"):
        render_table2(csv, tmp_path / "t.html")


def test_latex_escapes_special_characters():
    frame = table2_frame({("my_set", "bon"): typed(games_doc())})
    frame.loc[frame["quantity"] == "Auction winner", "value"] = "a_b&c"
    tex = render_latex(frame)
    assert r"a\_b\&c" in tex and r"my\_set" in tex


def test_missing_inputs_are_named(tmp_path):
    path = write_games(tmp_path, "gsm8k", "bon", games_doc())
    with pytest.raises(TableInputError, match=r"missing games file\(s\) for \(dataset, method\) \[\('gsm8k', 'majority'\)\]"):
        build_table2([path], tmp_path / "t.csv", datasets=["gsm8k"], methods=["majority", "bon"])
    bad = games_doc()
    del bad["auction"]["price"]
    bad_path = write_games(tmp_path, "gpqa", "bon", bad)
    with pytest.raises(TableInputError, match=r"gpqa/bon.json: auction: missing key\(s\) \['price'\]"):
        build_table2([bad_path], tmp_path / "t.csv")
    broken = tmp_path / "games" / "x" / "bon.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{\n oops")
    with pytest.raises(TableInputError, match=r"bon.json: invalid JSON at line 2"):
        build_table2([broken], tmp_path / "t.csv")


def test_missing_price_of_anarchy_renders_as_dash():
    doc = games_doc()
    for g in doc["games"]:
        g["price_of_anarchy"] = None
    md = render_markdown(table2_frame({("d", "bon"): typed(doc)}))
    assert "| Price of anarchy | -- | 1.000 |" in md


money = st.floats(-0.05, 0.05, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(value=money, price=st.floats(0, 0.01), utility=st.floats(0, 0.01), welfare=st.floats(1e-4, 0.05), scale=st.sampled_from([1.0, 1000.0, 1e6]))
def test_property_money_rows_are_scaled_json_values(value, price, utility, welfare, scale):
    doc = games_doc(value=value, price=price, utility=utility, welfare=welfare, betas=(1000.0,))
    frame = table2_frame({("d", "m"): typed(doc)}, scale=scale)
    eq = doc["games"][0]["equilibrium"]
    rows = (("User value", "user_value"), ("Price", "price"), ("Provider(s') utility", "provider_utility"), ("Social welfare", "welfare"))
    for quantity, key in rows:
        got = value_of(frame, "Game", quantity, dataset="d", method="m")
        assert abs(got - scale * eq[key]) <= 1e-12 * max(1.0, abs(scale * eq[key]))


@settings(max_examples=25, deadline=None)
@given(n_datasets=st.integers(1, 3), n_methods=st.integers(1, 3))
def test_property_markdown_has_two_columns_per_combo(n_datasets, n_methods):
    docs = {(f"d{i}", f"m{j}"): typed(games_doc()) for i in range(n_datasets) for j in range(n_methods)}
    md = render_markdown(table2_frame(docs))
    table_lines = [line for line in md.splitlines() if line.startswith("|")]
    widths = {line.count("|") for line in table_lines}
    assert widths == {2 * n_datasets * n_methods + 2}


def _summary(beta=1000.0, winner="qwen25-7b"):
    names = NUMERIC_UNCERTAINTY  # the summary's numeric quantities (ttcgames.uncertainty.paired)
    quantities = {n: {"point": 0.0, "lo": 0.001 * (i + 1), "hi": 0.002 * (i + 1), "se": 0.0, "mean": 0.0} for i, n in enumerate(names)}
    quantities["price_of_anarchy"] = {"point": 1.19, "lo": 1.1, "hi": 1.3, "se": 0.05, "mean": 1.2}
    quantities["iterations"] = {"point": 44, "lo": 30, "hi": 60, "se": 5, "mean": 45}
    freq = lambda point, share: {"point": point, "point_share": share, "shares": {point: share}}  # noqa: E731
    return {
        "beta": beta,
        "quantities": quantities,
        "frequencies": {
            "equilibrium_profile": freq("a=4;b=8", 0.5),
            "auction_winner": freq(winner, 0.87),
            "auction_runner_up": freq("qwen25-3b", 0.6),
        },
    }


def test_intervals_are_scaled_like_their_values_and_rendered():
    frame = table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000, scale=1000, intervals={("gsm8k", "bon"): _summary()})
    row = lambda mech, q: frame[(frame["mechanism"] == mech) & (frame["quantity"] == q)].iloc[0]  # noqa: E731
    assert row("Game", "User value")[["lo", "hi"]].tolist() == pytest.approx([1.0, 2.0])  # 0.001 USD -> 1.0 x 1e-3
    assert row("Game", "Price of anarchy")[["lo", "hi"]].tolist() == pytest.approx([1.1, 1.3])  # ratios unscaled
    assert math.isnan(row("Auction", "Price of anarchy")["lo"])  # 1 by construction: no interval
    assert row("Auction", "Auction winner")["share"] == pytest.approx(0.87)
    md = render_markdown(frame)
    assert "| 5.51 [1.00, 2.00] |" in md and "1.188 [1.100, 1.300]" in md and "qwen25-7b (87%)" in md
    assert "paired bootstrap over questions" in md
    assert "[1.00, 2.00]" in render_latex(frame)


def test_intervals_survive_the_csv_round_trip(tmp_path):
    frame = table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000, intervals={("gsm8k", "bon"): _summary()})
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert render_markdown(read_table2_csv(tmp_path / "t.csv")) == render_markdown(frame)
    # A table written without intervals still reads and renders without brackets.
    frame.drop(columns=["lo", "hi", "share"]).to_csv(tmp_path / "old.csv", index=False)
    assert "[" not in render_markdown(read_table2_csv(tmp_path / "old.csv"))


def test_interval_summary_must_match_the_table():
    with pytest.raises(TableInputError, match="beta 200"):
        table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000, intervals={("gsm8k", "bon"): _summary(beta=200.0)})
    with pytest.raises(TableInputError, match="auction_winner 'other'"):
        table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000, intervals={("gsm8k", "bon"): _summary(winner="other")})


def test_notes_give_the_number_of_equilibria_at_the_tables_beta(tmp_path):
    doc = games_doc()
    for k, g in enumerate(doc["games"]):  # counts 1, 2, 1679616 at beta 200, 1000, inf
        g["equilibria"] = {
            "count": [1, 2, 1679616][k],
            "worst_welfare": 0.005,
            "best_welfare": 0.006,
            "price_of_anarchy": 0.0069 / 0.005,
            "price_of_stability": 0.0069 / 0.006,
        }
    plain = games_doc()  # written without --all-equilibria: no note for it
    paths = [write_games(tmp_path, "gsm8k", "bon", doc), write_games(tmp_path, "gsm8k", "majority", plain)]
    out = tmp_path / "t.csv"
    build_table2(paths, out, beta=1000.0, out_md=tmp_path / "t.md", out_tex=tmp_path / "t.tex", labels={"gsm8k": "GSM8K"})
    md = render_table2(out, tmp_path / "again.md", labels={"gsm8k": "GSM8K"})
    assert md == (tmp_path / "t.md").read_text()  # the notes survive the CSV
    assert "- GSM8K Best-of-n: 2 pure equilibria at beta = 1000 (price of anarchy over the worst 1.380, price of stability 1.150)." in md
    assert "Majority vote: " not in md.split("Notes.")[1]
    assert "| Pure equilibria" not in md  # a note, not a row of the table
    assert "2 pure equilibria at beta = 1000" in (tmp_path / "t.tex").read_text()
    build_table2(paths, out, beta="inf", out_md=tmp_path / "inf.md")
    assert "gsm8k Best-of-n: 1,679,616 pure equilibria at beta = inf" in (tmp_path / "inf.md").read_text()


@pytest.mark.parametrize(
    "scale,unit,tex",
    [
        (1000, "$ x 1e-3", r"\$ $\times 10^{-3}$"),
        (1e6, "$ x 1e-6", r"\$ $\times 10^{-6}$"),
        (0.001, "$ x 1e3", r"\$ $\times 10^{3}$"),
        (0.1, "$ x 1e1", r"\$ $\times 10^{1}$"),
        (1, "$", r"\$"),
        (250, "$ / 250", r"\$ / 250"),
    ],
)
def test_money_unit_for_every_scale(scale, unit, tex):
    """A value of 0.0055 $ scaled by 0.001 is 5.5e-6 in units of 1000 $ (issue: scale < 1 read 1e--3)."""
    frame = table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000, scale=scale)
    assert set(frame.loc[frame["quantity"] == "Price", "unit"]) == {unit}
    assert f"money in {unit}." in render_markdown(frame)
    assert tex in render_latex(frame)


def test_caption_says_the_auction_price_of_anarchy_is_one_by_construction():
    """Eq. 13: the row is no finding; the caption says so with or without intervals."""
    frame = table2_frame({("gsm8k", "bon"): typed(games_doc())}, beta=1000)
    assert "price of anarchy is 1 by construction (Eq. 13" in render_markdown(frame)
    assert "price of anarchy is 1 by construction (Eq. 13" in render_latex(frame)
    without = frame[~((frame["mechanism"] == "Auction") & (frame["quantity"] == "Price of anarchy"))]
    assert "by construction" not in render_markdown(without)
