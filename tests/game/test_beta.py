"""ttcgames.game.beta: the one way to parse, label, compare and (de)serialise beta.

The expected strings are what the seven helpers it replaces wrote (config labels, games JSON,
CLI errors, table notes), so artifacts keep their bytes."""

import json
import math

import numpy as np
import pytest

from ttcgames.game import beta as B

INF = math.inf


@pytest.mark.parametrize(
    "raw, value",
    [
        ("1000", 1000.0),
        ("1e3", 1000.0),
        (" 0.5 ", 0.5),
        ("inf", INF),
        ("Infinity", INF),
        (" INF ", INF),
        ("+inf", INF),
        (1000, 1000.0),
        (0.5, 0.5),
        (INF, INF),
        (np.float64(2.0), 2.0),
        (np.int64(7), 7.0),
    ],
)
def test_parse_reads_text_numbers_and_infinity(raw, value):
    assert B.parse(raw) == value


@pytest.mark.parametrize(
    "raw, message",
    [
        ("nan", "beta must be positive or inf, got 'nan'"),
        ("0", "beta must be positive or inf, got '0'"),
        (-1.0, "beta must be positive or inf, got -1.0"),
        ("-inf", "beta must be positive or inf, got '-inf'"),
        ("high", "beta 'high' is not a number"),
        (True, "beta True is not a number"),
        (None, "beta None is not a number"),
        ([1], "beta [1] is not a number"),
    ],
)
def test_parse_refuses_what_is_not_a_beta(raw, message):
    with pytest.raises(B.BetaError) as err:
        B.parse(raw)
    assert str(err.value) == message
    with pytest.raises(ValueError, match=r"^games.table_beta: beta"):
        B.parse(raw, "games.table_beta")


@pytest.mark.parametrize(
    "raw, label",
    [
        (1000, "1000"),
        (1e5, "100000"),
        (0.5, "0.5"),
        ("inf", "inf"),
        (INF, "inf"),
        ("1e3", "1000"),
        (1000.0, "1000"),
        (0.1, "0.1"),
        (2.5e-7, "2.5e-07"),
    ],
)
def test_label_is_the_config_and_file_name_spelling(raw, label):
    assert B.label(raw) == label


@pytest.mark.parametrize("raw, text", [(1000.0, "1000"), (1e5, "100000"), (1e6, "1e+06"), (INF, "inf"), ("inf", "inf"), (200, "200"), (0.5, "0.5")])
def test_text_is_the_short_g_form_of_messages(raw, text):
    assert B.text(raw) == text


def test_json_round_trip_writes_inf_as_a_string_and_keeps_floats():
    assert B.to_json(INF) == "inf" and B.to_json("inf") == "inf"
    assert B.to_json(1000) == 1000.0 and isinstance(B.to_json(1000), float)
    # the games JSON wrote 1000.0 and "inf": the same bytes
    assert json.dumps([B.to_json(1000), B.to_json(0.5), B.to_json(INF)]) == '[1000.0, 0.5, "inf"]'
    for beta in (1000.0, 0.5, INF, 1e-300, 1e300):
        assert B.from_json(json.loads(json.dumps(B.to_json(beta)))) == beta
    with pytest.raises(B.BetaError, match="games\\[0\\].beta: beta 'x' is not a number"):
        B.from_json("x", "games[0].beta")


def test_same_matches_within_the_relative_tolerance_and_infinity_only_itself():
    assert B.same(1000, "1000") and B.same("inf", INF) and B.same(INF, "Infinity")
    assert B.same(1000.0, 1000.0 * (1 + 1e-10))
    assert not B.same(1000.0, 1000.0 * (1 + 1e-8))
    assert B.same(1000.0, 1000.0 * (1 + 1e-8), rel_tol=1e-7)
    assert not B.same(1e308, INF) and not B.same(INF, 1e308)
    assert not B.same(200, 1000)


def test_matches_is_same_over_an_array():
    column = np.array([200.0, 1000.0 * (1 + 1e-12), INF, 1000.0 * (1 + 1e-6), np.nan])
    assert B.matches(column, 1000).tolist() == [False, True, False, False, False]
    assert B.matches(column, "inf").tolist() == [False, False, True, False, False]
    assert B.matches(column, 1000, rel_tol=1e-5).tolist() == [False, True, False, True, False]


def test_find_gives_the_first_matching_index_or_none():
    listed = [200.0, "inf", 1000.0]
    assert B.find(listed, "1e3") == 2
    assert B.find(listed, INF) == 1
    assert B.find(listed, 500) is None
