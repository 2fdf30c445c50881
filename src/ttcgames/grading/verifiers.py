"""Grading: extract each sample's final answer, compare it with the gold answer, write the grades CSV.

Extract, compare and grade are separate steps. Extraction settings are small frozen dataclasses
registered by grading ``kind``; a sample with no extractable answer gets ``None`` (written as an
empty ``answer`` with ``valid=false``), never an exception.

Numeric extraction tries, in order (the first that finds a number wins):
1. ``boxed``: the last ``\\boxed{...}`` (the paper's prompt asks for it); the last number inside;
2. ``answer_phrase``: the number right after the last "answer is" / "answer: " / "answer ... is";
3. ``last_equals``: the number right after the last ``=`` (the tiny model often writes "6 + 9 = 15 ...");
4. ``last_number``: the last number anywhere (lm-eval's "flexible extract"), skipping operands
   of an expression (a number next to ``+ - * /``), which restate the question.
Numbers may carry thousands separators ("1,234", LaTeX "1{,}234" and "10\\,000", thin spaces), a
leading ``$`` and a trailing period. A number directly followed by ``/number`` is a fraction
("5/2"), by ``^n`` or ``^{n}`` a power ("10^3"), and ``\\frac{3}{4}`` (also ``\\dfrac``,
``\\tfrac``) is read as 3/4: each is one exact value, never its first or last part. Values are
compared exactly: the canonical form is the integer, the terminating decimal ("2.5") or the
reduced fraction ("1/3"), so "12", "12.0" and "12." all equal gold "12" and "5/2" equals "2.5".
Markdown bold (``**15**``) is not a multiplication. A number longer than 300 characters, or a
power with more than 1000 digits, is no answer (``None`` from that strategy).

Every extractor runs in time linear in the text (no regex with nested or adjacent overlapping
quantifiers; the operand test and ``\\boxed`` matching scan each character a bounded number of
times), so a long degenerate sample (e.g. thousands of unclosed ``\\boxed{``) cannot stall grading.

Generation records are type-checked on read: ``qid`` a string, ``sample`` an integer, ``text`` a
string; anything else (e.g. ``"text": null``) is an error naming the file and line.

Grading kinds (``EXTRACTIONS``, the config's ``grading.kind`` or a dataset's ``grading`` key):

- ``numeric``: the extraction above, exact decimal comparison (the default CPU market);
- ``math-verify``: the paper's maths datasets (GSM8K, AIME). When the sample holds a complete
  ``\\boxed{...}``, only the last one is read (a sample that boxes several answers, "\\boxed{5}
  ... actually \\boxed{7}", means the last; math-verify alone would read the set {5, 7}); otherwise
  the whole text goes to ``math_verify.parse``. Correctness is ``math_verify.verify(gold, answer)``
  (LaTeX fractions, thousands separators, "x = 5" against 5). The ``answer`` column is a canonical
  string of the parsed value ("72", "3/4"), so majority voting groups equal values;
- ``choice``: GPQA option letters (``ttcgames.grading.choices``), compared with the gold letter;
- ``reference-numeric`` and ``reference-choice``: the reference implementation's own verifiers
  (``ttcgames.grading.reference``; the paper's config for GSM8K/AIME and GPQA). Each sample gets
  the verifier's verdict and explanation string, and its vote label is read back from that string
  by ``ttcgames.grading.explanations.parse_explanation``, the function that labels imported traces, so a
  generated sample and the same sample in a released trace file get the same grade row.
  These kinds write two more columns (``REFERENCE_GRADE_COLUMNS``): ``trace_correct``, the
  verifier's verdict, which best-of-n and the reasoning bins use (as for imported traces), and
  ``explanation``, the string itself. ``correct`` is the verdict *and* a label: a sample the
  verifier accepts whose prediction has no label (e.g. the token ``5\\n1/2`` against 5.5: the
  verifier reads 5.5, the label rule finds no closing quote on the line) can never win a vote, so it
  is not counted correct there.

math-verify bounds each parse and comparison with ``signal.alarm``, which Python allows only in the
main thread of the main interpreter. ``MathVerifyExtraction.timeout_seconds`` is therefore applied
in the main thread only; grading from another thread (e.g. a thread pool) runs without the timeout
instead of failing (math-verify's default raises ``ValueError`` there). The workflow's grading jobs
run in the main thread of their own process, so they keep the timeout.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from ttcgames.grading.choices import ChoiceExtraction, _last_boxed, extract_choice
from ttcgames.grading.explanations import parse_explanation
from ttcgames.grading.reference import ReferenceChoice, ReferenceNumeric
from ttcgames.io.csv_file import write_csv
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import read_jsonl

__all__ = [
    "NumericExtraction",
    "MathVerifyExtraction",
    "EXTRACTIONS",
    "grade_text",
    "math_verify_timeout",
    "extract_answer",
    "normalize_number",
    "canonical_fraction",
    "answers_match",
    "grade_records",
    "grade_file",
    "GRADE_COLUMNS",
    "REFERENCE_GRADE_COLUMNS",
    "Grade",
    "grade_sample",
    "grade_columns",
]

GRADE_COLUMNS = ("qid", "sample", "answer", "valid", "correct")
# Extra columns of the reference kinds: the verifier's verdict (as imported traces carry it) and its string.
REFERENCE_GRADE_COLUMNS = ("trace_correct", "explanation")

# Thousands separators: "1,234", LaTeX "1{,}234", "10\\,000" and "10\\ 000", thin and narrow
# no-break spaces.
_SEPARATORS = ("{,}", "\\,", "\\ ", "\u2009", "\u202f", ",")  # removed in this order: "," last
_SEP = "(?:" + "|".join(re.escape(x) for x in _SEPARATORS) + ")"
# A number: optional sign (not a minus between two operands, "12-5"), digits with optional
# thousands groups, optional decimals.
_NUMBER = (
    r"(?<![\w)])-?\d{1,3}(?:" + _SEP + r"\d{3})+(?:\.\d+)?"
    r"|(?<![\w)])-?\d+(?:\.\d+)?|(?<![\w)])-?\.\d+"
)
NUMBER_RE = re.compile(_NUMBER)
# A value: a number, or a fraction "5/2", or a power "10^3" / "10^{3}", read as one exact value.
_VALUE = "(?:" + _NUMBER + r")(?:/(?:" + _NUMBER + r")|\^\{?-?\d+\}?)?"
VALUE_RE = re.compile(_VALUE)
# LaTeX fractions of two plain numbers become "a/b" before extraction.
_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{\s*(-?[\d.,]+)\s*\}\s*\{\s*(-?[\d.,]+)\s*\}")
# Tolerate markdown bold, quotes and dollar signs before the number: one character class, so the
# match time stays linear however long the run.
_PREFIX = r"[\s*\"'`$]*"
ANSWER_PHRASE_RE = re.compile(r"answer\b[^\n\d=]{0,40}?(?:\bis\b|:|=)" + _PREFIX + "(" + _VALUE + ")", re.IGNORECASE)
EQUALS_RE = re.compile(r"=" + _PREFIX + "(" + _VALUE + ")")
# An operand of an arithmetic expression ("3 + 9 is the sum", "you can solve 6 * 5") restates the
# question rather than answering it; "**" is markdown bold, not an operator.
_OPERATORS = "+-*/×÷"
# Bounds on what is read as a number: a longer digit string or a power with more digits is no
# answer (and converting it would cost time quadratic in its length).
_MAX_DIGITS = 300
_MAX_POWER_DIGITS = 1000


@dataclass(frozen=True)
class NumericExtraction:
    """Settings for extracting a numeric final answer; ``strategies`` run in order until one finds a number."""

    strategies: tuple[str, ...] = ("boxed", "answer_phrase", "last_equals", "last_number")
    skip_operands: bool = True  # last_number ignores numbers next to + - * / (operands, not results)

    def __post_init__(self) -> None:
        unknown = [s for s in self.strategies if s not in _STRATEGIES]
        if unknown or not self.strategies:
            raise ValueError(f"unknown or empty extraction strategies {unknown}; known: {', '.join(_STRATEGIES)}")


_PLAIN_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


def _exact(number: str) -> Fraction | None:
    """A plain number (separators already removed) as an exact fraction."""
    if not _PLAIN_NUMBER.fullmatch(number):
        return None
    try:
        return Fraction(Decimal(number))
    except (InvalidOperation, ValueError):
        return None


def canonical_fraction(value: Fraction) -> str:
    """The integer ("12"), the terminating decimal ("2.5", "-0.125") or the reduced fraction ("1/3")."""
    if value.denominator == 1:
        return str(value.numerator)
    rest, k2, k5 = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, k2 = rest // 2, k2 + 1
    while rest % 5 == 0:
        rest, k5 = rest // 5, k5 + 1
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    k = max(k2, k5)
    digits = str(abs(value.numerator * 10**k // value.denominator)).rjust(k + 1, "0")
    return ("-" if value < 0 else "") + (digits[:-k] + "." + digits[-k:]).rstrip("0")


def normalize_number(text: str) -> str | None:
    """Canonical form of a number, fraction or power ("1,234" -> "1234", "12.0" -> "12", "$5." -> "5",
    "10\\,000" -> "10000", "5/2" -> "2.5", "10^3" -> "1000", "2/6" -> "1/3"); None if it is none."""
    cleaned = text.strip()
    for sep in _SEPARATORS:
        cleaned = cleaned.replace(sep, "")
    cleaned = cleaned.replace("$", "").rstrip(".").strip()
    if len(cleaned) > _MAX_DIGITS:
        return None
    if "^" in cleaned:
        base_text, _, exp_text = cleaned.partition("^")
        exp_text = exp_text.strip().removeprefix("{").removesuffix("}").strip()
        base = _exact(base_text.strip())
        if base is None or not re.fullmatch(r"-?\d+", exp_text):
            return None
        if len(base_text) * abs(int(exp_text)) > _MAX_POWER_DIGITS:
            return None
        if base == 0 and int(exp_text) < 0:
            return None
        return canonical_fraction(base ** int(exp_text))
    if "/" in cleaned:
        num_text, _, den_text = cleaned.partition("/")
        num, den = _exact(num_text.strip()), _exact(den_text.strip())
        if num is None or den is None or den == 0:
            return None
        return canonical_fraction(num / den)
    value = _exact(cleaned)
    return None if value is None else canonical_fraction(value)


def _from_boxed(text: str) -> str | None:
    content = _last_boxed(text)
    if content is None:
        return None
    values = VALUE_RE.findall(content)
    return values[-1] if values else None


def _from_answer_phrase(text: str) -> str | None:
    matches = ANSWER_PHRASE_RE.findall(text)
    return matches[-1] if matches else None


def _from_last_equals(text: str) -> str | None:
    matches = EQUALS_RE.findall(text)
    return matches[-1] if matches else None


def _is_operator(text: str, i: int) -> bool:
    """``text[i]`` is an arithmetic operator (a ``*`` of markdown's ``**`` is not)."""
    ch = text[i]
    if ch not in _OPERATORS:
        return False
    if ch == "*" and ((i > 0 and text[i - 1] == "*") or (i + 1 < len(text) and text[i + 1] == "*")):
        return False
    return True


def _is_operand(text: str, start: int, end: int) -> bool:
    """The value at ``text[start:end]`` is next to an operator: "+ 5", "5 * 3" (the operand
    restates the question). Scans only the whitespace around the value, so every character of the
    text is looked at a bounded number of times over all values."""
    j = start - 1
    while j >= 0 and text[j].isspace():
        j -= 1
    if j >= 0 and _is_operator(text, j):
        return True
    k = end
    while k < len(text) and text[k].isspace():
        k += 1
    if k < len(text) and _is_operator(text, k):
        k += 1
        while k < len(text) and text[k].isspace():
            k += 1
        return k < len(text) and text[k].isdigit()
    return False


def _from_last_number(text: str, skip_operands: bool = False) -> str | None:
    for match in reversed(list(VALUE_RE.finditer(text))):
        if skip_operands and _is_operand(text, match.start(), match.end()):
            continue
        return match.group()
    return None


_STRATEGIES = {
    "boxed": _from_boxed,
    "answer_phrase": _from_answer_phrase,
    "last_equals": _from_last_equals,
    "last_number": _from_last_number,
}

@dataclass(frozen=True)
class MathVerifyExtraction:
    """Settings for math-verify grading (GSM8K, AIME); see the module docstring."""

    timeout_seconds: int = 5  # per parse / comparison, main thread only (signal.alarm)
    last_boxed_only: bool = True  # several boxed answers: the last one is final
    float_rounding: int = 6  # math_verify.verify's rounding of floats

    def __post_init__(self) -> None:
        if self.timeout_seconds < 0:
            raise ValueError(f"timeout_seconds must be >= 0, got {self.timeout_seconds}")


Extraction = NumericExtraction | MathVerifyExtraction | ChoiceExtraction | ReferenceNumeric | ReferenceChoice

EXTRACTIONS: dict[str, Extraction] = {
    "numeric": NumericExtraction(),
    "math-verify": MathVerifyExtraction(),
    "choice": ChoiceExtraction(),
    "reference-numeric": ReferenceNumeric(),
    "reference-choice": ReferenceChoice(),
}


def extract_answer(text: str, config: NumericExtraction = EXTRACTIONS["numeric"]) -> str | None:
    """The sample's final answer in canonical form, or None (the invalid marker) when there is none."""
    text = _FRAC_RE.sub(r"\1/\2", text)
    for name in config.strategies:
        if name == "last_number":
            raw = _from_last_number(text, config.skip_operands)
        else:
            raw = _STRATEGIES[name](text)
        if raw is not None:
            value = normalize_number(raw)
            if value is not None:
                return value
    return None


def answers_match(predicted: str | None, gold: str) -> bool:
    """True when the extracted answer equals the gold answer (as exact numbers when gold is numeric)."""
    if predicted is None:
        return False
    gold_number = normalize_number(_FRAC_RE.sub(r"\1/\2", gold))
    if gold_number is not None:
        return predicted == gold_number
    return predicted.strip().lower() == gold.strip().lower()


def math_verify_timeout(seconds: int) -> int | None:
    """The timeout math-verify may use here: ``seconds`` in the main thread, None (no alarm) elsewhere."""
    if seconds and threading.current_thread() is threading.main_thread():
        return int(seconds)
    return None


@functools.lru_cache(maxsize=4096)
def _parse_gold(gold: str, timeout: int | None) -> tuple:
    from math_verify import parse

    parsed = parse(gold if "$" in gold or "\\" in gold else f"${gold}$", parsing_timeout=timeout)
    return tuple(parsed)


def _canonical(value: Any) -> str | None:
    """A canonical string of a parsed answer: numbers as exact decimals or p/q, an "x = 5" as its right side."""
    import sympy

    if isinstance(value, sympy.Eq) and isinstance(value.lhs, sympy.Symbol):
        value = value.rhs
    if isinstance(value, sympy.Integer):
        return str(int(value))
    if isinstance(value, sympy.Rational):
        return f"{value.p}/{value.q}"
    if isinstance(value, sympy.Float):
        # An exact decimal as a fraction, so "0.75" and "\\frac{3}{4}" vote together.
        decimal = normalize_number(format(float(value), ".12g"))
        if decimal is None:
            return str(value)
        exact = sympy.Rational(decimal)
        return str(int(exact)) if exact.q == 1 else f"{exact.p}/{exact.q}"
    if isinstance(value, sympy.Basic):
        text = str(value)
        return text or None
    return str(value).strip() or None


def _math_verify_grade(text: str, gold: str, config: MathVerifyExtraction) -> tuple[str | None, bool]:
    from math_verify import parse, verify

    timeout = math_verify_timeout(config.timeout_seconds)
    target = text
    if config.last_boxed_only:
        boxed = _last_boxed(text)
        if boxed is not None:
            target = "\\boxed{" + boxed + "}"
    parsed = parse(target, parsing_timeout=timeout)
    if not parsed:
        return None, False
    answer = _canonical(parsed[0])
    if answer is None:
        return None, False
    gold_parsed = _parse_gold(gold, timeout)
    if not gold_parsed:
        raise ArtifactError(f"gold answer {gold!r} cannot be parsed by math-verify")
    correct = bool(verify(list(gold_parsed), parsed, float_rounding=config.float_rounding, timeout_seconds=timeout))
    return answer, correct


@dataclass(frozen=True)
class Grade:
    """One sample's grade: the vote label (None: invalid), whether it counts as correct, and for the
    reference kinds the verifier's own verdict and explanation string (None for the other kinds)."""

    answer: str | None
    correct: bool
    verdict: bool | None = None
    explanation: str | None = None


def grade_sample(text: str, gold: str, config: Extraction = EXTRACTIONS["numeric"]) -> Grade:
    """Extract one sample's answer and compare it with ``gold`` under ``config`` (a grading kind's settings)."""
    if isinstance(config, (ReferenceNumeric, ReferenceChoice)):
        verdict = config.verify(text, gold)
        label = parse_explanation(verdict.explanation, config.answer_format).label
        return Grade(label, verdict.correct and label is not None, verdict.correct, verdict.explanation)
    if isinstance(config, MathVerifyExtraction):
        return Grade(*_math_verify_grade(text, gold, config))
    if isinstance(config, ChoiceExtraction):
        letter = extract_choice(text, config)
        return Grade(letter, letter is not None and letter == gold.strip().upper())
    answer = extract_answer(text, config)
    return Grade(answer, answers_match(answer, gold))


def grade_text(text: str, gold: str, config: Extraction = EXTRACTIONS["numeric"]) -> tuple[str | None, bool]:
    """Extract one sample's answer and compare it with ``gold``: ``(answer or None, correct)``."""
    grade = grade_sample(text, gold, config)
    return grade.answer, grade.correct


def grade_columns(config: Extraction) -> tuple[str, ...]:
    """The grades CSV columns a grading kind writes (docs/contracts.md, "grading")."""
    if isinstance(config, (ReferenceNumeric, ReferenceChoice)):
        return GRADE_COLUMNS + REFERENCE_GRADE_COLUMNS
    return GRADE_COLUMNS


def grade_records(
    generations: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    config: Extraction,
    where: str = "",
) -> list[dict[str, Any]]:
    """One grade row per generation record, in the generation file's order (columns: ``grade_columns``)."""
    gold = {q["qid"]: q["answer"] for q in questions}
    reference = grade_columns(config) != GRADE_COLUMNS
    rows = []
    for i, rec in enumerate(generations, start=1):
        if rec["qid"] not in gold:
            raise ArtifactError(f"{where}:{i}: qid {rec['qid']!r} is not in the dataset")
        try:
            grade = grade_sample(rec["text"], gold[rec["qid"]], config)
        except ArtifactError as exc:
            raise ArtifactError(f"{where}:{i}: qid {rec['qid']!r}: {exc}") from None
        row = {
            "qid": rec["qid"],
            "sample": rec["sample"],
            "answer": grade.answer or "",
            "valid": grade.answer is not None,
            "correct": grade.correct,
        }
        if reference:
            row["trace_correct"] = grade.verdict
            row["explanation"] = grade.explanation
        rows.append(row)
    return rows


def grade_file(
    gen_path: str | os.PathLike, data_path: str | os.PathLike, out_path: str | os.PathLike, kind: str = "numeric"
) -> Path:
    """Grade ``results/generations/{dataset}/{provider}.jsonl`` against ``results/data/{dataset}.jsonl``.

    Writes ``results/grades/{dataset}/{provider}.csv`` with columns ``qid,sample,answer,valid,correct``
    (``valid``/``correct`` as ``true``/``false``), plus ``trace_correct,explanation`` for the
    reference kinds. ``kind`` picks the extraction settings (``EXTRACTIONS``).
    """
    if kind not in EXTRACTIONS:
        raise ValueError(f"unknown grading kind {kind!r}; known: {', '.join(sorted(EXTRACTIONS))}")
    generations = read_jsonl(gen_path, required=("qid", "sample", "text"), types={"qid": str, "sample": int, "text": str})
    questions = read_jsonl(data_path, required=("qid", "answer"), types={"qid": str, "answer": str})
    config = EXTRACTIONS[kind]
    rows = grade_records(generations, questions, config, where=str(gen_path))
    return write_csv(out_path, rows, grade_columns(config))
