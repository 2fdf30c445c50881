"""The comparison artifact, and the whole trace path: import -> curves -> market -> game -> compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from trace_fixtures import write_trace_folder  # noqa: E402

from ttcgames.analysis import analyse  # noqa: E402
from ttcgames.compare import agrees, build_comparison, compare_numbers, load_published  # noqa: E402
from ttcgames.curve_estimators import build_method_curve  # noqa: E402
from ttcgames.market import read_market_csv  # noqa: E402
from ttcgames.market_build import build_market  # noqa: E402
from ttcgames.reasoning import build_reasoning_curve  # noqa: E402
from ttcgames.traces import import_traces  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _game(value, price, utility, welfare, opt, iters, auction):
    return {
        "auction": dict(zip(("user_value", "price", "utility", "welfare", "winner", "runner_up"), auction)),
        "games": [
            {"beta": 200.0, "equilibrium": {}, "optimum": {}},
            {
                "beta": 1000.0,
                "equilibrium": {"user_value": value, "price": price, "provider_utility": utility, "welfare": welfare, "iterations": iters},
                "optimum": {"welfare": opt},
                "price_of_anarchy": opt / welfare,
            },
        ],
    }


def test_agrees_follows_the_printed_rounding():
    assert agrees("5.80", 5.804) and not agrees("5.80", 5.806)
    assert agrees("5.5", 5.58, "truncate") and not agrees("5.5", 5.61, "truncate") and not agrees("5.5", 5.49, "truncate")
    assert agrees("44", 44) and not agrees("44", 45)
    assert agrees("qwen25-7b", "qwen25-7b") and not agrees("qwen25-7b", "qwen25-3b")


def test_tiny_comparison(tmp_path):
    pub = tmp_path / "published.yaml"
    pub.write_text(
        "beta: 1000\nmoney_unit: USD x 1e-3\nmoney_scale: 1000\nrounding: {table2: truncate}\n"
        "notebooks:\n  - {dataset: d, method: bon, value: '5.58', optimal_welfare: '6.93', auction_winner: a}\n"
        "table2:\n  - {dataset: d, method: bon, value: '5.5'}\n"
        "text:\n  - {dataset: d, method: bon, price_of_anarchy: '1.19', iterations: '44'}\n"
        "  - {dataset: other, method: bon, iterations: '3'}\n"
    )
    game = tmp_path / "g.json"
    game.write_text(json.dumps(_game(0.00558, 0.001, 0.0002, 0.00583, 0.00693, 44, (0.007, 0.0003, 0.0001, 0.0073, "a", "b"))))
    frame = build_comparison(pub, {"d/bon": game}, tmp_path / "c.csv", tmp_path / "c.md")
    got = {(r.source, r.quantity): r for r in frame.itertuples()}
    assert got[("notebooks", "value")].ours == pytest.approx(5.58)
    assert got[("notebooks", "value")].difference == pytest.approx(0.0)
    assert got[("table2", "value")].agrees == "yes"  # 5.58 truncates to 5.5
    assert got[("text", "price_of_anarchy")].ours == pytest.approx(6.93 / 5.83)
    assert got[("text", "price_of_anarchy")].agrees == "yes"
    assert got[("notebooks", "auction_winner")].agrees == "yes"
    assert frame[frame["dataset"] == "other"]["agrees"].tolist() == ["n/a"]
    md = (tmp_path / "c.md").read_text()
    assert "| notebooks | value | 5.58 | 5.58 |" in md and "6 of 7 published numbers" in md
    assert pd.read_csv(tmp_path / "c.csv").shape == (len(frame), 10)


def test_repository_published_file_lists_every_table2_number():
    frame, settings = load_published(REPO / "config" / "published.yaml")
    assert settings["beta"] == 1000 and settings["money_scale"] == 1000
    assert len(frame[frame["source"] == "notebooks"]) == 9 * 10  # 9 games x (5 game + 5 auction numbers)
    t2 = frame[frame["source"] == "table2"]
    assert set(zip(t2["method"], t2["quantity"])) >= {("bon", "value"), ("reasoning", "auction_welfare")}
    assert len(t2) == 16


def test_end_to_end_on_fixture_traces(tmp_path):
    """Import fixture traces for 3 + 2 providers, build curves, markets and games, compare."""
    files = write_trace_folder(tmp_path / "traces", n_questions=10, seed=7)["GSM8K"]
    res = tmp_path / "results"
    providers = {"small": ("Small-1B", 0.10), "mid": ("Mid-3B", 0.08), "big": ("Big-7B", 0.15),
                 "r1-small": ("reason-R1-D-Tiny-1.5B", 0.10), "r1-big": ("reason-R1-D-Tiny-7B", 0.175)}
    reports = {}
    for pid, (name, _) in providers.items():
        reasoning = name.startswith("reason")
        reports[pid] = import_traces(
            files[name], generations_out=res / f"gen/{pid}.jsonl", grades_out=res / f"grades/{pid}.csv",
            rewards_out=res / f"rewards/{pid}.csv", report_out=res / f"traces/{pid}.json", dataset="gsm8k",
            provider=pid, answer_format="numeric", max_new_tokens=2048 if reasoning else 512,
            samples=10 if reasoning else 16, min_samples=1 if reasoning else 8, expect_reasoning=reasoning,
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
                build_method_curve(res / f"gen/{pid}.jsonl", res / f"grades/{pid}.csv", res / f"rewards/{pid}.csv", out,
                                   provider=pid, method=method, thetas=[1, 2, 4, 8], estimator="subsample", n_subsamples=20)
            curves[pid] = out
        build_market(curves, {p: providers[p][1] for p in members}, res / f"markets/{method}.csv", dataset="gsm8k", method=method)
        market = read_market_csv(res / f"markets/{method}.csv", alpha=0.008)
        doc = analyse(market, [200.0, 1000.0], seed=0)
        doc = doc[0] if isinstance(doc, tuple) else doc
        games[f"gsm8k/{method}"] = res / f"games/{method}.json"
        games[f"gsm8k/{method}"].parent.mkdir(parents=True, exist_ok=True)
        games[f"gsm8k/{method}"].write_text(json.dumps(doc))
    frame = build_comparison(REPO / "config" / "published.yaml", games, res / "compare.csv", res / "compare.md")
    ran = frame[(frame["dataset"] == "gsm8k") & frame["method"].isin(["bon", "reasoning"])]
    assert (ran["agrees"] != "n/a").all()
    assert frame[frame["method"] == "majority"]["agrees"].eq("n/a").all()
    welfare = ran[(ran["source"] == "notebooks") & (ran["quantity"] == "welfare")]
    optimum = ran[(ran["source"] == "notebooks") & (ran["quantity"] == "optimal_welfare")]
    assert (welfare["ours"].to_numpy(float) <= optimum["ours"].to_numpy(float) + 1e-9).all()
    winners = ran[ran["quantity"] == "auction_winner"]["ours"]
    assert set(winners) <= set(providers)
