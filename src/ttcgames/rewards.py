"""Rewards for best-of-n: a ``RewardScorer`` gives each sample a score; best-of-n keeps the highest.

The default scorer needs no second model: a sample's mean token log-probability, recorded at
generation (``mean_logprob``), i.e. best-of-n by the model's own confidence. The paper scores
(question, answer) pairs with the reward model ArmoRM-Llama3-8B; that scorer belongs in
``SCORERS`` under ``armorm`` (GPU, a later issue) and will need the question text, which
``score_file`` already attaches to each record when given the dataset.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ttcgames.jsonl import ArtifactError, read_jsonl, write_csv

__all__ = ["RewardScorer", "MeanLogprobScorer", "SCORERS", "get_scorer", "score_file", "REWARD_COLUMNS"]

REWARD_COLUMNS = ("qid", "sample", "reward")


@runtime_checkable
class RewardScorer(Protocol):
    """Scores generation records (docs/contracts.md); higher is better."""

    def score(self, records: list[dict[str, Any]]) -> list[float]:
        """One finite reward per record, in order."""
        ...


class MeanLogprobScorer:
    """Reward = the sample's mean token log-probability under the sampling distribution (<= 0)."""

    def score(self, records: list[dict[str, Any]]) -> list[float]:
        rewards = []
        for i, rec in enumerate(records, start=1):
            value = rec.get("mean_logprob")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ArtifactError(f"record {i} (qid {rec.get('qid')!r}): 'mean_logprob' must be a finite number, got {value!r}")
            rewards.append(float(value))
        return rewards


# kind -> factory taking the scorer's config keys. ArmoRM ("armorm") is added by a later issue.
SCORERS: dict[str, type] = {"mean-logprob": MeanLogprobScorer}


def get_scorer(spec: str | dict[str, Any]) -> RewardScorer:
    """A scorer from its kind (``"mean-logprob"``) or a ``rewards:`` config block (``{kind: ..., ...}``)."""
    options = {"kind": spec} if isinstance(spec, str) else dict(spec)
    kind = options.pop("kind", None)
    if kind not in SCORERS:
        raise ValueError(f"unknown reward scorer {kind!r}; known: {', '.join(sorted(SCORERS))}")
    return SCORERS[kind](**options)


def score_file(
    gen_path: str | os.PathLike,
    out_path: str | os.PathLike,
    scorer: str | dict[str, Any] | RewardScorer = "mean-logprob",
    data_path: str | os.PathLike | None = None,
) -> Path:
    """Write ``results/rewards/{dataset}/{provider}.csv`` (``qid,sample,reward``) for a generations file.

    ``scorer`` is a kind, a ``rewards:`` block or a scorer object. With ``data_path``, each record
    gets its ``question`` attached first (reward models score question and answer together).
    """
    records = read_jsonl(gen_path, required=("qid", "sample", "text"))
    if data_path is not None:
        questions = {q["qid"]: q["question"] for q in read_jsonl(data_path, required=("qid", "question"))}
        for i, rec in enumerate(records, start=1):
            if rec["qid"] not in questions:
                raise ArtifactError(f"{gen_path}:{i}: qid {rec['qid']!r} is not in {data_path}")
            rec["question"] = questions[rec["qid"]]
    scorer_obj = scorer if isinstance(scorer, RewardScorer) else get_scorer(scorer)
    try:
        rewards = scorer_obj.score(records)
    except ArtifactError as exc:
        raise ArtifactError(f"{gen_path}: {exc}") from exc
    if len(rewards) != len(records):
        raise ValueError(f"{gen_path}: scorer returned {len(rewards)} rewards for {len(records)} records")
    rows = [{"qid": r["qid"], "sample": r["sample"], "reward": repr(float(w))} for r, w in zip(records, rewards)]
    return write_csv(out_path, rows, REWARD_COLUMNS)
