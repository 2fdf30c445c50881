"""The comparison with the published numbers: the shipped file, each comparison mode, bad input,
and the whole trace path (import -> curves -> market -> game -> compare)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_fixtures import write_trace_folder  # noqa: E402

from ttcgames.curves.estimators import build_method_curve  # noqa: E402
from ttcgames.curves.reasoning import build_reasoning_curve  # noqa: E402
from ttcgames.game.analysis import analyse  # noqa: E402
from ttcgames.game.market import read_market_csv  # noqa: E402
from ttcgames.game.quantities import NUMERIC_UNCERTAINTY  # noqa: E402
from ttcgames.markets.build import build_market  # noqa: E402
from ttcgames.report.compare import (  # noqa: E402
    AUCTION_QUANTITIES,
    GAME_QUANTITIES,
    TEXT_QUANTITIES,
    CompareError,
    accepted_range,
    agrees,
    build_comparison,
    load_published,
)
from ttcgames.traces.importer import import_traces  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "config" / "published.yaml"
GAMES = [(d, m) for d in ("gsm8k", "aime", "gpqa") for m in ("majority", "bon", "reasoning")]
BETAS = (200.0, 1000.0, 100000.0)
TRACE_MODELS = yaml.safe_load((REPO / "config" / "paper-traces.yaml").read_text())["traces"]["models"]


def _raw() -> dict:
    return yaml.safe_load(PUBLISHED.read_text())


# ---------------------------------------------------------------------------------------------
# Agreement rules, by hand


def test_round_is_half_a_unit_of_the_last_printed_digit():
    assert agrees("5.80", 5.805) and agrees("5.80", 5.795) and not agrees("5.80", 5.8051) and not agrees("5.80", 5.7949)
    assert agrees("0.30", 0.2951) and not agrees("0.30", 0.2949)
    assert accepted_range("5.80", "round") == "[5.795, 5.805]"


def test_truncate_cuts_digits_on_both_sides_of_zero():
    assert agrees("5.5", 5.58, "truncate") and agrees("5.5", 5.5, "truncate")
    assert not agrees("5.5", 5.6, "truncate") and not agrees("5.5", 5.49, "truncate")
    assert agrees("-28", -28.9, "truncate") and agrees("-28", -28.0, "truncate") and not agrees("-28", -27.9, "truncate")
    assert accepted_range("5.5", "truncate") == "[5.5, 5.6)" and accepted_range("-28", "truncate") == "(-29, -28]"


def test_interval_exact_and_not_comparable():
    assert agrees("about 0.6%", 1.00695, "interval", "1.00555", "1.00836")
    assert agrees("about 0.6%", 1.00555, "interval", "1.00555", "1.00836")
    assert not agrees("about 0.6%", 1.0084, "interval", "1.00555", "1.00836")
    assert not agrees("about 0.6%", 1.0055, "interval", "1.00555", "1.00836")
    assert agrees("Qwen2.5-7B", "Qwen2.5-7B", "exact") and not agrees("Qwen2.5-7B", "Qwen2.5-3B", "exact")
    assert not agrees("5.80", None) and not agrees("5.80", float("nan"))
    with pytest.raises(ValueError, match="never judged"):
        agrees("44", 44, "not_comparable")


# ---------------------------------------------------------------------------------------------
# The shipped file


def test_shipped_file_has_every_final_published_row():
    frame, settings = load_published(PUBLISHED)
    assert settings["money_unit"] == "USD x 1e-3" and settings["money_scale"] == 1000
    games = frame[(frame["source"] == "notebooks") & frame["beta"].notna()]
    per_row = games.groupby(["dataset", "method", "beta"]).size()
    assert len(per_row) == 27 and (per_row == 8).all()  # 9 games x 3 betas, 8 quantities each
    assert set(games["beta"]) == set(BETAS)
    assert set(zip(games["dataset"], games["method"])) == set(GAMES)
    assert set(games["quantity"]) == {
        "value",
        "price",
        "utility",
        "welfare",
        "optimal_welfare",
        "mean_user_value",
        "mean_price",
        "mean_provider_margin",
    }
    auctions = frame[(frame["source"] == "notebooks") & frame["beta"].isna()]
    assert set(zip(auctions["dataset"], auctions["method"])) == set(GAMES)
    assert (auctions.groupby(["dataset", "method"]).size() == 8).all()  # 9 auctions x 8 numbers
    t2 = frame[frame["source"] == "table2"]
    assert len(t2) == 16 and (t2["mode"] == "truncate").all() and set(t2["method"]) == {"bon", "reasoning"}
    text = frame[frame["source"] == "text"]
    assert len(text) == 15
    assert set(text["mode"]) == {"round", "interval", "not_comparable", "exact", "truncate"}
    iters = text[text["quantity"] == "iterations"]
    assert iters["published"].tolist() == ["44", "12"] and (iters["mode"] == "not_comparable").all()
    poa = text[text["mode"] == "interval"].iloc[0]
    assert (poa["quantity"], poa["low"], poa["high"]) == ("price_of_anarchy", "1.00555", "1.00836")
    # every notebook number names its notebook, commit and cell
    nb = frame[frame["source"] == "notebooks"]
    assert nb["provenance"].str.fullmatch(r"notebooks/(GSM8K|AIME|GPQA)-demo\.ipynb @ 8405fdc, cell (18|27|36)").all()
    assert len(frame) == 27 * 8 + 9 * 8 + 16 + 15


def test_shipped_money_is_converted_exactly_from_the_printed_dollars():
    """The notebooks print USD with 5 decimals; the artifact shows USD x 1e-3 with 2."""
    frame, _ = load_published(PUBLISHED)
    raw = _raw()
    for entry in raw["notebook_games"]["rows"]:
        got = frame[
            (frame["dataset"] == entry["dataset"])
            & (frame["method"] == entry["method"])
            & (frame["beta"] == entry["beta"])
            & (frame["source"] == "notebooks")
        ]
        for q, printed in ((r.quantity, r.published) for r in got.itertuples()):
            usd = entry[q]
            assert len(usd.split(".")[1]) == 5 and len(printed.split(".")[1]) == 2
            assert float(printed) == pytest.approx(float(usd) * 1000, abs=1e-12)
    gsm = frame[(frame["dataset"] == "gsm8k") & (frame["method"] == "reasoning") & (frame["quantity"] == "auction_price")]
    assert gsm["published"].tolist() == ["0.30", "0.30"]  # notebook 0.00030 USD; Table 2 0.30


def test_shipped_model_names_are_trace_models_of_the_paper_config():
    frame, _ = load_published(PUBLISHED)
    names = set(frame.loc[frame["mode"] == "exact", "published"])
    assert len(names) >= 6 and names <= set(TRACE_MODELS.values())


def test_shipped_file_has_no_build_machine_paths():
    assert "/work/" not in PUBLISHED.read_text() and "/home/" not in PUBLISHED.read_text()


# ---------------------------------------------------------------------------------------------
# Bad input


def _write(tmp_path, doc) -> Path:
    path = tmp_path / "pub.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _set(doc, keys, value):
    node = doc
    for k in keys[:-1]:
        node = node[k]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    "keys, value, message",
    [
        (("money_scale",), 1500, "money_scale: money_scale must be a power of ten"),
        (("table2",), _DELETE, "table2: required key is missing"),
        (("notebook_games", "rows", 3, "value"), "5.8x", "notebook_games.rows[3].value: '5.8x' does not match"),
        (("notebook_games", "rows", 3, "value"), 0.0058, "notebook_games.rows[3].value: 0.0058 is not of type 'string'"),
        (("notebook_games", "rows", 0, "commit"), _DELETE, "notebook_games.rows[0].commit: required key is missing"),
        (("notebook_games", "rows", 0, "beta"), "high", "notebook_games.rows[0].beta: 'high' is not of type 'number'"),
        (("notebook_games", "rows", 0, "beta"), 0, "notebook_games.rows[0].beta: 0 is less than or equal to the minimum of 0"),
        (("notebook_games", "rows", 0, "welfre"), "0.1", "notebook_games.rows[0].welfre: unknown key (did you mean 'welfare'?)"),
        (("notebook_games", "mode"), "nearest", "notebook_games.mode: 'nearest' is not one of ['round', 'truncate']"),
        (("notebook_games", "printed_in"), "EUR", "notebook_games.printed_in: must be 'USD' or 'USD x 1e-3', got 'EUR'"),
        (("notebook_auctions", "rows", 2, "winner"), 7, "notebook_auctions.rows[2].winner: 7 is not of type 'string'"),
        (("table2", "rows", 0, "auction_price"), "x", "table2.rows[0].auction_price: 'x' does not match"),
        (("text", "rows", 0, "quantity"), "poa", "text.rows[0].quantity: 'poa' is not one of ['price_of_anarchy'"),
        (("text", "rows", 0, "mode"), "close", "text.rows[0].mode: 'close' is not one of"),
        (("text", "rows", 2, "high"), "1.001", "text.rows[2]: interval needs low < high"),
        (("text", "rows", 2, "low"), _DELETE, "text.rows[2].low: required key is missing"),
        (("text", "rows", 0, "low"), "1.1", "text.rows[0].low: for mode 'interval' only, not 'round'"),  # not an interval
        (("text", "rows", 5, "mode"), "round", "text.rows[5].mode: 'exact' was expected"),  # a winner is a name
        (("text", "rows", 0, "mode"), "exact", "text.rows[0].mode: 'exact' is not one of"),  # a price of anarchy is not
        (("text", "rows", 9, "from_table2"), ["value", "auction_welfare"], "text.rows[9].from_table2: must be ['value', 'auction_value']"),
        (("text", "rows", 9, "from_table2"), _DELETE, "text.rows[9].from_table2: required key is missing"),
        (("text", "rows", 0, "from_table2"), ["value", "auction_value"], "text.rows[0].from_table2: only for the *_change_pct quantities"),
        (("text", "rows", 0, "beta"), _DELETE, "text.rows[0].beta: required key is missing"),
    ],
)
def test_loader_refuses_malformed_entries_naming_file_and_key(tmp_path, keys, value, message):
    doc = _raw()
    _set(doc, keys, value)
    path = _write(tmp_path, doc)
    with pytest.raises(CompareError) as err:
        load_published(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_loader_lists_every_schema_error_of_the_file(tmp_path):
    doc = _raw()
    doc["notebook_games"]["rows"][1]["price"] = 0.0016
    del doc["text"]["rows"][0]["where"]
    path = _write(tmp_path, doc)
    with pytest.raises(CompareError) as err:
        load_published(path)
    lines = str(err.value).splitlines()
    assert lines[0] == "invalid published numbers:"
    assert lines[1:] == [
        f"  {path}: notebook_games.rows[1].price: 0.0016 is not of type 'string'",
        f"  {path}: text.rows[0].where: required key is missing",
    ]


def test_schema_names_the_quantities_the_comparison_knows():
    """The schema (what the file may hold) and the loader's quantities (what it compares) agree."""
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "published.schema.yaml").read_text())
    props = schema["properties"]
    ids = {"dataset", "method", "beta", "notebook", "commit", "cell"}
    assert set(props["notebook_games"]["properties"]["rows"]["items"]["properties"]) - ids == set(GAME_QUANTITIES)
    auction_keys = set(props["notebook_auctions"]["properties"]["rows"]["items"]["properties"]) - ids
    assert {f"auction_{k}" for k in auction_keys} == set(AUCTION_QUANTITIES)
    assert schema["$defs"]["text_row"]["properties"]["quantity"]["enum"] == list(TEXT_QUANTITIES)
    frame, _ = load_published(PUBLISHED)
    assert set(frame.loc[frame["source"] == "table2", "quantity"]) == set(props["table2"]["properties"]["rows"]["items"]["properties"]) - ids


