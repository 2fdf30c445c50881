import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.game.shares import market_shares

values_st = st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=8).map(np.array)


@given(values_st, st.sampled_from([1e-3, 1.0, 1e3, 1e6, 1e9, 1e12]), st.floats(-1.0, 1.0))
def test_property_softmax_shares_are_a_distribution_even_for_huge_beta(values, beta, v0):
    s = market_shares(values, beta, v0)
    assert np.isfinite(s).all()
    assert s.min() >= 0
    assert s.sum() == pytest.approx(1.0, abs=1e-12)


def test_softmax_matches_table_1():
    v = np.array([0.1, 0.3])
    s = market_shares(v, 2.0, v0=0.0)
    e = np.exp(2.0 * np.array([0.0, 0.1, 0.3]))
    np.testing.assert_allclose(s, e / e.sum(), rtol=1e-14)


def test_perfect_rationality_winner_takes_all_and_v0_competes():
    np.testing.assert_array_equal(market_shares(np.array([0.1, 0.3, 0.2]), np.inf), [0, 0, 1, 0])
    # abstention offers more than every provider: users abstain
    np.testing.assert_array_equal(market_shares(np.array([-0.1, -0.3]), np.inf, v0=0.0), [1, 0, 0])


def test_perfect_rationality_ties_split_equally_like_the_softmax_limit():
    v = np.array([0.3, 0.3, 0.1])
    np.testing.assert_allclose(market_shares(v, np.inf), [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(market_shares(v, 1e9), market_shares(v, np.inf), atol=1e-12)
    # a tie with the abstention value sends part of the demand to abstention
    np.testing.assert_allclose(market_shares(np.array([0.0, -1.0]), np.inf, v0=0.0), [0.5, 0.5, 0])


def test_large_beta_converges_to_perfect_rationality():
    v = np.array([0.010, 0.011, 0.005])
    np.testing.assert_allclose(market_shares(v, 1e7), market_shares(v, np.inf), atol=1e-12)


def test_batch_of_profiles():
    v = np.array([[0.1, 0.2], [0.3, -0.1]])
    s = market_shares(v, 10.0)
    assert s.shape == (2, 3)
    np.testing.assert_allclose(s[1], market_shares(v[1], 10.0))


@pytest.mark.parametrize("beta", [0.0, -1.0, float("nan")])
def test_bad_beta(beta):
    with pytest.raises(ValueError, match="beta must be positive"):
        market_shares(np.array([0.1]), beta)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=8).map(np.array),
       st.floats(min_value=1e-300, max_value=1.7e308), st.floats(-1e3, 1e3))
def test_property_shares_stay_finite_for_every_finite_beta(values, beta, v0):
    """beta x V may overflow a double (1e308 x 100): the shares are computed as beta (V - V_max)."""
    s = market_shares(values, beta, v0)
    assert np.isfinite(s).all()
    assert s.min() >= 0
    assert s.sum() == pytest.approx(1.0, abs=1e-12)


def test_overflowing_beta_gives_the_perfect_rationality_shares():
    v = np.array([100.0, 99.0, 100.0])
    np.testing.assert_array_equal(market_shares(v, 1e308), market_shares(v, np.inf))


def test_the_engine_refuses_a_beta_whose_weights_overflow():
    from ttcgames.game.equilibria import enumerate_equilibria
    from ttcgames.game.market import market_from_rows
    from ttcgames.game.optimum import social_optimum
    from ttcgames.game.payoffs import deviation_utilities
    from ttcgames.game.potential import potential

    rows = [{"provider": "a", "theta": 1, "accuracy": 0.5, "tokens": 10, "price_per_million": 1.0},
            {"provider": "b", "theta": 1, "accuracy": 0.9, "tokens": 20, "price_per_million": 1.0}]
    m = market_from_rows(rows, alpha=100.0)
    for call in (lambda: social_optimum(m, 1e308), lambda: enumerate_equilibria(m, 1e308),
                 lambda: deviation_utilities(m, np.array([0, 0]), 0, 1e308), lambda: potential(m, np.array([0, 0]), 1e308)):
        with pytest.raises(ValueError, match=r"beta = 1e\+308 is too large for these values.*use beta = inf"):
            call()
    assert social_optimum(m, 1e298).welfare > 0  # |beta V| below 1e300 is fine
    assert np.isfinite(potential(m, np.array([0, 0]), 1e298))
