"""Sharded, resumable generation: dataset + provider -> ``results/generations/{dataset}/{provider}.jsonl``.

Steps of ``run_generation``:
1. read the dataset, validate the provider, and split the questions into shards of ``shard_size``
   questions (shard ``k`` = questions ``k*shard_size ...``);
2. compare the shard folder's ``manifest.json`` with this run's settings; on a mismatch (other
   seed, provider recipe, model, dataset content, shard size, batching or thread count) the old
   shards are deleted, since they would not match what this run produces;
3. generate every shard that has no finished file, each seeded from (master seed, provider id,
   shard index) only, and write it atomically as ``shard-<k>.jsonl``; a killed run therefore
   loses at most the shard in progress and a rerun skips the finished ones;
4. concatenate the shard files in order into the output (atomically), which is byte-identical
   to an uninterrupted run with the same settings.
The model is loaded only when a shard is still missing.
"""

from __future__ import annotations

import logging
import os
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ttcgames.data.datasets import read_dataset
from ttcgames.data.prompts import build_messages, get_prompt_style
from ttcgames.generation.base import (
    Engine,
    Sample,
    load_engine,
    reasoning_text,
    resolve_engine_name,
)
from ttcgames.generation.models import prepare_model
from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.digest import file_sha256
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import dumps_jsonl, read_jsonl
from ttcgames.io.progress import ShardLog
from ttcgames.io.shards import MANIFEST, SHARD_RE, TMP_RE, sync_manifest  # noqa: F401 (re-exported names)

__all__ = ["run_generation", "shard_seed", "GENERATION_KEYS", "PROVIDER_KEYS", "samples_to_records"]

log = logging.getLogger(__name__)

GENERATION_KEYS = ("qid", "sample", "text", "num_tokens", "reasoning_tokens", "finish_reason", "mean_logprob")
PROVIDER_KEYS = ("id", "model", "prompt", "temperature", "samples", "max_new_tokens")


def shard_seed(seed: int, provider_id: str, shard_index: int) -> int:
    """Seed of one shard: a function of (master seed, provider id, shard index) only.

    Mixing in the provider id keeps two providers that share a model and prompt from drawing the
    same random numbers; nothing depends on wall-clock time or on which shards ran before.
    """
    seq = np.random.SeedSequence([int(seed), zlib.crc32(provider_id.encode()), int(shard_index)])
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> 1)


def _check_provider(provider: dict[str, Any]) -> None:
    missing = [k for k in PROVIDER_KEYS if k not in provider]
    if missing:
        raise KeyError(f"provider {provider.get('id', '?')!r}: missing key(s) {', '.join(missing)}")
    for key in ("samples", "max_new_tokens"):
        value = provider[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"provider {provider['id']!r}: {key!r} must be a positive integer, got {value!r}")
    if not isinstance(provider["temperature"], (int, float)) or provider["temperature"] < 0:
        raise ValueError(f"provider {provider['id']!r}: 'temperature' must be >= 0, got {provider['temperature']!r}")
    get_prompt_style(provider["prompt"])


def _reasoning_tokens(engine: Engine, sample: Sample) -> int:
    """Tokens inside the think block: the engine's own count when it made one (vLLM, on token ids),
    else the model's tokenizer on the text before ``</think>`` (generated after the pre-filled ``<think>\\n``)."""
    if sample.reasoning_tokens is not None:
        return int(sample.reasoning_tokens)
    return engine.count_tokens(reasoning_text(sample.text))


def samples_to_records(qids: list[str], samples: list[list[Sample]], engine: Engine | None = None, reasoning: bool = False) -> list[dict[str, Any]]:
    """Generation records (docs/contracts.md) for ``samples[i]`` of question ``qids[i]``."""
    records = []
    for qid, per_question in zip(qids, samples, strict=True):
        for k, s in enumerate(per_question):
            records.append(
                {
                    "qid": qid,
                    "sample": k,
                    "text": s.text,
                    "num_tokens": s.num_tokens,
                    "reasoning_tokens": _reasoning_tokens(engine, s) if reasoning and engine else None,
                    "finish_reason": s.finish_reason,
                    "mean_logprob": s.mean_logprob,
                }
            )
    return records


def _finished_shard(path: Path, expected_rows: int) -> bool:
    """A shard counts as finished when its file exists and holds the expected number of records."""
    if not path.is_file():
        return False
    try:
        return len(read_jsonl(path, required=GENERATION_KEYS)) == expected_rows
    except ArtifactError:
        return False