def test_loader_refuses_a_repeated_number_and_a_missing_table2_source(tmp_path):
    doc = _raw()
    doc["notebook_games"]["rows"].append(copy.deepcopy(doc["notebook_games"]["rows"][0]))
    with pytest.raises(CompareError, match="notebooks lists gsm8k/majority value at beta 200.0 twice"):
        load_published(_write(tmp_path, doc))
    doc = _raw()
    doc["table2"]["rows"] = doc["table2"]["rows"][:1]  # reasoning's Table 2 numbers gone
    with pytest.raises(CompareError, match=r"text.rows\[10\].from_table2: table2 has no 'value' for gsm8k/reasoning"):
        load_published(_write(tmp_path, doc))
    with pytest.raises(CompareError, match="file not found"):
        load_published(tmp_path / "nope.yaml")


# ---------------------------------------------------------------------------------------------
# Each mode on synthetic games JSONs


PROVIDER_OF = {name: pid for pid, name in TRACE_MODELS.items()}


def _notebook_games(raw: dict, bump: float = 1e-9, iterations: int = 44) -> dict[str, dict]:
    """Games JSONs whose numbers are the notebooks' printed dollars (read straight from the YAML,
    not through the loader), each a hair above the printed value as a real run's would be."""
    docs: dict[str, dict] = {}
    for a in raw["notebook_auctions"]["rows"]:
        winner, runner = PROVIDER_OF[a["winner"]], PROVIDER_OF[a["runner_up"]]
        docs[f"{a['dataset']}/{a['method']}"] = {
            "auction": {
                "winner": winner,
                "runner_up": runner,
                "offered_value": {winner: float(a["winner_welfare"]) + bump, runner: float(a["runner_up_welfare"]) + bump},
                "user_value": float(a["value"]) + bump,
                "price": float(a["price"]) + bump,
                "utility": float(a["utility"]) + bump,
                "welfare": float(a["welfare"]) + bump,
            },
            "games": [],
        }
    for g in raw["notebook_games"]["rows"]:
        usd = {
            q: float(g[q]) + bump
            for q in ("value", "price", "utility", "welfare", "optimal_welfare", "mean_user_value", "mean_price", "mean_provider_margin")
        }
        docs[f"{g['dataset']}/{g['method']}"]["games"].append(
            {
                "beta": float(g["beta"]),
                "equilibrium": {
                    "user_value": usd["value"],
                    "price": usd["price"],
                    "provider_utility": usd["utility"],
                    "welfare": usd["welfare"],
                    "iterations": iterations,
                    "mean_user_value": usd["mean_user_value"],
                    "mean_price": usd["mean_price"],
                    "mean_provider_margin": usd["mean_provider_margin"],
                },
                "optimum": {"welfare": usd["optimal_welfare"]},
                "price_of_anarchy": usd["optimal_welfare"] / usd["welfare"],
            }
        )
    return docs


