"""The package's one JSONL reader (ttcgames.io.jsonl.iter_jsonl) and the file hash (ttcgames.io.digest)."""

import hashlib

import pytest

from ttcgames.curves.exact import CurveInputError, read_generations
from ttcgames.io.digest import file_sha256
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import iter_jsonl, read_jsonl


def test_lines_numbered_blank_lines_skipped(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"k": 1}\n\n  \n{"k": 2, "x": "\\u00e9"}\n', encoding="utf-8")
    assert list(iter_jsonl(path, ("k",))) == [(1, {"k": 1}), (4, {"k": 2, "x": "é"})]
    assert read_jsonl(path) == [{"k": 1}, {"k": 2, "x": "é"}]


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"k": 1}\n{oops\n', r"a.jsonl:2: invalid JSON"),
        (b'{"k": 1}\n[1, 2]\n', r"a.jsonl:2: expected a JSON object, got list"),
        (b'{"k": 1}\n\n{"j": 1}\n', r"a.jsonl:3: missing key\(s\) k"),
        (b'{"k": 1}\n{"k": "\xff"}\n', r"a.jsonl:2: not valid UTF-8"),
    ],
)
def test_bad_lines_are_named(tmp_path, body, message):
    path = tmp_path / "a.jsonl"
    path.write_bytes(body)
    with pytest.raises(ArtifactError, match=message):
        read_jsonl(path, ("k",))


def test_stage_error_class_and_missing_file(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"qid": "a", "sample": 0}\n')
    with pytest.raises(CurveInputError, match=r"g.jsonl:1: missing key\(s\) num_tokens"):
        read_generations(path)
    with pytest.raises(ArtifactError, match="none.jsonl: file not found"):
        read_jsonl(tmp_path / "none.jsonl")


def test_file_sha256_matches_hash_of_the_bytes(tmp_path):
    path = tmp_path / "blob.bin"
    data = bytes(range(256)) * 9000  # larger than one read block
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_sha256(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
