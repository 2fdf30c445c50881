"""Synthetic traces in exactly the format of the paper's released traces (ttcgames.traces docstring).

``write_trace_folder`` writes ``<root>/<FOLDER>/<Model>--temp-T--samples-N--max-M.jsonl`` files:
non-reasoning models with integer ``num_tokens``, reasoning models (``reason-...``) with
``[reasoning_tokens, total_tokens]`` pairs, boxed numeric answers (GSM8K/AIME style) or option
letters (GPQA style). Every file may get a line that is not JSON and a repeated qid, as the
authors' loader must tolerate. Everything is drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FixtureModel", "DEFAULT_MODELS", "trace_lines", "write_trace_file", "write_trace_folder"]


@dataclass(frozen=True)
class FixtureModel:
    name: str  # model name as in the file name (before --temp)
    skill: float  # probability that a sample is correct (non-reasoning) / at full effort (reasoning)
    reasoning: bool = False
    temperature: float = 0.7
    samples: int = 16
    max_tokens: int = 512
    mean_tokens: int = 150


DEFAULT_MODELS = (
    FixtureModel("Small-1B", 0.35, mean_tokens=120),
    FixtureModel("Mid-3B", 0.55, mean_tokens=160),
    FixtureModel("Big-7B", 0.7, mean_tokens=220),
    FixtureModel("reason-R1-D-Tiny-1.5B", 0.5, reasoning=True, samples=10, max_tokens=2048, mean_tokens=900),
    FixtureModel("reason-R1-D-Tiny-7B", 0.8, reasoning=True, samples=10, max_tokens=2048, mean_tokens=1100),
)


def _answer_text(answer: str, letters: bool, style: int) -> str:
    if letters:
        return [f"Thus the answer is ({answer}).", f"Final: \\boxed{{{answer}}}", f"The correct option is {answer}."][style % 3]
    return [f"So the total is \\boxed{{{answer}}}.", f"The answer is {answer}.", f"... = {answer}"][style % 3]


def trace_lines(
    model: FixtureModel,
    qids: list[str],
    golds: list[str],
    rng: np.random.Generator,
    *,
    letters: bool = False,
    null_reward_rate: float = 0.05,
) -> list[dict]:
    """One trace record per question for ``model``."""
    records = []
    for qid, gold in zip(qids, golds):
        if letters:
            wrong = [c for c in "ABCD" if c != gold]
        else:
            wrong = [str(int(gold) + d) for d in (1, -1, 10)]
        texts, correct, rewards, tokens = [], [], [], []
        difficulty = rng.uniform(-0.2, 0.2)
        for s in range(model.samples):
            if model.reasoning:
                r = int(rng.integers(0, 1900))
                total = r + int(rng.integers(20, 300))
                effort = r / 1900
                p = float(np.clip(model.skill * (0.4 + 0.6 * effort) + difficulty, 0.02, 0.98))
            else:
                total = int(np.clip(rng.normal(model.mean_tokens, 40), 10, model.max_tokens))
                p = float(np.clip(model.skill + difficulty, 0.02, 0.98))
            ok = bool(rng.random() < p)
            unparsable = rng.random() < 0.05
            answer = gold if ok else wrong[int(rng.integers(0, len(wrong)))]
            body = "Let me think step by step." if not unparsable else "I am not sure how to solve this."
            text = body if unparsable else body + " " + _answer_text(answer, letters, int(rng.integers(0, 3)))
            if model.reasoning:
                text = "<think>\nreasoning...\n</think>\n" + text
            # A parsed-wrong answer is never marked correct; an unparsable one may be (the authors'
            # grader can read what ours cannot).
            texts.append(text)
            correct.append(ok)
            reward = None if rng.random() < null_reward_rate else float(np.round(rng.normal(0.1 if ok else -0.1, 0.1), 5))
            rewards.append(reward)
            tokens.append([r, total] if model.reasoning else total)
        records.append({"qid": qid, "explanations": texts, "correct": correct, "rewards": rewards, "num_tokens": tokens})
    return records


def write_trace_file(
    path: Path,
    records: list[dict],
    *,
    bad_json_after: int | None = None,
    repeat_qid_after: int | None = None,
) -> Path:
    """Write records one per line; optionally insert a non-JSON line and a repeat of the first qid."""
    lines = [json.dumps(r) for r in records]
    if repeat_qid_after is not None:
        repeat = dict(records[0], correct=[not c for c in records[0]["correct"]])
        lines.insert(repeat_qid_after, json.dumps(repeat))
    if bad_json_after is not None:
        lines.insert(bad_json_after, '{"qid": "broken", "explanations": [')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def file_name(model: FixtureModel) -> str:
    return f"{model.name}--temp-{model.temperature}--samples-{model.samples}--max-{model.max_tokens}.jsonl"


def write_trace_folder(
    root: Path,
    *,
    folders: dict[str, bool] | None = None,
    models: tuple[FixtureModel, ...] = DEFAULT_MODELS,
    n_questions: int = 12,
    seed: int = 0,
    corrupt: bool = True,
) -> dict[str, dict[str, Path]]:
    """Write a folder of traces; ``folders`` maps a folder name to whether answers are letters.

    With ``corrupt`` every file gets a non-JSON line after its second record and a repeat of its
    first qid after its third. Returns {folder: {model name: path}}.
    """
    folders = folders or {"GSM8K": False}
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, Path]] = {}
    for folder, letters in folders.items():
        prefix = folder.lower()
        qids = [f"{prefix}-{i}" for i in range(n_questions)]
        golds = [("ABCD"[int(rng.integers(0, 4))] if letters else str(int(rng.integers(10, 500)))) for _ in qids]
        out[folder] = {}
        for model in models:
            records = trace_lines(model, qids, golds, rng, letters=letters)
            path = root / folder / file_name(model)
            write_trace_file(
                path,
                records,
                bad_json_after=2 if corrupt else None,
                repeat_qid_after=3 if corrupt else None,
            )
            out[folder][model.name] = path
    return out
