"""ttcgames.game.results: the typed games JSON and sweep rows.

What a user cares about: a results file read and written back is the same bytes, and a file
missing something a report needs is refused with the file, the entry and the key."""

import csv
import io
import json
import math

import numpy as np
import pytest
from engine_strategies import random_market

from ttcgames.game.analysis import SWEEP_COLUMNS, analyse, beta_sweep
from ttcgames.game.quantities import QUANTITIES, TABLE2_AUCTION, TABLE2_GAME
from ttcgames.game.results import (
    OLD_FILE_HINT,
    GameResult,
    ResultsError,
    SweepRow,
    parse_games,
    read_games,
)
from ttcgames.game.results import SWEEP_COLUMNS as RESULT_SWEEP_COLUMNS

INF = math.inf


@pytest.fixture(scope="module")
def document():
    market = random_market(np.random.default_rng(3), 3, 4)
    doc, _ = analyse(market, [1.0, 1000.0, INF], seed=2, all_equilibria=True, parameters={"market": "m.csv", "alpha": 0.008})
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def test_reading_and_writing_back_is_byte_identical(document):
    typed = parse_games(json.loads(document), "games.json")
    assert json.dumps(typed.to_json(), indent=2, allow_nan=False) + "\n" == document
    assert typed.betas == [1.0, 1000.0, INF]
    assert typed.game_at("inf").equilibrium.iterations == json.loads(document)["games"][2]["equilibrium"]["iterations"]
    assert typed.game_at(500) is None


def test_a_game_without_all_equilibria_has_no_equilibria_key():
    market = random_market(np.random.default_rng(4), 2, 3)
    doc, _ = analyse(market, [1000.0], all_equilibria=False)
    game = GameResult.from_json(doc["games"][0], "g")
    assert game.equilibria is None
    assert game.to_json() == doc["games"][0]
    assert "equilibria" not in game.to_json()


def test_every_registered_stored_quantity_reads_from_the_typed_and_the_json_form(document):
    raw = json.loads(document)
    typed = parse_games(raw, "games.json")
    for q in QUANTITIES:
        if q.json_key is None:
            continue
        assert q.read(typed.games[1], typed.auction) == q.read(raw["games"][1], raw["auction"]), q.name
    assert set(TABLE2_GAME) | set(TABLE2_AUCTION) <= {q.name for q in QUANTITIES}


@pytest.mark.parametrize(
    "path, delete, message",
    [
        ((), "auction", "games.json: missing key(s) ['auction']"),
        (("auction",), "price", "games.json: auction: missing key(s) ['price']"),
        (("games", 1), "optimum", "games.json: games[1]: missing key(s) ['optimum']"),
        (("games", 0, "equilibrium"), "iterations", "games.json: games[0].equilibrium: missing key(s) ['iterations']"),
        (("games", 2, "optimum"), "welfare", "games.json: games[2].optimum: missing key(s) ['welfare']"),
    ],
)
def test_a_missing_key_is_named_with_file_and_entry(document, path, delete, message):
    raw = json.loads(document)
    obj = raw
    for k in path:
        obj = obj[k]
    del obj[delete]
    with pytest.raises(ResultsError) as err:
        parse_games(raw, "games.json")
    assert str(err.value) == message


def test_old_files_without_the_unweighted_means_get_a_hint_only_when_a_reader_needs_them(document):
    raw = json.loads(document)
    del raw["games"][1]["equilibrium"]["mean_price"]
    assert parse_games(raw, "g.json").games[1].equilibrium.mean_price is None  # Table 2 does not need them
    with pytest.raises(ResultsError) as err:
        parse_games(raw, "g.json", require_means=True)
    assert str(err.value) == f"g.json: games[1].equilibrium: missing key(s) ['mean_price']{OLD_FILE_HINT}"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["games"][0]["equilibrium"].update(price="0.1"), "games.json: games[0].equilibrium.price: not a number: '0.1'"),
        (lambda d: d["auction"].update(welfare=True), "games.json: auction.welfare: not a number: True"),
        (lambda d: d["games"][0].update(beta="high"), "games.json: games[0].beta: beta 'high' is not a number"),
        (lambda d: d.update(games=[]), "games.json: 'games' must be a non-empty list"),
        (lambda d: d["games"].__setitem__(0, [1]), "games.json: games[0]: expected an object"),
    ],
)
def test_a_wrong_value_is_named(document, edit, message):
    raw = json.loads(document)
    edit(raw)
    with pytest.raises(ResultsError) as err:
        parse_games(raw, "games.json")
    assert str(err.value) == message


def test_read_games_names_a_missing_file_and_bad_json(tmp_path, document):
    with pytest.raises(ResultsError, match=r"missing games file .*nope.json"):
        read_games(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "games": [,\n')
    with pytest.raises(ResultsError, match=r"bad.json: invalid JSON at line 2"):
        read_games(bad)
    good = tmp_path / "good.json"
    good.write_text(document)
    assert json.dumps(read_games(good).to_json(), indent=2) + "\n" == document


def test_sweep_rows_round_trip_through_the_csv():
    market = random_market(np.random.default_rng(8), 3, 3)
    rows = beta_sweep(market, [1.0, 1e4, INF], seed=1)
    assert RESULT_SWEEP_COLUMNS == SWEEP_COLUMNS
    assert [list(r) for r in rows] == [list(SWEEP_COLUMNS)] * 3
    assert rows[2]["beta"] == "inf" and rows[0]["beta"] == 1.0
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(SWEEP_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if r[k] is None else repr(r[k]) if isinstance(r[k], float) else r[k] for k in SWEEP_COLUMNS})
    back = [SweepRow.from_json(r, f"sweep.csv, line {i + 2}") for i, r in enumerate(csv.DictReader(io.StringIO(buf.getvalue())))]
    assert [b.to_json() for b in back] == rows
    with pytest.raises(ResultsError, match=r"sweep.csv, line 2.price: not a number: 'x'"):
        SweepRow.from_json(dict(rows[0], price="x"), "sweep.csv, line 2")


def test_a_sweep_row_needs_all_equilibria():
    market = random_market(np.random.default_rng(8), 2, 2)
    doc, _ = analyse(market, [10.0])
    with pytest.raises(ValueError, match="beta = 10: the sweep needs all pure equilibria"):
        SweepRow.from_game(GameResult.from_json(doc["games"][0], "g"))
