"""Rewards for best-of-n: a ``RewardScorer`` gives each sample a score; best-of-n keeps the highest.

Scorers (``SCORERS``, the config's ``rewards.kind``):

- ``mean-logprob`` (default CPU market): a sample's mean token log-probability, recorded at
  generation, i.e. best-of-n by the model's own confidence; needs no second model;
- ``armorm`` (the paper): the reward model ``RLHFlow/ArmoRM-Llama3-8B-v0.1`` scores each
  (question, answer) pair rendered as a two-turn chat (``armorm_messages``); the reward is the
  model output's ``score`` field. Custom model code (``trust_remote_code=True``), bf16 on a GPU;
  torch and transformers are imported only when the first batch is scored.

``score_file`` attaches each record's question (from the dataset) and, given a ``shard_dir``,
scores shard by shard (``shard_size`` questions each) like generation: a killed job keeps its
finished shards and a rerun scores only the rest; shards made with other settings or another
generations file are discarded (``ttcgames.io.shards``).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.csv_file import write_csv
from ttcgames.io.digest import file_sha256
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import dumps_jsonl, read_jsonl
from ttcgames.io.progress import ShardLog, batch_bar
from ttcgames.io.shards import shard_path, sync_manifest

__all__ = [
    "RewardScorer",
    "MeanLogprobScorer",
    "ArmoRMScorer",
    "ARMORM_REPO",
    "armorm_messages",
    "length_sorted_batches",
    "right_pad",
    "SCORERS",
    "get_scorer",
    "score_file",
    "question_shards",
    "REWARD_COLUMNS",
]

log = logging.getLogger(__name__)

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


ARMORM_REPO = "RLHFlow/ArmoRM-Llama3-8B-v0.1"


def armorm_messages(question: str, answer: str) -> list[dict[str, str]]:
    """The chat ArmoRM scores: the question as the user turn, the sample as the assistant turn."""
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def length_sorted_batches(lengths: Sequence[int], batch_size: int, *, equal_lengths_only: bool = False) -> list[list[int]]:
    """Indices grouped into batches of at most ``batch_size``, longest first, so padding stays small.

    With ``equal_lengths_only`` a batch never mixes lengths (no padding at all), for a model that
    cannot tell padding from text. The order is deterministic (ties by index).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < batch_size and (not equal_lengths_only or lengths[batches[-1][0]] == lengths[i]):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def right_pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    """Right-padded token ids and their attention masks (ArmoRM reads the last real token's state,
    which it finds as the position before the first pad token)."""
    if not sequences:
        return [], []
    width = max(len(s) for s in sequences)
    ids = [list(s) + [pad_id] * (width - len(s)) for s in sequences]
    mask = [[1] * len(s) + [0] * (width - len(s)) for s in sequences]
    return ids, mask


