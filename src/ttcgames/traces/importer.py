"""Import the paper's released generation traces into the workflow's generation, grade and reward
artifacts (docs/contracts.md), so every later stage is shared with the generating path.

The traces are the Hugging Face dataset ``Human-Centric-Machine-Learning/strategic-ttc-data``
(folders ``GSM8K/``, ``AIME/``, ``GPQA/``; one JSONL file per model configuration, e.g.
``Llama-3-8B--temp-0.6--samples-128--max-512.jsonl``; the model name is the file name up to
``--temp``; reasoning models' names start with ``reason-``). One JSON object per line (one
question), docs/traces.md "The record":

- ``qid``; ``prompt`` (the user prompt); ``ground_truths`` (list, gold answer first);
  ``question_meta``, ``model_name``, ``reward_model_name`` (kept as they are, not used);
- ``answers``: the generated texts, one per sample;
- ``correct``: the verifier's verdict per sample;
- ``explanations``: the verifier's explanation string per sample, e.g. ``"parsed='D'; truth='C'"``
  or ``"boxed='72'; numeric compare: ...; truth='72'"`` (``ttcgames.grading.explanations``);
- ``rewards``: one float or null per sample (ArmoRM score; may be absent);
- ``num_tokens``: an int per sample (non-reasoning models) or a ``[reasoning_tokens, total_tokens]``
  pair per sample (reasoning models; a truncated sample reads ``[0, 2048]``).

Steps (``import_traces``):

1. ``locate_trace_file`` / ``fetch_trace_file``: find the file of a model in a local folder, or
   download only that file from the hub (``snapshot_download`` with ``allow_patterns``).
2. ``read_trace_file``: parse every line (``parse_trace_record``). A line that is not JSON or not a
   well-formed record is a *bad line*: with policy ``fail`` the import stops with an error naming
   file and line; with ``skip`` it is counted and listed in the report (never silently dropped, the
   authors' loader drops such lines without a word). A repeated qid keeps its first occurrence, as
   the authors' loader does, and each repeat is reported with both line numbers.
3. ``trace_rows``: one generation record (the text from ``answers``, the ``prompt``), grade row and
   reward row per sample. **Vote labels** (``votes``): with ``explanations`` (the default) a
   sample's label is the prediction its explanation string carries (``ttcgames.grading.explanations``), as
   the reference's majority vote does; the text is never parsed, so a text that says something
   else does not change the vote. With ``text``, or for a record without ``explanations``, the
   label is our own extraction from the text (``ttcgames.grading.verifiers`` numbers, ``ttcgames.grading.choices``
   letters), brought to the same canonical form. The grades keep ``trace_correct`` (the verifier's
   verdict, used by best-of-n and the reasoning bins), ``correct`` = verdict and labelled (a
   sample without a label never wins a vote), the ``label_source`` (``explanations``, ``text`` or
   ``none``), the gold label and the explanation string.
4. Null rewards: the reference ranks them below every real reward (``-inf``). The rewards CSV must
   hold finite numbers, so with policy ``lowest`` a null reward is written as
   ``null_reward_fill(m)`` = m - max(1, |m|) for the lowest real reward m of the file, with
   ``reward_missing = true``: the same ranking. Subtracting a plain 1 would be absorbed once
   |m| >= 2^53 (2^24 at the float32 precision best-of-n compares at); m - max(1, |m|) is 2m or
   0 for |m| >= 1, strictly below m in float64 and float32 alike. Policy ``fail`` stops.
5. A report JSON per file: lines, bad lines (line and reason), repeated qids, truncated and short
   questions; labels from explanations, from text and none, and each explanation case
   (``ttcgames.grading.explanations.CASES``, so a string in no known shape is counted, not fatal); samples
   whose label disagrees with their verdict (label equal to the gold but not correct, or correct
   with another label or none); labels whose samples disagree on the verdict; null rewards and
   truncated samples; for reasoning traces, the questions whose kept samples tie on reasoning
   tokens, hold a single kept sample or none (docs/traces.md, reasoning bins).
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ttcgames.grading.choices import ChoiceExtraction, extract_choice
from ttcgames.grading.explanations import CASES, gold_label, numeric_label, parse_explanation
from ttcgames.grading.verifiers import EXTRACTIONS, extract_answer
from ttcgames.io.atomic import atomic_write_text
from ttcgames.io.csv_file import write_csv
from ttcgames.io.json_file import write_json
from ttcgames.io.jsonl import dumps_jsonl, iter_jsonl

__all__ = [
    "HUB_REPO",
    "ANSWER_FORMATS",
    "BAD_LINE_POLICIES",
    "NULL_REWARD_POLICIES",
    "VOTE_SOURCES",
    "TRACE_GRADE_COLUMNS",
    "REWARD_COLUMNS",
    "TraceError",
    "TraceRecord",
    "null_reward_fill",
    "TraceReadResult",
    "model_name_from_filename",
    "answer_extractor",
    "parse_trace_record",
    "read_trace_file",
    "locate_trace_file",
    "fetch_trace_file",
    "trace_rows",
    "reasoning_tie_stats",
    "import_traces",
    "SUMMARY_COLUMNS",
    "summarise_reports",
]

HUB_REPO = "Human-Centric-Machine-Learning/strategic-ttc-data"
ANSWER_FORMATS = ("numeric", "choice")
BAD_LINE_POLICIES = ("fail", "skip")
NULL_REWARD_POLICIES = ("lowest", "fail")
VOTE_SOURCES = ("explanations", "text")
TRACE_GRADE_COLUMNS = (
    "qid",
    "sample",
    "answer",
    "valid",
    "correct",
    "trace_correct",
    "label_source",
    "gold",
    "explanation",
)
REWARD_COLUMNS = ("qid", "sample", "reward", "reward_missing")


class TraceError(ValueError):
    """A trace file or line is unusable; the message names the file and line."""


@dataclass(frozen=True)
class TraceRecord:
    """One question of a trace file, validated (all per-sample lists have the same length)."""

    qid: str
    texts: tuple[str, ...]  # the record's ``answers``
    correct: tuple[bool, ...]
    rewards: tuple[float | None, ...]
    total_tokens: tuple[int, ...]
    reasoning_tokens: tuple[int, ...] | None  # None for non-reasoning traces
    line: int
    explanations: tuple[str, ...] | None = None  # None when the record has none
    prompt: str | None = None
    gold: str | None = None  # ground_truths[0]

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
    """Our own label of a sample's text (``votes: text``): ``numeric`` (GSM8K, AIME; canonical as
    ``ttcgames.grading.explanations.numeric_label``) or ``choice`` (GPQA letters)."""
    if answer_format == "numeric":
        cfg = EXTRACTIONS["numeric"]

        def numeric(text: str) -> str | None:
            raw = extract_answer(text, cfg)
            return None if raw is None else (numeric_label(raw) or raw)

        return numeric
    if answer_format == "choice":
        cfg_c = ChoiceExtraction()
        return lambda text: extract_choice(text, cfg_c)
    raise ValueError(f"unknown answer format {answer_format!r}; known: {', '.join(ANSWER_FORMATS)}")


# ------------------------------------------------------------------------------ parsing


def _check_choice(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{key} must be one of {allowed}, got {value!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())


def _string_list(obj: dict, key: str, n: int) -> tuple[str, ...]:
    value = obj[key]
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be a list, got {type(value).__name__}")
    if len(value) != n:
        raise ValueError(f"per-sample lists differ in length: answers {n}, {key} {len(value)}")
    for i, t in enumerate(value):
        if not isinstance(t, str):
            raise ValueError(f"{key}[{i}] must be a string, got {type(t).__name__}")
    return tuple(value)


def parse_trace_record(obj: Any, line: int) -> TraceRecord:
    """Validate one decoded line; raise ``ValueError`` with the reason (the caller adds file:line).

    Required: ``qid``, ``answers``, ``correct``, ``num_tokens``; optional: ``explanations``,
    ``rewards``, ``prompt``, ``ground_truths`` (other keys are ignored). The checks run in this
    order, so a record with several faults reports the first: keys, qid, texts and explanations,
    the per-sample lists and their lengths, verdicts, rewards, token counts, prompt, gold.
    """
    _require_keys(obj, ("qid", "answers", "correct", "num_tokens"))
    qid = _parse_qid(obj["qid"])
    texts, explanations = _texts_and_explanations(obj)
    correct, tokens, rewards = _per_sample_lists(obj, len(texts))
    _check_verdicts(correct)
    clean_rewards = _parse_rewards(rewards)
    total, reasoning = _parse_token_counts(tokens)
    prompt, gold = _prompt_and_gold(obj)
    return TraceRecord(
        qid=qid,
        texts=texts,
        correct=tuple(correct),
        rewards=clean_rewards,
        total_tokens=total,
        reasoning_tokens=reasoning,
        line=line,
        explanations=explanations,
        prompt=prompt,
        gold=gold,
    )


def _require_keys(obj: Any, keys: Sequence[str]) -> None:
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    for key in keys:
        if key not in obj:
            raise ValueError(f"missing key {key!r}")


def _parse_qid(qid: Any) -> str:
    if isinstance(qid, bool) or not isinstance(qid, (str, int)) or str(qid) == "":
        raise ValueError(f"qid must be a non-empty string or integer, got {qid!r}")
    return str(qid)


def _texts_and_explanations(obj: dict) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The sample texts (``answers``, at least one) and the verifier's strings (``explanations``, or None)."""
    answers = obj["answers"]
    if not isinstance(answers, list):
        raise ValueError(f"'answers' must be a list, got {type(answers).__name__}")
    n = len(answers)
    if n == 0:
        raise ValueError("no samples ('answers' is empty)")
    texts = _string_list(obj, "answers", n)
    explanations = None if obj.get("explanations") is None else _string_list(obj, "explanations", n)
    return texts, explanations