def _compare(tmp_path, docs, models=TRACE_MODELS, published=PUBLISHED):
    paths = {}
    for key, doc in docs.items():
        paths[key] = tmp_path / f"{key.replace('/', '-')}.json"
        paths[key].write_text(json.dumps(doc))
    return build_comparison(published, paths, tmp_path / "c.csv", tmp_path / "c.md", models=models)


def test_the_notebooks_own_numbers_agree_with_every_published_number(tmp_path):
    """Fed the notebooks' numbers as ours, every row agrees: rounding, Table 2's truncation, the
    PoA interval, the percentages computed from Table 2's digits, and the mapped model names."""
    frame = _compare(tmp_path, _notebook_games(_raw()))
    judged = frame[frame["mode"] != "not_comparable"]
    assert (judged["agrees"] == "yes").all(), judged[judged["agrees"] != "yes"].to_string()
    iters = frame[frame["quantity"] == "iterations"]
    assert iters["agrees"].tolist() == ["not judged", "not judged"] and iters["ours"].tolist() == [44, 44]
    text = frame[frame["source"] == "text"].set_index(["method", "quantity"])
    # the percentages, by hand from Table 2's digits: 7.1 / 5.5, 7.3 / 7.1, 7.3 / 5.8, 7.4 / 7.1, 0.18 / 0.25, 0.12 / 0.04
    for (method, q), expected in {
        ("bon", "auction_value_change_pct"): 100 * (7.1 / 5.5 - 1),
        ("reasoning", "auction_value_change_pct"): 100 * (7.3 / 7.1 - 1),
        ("bon", "auction_welfare_change_pct"): 100 * (7.3 / 5.8 - 1),
        ("reasoning", "auction_welfare_change_pct"): 100 * (7.4 / 7.1 - 1),
        ("bon", "auction_utility_change_pct"): -28.0,
        ("reasoning", "auction_utility_change_pct"): 200.0,
        ("bon", "price_of_anarchy"): 6.93 / 5.83,
        ("reasoning", "price_of_anarchy"): 7.24 / 7.19,
        ("bon", "welfare_loss_pct"): 100 * (1 - 5.83 / 6.93),
    }.items():
        assert text.loc[(method, q), "ours"] == pytest.approx(expected, rel=1e-6)
    assert text.loc[("bon", "auction_winner"), "ours"] == "Qwen2.5-7B (qwen25-7b)"
    assert pd.read_csv(tmp_path / "c.csv", keep_default_na=False).shape == (len(frame), 18)


