"""Tests for ttcgames.curves.exact: exact expected accuracy of majority vote and best-of-n over random
theta-subsets, tokens, input validation and the curve CSV stage."""

import itertools
import json
from collections import Counter
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.curves.estimators import build_method_curve
from ttcgames.curves.exact import (
    CURVE_COLUMNS,
    CurveInputError,
    best_of_n_accuracy,
    expected_tokens,
    majority_accuracy,
    question_curves,
    read_generations,
    read_grades,
    sample_table,
    summarise_curves,
)

TOL = 1e-12


# ---------------------------------------------------------------- brute force references


def brute_majority(answers, valid, correct, theta):
    """Average over all theta-subsets; uniform tie-break; answer correctness = mean of its samples."""
    n = len(answers)
    per_answer = {}
    for a, v, c in zip(answers, valid, correct):
        if v:
            per_answer.setdefault(a, []).append(float(c))
    total, count = Fraction(0), 0
    for sub in itertools.combinations(range(n), theta):
        count += 1
        votes = Counter(answers[i] for i in sub if valid[i])
        if not votes:
            continue
        top = max(votes.values())
        tied = [a for a, v in votes.items() if v == top]
        for a in tied:
            total += Fraction(sum(per_answer[a])) / len(per_answer[a]) / len(tied)
    return float(total / count)


def brute_best_of_n(rewards, correct, theta):
    n = len(rewards)
    total, count = Fraction(0), 0
    for sub in itertools.combinations(range(n), theta):
        count += 1
        top = max(rewards[i] for i in sub)
        tied = [i for i in sub if rewards[i] == top]
        total += Fraction(sum(int(correct[i]) for i in tied), len(tied))
    return float(total / count)


# ---------------------------------------------------------------- worked examples


def test_best_of_n_worked_example():
    # Rewards 3 > 2 > 1 > 0 with correctness 0, 1, 1, 0 (n = 4).
    # theta = 2: P(top = sample 0) = 3/6, sample 1: 2/6, sample 2: 1/6 -> accuracy 3/6.
    acc = best_of_n_accuracy([3.0, 2.0, 1.0, 0.0], [0, 1, 1, 0], [1, 2, 4])
    np.testing.assert_allclose(acc, [0.5, 0.5, 0.0], atol=TOL)


def test_best_of_n_ties_are_uniform():
    # Two samples tied at the top reward, one correct: full set picks either with prob 1/2.
    acc = best_of_n_accuracy([1.0, 1.0, 0.0], [1, 0, 1], [3])
    np.testing.assert_allclose(acc, [0.5], atol=TOL)


def test_majority_worked_example():
    # answers a a b (a correct) plus an invalid sample; n = 4.
    # theta = 2 subsets (6): {a,a} right, {a,b} x2 tie -> 1/2 each, {a,x} x2 right,
    # {b,x} wrong -> (1 + 1/2 + 1/2 + 1 + 1) / 6 = 4/6.
    answers = ["a", "a", "b", ""]
    valid = [True, True, True, False]
    correct = [True, True, False, False]
    acc = majority_accuracy(answers, valid, correct, [1, 2, 3, 4])
    # theta = 3 (4 subsets): {a,a,b}, {a,a,x} right; {a,b,x} x2 ties -> (1 + 1 + 1/2 + 1/2) / 4.
    np.testing.assert_allclose(acc, [0.5, 4 / 6, 0.75, 1.0], atol=TOL)


def test_majority_without_valid_answers_is_wrong():
    acc = majority_accuracy(["", ""], [False, False], [False, False], [1, 2])
    np.testing.assert_allclose(acc, [0.0, 0.0], atol=TOL)


def test_majority_invalid_never_wins():
    # Three invalid samples and one correct valid answer: any subset holding it is right.
    acc = majority_accuracy(["", "", "", "7"], [False, False, False, True], [False, False, False, True], [1, 2, 4])
    np.testing.assert_allclose(acc, [0.25, 0.5, 1.0], atol=TOL)