def _per_sample_lists(obj: dict, n: int) -> tuple[list, list, list]:
    """``correct``, ``num_tokens`` and ``rewards`` (all null when absent), checked to be lists of ``n`` items."""
    correct, tokens = obj["correct"], obj["num_tokens"]
    for key, value in (("correct", correct), ("num_tokens", tokens)):
        if not isinstance(value, list):
            raise ValueError(f"{key!r} must be a list, got {type(value).__name__}")
    rewards = obj.get("rewards")
    if rewards is None:
        rewards = [None] * n
    if not isinstance(rewards, list):
        raise ValueError(f"'rewards' must be a list, got {type(rewards).__name__}")
    lengths = {"answers": n, "correct": len(correct), "num_tokens": len(tokens), "rewards": len(rewards)}
    if len(set(lengths.values())) != 1:
        raise ValueError("per-sample lists differ in length: " + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    return correct, tokens, rewards


def _check_verdicts(correct: list) -> None:
    for i, c in enumerate(correct):
        if not isinstance(c, bool):
            raise ValueError(f"correct[{i}] must be true or false, got {c!r}")


def _parse_rewards(rewards: list) -> tuple[float | None, ...]:
    """Each reward as a float, or None for null (module docstring, step 4)."""
    clean: list[float | None] = []
    for i, r in enumerate(rewards):
        if r is None:
            clean.append(None)
        elif isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r):
            raise ValueError(f"rewards[{i}] must be a finite number or null, got {r!r}")
        else:
            clean.append(float(r))
    return tuple(clean)