def test_each_mode_says_no_just_outside_its_tolerance(tmp_path):
    raw = _raw()
    docs = _notebook_games(raw)
    gsm_bon = docs["gsm8k/bon"]
    at_1000 = next(g for g in gsm_bon["games"] if g["beta"] == 1000.0)
    # round: notebook value 5.58 -> ours 5.586 (outside +-0.005); Table 2's 5.5 still truncates it
    at_1000["equilibrium"]["user_value"] = 0.005586
    # round: the text's PoA 1.19 -> ours 1.1951
    at_1000["price_of_anarchy"] = 1.1951
    # interval: reasoning's PoA "about 0.6%" -> ours 1.009
    next(g for g in docs["gsm8k/reasoning"]["games"] if g["beta"] == 1000.0)["price_of_anarchy"] = 1.009
    # exact: another runner-up
    auction = docs["gsm8k/reasoning"]["auction"]
    auction["offered_value"]["r1d-llama-8b"] = auction["offered_value"].pop("r1d-qwen-15b")
    auction["runner_up"] = "r1d-llama-8b"
    # truncate: Table 2's auction welfare 7.3 -> ours 7.40
    gsm_bon["auction"]["welfare"] = 0.00740
    frame = _compare(tmp_path, docs).set_index(["source", "dataset", "method", "beta", "quantity"])
    no = frame[frame["agrees"] == "no"]
    assert set(no.index) == {
        ("notebooks", "gsm8k", "bon", 1000.0, "value"),
        ("text", "gsm8k", "bon", 1000.0, "price_of_anarchy"),
        ("text", "gsm8k", "reasoning", 1000.0, "price_of_anarchy"),
        ("notebooks", "gsm8k", "reasoning", "", "auction_runner_up"),
        ("text", "gsm8k", "reasoning", "", "auction_runner_up"),
        ("notebooks", "gsm8k", "bon", "", "auction_welfare"),
        ("table2", "gsm8k", "bon", "", "auction_welfare"),
        # 7.4 / 5.8 = +27.6%, not the text's 25%
        ("text", "gsm8k", "bon", 1000.0, "auction_welfare_change_pct"),
    }, no.index.tolist()
    assert frame.loc[("notebooks", "gsm8k", "bon", 1000.0, "value"), "difference"] == pytest.approx(0.006)
    assert frame.loc[("table2", "gsm8k", "bon", 1000.0, "value"), "agrees"] == "yes"
    assert frame.loc[("text", "gsm8k", "reasoning", "", "auction_runner_up"), "ours"] == "reason-R1-D-Llama-8B (r1d-llama-8b)"
    md = (tmp_path / "c.md").read_text()
    assert "| round | rounds to the printed digits (within half a unit of the last one) | 272 of 272 | 269 |" in md
    assert "| truncate | truncates to the printed digits (Table 2 cuts digits) | 22 of 22 | 20 |" in md
    assert "| interval | lies in the stated interval | 1 of 1 | 0 |" in md
    assert "| exact | is the same model | 22 of 22 | 20 |" in md
    assert "| not_comparable |" in md and "| 2 of 2 | - |" in md
    assert '"about 0.6%" is compared as [1.00555, 1.00836]' in md


