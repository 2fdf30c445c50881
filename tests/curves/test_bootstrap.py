"""Tests for ttcgames.curves.bootstrap (seeded percentile bootstrap over questions)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.curves.bootstrap import (
    bootstrap_chunk,
    bootstrap_interval,
    bootstrap_replicates,
    chunk_generator,
    percentile_interval,
)

TOL = 1e-12


def test_constant_values_give_degenerate_interval():
    lo, hi = bootstrap_interval(np.full(7, 0.25), 200, seed=3)
    assert abs(float(lo) - 0.25) < TOL and abs(float(hi) - 0.25) < TOL


def test_worked_example_single_replicate_matches_manual_resample():
    # One replicate of chunk 0 resamples the questions with chunk 0's generator.
    values = np.array([[0.0, 10.0], [1.0, 20.0], [0.5, 30.0]])
    idx = chunk_generator(11, 0).integers(0, 3, size=(1, 3))[0]
    rep = bootstrap_replicates(values, 1, seed=11)
    np.testing.assert_allclose(rep[0], values[idx].mean(axis=0), atol=TOL)


def test_weighted_replicate_is_ratio_of_sums():
    values = np.array([[1.0], [0.0], [0.5]])
    weights = np.array([2.0, 1.0, 4.0])
    idx = chunk_generator(5, 0).integers(0, 3, size=(1, 3))[0]
    rep = bootstrap_replicates(values, 1, seed=5, weights=weights)
    expected = (weights[idx] * values[idx, 0]).sum() / weights[idx].sum()
    assert abs(rep[0, 0] - expected) < TOL


def test_percentile_interval_of_known_replicates():
    reps = np.arange(101, dtype=float)  # quantiles 2.5 and 97.5 by linear interpolation
    lo, hi = percentile_interval(reps, 0.95)
    assert abs(float(lo) - 2.5) < TOL and abs(float(hi) - 97.5) < TOL


def test_interval_covers_mean_for_bernoulli_questions():
    rng = np.random.default_rng(0)
    values = (rng.random(400) < 0.7).astype(float)
    lo, hi = bootstrap_interval(values, 1000, seed=1)
    assert lo < values.mean() < hi
    # Normal-approximation half width is about 1.96 * sqrt(.21 / 400) = 0.045.
    assert 0.03 < (hi - lo) / 2 < 0.06


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(values=np.zeros((0, 2))), "zero questions"),
        (dict(values=np.array([1.0, np.nan])), "NaN"),
        (dict(values=np.zeros((2, 2, 2))), "1-D"),
        (dict(values=np.zeros(3), n_boot=0), "n_boot"),
        (dict(values=np.zeros(3), weights=np.array([1.0, -1.0, 1.0])), "non-negative"),
        (dict(values=np.zeros(3), weights=np.ones(4)), "weights must have shape"),
    ],
)
def test_bad_input_is_rejected(kwargs, message):
    values = kwargs.pop("values")
    with pytest.raises(ValueError, match=message):
        bootstrap_replicates(values, kwargs.pop("n_boot", 10), seed=0, **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    n_boot=st.integers(1, 60),
    chunk_size=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_replicates_do_not_depend_on_chunk_order(n_boot, chunk_size, seed):
    values = np.linspace(0.0, 1.0, 9)[:, None] * np.array([1.0, 3.0])
    whole = bootstrap_replicates(values, n_boot, seed=seed, chunk_size=chunk_size)
    n_chunks = -(-n_boot // chunk_size)
    # Run the chunks in reverse order, as a parallel scheduler might, and reassemble.
    parts = {}
    for c in reversed(range(n_chunks)):
        size = min(chunk_size, n_boot - c * chunk_size)
        parts[c] = bootstrap_chunk(values, seed=seed, chunk_index=c, size=size)
    again = np.concatenate([parts[c] for c in range(n_chunks)])
    np.testing.assert_allclose(whole, again, atol=TOL)


@settings(max_examples=30, deadline=None)
@given(small=st.integers(1, 50), extra=st.integers(0, 50), seed=st.integers(0, 1000))
def test_property_more_replicates_extend_fewer(small, extra, seed):
    values = np.arange(6, dtype=float)
    a = bootstrap_replicates(values, small, seed=seed, chunk_size=10)
    b = bootstrap_replicates(values, small + extra, seed=seed, chunk_size=10)
    np.testing.assert_allclose(a, b[:small], atol=TOL)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=30),
    seed=st.integers(0, 10_000),
)
def test_property_interval_lies_within_data_range(values, seed):
    arr = np.asarray(values)
    lo, hi = bootstrap_interval(arr, 50, seed=seed)
    assert arr.min() - 1e-9 <= lo <= hi <= arr.max() + 1e-9