def test_expected_tokens_is_theta_times_mean():
    np.testing.assert_allclose(expected_tokens([10, 20, 30], [1, 2, 3]), [20.0, 40.0, 60.0], atol=TOL)


def test_theta_above_samples_is_rejected():
    with pytest.raises(ValueError, match="exceeds the 3 samples"):
        best_of_n_accuracy([1.0, 2.0, 3.0], [1, 0, 1], [4])


# ---------------------------------------------------------------- properties


@st.composite
def majority_case(draw):
    n = draw(st.integers(1, 8))
    answers = draw(st.lists(st.sampled_from(["1", "2", "3", "4"]), min_size=n, max_size=n))
    valid = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    gold = draw(st.sampled_from(["1", "2", "5"]))
    correct = [v and a == gold for a, v in zip(answers, valid)]
    answers = [a if v else "" for a, v in zip(answers, valid)]
    return answers, valid, correct


@settings(max_examples=120, deadline=None)
@given(case=majority_case())
def test_property_majority_matches_brute_force(case):
    answers, valid, correct = case
    thetas = list(range(1, len(answers) + 1))
    exact = majority_accuracy(answers, valid, correct, thetas)
    brute = [brute_majority(answers, valid, correct, t) for t in thetas]
    np.testing.assert_allclose(exact, brute, atol=1e-12)


@settings(max_examples=120, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=8),
)
def test_property_best_of_n_matches_brute_force(data):
    rewards = [float(r) for r, _ in data]  # few distinct values: plenty of ties
    correct = [c for _, c in data]
    thetas = list(range(1, len(data) + 1))
    exact = best_of_n_accuracy(rewards, correct, thetas)
    brute = [brute_best_of_n(rewards, correct, t) for t in thetas]
    np.testing.assert_allclose(exact, brute, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 128),
    seed=st.integers(0, 10_000),
)
def test_property_theta_one_is_mean_correctness_and_full_set_is_deterministic(n, seed):
    rng = np.random.default_rng(seed)
    answers = rng.integers(0, 6, n).astype(str)
    valid = rng.random(n) < 0.85
    correct = valid & (answers == "0")
    answers = np.where(valid, answers, "")
    acc = majority_accuracy(answers, valid, correct, [1, n])
    assert abs(acc[0] - correct.mean()) < 1e-12
    votes = Counter(answers[valid])
    if votes:
        top = max(votes.values())
        tied = [a for a, v in votes.items() if v == top]
        full = sum(a == "0" for a in tied) / len(tied)
    else:
        full = 0.0
    assert abs(acc[1] - full) < 1e-9
    rewards = rng.normal(size=n)
    bon = best_of_n_accuracy(rewards, correct, [1, n])
    assert abs(bon[0] - correct.mean()) < 1e-12
    assert abs(bon[1] - float(correct[np.argmax(rewards)])) < 1e-12