def test_unmapped_providers_missing_games_and_betas(tmp_path):
    docs = _notebook_games(_raw())
    del docs["aime/bon"]
    docs["gpqa/majority"]["games"] = [g for g in docs["gpqa/majority"]["games"] if g["beta"] != 100000.0]
    frame = _compare(tmp_path, docs, models={})  # no traces.models: our ids are not the trace names
    aime_bon = frame[(frame["dataset"] == "aime") & (frame["method"] == "bon")]
    assert len(aime_bon) == 3 * 8 + 8 and (aime_bon["agrees"] == "n/a").all()
    missing = frame[(frame["dataset"] == "gpqa") & (frame["method"] == "majority") & (frame["beta"] == 100000.0)]
    assert len(missing) == 8 and (missing["agrees"] == "n/a").all()
    assert missing["note"].str.startswith("this run has no game at beta 100000").all()
    names = frame[frame["mode"] == "exact"]
    assert (names.loc[names["agrees"] != "n/a", "agrees"] == "no").all()
    assert "qwen25-7b" in set(names["ours"])
    md = (tmp_path / "c.md").read_text()
    assert f"{len(frame) - len(aime_bon) - len(missing)} of {len(frame)} published numbers have a counterpart in this run" in md


def test_games_json_without_unweighted_means_is_refused(tmp_path):
    docs = _notebook_games(_raw())
    del docs["gsm8k/bon"]["games"][0]["equilibrium"]["mean_price"]
    with pytest.raises(CompareError, match=r"gsm8k-bon.json: games\[0\].equilibrium: missing key\(s\) \['mean_price'\] \(written before"):
        _compare(tmp_path, docs)


