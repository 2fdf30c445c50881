"""Tests for ttcgames.markets.build: gathering curves and prices into one market CSV."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.game.market import read_market_csv
from ttcgames.markets.build import MARKET_COLUMNS, MarketBuildError, build_market, read_curve

TOL = 1e-12


def write_curve(folder, provider, thetas, accuracy, tokens, method="bon"):
    folder.mkdir(parents=True, exist_ok=True)
    acc = np.asarray(accuracy, dtype=float)
    frame = pd.DataFrame(
        {
            "provider": provider,
            "method": method,
            "theta": thetas,
            "accuracy": acc,
            "accuracy_lo": np.clip(acc - 0.02, 0, 1),
            "accuracy_hi": np.clip(acc + 0.02, 0, 1),
            "tokens": tokens,
            "tokens_lo": np.asarray(tokens) * 0.95,
            "tokens_hi": np.asarray(tokens) * 1.05,
            "mc_stderr": 0.0,
            "n_questions": 50,
        }
    )
    path = folder / f"{provider}.csv"
    frame.to_csv(path, index=False)
    return path


def test_worked_example_two_providers(tmp_path):
    a = write_curve(tmp_path, "alpha-p", [1, 2, 4], [0.5, 0.6, 0.65], [100.0, 200.0, 400.0])
    b = write_curve(tmp_path, "beta-p", [4, 1, 2], [0.7, 0.4, 0.55], [800.0, 200.0, 400.0])
    out = tmp_path / "market.csv"
    frame = build_market([a, b], {"beta-p": 0.2, "alpha-p": 0.1}, out, dataset="gsm8k", method="bon")
    written = pd.read_csv(out)
    assert list(written.columns) == list(MARKET_COLUMNS)
    # Providers in price order, thetas ascending.
    assert written["provider"].tolist() == ["beta-p"] * 3 + ["alpha-p"] * 3
    assert written["theta"].tolist() == [1, 2, 4, 1, 2, 4]
    np.testing.assert_allclose(written["accuracy"], [0.4, 0.55, 0.7, 0.5, 0.6, 0.65], atol=TOL)
    np.testing.assert_allclose(written["price_per_million"], [0.2] * 3 + [0.1] * 3, atol=TOL)
    assert (written["dataset"] == "gsm8k").all()
    assert len(frame) == 6
    # The engine reads it: p = tokens * ppm / 1e6, q = alpha * (b + (1 - b) * acc).
    market = read_market_csv(out, alpha=0.008, baseline=0.1, margin=0.25)
    assert market.providers == ("beta-p", "alpha-p")
    np.testing.assert_allclose(market.price[0], [200 * 0.2e-6, 400 * 0.2e-6, 800 * 0.2e-6], rtol=1e-12)
    np.testing.assert_allclose(market.quality[1, 0], 0.008 * (0.1 + 0.9 * 0.5), rtol=1e-12)


def test_mapping_of_paths_is_accepted(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2], [0.1, 0.2], [1.0, 2.0])
    frame = build_market({"p1": a}, {"p1": 0.1}, tmp_path / "m.csv", method="bon")
    assert frame["provider"].unique().tolist() == ["p1"]


def test_missing_curve_is_named(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2], [0.1, 0.2], [1.0, 2.0])
    with pytest.raises(MarketBuildError, match=r"missing curve for provider\(s\) \['p2'\]"):
        build_market([a], {"p1": 0.1, "p2": 0.1}, tmp_path / "m.csv")


def test_missing_curve_file_is_named(tmp_path):
    with pytest.raises(MarketBuildError, match="missing curve file .*nope.csv"):
        build_market({"p1": tmp_path / "nope.csv"}, {"p1": 0.1}, tmp_path / "m.csv")


def test_unpriced_curve_is_named(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2], [0.1, 0.2], [1.0, 2.0])
    b = write_curve(tmp_path, "p2", [1, 2], [0.1, 0.2], [1.0, 2.0])
    with pytest.raises(MarketBuildError, match=r"no price_per_million for provider\(s\) \['p2'\]"):
        build_market([a, b], {"p1": 0.1}, tmp_path / "m.csv")


def test_theta_mismatch_is_reported(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2, 4], [0.1, 0.2, 0.3], [1.0, 2.0, 4.0])
    b = write_curve(tmp_path, "p2", [1, 2, 8], [0.1, 0.2, 0.3], [1.0, 2.0, 8.0])
    with pytest.raises(MarketBuildError, match=r"theta mismatch: provider 'p2'.*only in 'p2': \[8.0\]"):
        build_market([a, b], {"p1": 0.1, "p2": 0.1}, tmp_path / "m.csv")
    # Allowed on request (the engine supports per-provider levels).
    frame = build_market([a, b], {"p1": 0.1, "p2": 0.1}, tmp_path / "m.csv", same_thetas=False)
    assert len(frame) == 6


def test_method_and_provider_mismatch_are_reported(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2], [0.1, 0.2], [1.0, 2.0], method="majority")
    with pytest.raises(MarketBuildError, match="do not match 'bon'"):
        build_market([a], {"p1": 0.1}, tmp_path / "m.csv", method="bon")
    with pytest.raises(MarketBuildError, match="curve is for provider 'p1', expected 'p9'"):
        read_curve(a, provider="p9")


def test_bad_values_name_line_and_column(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2], [0.1, 1.5], [1.0, 2.0])
    with pytest.raises(MarketBuildError, match=r"p1.csv, line 3: column 'accuracy'"):
        read_curve(a)
    b = write_curve(tmp_path / "x", "p1", [1, 1], [0.1, 0.2], [1.0, 2.0])
    with pytest.raises(MarketBuildError, match=r"line 3: duplicate theta 1"):
        read_curve(b)


def test_non_positive_price_is_rejected(tmp_path):
    a = write_curve(tmp_path, "p1", [1, 2], [0.1, 0.2], [1.0, 2.0])
    with pytest.raises(MarketBuildError, match="price_per_million must be a positive number"):
        build_market([a], {"p1": 0.0}, tmp_path / "m.csv")


@settings(max_examples=30, deadline=None)
@given(
    n_providers=st.integers(1, 5),
    thetas=st.lists(st.integers(1, 128), min_size=1, max_size=6, unique=True),
    seed=st.integers(0, 1000),
)
def test_property_market_roundtrips_curves(tmp_path_factory, n_providers, thetas, seed):
    folder = tmp_path_factory.mktemp("m")
    rng = np.random.default_rng(seed)
    paths, prices, truth = [], {}, {}
    for i in range(n_providers):
        acc = rng.random(len(thetas))
        tok = rng.random(len(thetas)) * 1000
        paths.append(write_curve(folder, f"p{i}", thetas, acc, tok))
        prices[f"p{i}"] = float(rng.uniform(0.01, 1.0))
        truth[f"p{i}"] = dict(zip(thetas, zip(acc, tok)))
    frame = build_market(paths, prices, folder / "market.csv", method="bon")
    assert len(frame) == n_providers * len(thetas)
    again = pd.read_csv(folder / "market.csv")
    for row in again.itertuples():
        acc, tok = truth[row.provider][row.theta]
        assert abs(row.accuracy - acc) < 1e-9 and abs(row.tokens - tok) < 1e-6 * max(1.0, tok)
        assert abs(row.price_per_million - prices[row.provider]) < 1e-12
