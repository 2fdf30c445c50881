"""The paired bootstrap over questions (ttcgames.uncertainty.paired) against the normal pipeline run on the
resampled questions: curves rebuilt from the samples, the market, the game and the auction."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_fixtures import write_trace_folder  # noqa: E402

from ttcgames.curves.bootstrap import bootstrap_replicates, percentile_interval, question_draws  # noqa: E402
from ttcgames.curves.estimators import build_method_curve, read_trace_table  # noqa: E402
from ttcgames.curves.exact import question_curves  # noqa: E402
from ttcgames.curves.reasoning import build_reasoning_curve, pool_bins  # noqa: E402
from ttcgames.game.market import market_from_rows  # noqa: E402
from ttcgames.traces.importer import import_traces  # noqa: E402
from ttcgames.uncertainty.paired import (  # noqa: E402
    UncertaintyInputError,
    align_questions,
    draw_weights,
    game_quantities,
    paired_bootstrap,
    read_question_curves,
    replicate_curves,
    summarise_replicates,
    sweep_band,
)

PROVIDERS = {"small": ("Small-1B", 0.10), "mid": ("Mid-3B", 0.08), "big": ("Big-7B", 0.15)}
THETAS = [1, 2, 4, 8]
MARKET = {"alpha": 0.008, "baseline": 0.1, "margin": 0.25, "v0": 0.0}
BETA = 1000.0


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("unc")
    files = write_trace_folder(root / "t", n_questions=12, seed=5, corrupt=True)
    out = {}
    for pid, (name, _) in list(PROVIDERS.items()) + [("r1", ("reason-R1-D-Tiny-7B", 0.0))]:
        d = root / pid
        import_traces(
            files["GSM8K"][name], generations_out=d / "g.jsonl", grades_out=d / "gr.csv", rewards_out=d / "r.csv",
            report_out=d / "rep.json", dataset="gsm8k", provider=pid, answer_format="numeric",
            max_new_tokens=2048 if pid == "r1" else 512, samples=10 if pid == "r1" else 16, min_samples=1 if pid == "r1" else 8,
        )
        out[pid] = d
    return out


def _curves(imported, method, estimator="exact"):
    tables = []
    for pid in PROVIDERS:
        d = imported[pid]
        build_method_curve(
            d / "g.jsonl", d / "gr.csv", d / "r.csv", d / f"{method}.csv", provider=pid, method=method, thetas=THETAS,
            estimator=estimator, n_boot=20, n_subsamples=30, questions_out=d / f"{method}.questions.csv",
        )
        tables.append(read_question_curves(d / f"{method}.questions.csv", pid, method))
    return tables


def _pipeline_market(curves: dict[str, pd.DataFrame]):
    rows = []
    for pid, frame in curves.items():
        for r in frame.itertuples(index=False):
            rows.append({"provider": pid, "theta": r.theta, "accuracy": r.accuracy, "tokens": r.tokens,
                         "price_per_million": PROVIDERS[pid][1]})
    return market_from_rows(rows, **MARKET)


def _resampled(table: pd.DataFrame, qids: list[str], draw: np.ndarray) -> pd.DataFrame:
    """The provider's samples of the drawn questions, each copy a distinct question."""
    parts = []
    for j, q in enumerate(draw):
        part = table[table["qid"] == qids[q]]
        if len(part):
            parts.append(part.assign(qid=f"{qids[q]}#{j}"))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("method", ["majority", "bon"])
def test_point_estimate_is_the_pipelines_game(imported, method):
    tables = _curves(imported, method)
    reps, point = paired_bootstrap(tables, {p: v[1] for p, v in PROVIDERS.items()}, market=MARKET, beta=BETA, n_boot=5, seed=1)
    curves = {pid: pd.read_csv(imported[pid] / f"{method}.csv") for pid in PROVIDERS}
    expected = game_quantities(_pipeline_market(curves), BETA)
    for key, value in expected.items():
        if isinstance(value, str):
            assert point[key] == value
        else:
            assert point[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
    assert len(reps) == 5 and reps["ok"].all()


def test_curve_replicates_are_the_curves_own_bootstrap_draws(imported):
    """Same seed, same draws: a provider's replicate curve equals ttcgames.curves.bootstrap's replicates of
    its per-question matrix, and its percentile interval is the same."""
    tables = _curves(imported, "majority")
    qids, aligned = align_questions(tables)
    assert all(len(t.qids) == len(qids) for t in tables)  # every provider answered the same questions
    weights = draw_weights(len(qids), 200, seed=9)
    for t in aligned:
        acc, tok = replicate_curves(t, weights)
        direct = bootstrap_replicates(np.hstack([t.acc_num, t.tok_num]), 200, seed=9)
        np.testing.assert_allclose(acc, direct[:, : len(THETAS)], rtol=1e-13)
        np.testing.assert_allclose(tok, direct[:, len(THETAS):], rtol=1e-13)
        lo, hi = percentile_interval(acc)
        dlo, dhi = percentile_interval(direct[:, : len(THETAS)])
        np.testing.assert_allclose(np.r_[lo, hi], np.r_[dlo, dhi], rtol=1e-13)


@pytest.mark.parametrize("method", ["majority", "bon"])
def test_a_replicate_is_the_pipeline_run_on_the_resampled_questions(imported, method):
    """Rebuild every provider's curve from the resampled *samples* (the same draw for all of them),
    build the market and solve it: the replicate's Table 2 row is the same."""
    tables = _curves(imported, method)
    qids, _ = align_questions(tables)
    reps, _ = paired_bootstrap(tables, {p: v[1] for p, v in PROVIDERS.items()}, market=MARKET, beta=BETA, n_boot=4, seed=3)
    draws = question_draws(len(qids), 4, seed=3)
    for b in range(4):
        curves = {}
        for pid in PROVIDERS:
            d = imported[pid]
            table = read_trace_table(d / "g.jsonl", d / "gr.csv", d / "r.csv" if method == "bon" else None)
            if method == "bon":
                table = table.assign(correct=table["trace_correct"], reward=table["reward"].astype(np.float32).astype(float))
            qc = question_curves(_resampled(table, list(qids), draws[b]), method, THETAS)
            curves[pid] = pd.DataFrame({"theta": THETAS, "accuracy": qc.accuracy.mean(axis=0), "tokens": qc.tokens.mean(axis=0)})
        expected = game_quantities(_pipeline_market(curves), BETA)
        row = reps.iloc[b]
        for key, value in expected.items():
            if isinstance(value, str):
                assert row[key] == value, (b, key)
            else:
                assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-15), (b, key)