# ---------------------------------------------------------------------------------------------
# The whole path on fixture traces


def test_end_to_end_on_fixture_traces(tmp_path):
    """Import fixture traces for 3 + 2 providers, build curves, markets and games, compare."""
    files = write_trace_folder(tmp_path / "traces", n_questions=10, seed=7)["GSM8K"]
    res = tmp_path / "results"
    providers = {
        "small": ("Small-1B", 0.10),
        "mid": ("Mid-3B", 0.08),
        "big": ("Big-7B", 0.15),
        "r1-small": ("reason-R1-D-Tiny-1.5B", 0.10),
        "r1-big": ("reason-R1-D-Tiny-7B", 0.175),
    }
    reports = {}
    for pid, (name, _) in providers.items():
        reasoning = name.startswith("reason")
        reports[pid] = import_traces(
            files[name],
            generations_out=res / f"gen/{pid}.jsonl",
            grades_out=res / f"grades/{pid}.csv",
            rewards_out=res / f"rewards/{pid}.csv",
            report_out=res / f"traces/{pid}.json",
            dataset="gsm8k",
            provider=pid,
            answer_format="numeric",
            max_new_tokens=2048 if reasoning else 512,
            samples=10 if reasoning else 16,
            min_samples=1 if reasoning else 8,
            expect_reasoning=reasoning,
        )
    assert all(r["bad_lines"] == 1 and r["repeated_qids"] == 1 for r in reports.values())
    games = {}
    for method, members in (("bon", ["small", "mid", "big"]), ("reasoning", ["r1-small", "r1-big"])):
        curves = {}
        for pid in members:
            out = res / f"curves/{method}/{pid}.csv"
            if method == "reasoning":
                build_reasoning_curve(res / f"gen/{pid}.jsonl", res / f"grades/{pid}.csv", out, provider=pid, n_boot=100)
            else:
                build_method_curve(
                    res / f"gen/{pid}.jsonl",
                    res / f"grades/{pid}.csv",
                    res / f"rewards/{pid}.csv",
                    out,
                    provider=pid,
                    method=method,
                    thetas=[1, 2, 4, 8],
                    estimator="subsample",
                    n_subsamples=20,
                )
            curves[pid] = out
        build_market(curves, {p: providers[p][1] for p in members}, res / f"markets/{method}.csv", dataset="gsm8k", method=method)
        market = read_market_csv(res / f"markets/{method}.csv", alpha=0.008)
        doc, _ = analyse(market, list(BETAS), seed=0)
        games[f"gsm8k/{method}"] = res / f"games/{method}.json"
        games[f"gsm8k/{method}"].parent.mkdir(parents=True, exist_ok=True)
        games[f"gsm8k/{method}"].write_text(json.dumps(doc))
    models = {pid: name for pid, (name, _) in providers.items()}
    frame = build_comparison(PUBLISHED, games, res / "compare.csv", res / "compare.md", models=models)
    ran = frame[(frame["dataset"] == "gsm8k") & frame["method"].isin(["bon", "reasoning"])]
    assert (ran["agrees"] != "n/a").all()
    assert frame[frame["method"] == "majority"]["agrees"].eq("n/a").all()
    nb = ran[ran["source"] == "notebooks"].set_index(["method", "beta", "quantity"])["ours"]
    for method in ("bon", "reasoning"):
        for beta in BETAS:
            assert nb[(method, beta, "welfare")] <= nb[(method, beta, "optimal_welfare")] + 1e-9
            # unweighted means: p - c = p * margin / (1 + margin) for every provider, so also for the mean
            assert nb[(method, beta, "mean_provider_margin")] == pytest.approx(nb[(method, beta, "mean_price")] * 0.25 / 1.25)
    winners = ran[ran["quantity"] == "auction_winner"]["ours"]
    assert set(winners) <= {f"{name} ({pid})" for pid, (name, _) in providers.items()}


