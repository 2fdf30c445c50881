import math

import numpy as np
import pytest

from ttcgames.game.market import Market, MarketError, market_from_rows, read_market_csv

APPENDIX_A = """provider,theta,accuracy,tokens,price_per_million,notes
P1,low,0.70,0.3125,1000000,x
P1,high,0.90,1.25,1000000,y
P2,low,0.50,0.625,1000000,
P2,high,0.95,12.5,1000000,
"""


def write(tmp_path, text, name="m.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def appendix_a_rows():
    # Appendix A: costs 0.25/1 and 0.5/10 dollars, price = 1.25 cost, $0.02 per accuracy point.
    return [
        {"provider": "P1", "theta": 1, "accuracy": 0.70, "tokens": 0.3125, "price_per_million": 1e6},
        {"provider": "P1", "theta": 2, "accuracy": 0.90, "tokens": 1.25, "price_per_million": 1e6},
        {"provider": "P2", "theta": 1, "accuracy": 0.50, "tokens": 0.625, "price_per_million": 1e6},
        {"provider": "P2", "theta": 2, "accuracy": 0.95, "tokens": 12.5, "price_per_million": 1e6},
    ]


def test_appendix_a_values_and_contributions():
    m = market_from_rows(appendix_a_rows(), alpha=2.0, baseline=0.0, margin=0.25)
    np.testing.assert_allclose(m.value, [[1.0875, 0.55], [0.375, -10.6]], rtol=1e-12)
    np.testing.assert_allclose(m.cost, [[0.25, 1.0], [0.5, 10.0]], rtol=1e-12)
    # U_1 = 0.25 * cost when serving the whole market (Eq. 17)
    np.testing.assert_allclose(m.profit[0], [0.0625, 0.25], rtol=1e-12)


def test_quality_formula_matches_paper_facts():
    rows = [{"provider": "a", "theta": 1, "accuracy": 0.5, "tokens": 1000, "price_per_million": 0.1}]
    m = market_from_rows(rows, alpha=0.008)
    assert m.quality[0, 0] == pytest.approx(0.008 * (0.1 + 0.9 * 0.5), rel=1e-12)
    assert m.price[0, 0] == pytest.approx(1e-4, rel=1e-12)
    assert m.cost[0, 0] == pytest.approx(1e-4 / 1.25, rel=1e-12)


def test_levels_sorted_per_provider_ragged_and_order_of_first_appearance():
    rows = [
        {"provider": "b", "theta": 4, "accuracy": 0.6, "tokens": 40, "price_per_million": 1},
        {"provider": "a", "theta": 1, "accuracy": 0.2, "tokens": 10, "price_per_million": 1},
        {"provider": "b", "theta": 1, "accuracy": 0.5, "tokens": 10, "price_per_million": 1},
        {"provider": "b", "theta": 2, "accuracy": 0.55, "tokens": 20, "price_per_million": 1},
    ]
    m = market_from_rows(rows, alpha=1.0)
    assert m.providers == ("b", "a")
    assert m.n_levels.tolist() == [3, 1]
    assert m.thetas[0].tolist() == [1, 2, 4]
    assert math.isnan(m.quality[1, 1])
    assert m.mask.tolist() == [[True, True, True], [True, False, False]]


@pytest.mark.parametrize(
    "line,bad,message",
    [
        (3, "P1,2,1.5,1,1", "line 3: accuracy 1.5 is outside [0, 1]"),
        (2, "P1,1,0.5,-1,1", "line 2: tokens -1.0 is negative"),
        (2, "P1,1,0.5,1,-0.1", "line 2: price_per_million -0.1 is negative"),
        (3, "P1,1,0.6,2,1", "line 3: duplicate (provider, theta) = ('P1', 1), first seen on line 2"),
        (2, "P1,1,nan,1,1", "line 2: column 'accuracy' is NaN"),
        (2, "P1,1,,1,1", "line 2: column 'accuracy' is not a number"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, line, bad, message):
    good = "P1,1,0.5,1,1" if line == 3 else "P1,2,0.6,2,1"
    body = [bad, good] if line == 2 else [good, bad]
    p = write(tmp_path, "provider,theta,accuracy,tokens,price_per_million\n" + "\n".join(body) + "\n")
    with pytest.raises(MarketError) as err:
        read_market_csv(p, alpha=1.0)
    assert str(p) in str(err.value)
    assert message in str(err.value)


def test_missing_column_is_named(tmp_path):
    p = write(tmp_path, "provider,theta,accuracy,price_per_million\nP1,1,0.5,1\n")
    with pytest.raises(MarketError, match=r"missing column\(s\) \['tokens'\]"):
        read_market_csv(p, alpha=1.0)


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(MarketError, match="cannot open"):
        read_market_csv(tmp_path / "nope.csv", alpha=1.0)
    with pytest.raises(MarketError, match="empty file"):
        read_market_csv(write(tmp_path, ""), alpha=1.0)


def test_bad_parameters():
    rows = appendix_a_rows()
    with pytest.raises(MarketError, match="margin must be positive"):
        market_from_rows(rows, alpha=1.0, margin=-0.1)
    with pytest.raises(MarketError, match="alpha must be positive"):
        market_from_rows(rows, alpha=0.0)
    with pytest.raises(MarketError, match="baseline"):
        market_from_rows(rows, alpha=1.0, baseline=1.0)


def test_amounts_whose_sums_overflow_are_refused_naming_the_file(tmp_path):
    # Each amount is a finite double, but welfare and outcomes add them over the providers: 2 providers
    # at 1e308 would sum to inf. Refused when built, with the file named; 1e297 is fine.
    path = write(tmp_path, APPENDIX_A.replace(",low,", ",1,").replace(",high,", ",2,"))
    with pytest.raises(MarketError, match=r"m\.csv: money amounts up to 9.55e\+307 are too large.*larger units"):
        read_market_csv(path, alpha=1e308)
    assert read_market_csv(path, alpha=1e297).quality.max() == pytest.approx(0.955e297)  # 0.1 + 0.9 x 0.95


def test_extra_columns_ignored_and_string_thetas_rejected(tmp_path):
    with pytest.raises(MarketError, match="line 2: column 'theta' is not a number"):
        read_market_csv(write(tmp_path, APPENDIX_A), alpha=2.0)
    ok = APPENDIX_A.replace(",low,", ",1,").replace(",high,", ",2,")
    m = read_market_csv(write(tmp_path, ok, "ok.csv"), alpha=2.0, baseline=0.0)
    np.testing.assert_allclose(m.value[:, 0], [1.0875, 0.375])


def test_from_measurements_is_section_2s_formulas_and_what_the_rows_build():
    """p = tokens x price / 1e6, c = p / (1 + margin), q = alpha (b + (1 - b) acc): Appendix A's
    numbers, the same market as from the rows, and one price per theta allowed."""
    m = Market.from_measurements(
        ["P1", "P2"], [[1, 2], [1, 2]], [[0.70, 0.90], [0.50, 0.95]], [[0.3125, 1.25], [0.625, 12.5]], [1e6, 1e6],
        alpha=2.0, baseline=0.0, margin=0.25,
    )
    rows = market_from_rows(appendix_a_rows(), alpha=2.0, baseline=0.0, margin=0.25)
    for name in ("quality", "price", "cost", "value"):
        np.testing.assert_array_equal(getattr(m, name), getattr(rows, name))
    np.testing.assert_allclose(m.cost, [[0.25, 1.0], [0.5, 10.0]], rtol=1e-12)
    ragged = Market.from_measurements(["a", "b"], [[1, 2], [4]], [[0.5, 1.0], [0.0]], [[100, 200], [1000]], [[1.0, 2.0], 3.0],
                                      alpha=0.01, baseline=0.1, margin=1.0)
    np.testing.assert_allclose(ragged.price[0], [1e-4, 4e-4])
    np.testing.assert_allclose(ragged.price[1, :1], [3e-3])
    assert np.isnan(ragged.price[1, 1]) and ragged.n_levels.tolist() == [2, 1]
    np.testing.assert_allclose(ragged.quality[:, 0], [0.01 * 0.55, 0.001])
    np.testing.assert_allclose(ragged.cost[0], ragged.price[0] / 2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(alpha=0.0), "alpha must be positive"),
    (dict(baseline=1.0), r"baseline must lie in \[0, 1\)"),
    (dict(margin=0.0), "margin must be positive"),
    (dict(v0=float("nan")), "v0 must be a finite number"),
])
def test_from_measurements_refuses_meaningless_parameters(kwargs, message):
    args = dict(alpha=0.008, baseline=0.1, margin=0.25, v0=0.0) | kwargs
    with pytest.raises(MarketError, match=message):
        Market.from_measurements(["a"], [[1]], [[0.5]], [[10]], [1.0], **args)