def test_reasoning_replicate_pools_the_resampled_questions(imported):
    d = imported["r1"]
    build_reasoning_curve(d / "g.jsonl", d / "gr.csv", d / "reasoning.csv", provider="r1", n_boot=20,
                          questions_out=d / "reasoning.questions.csv")
    t = read_question_curves(d / "reasoning.questions.csv", "r1", "reasoning")
    point = pd.read_csv(d / "reasoning.csv")
    acc, tok = replicate_curves(t, np.ones((1, len(t.qids))))
    np.testing.assert_allclose(acc[0], point["accuracy"], rtol=1e-13)
    np.testing.assert_allclose(tok[0], point["tokens"], rtol=1e-13)
    # One replicate by hand: pool the bins of the drawn questions from the samples.
    weights = draw_weights(len(t.qids), 3, seed=4)
    acc, _ = replicate_curves(t, weights)
    table = read_trace_table(d / "g.jsonl", d / "gr.csv").assign(correct=lambda f: f["trace_correct"])
    draw = question_draws(len(t.qids), 3, seed=4)[1]
    bins = pool_bins(_resampled(table, list(t.qids), draw))
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(acc[1], bins.correct.sum(axis=0) / bins.count.sum(axis=0), rtol=1e-13)


def test_a_question_one_provider_lacks_has_no_weight_for_it(imported, tmp_path):
    tables = _curves(imported, "majority")
    first = tables[0]
    trimmed = type(first)(first.provider, first.qids[1:], first.thetas, first.acc_num[1:], first.tok_num[1:], first.den[1:])
    qids, aligned = align_questions([trimmed] + tables[1:])
    assert qids[-1] == first.qids[0] and aligned[0].den[-1].sum() == 0
    acc, _ = replicate_curves(aligned[0], np.ones((1, len(qids))))
    np.testing.assert_allclose(acc[0], first.acc_num[1:].mean(axis=0), rtol=1e-13)


def test_summary_has_intervals_and_frequencies(imported):
    tables = _curves(imported, "majority")
    reps, point = paired_bootstrap(tables, {p: v[1] for p, v in PROVIDERS.items()}, market=MARKET, beta=BETA, n_boot=60, seed=2)
    summary = summarise_replicates(reps, point, level=0.9)
    q = summary["quantities"]["welfare"]
    assert q["lo"] <= q["hi"] and q["se"] > 0
    shares = summary["frequencies"]["equilibrium_profile"]["shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert summary["frequencies"]["auction_winner"]["point"] in PROVIDERS
    assert summary["failed_replicates"] == 0 and summary["replicates"] == 60
    poa = q = summary["quantities"]["price_of_anarchy"]
    assert poa["lo"] >= 1.0 - 1e-12


def test_sweep_band_contains_the_point_at_each_beta(imported):
    tables = _curves(imported, "bon")
    band = sweep_band(tables, {p: v[1] for p, v in PROVIDERS.items()}, market=MARKET, betas=[10.0, 1000.0], n_boot=20, seed=1)
    assert band["replicates"].iloc[0] == 20
    assert (band["price_of_anarchy_lo"] <= band["price_of_anarchy_hi"]).all()
    assert (band["price_of_anarchy"] >= 1.0 - 1e-12).all()


def test_malformed_question_file_is_named(tmp_path):
    bad = tmp_path / "q.csv"
    bad.write_text("qid,theta,accuracy,tokens\na,1,0.5,10\na,2,x,20\n")
    with pytest.raises(UncertaintyInputError, match=r"q.csv, line 3"):
        read_question_curves(bad, "p", "majority")
    bad.write_text("qid,theta,accuracy\na,1,0.5\n")
    with pytest.raises(UncertaintyInputError, match="missing column"):
        read_question_curves(bad, "p", "majority")