def test_published_numbers_inside_our_bootstrap_intervals(tmp_path):
    """With uncertainty summaries, rows at the bootstrapped beta (and the auctions) say whether the
    published number lies in our interval; winners get the share of replicates naming them."""
    docs = _notebook_games(_raw())
    paths = {}
    for key, doc in docs.items():
        paths[key] = tmp_path / f"{key.replace('/', '-')}.json"
        paths[key].write_text(json.dumps(doc))
    games = {key: doc["games"] for key, doc in docs.items()}
    summaries = {}
    for key, doc in docs.items():
        at = next(g for g in games[key] if g["beta"] == 1000.0)
        eq, auction = at["equilibrium"], doc["auction"]
        point = {
            "value": eq["user_value"],
            "price": eq["price"],
            "utility": eq["provider_utility"],
            "welfare": eq["welfare"],
            "optimal_welfare": at["optimum"]["welfare"],
            "price_of_anarchy": at["price_of_anarchy"],
            "iterations": 44,
            "auction_value": auction["user_value"],
            "auction_price": auction["price"],
            "auction_utility": auction["utility"],
            "auction_welfare": auction["welfare"],
        }
        # A 1% interval around each number, except the GSM8K best-of-n price, put above the published one.
        quantities = {q: {"point": v, "lo": v * 0.99, "hi": v * 1.01, "se": 0, "mean": v} for q, v in point.items()}
        if key == "gsm8k/bon":
            quantities["price"] = {"point": 1, "lo": 0.002, "hi": 0.003, "se": 0, "mean": 1}
        freq = {"point": auction["winner"], "point_share": 0.75, "shares": {auction["winner"]: 0.75, auction["runner_up"]: 0.25}}
        summaries[key] = tmp_path / f"{key.replace('/', '-')}.summary.json"
        summaries[key].write_text(
            json.dumps(
                {
                    "beta": 1000.0,
                    "quantities": quantities,
                    "frequencies": {"auction_winner": freq, "auction_runner_up": freq, "equilibrium_profile": freq},
                }
            )
        )
    frame = build_comparison(PUBLISHED, paths, tmp_path / "c.csv", tmp_path / "c.md", models=TRACE_MODELS, summaries=summaries)
    nb = frame[(frame["source"] == "notebooks") & (frame["dataset"] == "gsm8k") & (frame["method"] == "bon")]
    price = nb[(nb["quantity"] == "price") & (nb["beta"] == 1000.0)].iloc[0]
    assert price["in_interval"] == "no" and price["ours_lo"] == pytest.approx(2.0)  # USD -> $ x 1e-3
    value = nb[(nb["quantity"] == "value") & (nb["beta"] == 1000.0)].iloc[0]
    assert value["in_interval"] == "yes"
    assert (frame.loc[frame["beta"] == 200.0, "in_interval"] == "").all()  # other betas were not bootstrapped
    winner = frame[(frame["source"] == "notebooks") & (frame["quantity"] == "auction_winner")].iloc[0]
    assert winner["in_interval"] == "75% of replicates"
    md = (tmp_path / "c.md").read_text()
    assert "lie inside our percentile interval" in md and "| in our interval |" in md