@settings(max_examples=30, deadline=None)
@given(n=st.integers(30, 128), seed=st.integers(0, 10_000))
def test_property_majority_close_to_monte_carlo_at_scale(n, seed):
    rng = np.random.default_rng(seed)
    answers = rng.choice(["0", "1", "2", "3", "4", "5", "6", "7"], size=n, p=[0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    valid = rng.random(n) < 0.9
    correct = valid & (answers == "0")
    answers = np.where(valid, answers, "")
    theta = int(rng.integers(2, min(n, 40)))
    exact = majority_accuracy(answers, valid, correct, [theta])[0]
    draws = 4000
    hits = 0.0
    for _ in range(draws):
        sub = rng.choice(n, theta, replace=False)
        votes = Counter(answers[i] for i in sub if valid[i])
        if votes:
            top = max(votes.values())
            tied = [a for a, v in votes.items() if v == top]
            hits += sum(a == "0" for a in tied) / len(tied)
    # Five standard errors of a proportion at worst p = 1/2.
    assert abs(exact - hits / draws) < 5 * 0.5 / np.sqrt(draws)


@settings(max_examples=40, deadline=None)
@given(rewards=st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=40), seed=st.integers(0, 999))
def test_property_best_of_n_moves_towards_top_sample(rewards, seed):
    # When only the strictly highest-reward sample is correct, accuracy is theta / n.
    r = np.asarray(rewards)
    correct = r == r.max()
    if correct.sum() != 1:
        return
    n = r.size
    thetas = np.arange(1, n + 1)
    np.testing.assert_allclose(best_of_n_accuracy(r, correct, thetas), thetas / n, atol=1e-12)


# ---------------------------------------------------------------- files and the stage


def write_inputs(tmp_path, n_questions=6, n_samples=8, seed=0):
    rng = np.random.default_rng(seed)
    gen_lines, grades, rewards = [], [], []
    for q in range(n_questions):
        skill = rng.random()
        for s in range(n_samples):
            ok = rng.random() < skill
            valid = ok or rng.random() < 0.7
            answer = "42" if ok else (str(rng.integers(0, 3)) if valid else "")
            gen_lines.append(
                json.dumps(
                    {
                        "qid": f"q{q}",
                        "sample": s,
                        "text": "...",
                        "num_tokens": int(rng.integers(5, 50)),
                        "reasoning_tokens": None,
                        "finish_reason": "stop",
                        "mean_logprob": -0.5,
                    }
                )
            )
            grades.append((f"q{q}", s, answer, valid, ok))
            rewards.append((f"q{q}", s, float(rng.normal() + ok)))
    gen = tmp_path / "gen.jsonl"
    gen.write_text("\n".join(gen_lines) + "\n")
    grd = tmp_path / "grades.csv"
    pd.DataFrame(grades, columns=["qid", "sample", "answer", "valid", "correct"]).to_csv(grd, index=False)
    rew = tmp_path / "rewards.csv"
    pd.DataFrame(rewards, columns=["qid", "sample", "reward"]).to_csv(rew, index=False)
    return gen, grd, rew


@pytest.mark.parametrize("method", ["majority", "bon"])
def test_build_curve_writes_contract_columns(tmp_path, method):
    gen, grd, rew = write_inputs(tmp_path)
    out = tmp_path / "curves" / "p.csv"
    frame = build_method_curve(gen, grd, rew, out, provider="p", method=method, thetas=[1, 2, 4, 8], n_boot=200, seed=1)
    written = pd.read_csv(out)
    assert list(written.columns) == list(CURVE_COLUMNS)
    assert written["theta"].tolist() == [1, 2, 4, 8]
    assert (written["n_questions"] == 6).all()
    assert (written["accuracy_lo"] <= written["accuracy"] + 1e-12).all()
    assert (written["accuracy"] <= written["accuracy_hi"] + 1e-12).all()
    assert (written["tokens_lo"] <= written["tokens"] + 1e-9).all()
    np.testing.assert_allclose(written["mc_stderr"], 0.0, atol=TOL)
    # Tokens scale linearly with theta.
    np.testing.assert_allclose(written["tokens"] / written["theta"], written["tokens"].iloc[0], rtol=1e-9)
    np.testing.assert_allclose(frame["accuracy"], written["accuracy"], atol=1e-9)
    assert not list(out.parent.glob("*.tmp-*"))


def test_build_curve_is_reproducible(tmp_path):
    gen, grd, rew = write_inputs(tmp_path)
    a = build_method_curve(gen, grd, rew, tmp_path / "a.csv", provider="p", method="bon", thetas=[1, 4], n_boot=100, seed=7)
    b = build_method_curve(gen, grd, rew, tmp_path / "b.csv", provider="p", method="bon", thetas=[1, 4], n_boot=100, seed=7)
    np.testing.assert_allclose(a["accuracy_lo"], b["accuracy_lo"], atol=TOL)


def test_question_curves_matrix_and_summary_agree(tmp_path):
    gen, grd, rew = write_inputs(tmp_path)
    table = sample_table(gen, grd, rew)
    qc = question_curves(table, "majority", [1, 2])
    assert qc.accuracy.shape == (6, 2) and qc.tokens.shape == (6, 2)
    summary = summarise_curves(qc, provider="p", method="majority", n_boot=50)
    np.testing.assert_allclose(summary["accuracy"], qc.accuracy.mean(axis=0), atol=TOL)


def test_too_few_samples_names_question(tmp_path):
    gen, grd, rew = write_inputs(tmp_path, n_samples=4)
    with pytest.raises(CurveInputError, match="question 'q0' has 4 samples"):
        build_method_curve(gen, grd, rew, tmp_path / "o.csv", provider="p", method="bon", thetas=[8])


def test_bad_json_line_is_named(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"qid": "a", "sample": 0, "num_tokens": 3}\n{oops\n')
    with pytest.raises(CurveInputError, match=r"g.jsonl:2: invalid JSON"):
        read_generations(path)


@pytest.mark.parametrize(
    "rt,message",
    [(-3, r"'reasoning_tokens' is -3"), (11, r"'reasoning_tokens' is 11"), (1.5, "'reasoning_tokens' must be an integer")],
)
def test_reasoning_tokens_outside_zero_to_num_tokens_are_named(tmp_path, rt, message):
    """Issue 11: a negative reasoning count was accepted (and binned as the least effort)."""
    path = tmp_path / "g.jsonl"
    path.write_text('{"qid": "a", "sample": 0, "num_tokens": 10, "reasoning_tokens": 4}\n'
                    + json.dumps({"qid": "a", "sample": 1, "num_tokens": 10, "reasoning_tokens": rt}) + "\n")
    with pytest.raises(CurveInputError, match=rf"g.jsonl, line 2: column {message}"):
        read_generations(path)


def test_reasoning_tokens_at_the_bounds_are_read(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"qid": "a", "sample": 0, "num_tokens": 10, "reasoning_tokens": 0}\n'
                    '{"qid": "a", "sample": 1, "num_tokens": 10, "reasoning_tokens": 10}\n'
                    '{"qid": "a", "sample": 2, "num_tokens": 10, "reasoning_tokens": null}\n')
    got = read_generations(path)["reasoning_tokens"].tolist()
    assert got[:2] == [0.0, 10.0] and np.isnan(got[2])


def test_bad_grade_value_is_named(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("qid,sample,answer,valid,correct\na,0,3,true,false\na,1,4,maybe,false\n")
    with pytest.raises(CurveInputError, match=r"grades.csv, line 3: column 'valid'"):
        read_grades(path)


def test_missing_grade_column_is_named(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("qid,sample,answer,valid\na,0,3,true\n")
    with pytest.raises(CurveInputError, match=r"missing column\(s\) \['correct'\]"):
        read_grades(path)


def test_mismatched_keys_are_reported(tmp_path):
    gen, grd, rew = write_inputs(tmp_path)
    frame = pd.read_csv(rew).iloc[1:]
    frame.to_csv(rew, index=False)
    with pytest.raises(CurveInputError, match=r"only in .*gen.jsonl, e.g. \('q0', 0\)"):
        sample_table(gen, grd, rew)


def test_duplicate_rows_are_reported(tmp_path):
    path = tmp_path / "rewards.csv"
    path.write_text("qid,sample,reward\na,0,1.0\na,0,2.0\n")
    gen = pd.DataFrame({"qid": ["a"], "sample": [0], "num_tokens": [3]})
    with pytest.raises(CurveInputError, match=r"rewards.csv, line 3: duplicate"):
        sample_table(gen, pd.DataFrame({"qid": ["a"], "sample": [0], "answer": ["1"], "valid": [True], "correct": [True]}), path)