class ArmoRMScorer:
    """The paper's reward model: ArmoRM-Llama3-8B scores (question, answer) chats; higher is better.

    Options (the ``rewards:`` block): ``repo`` (hub id or local folder), ``revision``,
    ``batch_size`` (chats per forward pass), ``dtype`` (``bfloat16`` on GPU), ``device`` (default
    ``cuda`` when available, else ``cpu``), ``max_length`` (longer chats are cut from the left of
    the question, never the answer; null = no limit). Records need ``question`` (``score_file``
    attaches it) and ``text``. Gated/private repos take the token from ``HF_TOKEN`` only.
    """

    def __init__(
        self,
        repo: str = ARMORM_REPO,
        revision: str | None = None,
        batch_size: int = 16,
        dtype: str = "bfloat16",
        device: str | None = None,
        max_length: int | None = None,
        progress: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"rewards.batch_size must be >= 1, got {batch_size}")
        self.repo, self.revision, self.batch_size = repo, revision, int(batch_size)
        self.dtype, self.device, self.max_length = dtype, device, max_length
        self.progress = bool(progress)  # a low-rate tqdm bar over each call's batches (ttcgames.io.progress)
        self.tokens_scored = 0  # chat tokens read so far (for tokens/s in the logs and benchmarks)
        self._model = None
        self._tokenizer = None
        self._pad_id: int | None = None

    @property
    def spec(self) -> dict[str, Any]:
        """The settings that decide the rewards (recorded in the shard manifest)."""
        return {"kind": "armorm", "repo": self.repo, "revision": self.revision, "dtype": self.dtype, "max_length": self.max_length}

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        import transformers.models.llama.modeling_llama as modeling_llama
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        # ArmoRM's custom code imports LLAMA_INPUTS_DOCSTRING, which newer transformers releases
        # dropped; it only feeds a docstring decorator, so an empty one keeps the import working.
        if not hasattr(modeling_llama, "LLAMA_INPUTS_DOCSTRING"):
            modeling_llama.LLAMA_INPUTS_DOCSTRING = ""
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = getattr(torch, str(self.dtype), None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"rewards.dtype: {self.dtype!r} is not a torch dtype")
        self._tokenizer = AutoTokenizer.from_pretrained(self.repo, revision=self.revision)
        self._model = (
            AutoModelForSequenceClassification.from_pretrained(self.repo, revision=self.revision, trust_remote_code=True, dtype=dtype)
            .to(device)
            .eval()
        )
        self._device = device
        pad = getattr(self._model.config, "pad_token_id", None)
        if pad is None:
            pad = self._tokenizer.pad_token_id
            if pad is not None:
                self._model.config.pad_token_id = pad
        self._pad_id = pad

    def chat_ids(self, question: str, answer: str) -> list[int]:
        """Token ids of one (question, answer) chat: the chat template rendered to text (it holds the
        BOS token), then tokenised without adding special tokens again."""
        text = self._tokenizer.apply_chat_template(armorm_messages(question, answer), tokenize=False)
        return list(self._tokenizer(text, add_special_tokens=False).input_ids)

    def encode(self, records: list[dict[str, Any]]) -> list[list[int]]:
        """Token ids of each record's (question, answer) chat under the reward model's chat template."""
        if self._tokenizer is None:
            self._load()
        encoded = []
        for i, rec in enumerate(records, start=1):
            if not isinstance(rec.get("question"), str):
                raise ArtifactError(f"record {i} (qid {rec.get('qid')!r}): no 'question' to score the answer against")
            ids = self.chat_ids(rec["question"], rec["text"])
            if self.max_length is not None and len(ids) > self.max_length:
                answer_ids = self.chat_ids("", rec["text"])
                if len(answer_ids) >= self.max_length:
                    raise ArtifactError(f"record {i} (qid {rec.get('qid')!r}): the answer alone exceeds max_length {self.max_length}")
                keep = self.max_length - len(answer_ids)
                question_ids = self._tokenizer(rec["question"], add_special_tokens=False).input_ids
                question = self._tokenizer.decode(question_ids[-keep:]) if keep > 0 else ""
                ids = self.chat_ids(question, rec["text"])
            encoded.append(ids)
        return encoded

    def score(self, records: list[dict[str, Any]]) -> list[float]:
        import torch

        encoded = self.encode(records)
        rewards: list[float | None] = [None] * len(records)
        batches = length_sorted_batches([len(e) for e in encoded], self.batch_size, equal_lengths_only=self._pad_id is None)
        bar = batch_bar(len(batches), "reward batches", enabled=self.progress)
        for batch in batches:
            ids, mask = right_pad([encoded[i] for i in batch], self._pad_id if self._pad_id is not None else 0)
            with torch.inference_mode():
                out = self._model(
                    input_ids=torch.tensor(ids, device=self._device),
                    attention_mask=torch.tensor(mask, device=self._device),
                )
            scores = out.score.float().reshape(-1).cpu().tolist()
            if len(scores) != len(batch):
                raise RuntimeError(f"reward model returned {len(scores)} scores for a batch of {len(batch)}")
            for i, value in zip(batch, scores):
                if not math.isfinite(value):
                    raise ArtifactError(f"record {i + 1} (qid {records[i].get('qid')!r}): reward model gave {value}")
                rewards[i] = float(value)
            self.tokens_scored += sum(len(encoded[i]) for i in batch)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        return [float(r) for r in rewards]


# kind -> factory taking the scorer's config keys.
SCORERS: dict[str, type] = {"mean-logprob": MeanLogprobScorer, "armorm": ArmoRMScorer}


def get_scorer(spec: str | dict[str, Any]) -> RewardScorer:
    """A scorer from its kind (``"mean-logprob"``) or a ``rewards:`` config block (``{kind: ..., ...}``)."""
    options = {"kind": spec} if isinstance(spec, str) else dict(spec)
    kind = options.pop("kind", None)
    if kind not in SCORERS:
        raise ValueError(f"unknown reward scorer {kind!r}; known: {', '.join(sorted(SCORERS))}")
    return SCORERS[kind](**options)


