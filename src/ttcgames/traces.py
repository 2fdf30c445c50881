"""Import the paper's released generation traces into the workflow's generation, grade and reward
artifacts (docs/contracts.md), so every later stage is shared with the generating path.

The traces are the Hugging Face dataset ``Human-Centric-Machine-Learning/strategic-ttc-data``
(folders ``GSM8K/``, ``AIME/``, ``GPQA/``; one JSONL file per model configuration, e.g.
``Llama-3-8B--temp-0.6--samples-128--max-512.jsonl``; the model name is the file name up to
``--temp``). One JSON object per line (one question):

- ``qid``; ``explanations``: one text per sample; ``correct``: one boolean per sample;
- ``rewards``: one float or null per sample (reward model score; may be absent);
- ``num_tokens``: an int per sample (non-reasoning models) or a ``[reasoning_tokens, total_tokens]``
  pair per sample (reasoning models).

Steps (``import_traces``):

1. ``locate_trace_file`` / ``fetch_trace_file``: find the file of a model in a local folder, or
   download only that file from the hub (``snapshot_download`` with ``allow_patterns``).
2. ``read_trace_file``: parse every line (``parse_trace_record``). A line that is not JSON or not a
   well-formed record is a *bad line*: with policy ``fail`` the import stops with an error naming
   file and line; with ``skip`` it is counted and listed in the report (never silently dropped, the
   authors' loader drops such lines without a word). A repeated qid keeps its first occurrence, as
   the authors' loader does, and each repeat is reported with both line numbers.
3. ``trace_rows``: one generation record, grade row and reward row per sample. ``answer`` is
   parsed from the sample's text with the project's extraction (``ttcgames.grading`` numbers,
   ``ttcgames.choices`` letters for GPQA) because majority voting needs answers; correctness
   comes from the trace. The grades CSV keeps ``correct = trace correct and valid`` (the contract:
   an unparsed sample cannot be correct) plus ``trace_correct``, the trace's own flag, which
   best-of-n and the reasoning bins use (a correct sample our parser cannot read stays correct
   there, as in the reference implementation).
4. Null rewards: the reference ranks them below every real reward (``-inf``). The rewards CSV must
   hold finite numbers, so with policy ``lowest`` a null reward is written as (lowest real reward
   of the file - 1) with ``reward_missing = true``: the same ranking; policy ``fail`` stops.
5. A report JSON per file: counts of lines, bad lines (line and reason), repeated qids,
   truncated and short questions, unparsed answers, correct-but-unparsed samples, answers whose
   samples disagree on ``correct`` (see ``ttcgames.curve_estimators`` for how a voted answer's
   correctness is then decided), null rewards and truncated samples.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .choices import ChoiceExtraction, extract_choice
from .grading import EXTRACTIONS, extract_answer
from .jsonl import atomic_write_text, dumps_jsonl, write_csv, write_json

__all__ = [
    "HUB_REPO",
    "ANSWER_FORMATS",
    "BAD_LINE_POLICIES",
    "NULL_REWARD_POLICIES",
    "TRACE_GRADE_COLUMNS",
    "REWARD_COLUMNS",
    "TraceError",
    "TraceRecord",
    "TraceReadResult",
    "model_name_from_filename",
    "answer_extractor",
    "parse_trace_record",
    "read_trace_file",
    "locate_trace_file",
    "fetch_trace_file",
    "trace_rows",
    "import_traces",
    "SUMMARY_COLUMNS",
    "summarise_reports",
]

HUB_REPO = "Human-Centric-Machine-Learning/strategic-ttc-data"
ANSWER_FORMATS = ("numeric", "choice")
BAD_LINE_POLICIES = ("fail", "skip")
NULL_REWARD_POLICIES = ("lowest", "fail")
TRACE_GRADE_COLUMNS = ("qid", "sample", "answer", "valid", "correct", "trace_correct")
REWARD_COLUMNS = ("qid", "sample", "reward", "reward_missing")


class TraceError(ValueError):
    """A trace file or line is unusable; the message names the file and line."""


@dataclass(frozen=True)
class TraceRecord:
    """One question of a trace file, validated (all per-sample lists have the same length)."""

    qid: str
    texts: tuple[str, ...]
    correct: tuple[bool, ...]
    rewards: tuple[float | None, ...]
    total_tokens: tuple[int, ...]
    reasoning_tokens: tuple[int, ...] | None  # None for non-reasoning traces
    line: int

    @property
    def n_samples(self) -> int:
        return len(self.texts)


@dataclass
class TraceReadResult:
    """Records kept from a file and what the import did with the rest."""

    path: str
    records: list[TraceRecord]
    lines: int = 0
    bad_lines: list[dict[str, Any]] = field(default_factory=list)
    repeated_qids: list[dict[str, Any]] = field(default_factory=list)
    truncated_questions: int = 0


def model_name_from_filename(name: str) -> str:
    """``Llama-3-8B--temp-0.6--samples-128--max-512.jsonl`` -> ``Llama-3-8B`` (the authors' rule)."""
    stem = Path(name).name
    if stem.endswith(".jsonl"):
        stem = stem[: -len(".jsonl")]
    return stem.split("--temp")[0]


def answer_extractor(answer_format: str) -> Callable[[str], str | None]:
    """The parser of a dataset's answers: ``numeric`` (GSM8K, AIME) or ``choice`` (GPQA letters)."""
    if answer_format == "numeric":
        cfg = EXTRACTIONS["numeric"]
        return lambda text: extract_answer(text, cfg)
    if answer_format == "choice":
        cfg_c = ChoiceExtraction()
        return lambda text: extract_choice(text, cfg_c)
    raise ValueError(f"unknown answer format {answer_format!r}; known: {', '.join(ANSWER_FORMATS)}")


# ------------------------------------------------------------------------------ parsing


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())