def _parse_token_counts(tokens: list) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """(total tokens, reasoning tokens) per sample: plain integers give no reasoning tokens (None),
    ``[reasoning, total]`` pairs give both; one record may not mix the two."""
    pairs = [isinstance(t, list) for t in tokens]
    if any(pairs) and not all(pairs):
        raise ValueError("num_tokens mixes integers and [reasoning, total] pairs")
    if not all(pairs):
        for i, t in enumerate(tokens):
            if not _is_int(t) or t < 0:
                raise ValueError(f"num_tokens[{i}] must be a non-negative integer, got {t!r}")
        return tuple(int(t) for t in tokens), None
    for i, t in enumerate(tokens):
        if len(t) != 2 or not all(_is_int(v) for v in t):
            raise ValueError(f"num_tokens[{i}] must be a [reasoning_tokens, total_tokens] pair of integers, got {t!r}")
        if int(t[0]) < 0 or int(t[1]) < 0 or int(t[0]) > int(t[1]):
            raise ValueError(f"num_tokens[{i}] = {t!r}: need 0 <= reasoning_tokens <= total_tokens")
    return tuple(int(t[1]) for t in tokens), tuple(int(t[0]) for t in tokens)


def _prompt_and_gold(obj: dict) -> tuple[str | None, str | None]:
    """The user prompt and the gold answer (``ground_truths[0]`` as a string), each None when absent."""
    prompt = obj.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise ValueError(f"'prompt' must be a string, got {type(prompt).__name__}")
    truths = obj.get("ground_truths")
    if truths is not None and (not isinstance(truths, list) or (truths and not isinstance(truths[0], (str, int, float)))):
        raise ValueError(f"'ground_truths' must be a list whose first item is the gold answer, got {truths!r}")
    return prompt, None if not truths else str(truths[0])