def question_shards(records: list[dict[str, Any]], shard_size: int) -> list[list[int]]:
    """Record indices grouped by question, ``shard_size`` questions per shard, in file order.

    A question's samples always land in one shard, so a shard is a unit that can be scored alone.
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    order: dict[str, list[int]] = {}
    for i, rec in enumerate(records):
        order.setdefault(rec["qid"], []).append(i)
    groups = list(order.values())
    return [[i for group in groups[k : k + shard_size] for i in group] for k in range(0, len(groups), shard_size)]


def _scorer_spec(scorer: str | dict[str, Any] | RewardScorer) -> Any:
    if isinstance(scorer, str):
        return {"kind": scorer}
    if isinstance(scorer, dict):
        return dict(scorer)
    return getattr(scorer, "spec", type(scorer).__name__)


def _finished_reward_shard(path: Path, keys: list[tuple[str, int]]) -> bool:
    if not path.is_file():
        return False
    try:
        rows = read_jsonl(path, required=("qid", "sample", "reward"))
    except ArtifactError:
        return False
    return [(r["qid"], r["sample"]) for r in rows] == keys


def score_file(
    gen_path: str | os.PathLike,
    out_path: str | os.PathLike,
    scorer: str | dict[str, Any] | RewardScorer = "mean-logprob",
    data_path: str | os.PathLike | None = None,
    *,
    shard_dir: str | os.PathLike | None = None,
    shard_size: int = 16,
    progress: bool = False,
) -> Path:
    """Write ``results/rewards/{dataset}/{provider}.csv`` (``qid,sample,reward``) for a generations file.

    ``scorer`` is a kind, a ``rewards:`` block or a scorer object. With ``data_path``, each record
    gets its ``question`` attached first (reward models score question and answer together). With
    ``shard_dir``, records are scored ``shard_size`` questions at a time and each finished shard is
    kept (``shard-<k>.jsonl``) so a rerun resumes; the scorer (and its model) is built only when a
    shard is still missing. Each finished shard logs one line (done/total questions, tokens/s
    for scorers that count them, ETA); ``progress`` also draws the scorer's per-batch bar.
    """
    records = read_jsonl(gen_path, required=("qid", "sample", "text"))
    if data_path is not None:
        _attach_questions(records, gen_path, data_path)
    run = _LazyScorer(scorer, gen_path, progress)
    if shard_dir is None:
        rewards = run(records)
    else:
        manifest = {
            "scorer": _scorer_spec(scorer),
            "generations_sha256": file_sha256(gen_path),
            "data_sha256": file_sha256(data_path) if data_path is not None else None,
            "shard_size": shard_size,
        }
        sync_manifest(shard_dir, manifest)
        rewards = _score_in_shards(records, run, shard_dir, shard_size, gen_path)
    rows = [{"qid": r["qid"], "sample": r["sample"], "reward": repr(float(w))} for r, w in zip(records, rewards)]
    return write_csv(out_path, rows, REWARD_COLUMNS)


def _attach_questions(records: list[dict[str, Any]], gen_path: str | os.PathLike, data_path: str | os.PathLike) -> None:
    """Give each record the ``question`` of its qid from the dataset file (ArtifactError naming the line if absent)."""
    questions = {q["qid"]: q["question"] for q in read_jsonl(data_path, required=("qid", "question"))}
    for i, rec in enumerate(records, start=1):
        if rec["qid"] not in questions:
            raise ArtifactError(f"{gen_path}:{i}: qid {rec['qid']!r} is not in {data_path}")
        rec["question"] = questions[rec["qid"]]


class _LazyScorer:
    """Scores batches of records with ``scorer``, building it (and loading its model) at the first batch only;
    errors name the generations file."""

    def __init__(self, scorer: str | dict[str, Any] | RewardScorer, gen_path: str | os.PathLike, progress: bool) -> None:
        self.spec = scorer
        self.scorer: RewardScorer | None = scorer if isinstance(scorer, RewardScorer) else None
        self.gen_path = gen_path
        self.progress = progress

    @property
    def tokens_scored(self) -> int | None:
        """The scorer's token count so far, for scorers that count tokens (None otherwise or before the first batch)."""
        return getattr(self.scorer, "tokens_scored", None)

    def __call__(self, batch: list[dict[str, Any]]) -> list[float]:
        if self.scorer is None:
            self.scorer = get_scorer(self.spec)  # type: ignore[arg-type]
            if self.progress and hasattr(self.scorer, "progress"):
                self.scorer.progress = True
        try:
            rewards = self.scorer.score(batch)
        except ArtifactError as exc:
            raise ArtifactError(f"{self.gen_path}: {exc}") from exc
        if len(rewards) != len(batch):
            raise ValueError(f"{self.gen_path}: scorer returned {len(rewards)} rewards for {len(batch)} records")
        return [float(w) for w in rewards]


def _score_in_shards(
    records: list[dict[str, Any]], run: _LazyScorer, shard_dir: str | os.PathLike, shard_size: int, gen_path: str | os.PathLike
) -> list[float]:
    """Each record's reward, scoring only the shards (``question_shards``) without a finished file and
    reading every reward back from the shard files, so a resumed run gives the same numbers."""
    shards = question_shards(records, shard_size)
    rewards = [0.0] * len(records)
    keys = [[(records[i]["qid"], records[i]["sample"]) for i in idx] for idx in shards]
    todo = {k for k in range(len(shards)) if not _finished_reward_shard(shard_path(shard_dir, k), keys[k])}
    skipped = len(shards) - len(todo)
    questions = [len({records[i]["qid"] for i in idx}) for idx in shards]
    shard_log = ShardLog(
        f"rewards {Path(gen_path).stem}",
        total=sum(questions),
        n_shards=len(shards),
        done=sum(questions) - sum(questions[k] for k in todo),
        done_shards=skipped,
    )
    for k, idx in enumerate(shards):
        path = shard_path(shard_dir, k)
        if k in todo:
            before = run.tokens_scored
            values = run([records[i] for i in idx])
            atomic_write_text(path, dumps_jsonl([{"qid": q, "sample": s, "reward": v} for (q, s), v in zip(keys[k], values)]))
            after = run.tokens_scored
            shard_log.shard_done(questions[k], tokens=after - (before or 0) if after is not None else None)
        for i, row in zip(idx, read_jsonl(path, required=("reward",))):
            rewards[i] = float(row["reward"])
    log.info("%s: %d reward shards, %d already finished", gen_path, len(shards), skipped)
    return rewards
