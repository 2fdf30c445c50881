"""Tests for ttcgames.curves.bootstrap (seeded percentile bootstrap over questions)."""

from concurrent.futures import ThreadPoolExecutor

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
    question_draws,
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


def _draw_by_hand(n_questions: int, seed: int, chunk_size: int, r: int) -> np.ndarray:
    """The questions replicate ``r`` resamples, as the module docstring defines them and computed
    without the module: row r % chunk_size of a full chunk's draw from chunk r // chunk_size's own
    generator, ``default_rng(SeedSequence(seed, spawn_key=(chunk,)))``."""
    chunk, row = divmod(r, chunk_size)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    return rng.integers(0, n_questions, size=(chunk_size, n_questions))[row]


@settings(max_examples=40, deadline=None)
@given(
    n_boot=st.integers(1, 60),
    chunk_size=st.integers(1, 25),
    n_questions=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_each_replicate_is_its_own_chunks_draw(n_boot, chunk_size, n_questions, seed):
    """Replicate r is the mean over the questions its own chunk's generator draws for it, so it
    depends on (seed, chunk_size, r) only: not on n_boot, the number of chunks or the order they
    run in. ``question_draws`` returns exactly these draws (the paired bootstrap of
    ttcgames.uncertainty resamples the same questions as the curves' bands)."""
    values = np.random.default_rng(seed).random((n_questions, 2)) * np.array([1.0, 300.0])
    reps = bootstrap_replicates(values, n_boot, seed=seed, chunk_size=chunk_size)
    draws = question_draws(n_questions, n_boot, seed=seed, chunk_size=chunk_size)
    assert reps.shape == (n_boot, 2) and draws.shape == (n_boot, n_questions)
    for r in range(n_boot):
        idx = _draw_by_hand(n_questions, seed, chunk_size, r)
        np.testing.assert_array_equal(draws[r], idx)
        np.testing.assert_allclose(reps[r], values[idx].mean(axis=0), rtol=TOL, atol=TOL)


def test_chunks_run_in_parallel_in_any_order_give_the_sequential_replicates():
    """A parallel scheduler runs the chunks in threads, out of order, interleaved with another
    seed's chunks: the reassembled replicates equal the sequential run's to the bit."""
    values = np.random.default_rng(0).random((13, 3))
    n_boot, chunk_size = 95, 10
    sizes = [min(chunk_size, n_boot - c * chunk_size) for c in range(10)]
    jobs = [(seed, c) for c in (7, 2, 9, 0, 5, 1, 8, 3, 6, 4) for seed in (21, 22)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parts = dict(zip(jobs, pool.map(lambda job: bootstrap_chunk(values, seed=job[0], chunk_index=job[1], size=sizes[job[1]]), jobs)))
    for seed in (21, 22):
        again = np.concatenate([parts[(seed, c)] for c in range(10)])
        assert again.tobytes() == bootstrap_replicates(values, n_boot, seed=seed, chunk_size=chunk_size).tobytes()
    assert not np.array_equal(parts[(21, 0)], parts[(22, 0)])


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
