"""Reasoning-effort bins: hand-computed binning, the sample filter, pooling and the curve file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_fixtures import write_trace_folder  # noqa: E402

from ttcgames.curves.exact import CURVE_COLUMNS  # noqa: E402
from ttcgames.curves.reasoning import (  # noqa: E402
    assign_bins,
    bin_edges,
    build_reasoning_curve,
    keep_samples,
    pool_bins,
    reasoning_curve,
)
from ttcgames.traces.importer import import_traces  # noqa: E402


def test_edges_are_numpy_linear_quantiles():
    # Positions q * (n - 1) = 0, .8, 1.6, 2.4, 3.2, 4 over 10..50: edges 10, 18, 26, 34, 42, 50.
    np.testing.assert_allclose(bin_edges([50, 10, 30, 20, 40]), [10, 18, 26, 34, 42, 50])


def test_one_sample_per_bin_between_edges():
    r = np.array([10, 20, 30, 40, 50])
    assert assign_bins(r, bin_edges(r)).tolist() == [0, 1, 2, 3, 4]


def test_samples_on_inner_edges_go_to_the_upper_bin_and_the_last_bin_is_closed():
    r = np.array([0, 10, 20, 30, 40, 50])  # edges fall exactly on the samples: 0, 10, 20, 30, 40, 50
    edges = bin_edges(r)
    np.testing.assert_allclose(edges, [0, 10, 20, 30, 40, 50])
    assert assign_bins(r, edges).tolist() == [0, 1, 2, 3, 4, 4]


def test_tied_reasoning_tokens_fill_the_upper_bin_and_leave_empty_bins():
    r = np.array([7, 7, 7, 7, 100])  # edges 7, 7, 7, 7, 25.6, 100
    edges = bin_edges(r)
    np.testing.assert_allclose(edges, [7, 7, 7, 7, 25.6, 100])
    assert assign_bins(r, edges).tolist() == [3, 3, 3, 3, 4]


def test_filter_keeps_untruncated_samples_that_reasoned():
    r = np.array([5, 6, 100, 100, 100])
    t = np.array([50, 50, 2047, 2048, 3000])
    assert keep_samples(r, t, max_total_tokens=2048, min_reasoning_tokens=5).tolist() == [False, True, True, False, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2000), min_size=1, max_size=40))
def test_property_every_sample_gets_one_bin_monotone_in_reasoning(values):
    r = np.array(values, dtype=float)
    b = assign_bins(r, bin_edges(r))
    assert ((b >= 0) & (b <= 4)).all()
    order = np.argsort(r, kind="stable")
    assert (np.diff(b[order]) >= 0).all()


def _table(rows):
    return pd.DataFrame(rows, columns=["qid", "reasoning_tokens", "num_tokens", "correct"])


def test_pooling_across_questions_by_hand():
    # q1: five kept samples, one per bin; q2: 0..50 edges -> bins 0,1,2,3,4,4; plus dropped samples.
    q1 = [("q1", r, r + 100, c) for r, c in zip([10, 20, 30, 40, 50], [0, 0, 1, 1, 1])]
    q2 = [("q2", r, 1000 + r, c) for r, c in zip([0, 10, 20, 30, 40, 50], [1, 0, 0, 1, 0, 1])]
    q2 = [row for row in q2 if row[1] > 5]  # r = 0 would be filtered anyway; keep edges simple
    dropped = [("q1", 3, 100, 1), ("q2", 500, 2048, 1)]
    bins = pool_bins(_table(q1 + q2 + dropped))
    # q2 kept r = 10..50 -> edges 10, 18, 26, 34, 42, 50 -> one per bin.
    assert bins.dropped_samples == 2
    np.testing.assert_array_equal(bins.count.sum(axis=0), [2, 2, 2, 2, 2])
    frame = reasoning_curve(bins, provider="r1", n_boot=200, seed=1)
    np.testing.assert_allclose(frame["accuracy"], [0.0, 0.0, 1.0, 0.5, 1.0])
    # tokens: mean total tokens of the bin's samples (q1: r + 100, q2: 1000 + r).
    np.testing.assert_allclose(frame["tokens"], [(110 + 1010) / 2, (120 + 1020) / 2, (130 + 1030) / 2, (140 + 1040) / 2, (150 + 1050) / 2])
    assert frame["theta"].tolist() == [1, 2, 3, 4, 5]
    assert list(frame.columns) == list(CURVE_COLUMNS)
    assert (frame["accuracy_lo"] <= frame["accuracy"]).all() and (frame["accuracy"] <= frame["accuracy_hi"]).all()


def test_empty_bin_is_an_error_naming_it():
    rows = [("q", r, 100, 1) for r in (10, 10, 10, 10, 10)]  # every edge equal: all in the last bin
    with pytest.raises(ValueError, match=r"bin\(s\) \[1, 2, 3, 4\]"):
        reasoning_curve(pool_bins(_table(rows)), provider="r1", n_boot=10)


def test_custom_quantiles_give_as_many_bins():
    rows = [("q", r, 100, r % 2) for r in range(10, 20)]
    frame = reasoning_curve(pool_bins(_table(rows), quantiles=[0, 0.5, 1]), provider="r1", n_boot=50)
    assert frame["theta"].tolist() == [1, 2]


def test_reasoning_curve_from_imported_traces_is_seeded(tmp_path):
    files = write_trace_folder(tmp_path / "t", n_questions=10, seed=5)
    out = tmp_path / "o"
    import_traces(
        files["GSM8K"]["reason-R1-D-Tiny-7B"], generations_out=out / "g.jsonl", grades_out=out / "gr.csv",
        rewards_out=out / "r.csv", report_out=out / "rep.json", dataset="gsm8k", provider="r1",
        answer_format="numeric", max_new_tokens=2048, samples=10,
    )
    a = build_reasoning_curve(out / "g.jsonl", out / "gr.csv", out / "a.csv", provider="r1", n_boot=300, seed=2)
    b = build_reasoning_curve(out / "g.jsonl", out / "gr.csv", out / "b.csv", provider="r1", n_boot=300, seed=2)
    q = build_reasoning_curve(out / "g.jsonl", out / "gr.csv", out / "q.csv", provider="r1", n_boot=300, seed=2, unit="question")
    pd.testing.assert_frame_equal(a, b)
    np.testing.assert_allclose(a["accuracy"], q["accuracy"])  # the unit changes the band, not the point
    # The fixture's accuracy rises with effort: the top bin beats the bottom one.
    assert a["accuracy"].iloc[-1] > a["accuracy"].iloc[0]
    assert pd.read_csv(out / "a.csv")["method"].eq("reasoning").all()


def _question(qid, counts, correct=None, total=100):
    n = len(counts)
    return pd.DataFrame(
        {
            "qid": qid,
            "reasoning_tokens": counts,
            "num_tokens": [total] * n,
            "correct": correct if correct is not None else [True] * n,
        }
    )


def test_single_kept_sample_goes_to_the_first_bin_with_jitter_and_the_last_without():
    t = _question("q", [400])
    assert pool_bins(t, ties="jitter", seed=0).count[0].tolist() == [1, 0, 0, 0, 0]
    assert pool_bins(t, ties="upper").count[0].tolist() == [0, 0, 0, 0, 1]


def test_jitter_splits_tied_counts_across_bins_and_is_seeded():
    t = _question("q", [300] * 10)
    upper = pool_bins(t, ties="upper").count[0]
    assert upper.tolist() == [0, 0, 0, 0, 10]  # all edges coincide: everything in the last bin
    a = pool_bins(t, ties="jitter", seed=1).count[0]
    assert a.tolist() == [2, 2, 2, 2, 2]  # jittered values are distinct: quantile bins of 10 samples
    b = pool_bins(t, ties="jitter", seed=1)
    np.testing.assert_array_equal(b.sample_correct, pool_bins(t, ties="jitter", seed=1).sample_correct)
    # Which tied samples land where depends on the seed (correctness tells them apart).
    labelled = _question("q", [300] * 10, correct=[True] * 5 + [False] * 5)
    draws = {tuple(pool_bins(labelled, ties="jitter", seed=s).correct[0]) for s in range(6)}
    assert len(draws) > 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=6, max_value=2000), min_size=2, max_size=30, unique=True))
def test_jitter_changes_nothing_when_counts_are_distinct(counts):
    """With two or more distinct integer counts a jitter below 1e-5 moves no sample across an edge
    (a single kept sample is the one case that differs, tested above)."""
    t = _question("q", counts)
    np.testing.assert_array_equal(pool_bins(t, ties="jitter", seed=3).count, pool_bins(t, ties="upper").count)


def test_unknown_tie_rule_is_refused():
    with pytest.raises(ValueError, match="ties must be one of"):
        pool_bins(_question("q", [10, 20]), ties="random")