def _truncate(rec: TraceRecord, k: int) -> TraceRecord:
    return replace(
        rec,
        texts=rec.texts[:k],
        correct=rec.correct[:k],
        rewards=rec.rewards[:k],
        total_tokens=rec.total_tokens[:k],
        reasoning_tokens=None if rec.reasoning_tokens is None else rec.reasoning_tokens[:k],
        explanations=None if rec.explanations is None else rec.explanations[:k],
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
    _check_choice("bad_lines", bad_lines, BAD_LINE_POLICIES)
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

    last = 0  # the last non-blank line seen, good or bad
    for lineno, obj in iter_jsonl(path, error=TraceError, on_bad=bad):
        last = lineno
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
    result.lines = max([last, *(b["line"] for b in result.bad_lines)])
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


def _sample_label(rec: TraceRecord, s: int, votes: str, answer_format: str, extract: Callable[[str], str | None]) -> tuple[str | None, str, str]:
    """(label, label source, explanation case) of sample ``s``; the case is ``""`` when the text was read."""
    if votes == "explanations" and rec.explanations is not None:
        parsed = parse_explanation(rec.explanations[s], answer_format)
        return parsed.label, "explanations" if parsed.label is not None else "none", parsed.case
    label = extract(rec.texts[s])
    return label, "text" if label is not None else "none", ""


def reasoning_tie_stats(records: Sequence[TraceRecord], *, max_total_tokens: int = 2048, min_reasoning_tokens: int = 5) -> dict[str, int]:
    """Questions whose kept samples (``ttcgames.curves.reasoning.keep_samples``' rule) tie on reasoning
    tokens, hold a single kept sample, or none: the cases where the reference's jittered bins and
    the ``upper`` rule place samples differently (docs/traces.md)."""
    tied = single = none = 0
    for rec in records:
        if rec.reasoning_tokens is None:
            continue
        kept = [r for r, t in zip(rec.reasoning_tokens, rec.total_tokens) if t < max_total_tokens and r > min_reasoning_tokens]
        none += not kept
        single += len(kept) == 1
        tied += len(set(kept)) < len(kept)
    return {"questions_with_tied_reasoning": tied, "questions_with_one_kept_sample": single, "questions_with_no_kept_sample": none}


def null_reward_fill(lowest: float) -> float:
    """A finite reward strictly below ``lowest`` in float64 and float32 (module docstring, step 4)."""
    fill = float(lowest) - max(1.0, abs(float(lowest)))
    if not math.isfinite(fill):
        raise TraceError(f"rewards reach {lowest!r}: no finite reward ranks below it (traces.null_rewards: fail)")
    return fill


@dataclass
class _TraceStats:
    """The sample counts of the import report (module docstring, step 5), in the report's key order."""

    samples: int = 0
    labels_from_explanations: int = 0
    labels_from_text: int = 0
    no_label: int = 0
    records_without_explanations: int = 0
    explanation_cases: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CASES, 0))
    correct_without_label: int = 0
    label_is_gold_but_not_correct: int = 0
    correct_but_label_is_not_gold: int = 0
    null_rewards: int = 0
    null_reward_fill: float | None = None
    length_finishes: int = 0
    answers_with_mixed_correct: int = 0
    samples_in_mixed_answers: int = 0

    def count_sample(self, label: str | None, source: str, case: str, ok: bool, finish: str, gold: str | None) -> None:
        """One sample: where its label came from, its explanation case, and whether label and verdict agree."""
        self.samples += 1
        self.length_finishes += finish == "length"
        if case:
            self.explanation_cases[case] += 1
        if source == "explanations":
            self.labels_from_explanations += 1
        elif source == "text":
            self.labels_from_text += 1
        else:
            self.no_label += 1
        if label is None:
            self.correct_without_label += bool(ok)
        elif gold is not None:
            self.label_is_gold_but_not_correct += label == gold and not ok
            self.correct_but_label_is_not_gold += label != gold and ok

    def count_mixed_verdicts(self, verdicts_by_label: dict[str, list[bool]]) -> None:
        """One question: the labels whose samples disagree on the verdict, and those samples."""
        for verdicts in verdicts_by_label.values():
            if len(set(verdicts)) > 1:
                self.answers_with_mixed_correct += 1
                self.samples_in_mixed_answers += len(verdicts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _null_reward_policy(records: Sequence[TraceRecord], null_rewards: str, where: str) -> tuple[int, float]:
    """(number of null rewards, the reward written for them): ``null_reward_fill`` of the lowest real
    reward (0.0 when there is none); policy ``fail`` stops at the first null reward."""
    real = [r for rec in records for r in rec.rewards if r is not None]
    missing = sum(r is None for rec in records for r in rec.rewards)
    if missing and null_rewards == "fail":
        first = next(rec for rec in records if any(r is None for r in rec.rewards))
        raise TraceError(
            f"{where}:{first.line}: {missing} null reward(s), first in question {first.qid!r} "
            "(traces.null_rewards is 'fail'; 'lowest' ranks them below every real reward)"
        )
    return missing, null_reward_fill(min(real)) if real else 0.0


def _generation_row(rec: TraceRecord, s: int, finish: str) -> dict[str, Any]:
    return {
        "qid": rec.qid,
        "sample": s,
        "text": rec.texts[s],
        "num_tokens": rec.total_tokens[s],
        "reasoning_tokens": None if rec.reasoning_tokens is None else rec.reasoning_tokens[s],
        "finish_reason": finish,
        "mean_logprob": None,
        "prompt": rec.prompt,
    }


def _grade_row(rec: TraceRecord, s: int, label: str | None, source: str, gold: str | None) -> dict[str, Any]:
    """``correct`` is the verdict of a labelled sample (a sample without a label never wins a vote)."""
    ok = rec.correct[s]
    return {
        "qid": rec.qid,
        "sample": s,
        "answer": label or "",
        "valid": label is not None,
        "correct": bool(ok and label is not None),
        "trace_correct": bool(ok),
        "label_source": source,
        "gold": "" if gold is None else gold,
        "explanation": "" if rec.explanations is None else rec.explanations[s],
    }


def trace_rows(
    records: Sequence[TraceRecord],
    *,
    answer_format: str,
    max_new_tokens: int,
    votes: str = "explanations",
    null_rewards: str = "lowest",
    where: str = "",
) -> tuple[list[dict], list[dict], list[dict], dict[str, Any]]:
    """Generation records, grade rows and reward rows for ``records``, plus statistics.

    ``votes`` chooses where vote labels come from (module docstring, step 3). ``finish_reason``
    is ``length`` when a sample's total tokens reach ``max_new_tokens`` (the traces do not say;
    the cap is the configuration's), else ``stop``. ``mean_logprob`` is null: the traces carry no
    log-probabilities (best-of-n uses their reward-model scores instead).
    """
    _check_choice("null_rewards", null_rewards, NULL_REWARD_POLICIES)
    _check_choice("votes", votes, VOTE_SOURCES)
    extract = answer_extractor(answer_format)
    missing, fill = _null_reward_policy(records, null_rewards, where)
    stats = _TraceStats(null_rewards=missing, null_reward_fill=fill if missing else None)
    gens, grades, rewards = [], [], []
    for rec in records:
        stats.records_without_explanations += rec.explanations is None
        gold = None if rec.gold is None else gold_label(rec.gold, answer_format)
        verdicts_by_label: dict[str, list[bool]] = defaultdict(list)
        for s in range(rec.n_samples):
            label, source, case = _sample_label(rec, s, votes, answer_format, extract)
            finish = "length" if rec.total_tokens[s] >= max_new_tokens else "stop"
            gens.append(_generation_row(rec, s, finish))
            grades.append(_grade_row(rec, s, label, source, gold))
            r = rec.rewards[s]
            rewards.append({"qid": rec.qid, "sample": s, "reward": fill if r is None else r, "reward_missing": r is None})
            stats.count_sample(label, source, case, rec.correct[s], finish, gold)
            if label is not None:
                verdicts_by_label[label].append(bool(rec.correct[s]))
        stats.count_mixed_verdicts(verdicts_by_label)
    return gens, grades, rewards, stats.as_dict()


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
    votes: str = "explanations",
    expect_reasoning: bool | None = None,
    reasoning_filter: tuple[int, int] = (2048, 5),
) -> dict[str, Any]:
    """Workflow stage "import traces": one trace file -> generations JSONL, grades CSV, rewards CSV
    and an import report JSON (all written atomically). Returns the report.

    ``samples`` caps the samples kept per question (the configuration's ``samples``);
    ``min_samples`` is the fewest a usable question may have (the largest theta for majority and
    best-of-n). ``votes`` is where vote labels come from (``explanations`` or ``text``).
    ``expect_reasoning`` (when not None) checks the token format: True demands ``[reasoning,
    total]`` pairs (a provider in the reasoning game), False plain integers. ``reasoning_filter``
    is (``max_total_tokens``, ``min_reasoning_tokens``) of the reasoning bins, for the report's
    tie counts.
    """
    read = read_trace_file(trace_path, bad_lines=bad_lines, min_samples=min_samples, max_samples=samples)
    _check_token_format(read, trace_path, provider, expect_reasoning)
    gens, grades, rewards, stats = trace_rows(
        read.records, answer_format=answer_format, max_new_tokens=max_new_tokens, votes=votes, null_rewards=null_rewards, where=str(trace_path)
    )
    if read.records[0].reasoning_tokens is not None:
        stats.update(reasoning_tie_stats(read.records, max_total_tokens=reasoning_filter[0], min_reasoning_tokens=reasoning_filter[1]))
    header = {"dataset": dataset, "provider": provider, "answer_format": answer_format, "votes": votes, "bad_line_policy": bad_lines}
    report = _import_report(read, trace_path, header, stats)
    atomic_write_text(generations_out, dumps_jsonl(gens))
    write_csv(grades_out, grades, TRACE_GRADE_COLUMNS)
    write_csv(rewards_out, rewards, REWARD_COLUMNS)
    write_json(report_out, report)
    return report


