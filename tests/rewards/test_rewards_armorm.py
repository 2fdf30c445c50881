"""The ArmoRM scorer's parts that need no reward model: chat construction, batching, padding,
and resumable sharded scoring in ``score_file``.

The 8B reward model itself needs a GPU and the hub; here the scorer's ``encode`` runs on the real
SmolLM2 tokenizer (set as the scorer's tokenizer, so the model is never loaded), and the resume
logic of ``score_file`` is exercised with a small counting scorer defined in this file.
"""

from __future__ import annotations

import math

import pytest

from ttcgames.io.csv_file import read_csv
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import write_jsonl
from ttcgames.rewards.armorm import (
    ARMORM_REPO,
    SCORERS,
    ArmoRMScorer,
    armorm_messages,
    get_scorer,
    length_sorted_batches,
    question_shards,
    right_pad,
    score_file,
)


def test_armorm_is_registered_and_lazy():
    scorer = get_scorer({"kind": "armorm", "batch_size": 4})
    assert isinstance(scorer, ArmoRMScorer) and SCORERS["armorm"] is ArmoRMScorer
    assert scorer.repo == ARMORM_REPO == "RLHFlow/ArmoRM-Llama3-8B-v0.1"
    assert scorer._model is None  # nothing loaded until a batch is scored
    assert scorer.spec == {"kind": "armorm", "repo": ARMORM_REPO, "revision": None, "dtype": "bfloat16", "max_length": None}
    with pytest.raises(ValueError, match="batch_size"):
        ArmoRMScorer(batch_size=0)


def test_armorm_chat_is_question_then_answer():
    assert armorm_messages("What is 2 + 2?", "4") == [
        {"role": "user", "content": "What is 2 + 2?"},
        {"role": "assistant", "content": "4"},
    ]


def test_encode_renders_the_chat_with_the_template(tokenizer):
    scorer = ArmoRMScorer()
    scorer._tokenizer = tokenizer  # the real encode path, on a small real tokenizer
    recs = [{"qid": "q1", "question": "What is 2 + 2?", "text": "It is \\boxed{4}."}]
    [ids] = scorer.encode(recs)
    rendered = tokenizer.apply_chat_template(armorm_messages("What is 2 + 2?", "It is \\boxed{4}."), tokenize=False)
    assert ids == tokenizer(rendered, add_special_tokens=False).input_ids
    text = tokenizer.decode(ids)
    assert text.index("What is 2 + 2?") < text.index("It is \\boxed{4}.")
    with pytest.raises(ArtifactError, match="record 1 \\(qid 'q1'\\): no 'question'"):
        scorer.encode([{"qid": "q1", "text": "4"}])


def test_encode_cuts_long_questions_from_the_left_never_the_answer(tokenizer):
    long_q = " ".join(f"word{i}" for i in range(300)) + " What is 2 + 2?"
    scorer = ArmoRMScorer(max_length=120)
    scorer._tokenizer = tokenizer
    [ids] = scorer.encode([{"qid": "q", "question": long_q, "text": "The answer is 4."}])
    assert len(ids) <= 120 + 2  # re-tokenising the cut text may shift a token or two
    text = tokenizer.decode(ids)
    assert "What is 2 + 2?" in text and "The answer is 4." in text and "word0 " not in text
    tiny = ArmoRMScorer(max_length=5)
    tiny._tokenizer = tokenizer
    with pytest.raises(ArtifactError, match="the answer alone exceeds max_length 5"):
        tiny.encode([{"qid": "q", "question": "q", "text": "a long answer " * 10}])


def test_length_sorted_batches():
    lengths = [5, 9, 5, 2, 9, 7]
    assert length_sorted_batches(lengths, 2) == [[1, 4], [5, 0], [2, 3]]
    assert sorted(i for b in length_sorted_batches(lengths, 4) for i in b) == list(range(6))
    # without a pad token no batch mixes lengths
    assert length_sorted_batches(lengths, 3, equal_lengths_only=True) == [[1, 4], [5], [0, 2], [3]]
    assert length_sorted_batches([], 3) == []
    with pytest.raises(ValueError):
        length_sorted_batches([1], 0)


def test_right_pad():
    ids, mask = right_pad([[1, 2, 3], [4]], pad_id=0)
    assert ids == [[1, 2, 3], [4, 0, 0]] and mask == [[1, 1, 1], [1, 0, 0]]
    assert right_pad([], 0) == ([], [])


def test_question_shards_keep_a_question_together():
    recs = [{"qid": q} for q in ["a", "a", "b", "c", "c", "c", "d"]]
    assert question_shards(recs, 2) == [[0, 1, 2], [3, 4, 5, 6]]
    assert question_shards(recs, 10) == [list(range(7))]


class CountingScorer:
    """Reward = length of the answer; records how many records each call scored."""

    spec = {"kind": "counting"}

    def __init__(self, fail_on: str | None = None):
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def score(self, records):
        qids = [r["qid"] for r in records]
        if self.fail_on in qids:
            raise RuntimeError("killed")
        assert all("question" in r for r in records)
        self.calls.append(qids)
        return [float(len(r["text"])) for r in records]


def _files(tmp_path, n_questions=5, n_samples=3):
    gens = [{"qid": f"q{i}", "sample": k, "text": "x" * (i + k + 1)} for i in range(n_questions) for k in range(n_samples)]
    data = [{"qid": f"q{i}", "question": f"question {i}", "answer": "1", "dataset": "d", "meta": {}} for i in range(n_questions)]
    return write_jsonl(tmp_path / "gen.jsonl", gens), write_jsonl(tmp_path / "data.jsonl", data)


def test_sharded_scoring_resumes_after_a_failure(tmp_path):
    gen, data = _files(tmp_path)
    shards = tmp_path / "p.shards"
    with pytest.raises(RuntimeError, match="killed"):
        score_file(gen, tmp_path / "r.csv", CountingScorer(fail_on="q4"), data, shard_dir=shards, shard_size=2)
    assert sorted(p.name for p in shards.glob("shard-*.jsonl")) == ["shard-00000.jsonl", "shard-00001.jsonl"]
    resumed = CountingScorer()
    out = score_file(gen, tmp_path / "r.csv", resumed, data, shard_dir=shards, shard_size=2)
    assert resumed.calls == [["q4"] * 3]  # only the unfinished shard
    rows = read_csv(out)
    assert [float(r["reward"]) for r in rows] == [float(i + k + 1) for i in range(5) for k in range(3)]
    # the same result as scoring in one go
    whole = score_file(gen, tmp_path / "whole.csv", CountingScorer(), data)
    assert read_csv(whole) == rows
    # a finished run scores nothing again
    again = CountingScorer()
    score_file(gen, tmp_path / "r.csv", again, data, shard_dir=shards, shard_size=2)
    assert again.calls == []


def test_changed_generations_discard_old_reward_shards(tmp_path):
    gen, data = _files(tmp_path)
    shards = tmp_path / "p.shards"
    score_file(gen, tmp_path / "r.csv", CountingScorer(), data, shard_dir=shards, shard_size=2)
    gen2, _ = _files(tmp_path, n_samples=4)  # regenerated with more samples
    fresh = CountingScorer()
    rows = read_csv(score_file(gen2, tmp_path / "r.csv", fresh, data, shard_dir=shards, shard_size=2))
    assert sum(len(c) for c in fresh.calls) == 20 and len(rows) == 20
    assert math.isclose(float(rows[-1]["reward"]), 4 + 3 + 1)
