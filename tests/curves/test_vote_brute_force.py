"""The exact curve estimators against brute force: every theta-subset of small questions enumerated,
ties split uniformly, each vote rule applied inside the drawn subset (ttcgames.curves.exact)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.curves.exact import VOTE_RULES, best_of_n_accuracy, majority_accuracy


def brute_majority(labels, correct, theta, rule):
    """Mean over all theta-subsets of the reference's vote: most votes among labelled samples,
    ties uniform among tied labels, no label never wins, correctness by ``rule`` within the subset."""
    n = len(labels)
    total = Fraction(0)
    subsets = list(itertools.combinations(range(n), theta))
    for sub in subsets:
        counts = {}
        for i in sub:
            if labels[i] is not None:
                counts[labels[i]] = counts.get(labels[i], 0) + 1
        if not counts:
            continue
        top = max(counts.values())
        tied = [lab for lab, c in counts.items() if c == top]
        for lab in tied:
            drawn = [i for i in sub if labels[i] == lab]
            if rule == "any":
                ok = Fraction(int(any(correct[i] for i in drawn)))
            elif rule == "first":
                ok = Fraction(int(correct[min(drawn)]))
            else:
                ok = Fraction(sum(correct[i] for i in drawn), len(drawn))
            total += ok / len(tied)
    return float(total / len(subsets))


def brute_best_of_n(rewards, correct, theta):
    """Mean over all theta-subsets of the correctness of the top reward, ties uniform."""
    n = len(rewards)
    total = Fraction(0)
    subsets = list(itertools.combinations(range(n), theta))
    for sub in subsets:
        top = max(rewards[i] for i in sub)
        tied = [i for i in sub if rewards[i] == top]
        total += Fraction(sum(correct[i] for i in tied), len(tied))
    return float(total / len(subsets))


question = st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from([None, "1", "2", "3", "4"]), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(question, st.sampled_from(VOTE_RULES))
def test_exact_majority_equals_brute_force(q, rule):
    labels, correct = q
    n = len(labels)
    thetas = list(range(1, n + 1))
    exact = majority_accuracy(
        [lab or "" for lab in labels], [lab is not None for lab in labels], correct, thetas, rule
    )
    brute = [brute_majority(labels, correct, t, rule) for t in thetas]
    np.testing.assert_allclose(exact, brute, rtol=0, atol=1e-12)


# bfloat16-like rewards: few distinct values, so ties are the rule rather than the exception.
rewards_q = st.integers(min_value=1, max_value=10).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0, 1.0078125]), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(rewards_q)
def test_exact_best_of_n_equals_brute_force_with_ties(q):
    rewards, correct = q
    thetas = list(range(1, len(rewards) + 1))
    exact = best_of_n_accuracy(rewards, correct, thetas)
    brute = [brute_best_of_n(rewards, correct, t) for t in thetas]
    np.testing.assert_allclose(exact, brute, rtol=0, atol=1e-12)


def test_a_question_full_of_ties():
    """Twelve samples on three reward levels, mixed verdicts on every level."""
    rewards = [0.5] * 5 + [0.25] * 4 + [-1.0] * 3
    correct = [True, False, False, True, False, True, True, False, False, True, False, True]
    thetas = list(range(1, 13))
    exact = best_of_n_accuracy(rewards, correct, thetas)
    np.testing.assert_allclose(exact, [brute_best_of_n(rewards, correct, t) for t in thetas], atol=1e-12)
    assert exact[-1] == pytest.approx(2 / 5)  # the whole set: uniform among the five at 0.5


def test_majority_rules_differ_exactly_where_verdicts_disagree():
    labels = ["7", "7", "7", "9", "9", None]
    correct = [False, True, False, False, False, True]
    got = {r: majority_accuracy([x or "" for x in labels], [x is not None for x in labels], correct, [3, 6], r) for r in VOTE_RULES}
    for r in VOTE_RULES:
        np.testing.assert_allclose(got[r], [brute_majority(labels, correct, t, r) for t in (3, 6)], atol=1e-12)
    assert got["any"][1] == pytest.approx(1.0)  # all six drawn: 7 wins 3-2 and one of its samples is right
    assert got["first"][1] == pytest.approx(0.0)  # its lowest-index sample (0) is wrong
    assert got["fraction"][1] == pytest.approx(1 / 3)