def test_winner_share_with_full_file_stems_in_traces_models(tmp_path):
    """``traces.models`` may map a provider to a full file stem (docs/traces.md); the winner's share
    of replicates is then counted under the model name cut at ``--temp``, as the winner itself is."""
    docs = {"gsm8k/bon": _notebook_games(_raw())["gsm8k/bon"]}
    paths = {"gsm8k/bon": tmp_path / "gsm8k-bon.json"}
    paths["gsm8k/bon"].write_text(json.dumps(docs["gsm8k/bon"]))
    auction = docs["gsm8k/bon"]["auction"]
    freq = {"point": auction["winner"], "point_share": 0.75, "shares": {auction["winner"]: 0.75, auction["runner_up"]: 0.25}}
    summary = tmp_path / "gsm8k-bon.summary.json"
    unknown = {"point": None, "lo": None, "hi": None, "se": None, "mean": None}  # no numeric intervals here
    quantities = dict.fromkeys(NUMERIC_UNCERTAINTY, unknown)
    summary.write_text(
        json.dumps(
            {
                "beta": 1000.0,
                "quantities": quantities,
                "frequencies": {"auction_winner": freq, "auction_runner_up": freq, "equilibrium_profile": freq},
            }
        )
    )
    stems = {pid: f"{name}--temp-0.7--samples-16--max-512" for pid, name in TRACE_MODELS.items()}
    frame = build_comparison(PUBLISHED, paths, tmp_path / "c.csv", tmp_path / "c.md", models=stems, summaries={"gsm8k/bon": summary})
    names = frame[(frame["dataset"] == "gsm8k") & (frame["method"] == "bon") & (frame["mode"] == "exact")].set_index(["source", "quantity"])
    assert names.loc[("notebooks", "auction_winner"), "ours"] == "Qwen2.5-7B (qwen25-7b)"
    assert names.loc[("notebooks", "auction_winner"), "in_interval"] == "75% of replicates"
    assert names.loc[("text", "auction_runner_up"), "in_interval"] == "25% of replicates"