def _check_token_format(read: TraceReadResult, trace_path: str | os.PathLike, provider: str, expect_reasoning: bool | None) -> None:
    """Refuse a file whose token format (plain integers or pairs) is not the one the provider's methods need."""
    is_reasoning = read.records[0].reasoning_tokens is not None
    if expect_reasoning is not None and expect_reasoning != is_reasoning:
        want = "[reasoning_tokens, total_tokens] pairs" if expect_reasoning else "plain integers"
        raise TraceError(
            f"{trace_path}:{read.records[0].line}: provider {provider!r} expects num_tokens as {want} "
            f"(its methods {'include' if expect_reasoning else 'exclude'} 'reasoning'), but the file has the other format"
        )


def _import_report(read: TraceReadResult, trace_path: str | os.PathLike, header: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """The import report (module docstring, step 5), its keys in the order the report files have always had."""
    counts = [rec.n_samples for rec in read.records]
    return {
        "dataset": header["dataset"],
        "provider": header["provider"],
        "file": str(trace_path),
        "model": model_name_from_filename(Path(trace_path).name),
        "reasoning_tokens": read.records[0].reasoning_tokens is not None,
        "answer_format": header["answer_format"],
        "votes": header["votes"],
        "lines": read.lines,
        "questions": len(read.records),
        "samples_per_question": {"min": min(counts), "max": max(counts)},
        "bad_line_policy": header["bad_line_policy"],
        "bad_lines": len(read.bad_lines),
        "bad_line_details": read.bad_lines,
        "repeated_qids": len(read.repeated_qids),
        "repeated_qid_details": read.repeated_qids,
        "truncated_questions": read.truncated_questions,
        **stats,
    }


SUMMARY_COLUMNS = (
    "dataset",
    "provider",
    "model",
    "file",
    "votes",
    "questions",
    "samples",
    "lines",
    "bad_lines",
    "repeated_qids",
    "truncated_questions",
    "labels_from_explanations",
    "labels_from_text",
    "no_label",
    "unknown_explanations",
    "correct_without_label",
    "label_is_gold_but_not_correct",
    "correct_but_label_is_not_gold",
    "answers_with_mixed_correct",
    "samples_in_mixed_answers",
    "null_rewards",
    "length_finishes",
    "questions_with_tied_reasoning",
    "questions_with_one_kept_sample",
)
_SUMMARY_DERIVED = {
    "unknown_explanations": lambda doc: doc["explanation_cases"]["unknown"],
    "questions_with_tied_reasoning": lambda doc: doc.get("questions_with_tied_reasoning", ""),
    "questions_with_one_kept_sample": lambda doc: doc.get("questions_with_one_kept_sample", ""),
}


def summarise_reports(report_paths: Sequence[str | os.PathLike], out: str | os.PathLike):
    """One CSV row per import report (``SUMMARY_COLUMNS``), written atomically; returns the frame."""
    import pandas as pd

    rows = []
    for path in report_paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TraceError(f"{path}: unreadable import report ({exc})") from None
        missing = [c for c in SUMMARY_COLUMNS if c not in doc and c not in _SUMMARY_DERIVED]
        if missing or "explanation_cases" not in doc:
            raise TraceError(f"{path}: import report lacks {missing or ['explanation_cases']}")
        rows.append({c: _SUMMARY_DERIVED[c](doc) if c in _SUMMARY_DERIVED else doc[c] for c in SUMMARY_COLUMNS})
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    atomic_write_text(out, frame.to_csv(index=False))
    return frame
