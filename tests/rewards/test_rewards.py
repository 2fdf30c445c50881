"""Rewards: the mean-logprob scorer, the scorer registry, and reward files."""

from __future__ import annotations

import math

import pytest

from ttcgames.io.csv_file import read_csv
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import write_jsonl
from ttcgames.rewards.armorm import REWARD_COLUMNS, MeanLogprobScorer, RewardScorer, get_scorer, score_file


def gen_records(logprobs):
    return [
        {"qid": "q1", "sample": k, "text": str(k), "num_tokens": 2, "reasoning_tokens": None, "finish_reason": "stop", "mean_logprob": lp}
        for k, lp in enumerate(logprobs)
    ]


def test_mean_logprob_scorer_ranks_the_most_confident_sample_first():
    scorer = get_scorer("mean-logprob")
    assert isinstance(scorer, RewardScorer)
    rewards = scorer.score(gen_records([-2.5, -0.1, -1.0]))
    assert rewards == [-2.5, -0.1, -1.0]
    assert max(range(3), key=rewards.__getitem__) == 1  # best-of-n keeps sample 1


def test_scorer_from_config_block_and_unknown_kind():
    assert isinstance(get_scorer({"kind": "mean-logprob"}), MeanLogprobScorer)
    with pytest.raises(ValueError, match="unknown reward scorer 'skywork'"):
        get_scorer({"kind": "skywork"})


@pytest.mark.parametrize("bad", [None, float("nan"), "0.5", True])
def test_missing_or_bad_logprob_is_named(bad):
    with pytest.raises(ArtifactError, match="record 2 \\(qid 'q1'\\): 'mean_logprob' must be a finite number"):
        MeanLogprobScorer().score(gen_records([-1.0, bad]))


def test_score_file_writes_the_contract_csv(tmp_path):
    gen = write_jsonl(tmp_path / "gen.jsonl", gen_records([-0.5, -1.0 / 3.0]))
    out = score_file(gen, tmp_path / "rewards" / "p.csv", {"kind": "mean-logprob"})
    rows = read_csv(out, required=REWARD_COLUMNS)
    assert [(r["qid"], r["sample"]) for r in rows] == [("q1", "0"), ("q1", "1")]
    assert math.isclose(float(rows[1]["reward"]), -1.0 / 3.0, rel_tol=0, abs_tol=1e-15)  # full precision


def test_score_file_attaches_questions_for_reward_models(tmp_path):
    seen = []

    class LengthScorer:  # a scorer that reads the question, as a reward model would
        def score(self, records):
            seen.extend(r["question"] for r in records)
            return [float(len(r["text"])) for r in records]

    gen = write_jsonl(tmp_path / "gen.jsonl", gen_records([-0.5]))
    data = write_jsonl(tmp_path / "data.jsonl", [{"qid": "q1", "question": "What is 1 + 1?", "answer": "2", "dataset": "d", "meta": {}}])
    score_file(gen, tmp_path / "r.csv", LengthScorer(), data_path=data)
    assert seen == ["What is 1 + 1?"]


def test_score_file_names_the_file_on_bad_records(tmp_path):
    gen = write_jsonl(tmp_path / "gen.jsonl", gen_records([-0.5, None]))
    with pytest.raises(ArtifactError, match="gen.jsonl: record 2"):
        score_file(gen, tmp_path / "r.csv")


def test_sharded_scoring_logs_one_line_per_scored_shard(tmp_path, caplog):
    records = [dict(r, qid=f"q{i}") for i in range(3) for r in gen_records([-0.5, -0.25])]
    gen = write_jsonl(tmp_path / "p1.jsonl", records)
    with caplog.at_level("INFO", logger="ttcgames.io.progress"):
        score_file(gen, tmp_path / "p1.csv", "mean-logprob", shard_dir=tmp_path / "shards", shard_size=2)
    lines = [r.getMessage() for r in caplog.records if r.name == "ttcgames.io.progress"]
    assert [line.split(", elapsed")[0] for line in lines] == [
        "rewards p1: shard 1/2 done, 2/3 questions (66.7%)",  # mean-logprob counts no tokens: no speed
        "rewards p1: shard 2/2 done, 3/3 questions (100.0%)",
    ]