def parse_trace_record(obj: Any, line: int) -> TraceRecord:
    """Validate one decoded line; raise ``ValueError`` with the reason (the caller adds file:line)."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    for key in ("qid", "explanations", "correct", "num_tokens"):
        if key not in obj:
            raise ValueError(f"missing key {key!r}")
    qid = obj["qid"]
    if isinstance(qid, bool) or not isinstance(qid, (str, int)) or str(qid) == "":
        raise ValueError(f"qid must be a non-empty string or integer, got {qid!r}")
    texts, correct, tokens = obj["explanations"], obj["correct"], obj["num_tokens"]
    for key, value in (("explanations", texts), ("correct", correct), ("num_tokens", tokens)):
        if not isinstance(value, list):
            raise ValueError(f"{key!r} must be a list, got {type(value).__name__}")
    n = len(texts)
    if n == 0:
        raise ValueError("no samples ('explanations' is empty)")
    rewards = obj.get("rewards")
    if rewards is None:
        rewards = [None] * n
    if not isinstance(rewards, list):
        raise ValueError(f"'rewards' must be a list, got {type(rewards).__name__}")
    lengths = {"explanations": n, "correct": len(correct), "num_tokens": len(tokens), "rewards": len(rewards)}
    if len(set(lengths.values())) != 1:
        raise ValueError("per-sample lists differ in length: " + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"explanations[{i}] must be a string, got {type(t).__name__}")
    for i, c in enumerate(correct):
        if not isinstance(c, bool):
            raise ValueError(f"correct[{i}] must be true or false, got {c!r}")
    clean_rewards: list[float | None] = []
    for i, r in enumerate(rewards):
        if r is None:
            clean_rewards.append(None)
        elif isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r):
            raise ValueError(f"rewards[{i}] must be a finite number or null, got {r!r}")
        else:
            clean_rewards.append(float(r))
    pairs = [isinstance(t, list) for t in tokens]
    if any(pairs) and not all(pairs):
        raise ValueError("num_tokens mixes integers and [reasoning, total] pairs")
    total: list[int] = []
    reasoning: list[int] | None = [] if all(pairs) else None
    for i, t in enumerate(tokens):
        if reasoning is not None:
            if len(t) != 2 or not all(_is_int(v) for v in t):
                raise ValueError(f"num_tokens[{i}] must be a [reasoning_tokens, total_tokens] pair of integers, got {t!r}")
            r_tok, t_tok = int(t[0]), int(t[1])
            if r_tok < 0 or t_tok < 0 or r_tok > t_tok:
                raise ValueError(f"num_tokens[{i}] = {t!r}: need 0 <= reasoning_tokens <= total_tokens")
            reasoning.append(r_tok)
            total.append(t_tok)
        else:
            if not _is_int(t) or t < 0:
                raise ValueError(f"num_tokens[{i}] must be a non-negative integer, got {t!r}")
            total.append(int(t))
    return TraceRecord(
        qid=str(qid),
        texts=tuple(texts),
        correct=tuple(correct),
        rewards=tuple(clean_rewards),
        total_tokens=tuple(total),
        reasoning_tokens=None if reasoning is None else tuple(reasoning),
        line=line,
    )


def _truncate(rec: TraceRecord, k: int) -> TraceRecord:
    return TraceRecord(
        qid=rec.qid,
        texts=rec.texts[:k],
        correct=rec.correct[:k],
        rewards=rec.rewards[:k],
        total_tokens=rec.total_tokens[:k],
        reasoning_tokens=None if rec.reasoning_tokens is None else rec.reasoning_tokens[:k],
        line=rec.line,
    )


def read_trace_file(
    path: str | os.PathLike,
    *,
    bad_lines: str = "skip",
    min_samples: int = 1,
    max_samples: int | None = None,
) -> TraceReadResult:
    """Read a trace file: validate each line, keep each qid's first record, apply the bad-line policy.

    A record with fewer than ``min_samples`` samples is a bad line (the largest theta cannot be
    drawn from it); one with more than ``max_samples`` keeps its first ``max_samples`` samples
    (counted in ``truncated_questions``). All records of a file must agree on the token format
    (integers or pairs); the first record fixes it.
    """
    if bad_lines not in BAD_LINE_POLICIES:
        raise ValueError(f"bad_lines must be one of {BAD_LINE_POLICIES}, got {bad_lines!r}")
    path = Path(path)
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    result = TraceReadResult(path=str(path), records=[])
    first_line: dict[str, int] = {}
    reasoning_format: bool | None = None

    def bad(lineno: int, reason: str) -> None:
        if bad_lines == "fail":
            raise TraceError(f"{path}:{lineno}: {reason} (traces.bad_lines is 'fail'; set it to 'skip' to drop such lines)")
        result.bad_lines.append({"line": lineno, "reason": reason})

    with open(path, encoding="utf-8", errors="strict") as fh:
        lineno = 0
        while True:
            try:
                raw = fh.readline()
            except UnicodeDecodeError as exc:
                raise TraceError(f"{path}:{lineno + 1}: not valid UTF-8 ({exc.reason})") from None
            if raw == "":
                break
            lineno += 1
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                bad(lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            try:
                rec = parse_trace_record(obj, lineno)
            except ValueError as exc:
                bad(lineno, str(exc))
                continue
            is_reasoning = rec.reasoning_tokens is not None
            if reasoning_format is None:
                reasoning_format = is_reasoning
            elif is_reasoning != reasoning_format:
                want = "[reasoning, total] pairs" if reasoning_format else "integers"
                bad(lineno, f"num_tokens format differs from the file's first record (expected {want})")
                continue
            if rec.qid in first_line:
                # The authors' loader keeps the first occurrence; so do we, but we say so.
                result.repeated_qids.append({"qid": rec.qid, "line": lineno, "first_line": first_line[rec.qid]})
                continue
            if rec.n_samples < min_samples:
                bad(lineno, f"question {rec.qid!r} has {rec.n_samples} samples, fewer than the {min_samples} needed")
                continue
            first_line[rec.qid] = lineno
            if max_samples is not None and rec.n_samples > max_samples:
                rec = _truncate(rec, max_samples)
                result.truncated_questions += 1
            result.records.append(rec)
        result.lines = lineno
    if not result.records:
        raise TraceError(f"{path}: no usable records ({result.lines} lines, {len(result.bad_lines)} bad)")
    return result


# ------------------------------------------------------------------------------ locating files


def _matches(path: Path, name: str) -> bool:
    """Does a trace file belong to model ``name``? A name with ``--temp`` is a full file stem."""
    if not path.name.endswith(".jsonl"):
        return False
    if "--temp" in name:
        return path.name[: -len(".jsonl")] == name
    return model_name_from_filename(path.name) == name


def locate_trace_file(root: str | os.PathLike, folder: str, name: str) -> Path:
    """The one trace file of model ``name`` under ``root/folder`` (searched recursively).

    Raises ``TraceError`` listing what is there when none or several files match (several: give
    the full file stem, e.g. ``Llama-3-8B--temp-0.6--samples-128--max-512``, in ``traces.models``).
    """
    base = Path(root) / folder
    if not base.is_dir():
        raise TraceError(f"{base}: trace folder not found (traces.local_dir / dataset trace_folder)")
    found = sorted(p for p in base.rglob("*.jsonl") if _matches(p, name))
    if len(found) == 1:
        return found[0]
    if not found:
        present = sorted(p.name for p in base.rglob("*.jsonl"))
        listing = ", ".join(present[:20]) + (" ..." if len(present) > 20 else "")
        raise TraceError(f"{base}: no trace file for model {name!r} (files there: {listing or 'none'})")
    raise TraceError(
        f"{base}: {len(found)} trace files for model {name!r}: {', '.join(p.name for p in found)}; "
        "put the full file stem in traces.models to choose one"
    )


def fetch_trace_file(
    folder: str,
    name: str,
    *,
    source: str = "hub",
    local_dir: str | os.PathLike | None = None,
    repo: str = HUB_REPO,
    revision: str | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> Path:
    """Path of model ``name``'s trace file in dataset folder ``folder``.

    ``source = "local"`` looks under ``local_dir``; ``"hub"`` downloads only the matching files of
    the dataset repo (``allow_patterns``, repo_type ``dataset``) into the Hugging Face cache (or
    ``cache_dir``) and looks there.
    """
    if source == "local":
        if not local_dir:
            raise TraceError("traces.source is 'local' but traces.local_dir is not set")
        return locate_trace_file(local_dir, folder, name)
    if source != "hub":
        raise ValueError(f"traces.source must be 'hub' or 'local', got {source!r}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TraceError("traces.source is 'hub' but huggingface_hub is not installed (pip install huggingface_hub)") from exc
    stem = name if "--temp" in name else f"{name}--temp-*"
    patterns = [f"{folder}/{stem}.jsonl", f"{folder}/**/{stem}.jsonl"]
    try:
        root = snapshot_download(
            repo_id=repo,
            repo_type="dataset",
            revision=revision,
            allow_patterns=patterns,
            cache_dir=None if cache_dir is None else str(cache_dir),
        )
    except Exception as exc:  # network, auth, missing revision: say which file we wanted
        raise TraceError(f"could not download {patterns[0]} from the hub dataset {repo}: {exc}") from exc
    return locate_trace_file(root, folder, name)


# ------------------------------------------------------------------------------ artifacts


def trace_rows(
    records: Sequence[TraceRecord],
    *,
    extract: Callable[[str], str | None],
    max_new_tokens: int,
    null_rewards: str = "lowest",
    where: str = "",
) -> tuple[list[dict], list[dict], list[dict], dict[str, Any]]:
    """Generation records, grade rows and reward rows for ``records``, plus statistics.

    ``finish_reason`` is ``length`` when a sample's total tokens reach ``max_new_tokens`` (the
    traces do not say; the cap is the configuration's), else ``stop``. ``mean_logprob`` is null:
    the traces carry no log-probabilities (best-of-n uses their reward-model scores instead).
    """
    if null_rewards not in NULL_REWARD_POLICIES:
        raise ValueError(f"null_rewards must be one of {NULL_REWARD_POLICIES}, got {null_rewards!r}")
    real = [r for rec in records for r in rec.rewards if r is not None]
    missing = sum(r is None for rec in records for r in rec.rewards)
    if missing and null_rewards == "fail":
        first = next(rec for rec in records if any(r is None for r in rec.rewards))
        raise TraceError(
            f"{where}:{first.line}: {missing} null reward(s), first in question {first.qid!r} "
            "(traces.null_rewards is 'fail'; 'lowest' ranks them below every real reward)"
        )
    fill = (min(real) - 1.0) if real else 0.0
    gens, grades, rewards = [], [], []
    stats = {
        "samples": 0,
        "unparsed_answers": 0,
        "correct_but_unparsed": 0,
        "null_rewards": missing,
        "null_reward_fill": fill if missing else None,
        "length_finishes": 0,
        "answers_with_mixed_correct": 0,
        "samples_in_mixed_answers": 0,
    }
    for rec in records:
        by_answer: dict[str, set[bool]] = defaultdict(set)
        by_answer_n: dict[str, int] = defaultdict(int)
        for s in range(rec.n_samples):
            text, ok = rec.texts[s], rec.correct[s]
            answer = extract(text)
            total = rec.total_tokens[s]
            finish = "length" if total >= max_new_tokens else "stop"
            gens.append(
                {
                    "qid": rec.qid,
                    "sample": s,
                    "text": text,
                    "num_tokens": total,
                    "reasoning_tokens": None if rec.reasoning_tokens is None else rec.reasoning_tokens[s],
                    "finish_reason": finish,
                    "mean_logprob": None,
                }
            )
            grades.append(
                {
                    "qid": rec.qid,
                    "sample": s,
                    "answer": answer or "",
                    "valid": answer is not None,
                    "correct": bool(ok and answer is not None),
                    "trace_correct": bool(ok),
                }
            )
            r = rec.rewards[s]
            rewards.append({"qid": rec.qid, "sample": s, "reward": fill if r is None else r, "reward_missing": r is None})
            stats["samples"] += 1
            stats["length_finishes"] += finish == "length"
            if answer is None:
                stats["unparsed_answers"] += 1
                stats["correct_but_unparsed"] += bool(ok)
            else:
                by_answer[answer].add(bool(ok))
                by_answer_n[answer] += 1
        for answer, flags in by_answer.items():
            if len(flags) > 1:
                stats["answers_with_mixed_correct"] += 1
                stats["samples_in_mixed_answers"] += by_answer_n[answer]
    return gens, grades, rewards, stats


def import_traces(
    trace_path: str | os.PathLike,
    *,
    generations_out: str | os.PathLike,
    grades_out: str | os.PathLike,
    rewards_out: str | os.PathLike,
    report_out: str | os.PathLike,
    dataset: str,
    provider: str,
    answer_format: str,
    max_new_tokens: int,
    samples: int | None = None,
    min_samples: int = 1,
    bad_lines: str = "skip",
    null_rewards: str = "lowest",
    expect_reasoning: bool | None = None,
) -> dict[str, Any]:
    """Workflow stage "import traces": one trace file -> generations JSONL, grades CSV, rewards CSV
    and an import report JSON (all written atomically). Returns the report.

    ``samples`` caps the samples kept per question (the configuration's ``samples``);
    ``min_samples`` is the fewest a usable question may have (the largest theta for majority and
    best-of-n). ``expect_reasoning`` (when not None) checks the token format: True demands
    ``[reasoning, total]`` pairs (a provider in the reasoning game), False plain integers.
    """
    read = read_trace_file(trace_path, bad_lines=bad_lines, min_samples=min_samples, max_samples=samples)
    is_reasoning = read.records[0].reasoning_tokens is not None
    if expect_reasoning is not None and expect_reasoning != is_reasoning:
        want = "[reasoning_tokens, total_tokens] pairs" if expect_reasoning else "plain integers"
        raise TraceError(
            f"{trace_path}:{read.records[0].line}: provider {provider!r} expects num_tokens as {want} "
            f"(its methods {'include' if expect_reasoning else 'exclude'} 'reasoning'), but the file has the other format"
        )
    gens, grades, rewards, stats = trace_rows(
        read.records,
        extract=answer_extractor(answer_format),
        max_new_tokens=max_new_tokens,
        null_rewards=null_rewards,
        where=str(trace_path),
    )
    counts = [rec.n_samples for rec in read.records]
    report = {
        "dataset": dataset,
        "provider": provider,
        "file": str(trace_path),
        "model": model_name_from_filename(Path(trace_path).name),
        "reasoning_tokens": is_reasoning,
        "answer_format": answer_format,
        "lines": read.lines,
        "questions": len(read.records),
        "samples_per_question": {"min": min(counts), "max": max(counts)},
        "bad_line_policy": bad_lines,
        "bad_lines": len(read.bad_lines),
        "bad_line_details": read.bad_lines,
        "repeated_qids": len(read.repeated_qids),
        "repeated_qid_details": read.repeated_qids,
        "truncated_questions": read.truncated_questions,
        **stats,
    }
    atomic_write_text(generations_out, dumps_jsonl(gens))
    write_csv(grades_out, grades, TRACE_GRADE_COLUMNS)
    write_csv(rewards_out, rewards, REWARD_COLUMNS)
    write_json(report_out, report)
    return report


SUMMARY_COLUMNS = (
    "dataset", "provider", "model", "file", "questions", "samples", "lines", "bad_lines", "repeated_qids",
    "truncated_questions", "unparsed_answers", "correct_but_unparsed", "answers_with_mixed_correct",
    "samples_in_mixed_answers", "null_rewards", "length_finishes",
)


def summarise_reports(report_paths: Sequence[str | os.PathLike], out: str | os.PathLike):
    """One CSV row per import report (``SUMMARY_COLUMNS``), written atomically; returns the frame."""
    import pandas as pd

    rows = []
    for path in report_paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TraceError(f"{path}: unreadable import report ({exc})") from None
        missing = [c for c in SUMMARY_COLUMNS if c not in doc]
        if missing:
            raise TraceError(f"{path}: import report lacks {missing}")
        rows.append({c: doc[c] for c in SUMMARY_COLUMNS})
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    atomic_write_text(out, frame.to_csv(index=False))
    return frame
