"""The CSV and JSON-document writers and the CSV reader (ttcgames.io.csv_file, ttcgames.io.json_file)."""

import json
import math

import pytest

from ttcgames.io.csv_file import read_csv, write_csv
from ttcgames.io.errors import ArtifactError
from ttcgames.io.json_file import write_json


def test_csv_round_trip_writes_booleans_and_none_as_text(tmp_path):
    path = write_csv(tmp_path / "sub" / "a.csv", [{"k": 1, "ok": True, "x": None}, {"k": 2, "ok": False, "x": 0.5}], ["k", "ok", "x"])
    assert path.read_text() == "k,ok,x\n1,true,\n2,false,0.5\n"
    assert read_csv(path, ("k", "ok")) == [{"k": "1", "ok": "true", "x": ""}, {"k": "2", "ok": "false", "x": "0.5"}]


def test_a_lone_carriage_return_survives_the_round_trip(tmp_path):
    rows = [{"text": "a\rb", "n": 1}, {"text": "plain", "n": 2}]
    path = write_csv(tmp_path / "cr.csv", rows, ["text", "n"])
    assert [r["text"] for r in read_csv(path)] == ["a\rb", "plain"]


def test_csv_writer_refuses_an_unknown_column(tmp_path):
    with pytest.raises(ValueError):
        write_csv(tmp_path / "a.csv", [{"k": 1, "extra": 2}], ["k"])
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize(
    "body, required, message",
    [
        ("k\n1\n", ("k", "v"), r"a.csv:1: header lacks column\(s\) v"),
        ("k,v\n1,2\n3,4,5\n", (), r"a.csv:3: more cells than header columns"),
    ],
)
def test_bad_csv_names_file_and_line(tmp_path, body, required, message):
    path = tmp_path / "a.csv"
    path.write_text(body)
    with pytest.raises(ArtifactError, match=message):
        read_csv(path, required)


def test_missing_csv_is_named(tmp_path):
    with pytest.raises(ArtifactError, match="none.csv: file not found"):
        read_csv(tmp_path / "none.csv")


def test_json_document_is_indented_and_refuses_nan(tmp_path):
    path = write_json(tmp_path / "a.json", {"b": [1, 2], "a": "é"})
    assert path.read_text(encoding="utf-8") == '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "é"\n}\n'
    assert json.loads(path.read_text(encoding="utf-8")) == {"b": [1, 2], "a": "é"}
    with pytest.raises(ValueError):
        write_json(tmp_path / "nan.json", {"x": math.nan})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]  # no partial file, no temp file
