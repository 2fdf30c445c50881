"""Synthetic traces in exactly the record format of the paper's released traces (docs/traces.md).

``write_trace_folder`` writes ``<root>/<FOLDER>/<Model>--temp-T--samples-N--max-M.jsonl`` files,
one record per question with ``qid``, ``prompt``, ``ground_truths``, ``question_meta``,
``model_name``, ``reward_model_name``, ``answers`` (the generated texts), ``correct``,
``explanations`` (the verifier's strings), ``rewards`` and ``num_tokens``:

- numeric folders (GSM8K/AIME style): explanations ``boxed='..'; numeric compare: ..``,
  ``extracted='$1,234'; ..``, a ``\\frac`` string compare (no label) and ``no numeric content
  found``; letter folders (GPQA style): ``parsed='X'; ..``, ``no Answer: <LETTER> found`` and the
  older ``no 'Answer: [A-D]' pattern found``;
- the *text* of some samples names a different answer than their explanation (the vote must not
  follow the text), and a few verdicts disagree with the label (a label equal to the gold marked
  wrong, as a string compare can);
- rewards are bfloat16-like (8 significant bits), so exact ties are frequent, with some nulls;
- reasoning models (``reason-...``) have ``[reasoning, total]`` pairs with tied reasoning counts,
  truncated samples ``[0, 2048]`` and questions with a single kept sample.

Every file may get a line that is not JSON and a repeated qid, as the authors' loader must
tolerate. Everything is drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "FixtureModel",
    "DEFAULT_MODELS",
    "bfloat16",
    "numeric_explanation",
    "letter_explanation",
    "trace_lines",
    "write_trace_file",
    "write_trace_folder",
]

REWARD_MODEL = "RLHFlow/ArmoRM-Llama3-8B-v0.1"


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


def bfloat16(x: float) -> float:
    """Round to the nearest bfloat16 (8 significant bits), as ArmoRM's scores come out."""
    bits = np.array([x], dtype=np.float32).view(np.uint32)[0]
    rounded = (int(bits) + 0x7FFF + ((int(bits) >> 16) & 1)) & 0xFFFF0000
    return float(np.array([rounded], dtype=np.uint32).view(np.float32)[0])


def numeric_explanation(kind: str, pred: str, truth: str) -> str:
    """The reference verifier's string for a numeric dataset (``kind``: boxed, extracted, frac, none)."""
    if kind == "none":
        return f"no numeric content found; truth='{truth}'"
    if kind == "frac":
        return f"boxed='\\frac{{{pred}}}{{1}}'; string compare: pred='\\frac{{{pred}}}{{1}}' truth='{truth}'; truth='{truth}'"
    shown = f"${int(pred):,}" if kind == "extracted" and abs(int(pred)) >= 1000 else pred
    return f"{kind}='{shown}'; numeric compare: pred={float(pred)} truth={float(truth)} tol=1e-05; truth='{truth}'"


def letter_explanation(kind: str, pred: str, truth: str) -> str:
    """The reference verifier's string for GPQA (``kind``: parsed, none, none_old)."""
    if kind == "none":
        return f"no Answer: <LETTER> found; truth='{truth}'"
    if kind == "none_old":
        return f"no 'Answer: [A-D]' pattern found; truth='{truth}'"
    return f"parsed='{pred}'; truth='{truth}'"


def _text(answer: str, letters: bool, misleading: str | None, rng: np.random.Generator) -> str:
    """A generated text; with ``misleading`` it ends on another answer than the verifier read."""
    said = misleading if misleading is not None else answer
    if letters:
        body = "Let me weigh the options step by step."
        return f"{body}\nAnswer: {said}<|im_end|>"
    style = int(rng.integers(0, 3))
    body = "Let me think step by step."
    return body + [f" So the total is \\boxed{{{said}}}.", f" The answer is {said}.", f" ... = {said}"][style] + "<|eot_id|>"


def trace_lines(
    model: FixtureModel,
    qids: list[str],
    golds: list[str],
    rng: np.random.Generator,
    *,
    letters: bool = False,
    null_reward_rate: float = 0.05,
    folder: str = "GSM8K",
) -> list[dict]:
    """One trace record per question for ``model``."""
    records = []
    for qi, (qid, gold) in enumerate(zip(qids, golds)):
        if letters:
            wrong = [c for c in "ABCD" if c != gold]
        else:
            wrong = [str(int(gold) + d) for d in (1, -1, 1000)]
        texts, correct, rewards, tokens, explanations = [], [], [], [], []
        difficulty = rng.uniform(-0.2, 0.2)
        # Reasoning: every third question has all samples on few counts (ties); every fifth keeps one sample.
        tied_counts = model.reasoning and qi % 3 == 0
        keep_one = model.reasoning and qi % 5 == 4
        for s in range(model.samples):
            if model.reasoning:
                r = int(rng.choice([300, 300, 800])) if tied_counts else int(rng.integers(6, 1900))
                total = r + int(rng.integers(20, 140))
                if (keep_one and s > 0) or rng.random() < 0.08:
                    r, total = 0, model.max_tokens  # truncated: the reference's [0, 2048]
                effort = r / 1900
                p = float(np.clip(model.skill * (0.4 + 0.6 * effort) + difficulty, 0.02, 0.98))
            else:
                total = int(np.clip(rng.normal(model.mean_tokens, 40), 10, model.max_tokens))
                p = float(np.clip(model.skill + difficulty, 0.02, 0.98))
            ok = bool(rng.random() < p)
            pred = gold if ok else wrong[int(rng.integers(0, len(wrong)))]
            u = rng.random()
            if letters:
                kind = "parsed" if u < 0.9 else ("none" if u < 0.95 else "none_old")
                explanation = letter_explanation(kind, pred, gold)
            else:
                kind = "boxed" if u < 0.7 else ("extracted" if u < 0.88 else ("frac" if u < 0.93 else "none"))
                explanation = numeric_explanation(kind, pred, gold)
            if kind in ("none", "none_old"):
                ok = False
            elif kind == "frac":
                ok = pred == gold  # the string compare can still say correct: a verdict without a label
            elif rng.random() < 0.03:
                ok = not ok  # a verdict that disagrees with the label (e.g. tolerance or string compare)
            misleading = wrong[int(rng.integers(0, len(wrong)))] if rng.random() < 0.2 else None
            text = _text(pred, letters, misleading, rng)
            if model.reasoning:
                text = "reasoning...\n</think>\n" + text
            texts.append(text)
            explanations.append(explanation)
            correct.append(ok)
            reward = None if rng.random() < null_reward_rate else bfloat16(rng.normal(0.1 if ok else -0.1, 0.1))
            rewards.append(reward)
            tokens.append([r, total] if model.reasoning else total)
        records.append(
            {
                "qid": qid,
                "prompt": f"Question {qid}: what is the answer?",
                "ground_truths": [gold],
                "question_meta": {"source": folder, "index": qi},
                "model_name": model.name,
                "reward_model_name": REWARD_MODEL,
                "answers": texts,
                "correct": correct,
                "explanations": explanations,
                "rewards": rewards,
                "num_tokens": tokens,
            }
        )
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
        lines.insert(bad_json_after, '{"qid": "broken", "answers": [')
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
            records = trace_lines(model, qids, golds, rng, letters=letters, folder=folder)
            path = root / folder / file_name(model)
            write_trace_file(
                path,
                records,
                bad_json_after=2 if corrupt else None,
                repeat_qid_after=3 if corrupt else None,
            )
            out[folder][model.name] = path
    return out