def run_generation(
    dataset_path: str | os.PathLike,
    provider: dict[str, Any],
    model_spec: dict[str, Any],
    out_path: str | os.PathLike,
    shard_dir: str | os.PathLike,
    *,
    seed: int,
    shard_size: int = 4,
    model_cache_dir: str | os.PathLike | None = None,
    threads: int | None = None,
    max_batch_rows: int = 64,
    progress: bool = True,
) -> dict[str, Any]:
    """Generate ``provider['samples']`` answers per question of ``dataset_path`` into ``out_path``.

    ``provider`` is a ``providers:`` entry and ``model_spec`` the ``models:`` entry it names
    (docs/contracts.md); ``model_cache_dir`` holds the float32 copy of an embedded GGUF model
    (e.g. ``results/models/<model>``). ``threads`` sets torch's thread count (outputs are
    bit-reproducible for a fixed value), ``max_batch_rows`` caps the samples decoded together.
    Each finished shard logs one line (done/total, tokens/s, ETA; ``ttcgames.io.progress``);
    ``progress`` also draws the engine's per-batch bar (low refresh rate) on stderr.
    Returns a summary: shards total/skipped/generated, generated tokens, generation seconds.
    """
    _check_provider(provider)
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    dataset_path, out_path, shard_dir = Path(dataset_path), Path(out_path), Path(shard_dir)
    questions = read_dataset(dataset_path)
    n = provider["samples"]
    shards = [questions[i : i + shard_size] for i in range(0, len(questions), shard_size)]
    shard_paths = [shard_dir / f"shard-{k:05d}.jsonl" for k in range(len(shards))]
    settings = {"seed": int(seed), "shard_size": shard_size, "max_batch_rows": max_batch_rows, "threads": threads}
    _sync_manifest(shard_dir, _shard_manifest(provider, model_spec, settings, dataset_path, len(questions)))

    pending = [k for k, (shard, path) in enumerate(zip(shards, shard_paths)) if not _finished_shard(path, len(shard) * n)]
    summary = {"shards": len(shards), "skipped": len(shards) - len(pending), "generated": 0, "tokens": 0, "seconds": 0.0}
    if len(pending) < len(shards):
        log.info("%s: %d of %d shards already finished, skipping them", provider["id"], summary["skipped"], len(shards))
    if pending:
        model_dir = prepare_model(model_spec, model_cache_dir)
        engine = load_engine(model_spec, model_dir, threads=threads, max_batch_rows=max_batch_rows, progress=progress)
        _generate_pending(engine, provider, shards, shard_paths, pending, seed, summary)
    # Merge: the shard files' bytes in shard order, so the output does not depend on run history.
    atomic_write_text(out_path, "".join(p.read_text(encoding="utf-8") for p in shard_paths))
    return summary


def _generate_pending(
    engine: Engine, provider: dict[str, Any], shards: list[list[dict]], shard_paths: list[Path], pending: list[int], seed: int, summary: dict
) -> None:
    """Step 3 for the ``pending`` shards: generate each, write it atomically, log its progress, and
    add the shards, tokens and seconds to ``summary``."""
    n_questions = sum(len(shard) for shard in shards)
    shard_log = ShardLog(
        f"generate {provider['id']}",
        total=n_questions,
        n_shards=len(shards),
        done=n_questions - sum(len(shards[k]) for k in pending),
        done_shards=summary["skipped"],
    )
    start = time.perf_counter()
    for k in pending:
        records = _generate_shard(engine, provider, shards[k], seed, k)
        atomic_write_text(shard_paths[k], dumps_jsonl(records))
        tokens = sum(r["num_tokens"] for r in records)
        summary["generated"] += 1
        summary["tokens"] += tokens
        shard_log.shard_done(len(shards[k]), tokens=tokens)
    summary["seconds"] = time.perf_counter() - start
    log.info("%s: generated %d shards, %d tokens in %.1f s", provider["id"], summary["generated"], summary["tokens"], summary["seconds"])


def _shard_manifest(
    provider: dict[str, Any], model_spec: dict[str, Any], settings: dict[str, Any], dataset_path: Path, n_questions: int
) -> dict[str, Any]:
    """What the shards depend on (step 2): the provider recipe, the model, ``settings`` (seed, shard
    size, batching, threads) and the dataset's content; with ``engine: auto`` also the engine it
    resolves to here (the same spec gives other samples on a GPU, vLLM, than on a CPU, transformers)."""
    manifest = {
        "provider": {k: provider[k] for k in PROVIDER_KEYS},
        "model": model_spec,
        **settings,
        "dataset_sha256": file_sha256(dataset_path),
        "n_questions": n_questions,
    }
    if model_spec.get("engine") == "auto":
        manifest["resolved_engine"] = resolve_engine_name(model_spec)
    return manifest


def _generate_shard(engine: Engine, provider: dict[str, Any], shard: list[dict], seed: int, k: int) -> list[dict[str, Any]]:
    """The generation records of shard ``k`` (step 3), seeded by ``shard_seed(seed, provider id, k)`` only."""
    style = get_prompt_style(provider["prompt"])
    prompts = [engine.chat_prompt(build_messages(q["question"], style), style.assistant_prefix) for q in shard]
    samples = engine.generate(
        prompts,
        n=provider["samples"],
        temperature=float(provider["temperature"]),
        max_new_tokens=provider["max_new_tokens"],
        seed=shard_seed(seed, provider["id"], k),
    )
    return samples_to_records([q["qid"] for q in shard], samples, engine, style.reasoning)


def _sync_manifest(shard_dir: Path, manifest: dict[str, Any]) -> None:
    """Keep shards only if they were made with exactly these settings (``ttcgames.io.shards.sync_manifest``)."""
    sync_manifest(shard_dir, manifest)
