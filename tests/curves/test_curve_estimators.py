"""Curve estimators: the reference's subsamples vs the exact expectation; voted-answer correctness."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_fixtures import write_trace_folder  # noqa: E402

from ttcgames.curves.estimators import build_method_curve, subsample_trials  # noqa: E402
from ttcgames.curves.exact import question_curves  # noqa: E402
from ttcgames.traces.importer import import_traces  # noqa: E402


def _q(answers, correct, rewards=None, qid="q"):
    n = len(answers)
    return pd.DataFrame(
        {
            "qid": qid,
            "sample": range(n),
            "answer": [a or "" for a in answers],
            "valid": [a is not None for a in answers],
            "correct": correct,
            "reward": rewards if rewards is not None else [0.0] * n,
            "num_tokens": [10] * n,
        }
    )


def test_vote_rules_by_hand_in_both_estimators():
    """Label 5 twice (sample 0 wrong, sample 1 right), 7 once: theta = 3 always elects 5."""
    t = _q(["5", "5", "7", None], [False, True, False, False])
    expected = {"any": 1.0, "first": 0.0, "fraction": 0.5}
    for rule, value in expected.items():
        exact = question_curves(t, "majority", [4], vote_rule=rule).accuracy[0, 0]
        sub = subsample_trials(t, "majority", [4], n_subsamples=30, vote_correct=rule)[0]
        assert exact == pytest.approx(value, abs=1e-12), rule
        np.testing.assert_allclose(sub, value)


def test_issue_example_exact_and_subsample_agree_at_theta_1():
    """Answers 5,5,5,5 with only the first marked correct: at theta = 1 the vote is right 1/4 of the time."""
    t = _q(["5"] * 4, [True, False, False, False])
    exact = question_curves(t, "majority", [1, 2, 4]).accuracy[0]
    np.testing.assert_allclose(exact, [0.25, 0.5, 1.0], atol=1e-12)
    sub = subsample_trials(t, "majority", [1, 2, 4], n_subsamples=20000, seed=3)[0].mean(axis=0)
    np.testing.assert_allclose(sub, exact, atol=0.02)


def test_subsample_majority_tie_is_broken_uniformly_and_no_valid_answer_is_wrong():
    t = _q(["A", "A", "B", "B"], [True, True, False, False])
    acc, tok = subsample_trials(t, "majority", [4], n_subsamples=4000, seed=0)
    assert abs(acc.mean() - 0.5) < 0.03
    assert tok[:, 0].tolist() == [40.0] * 4000
    none = _q([None, None], [False, False])
    assert subsample_trials(none, "majority", [2], n_subsamples=5)[0].sum() == 0


def test_subsample_any_rule_looks_inside_the_drawn_subset():
    # Answer 5 twice (one marked correct), 7 once: theta = 3 always votes 5, correct under 'any'.
    t = _q(["5", "5", "7"], [False, True, False])
    assert subsample_trials(t, "majority", [3], n_subsamples=20, vote_correct="any")[0].min() == 1.0
    frac = subsample_trials(t, "majority", [3], n_subsamples=20, vote_correct="fraction")[0]
    np.testing.assert_allclose(frac, 0.5)


def test_subsample_best_of_n_picks_the_highest_reward():
    t = _q(["1", "2", "3"], [False, True, False], rewards=[0.1, 0.9, -5.0])
    acc, _ = subsample_trials(t, "bon", [1, 3], n_subsamples=3000, seed=1)
    assert abs(acc[:, 0].mean() - 1 / 3) < 0.03
    assert acc[:, 1].min() == 1.0


@pytest.mark.parametrize("method,rule", [("majority", "any"), ("majority", "first"), ("majority", "fraction"), ("bon", "any")])
def test_subsample_estimate_converges_to_the_exact_expectation(tmp_path, method, rule):
    """Real-format traces (labels from explanations, verdicts that disagree within a label, tied
    bfloat16 rewards): for every vote rule the reference's subsample estimate is within 4 Monte-Carlo
    standard errors of the exact expectation, and seeded."""
    files = write_trace_folder(tmp_path / "t", n_questions=10, seed=11, corrupt=False)
    out = tmp_path / "o"
    import_traces(
        files["GSM8K"]["Mid-3B"], generations_out=out / "g.jsonl", grades_out=out / "gr.csv",
        rewards_out=out / "r.csv", report_out=out / "rep.json", dataset="gsm8k", provider="mid",
        answer_format="numeric", max_new_tokens=512, samples=16,
    )
    args = (out / "g.jsonl", out / "gr.csv", out / "r.csv")
    kw = dict(provider="mid", method=method, thetas=[1, 4, 8], vote_correct=rule)
    exact = build_method_curve(*args, out / "e.csv", estimator="exact", n_boot=100, **kw)
    sub = build_method_curve(*args, out / "s.csv", estimator="subsample", n_subsamples=600, seed=4, **kw)
    assert (np.abs(sub["accuracy"] - exact["accuracy"]) <= 4 * sub["mc_stderr"] + 1e-9).all()
    np.testing.assert_allclose(sub["tokens"], exact["tokens"], rtol=0.05)
    again = build_method_curve(*args, out / "s2.csv", estimator="subsample", n_subsamples=600, seed=4, **kw)
    pd.testing.assert_frame_equal(sub, again)  # seeded
