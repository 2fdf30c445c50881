"""The reference implementation's verifiers, on generated texts: the same verdict and explanation string.

The authors graded every sample with a verifier that returns a verdict and an *explanation string*
(docs/traces.md); their majority vote is taken over the prediction that string carries, read back
with the label rule of ``ttcgames.grading.explanations``. Generating our own samples, we run the same
extraction and comparison here and write the same string, so the vote label of a generated sample
comes from ``ttcgames.grading.explanations.parse_explanation`` exactly as for an imported trace, and a trace
run and a generation run of the same samples give the same grades (``ttcgames.grading.verifiers`` kinds
``reference-numeric`` and ``reference-choice``).

Numeric verifier (GSM8K, AIME), ``ReferenceNumeric``:

1. ``last_boxed``: the content (stripped) of the *last* ``\\boxed{...}`` or ``\\fbox{...}`` (spaces
   allowed before the brace) with balanced braces; when that last one is never closed (a truncated
   sample), there is none - an earlier complete box is not used;
2. when there is no such content or it holds no digit, ``last_numeric_token`` of the whole text:
   the last token made of an optional opening ``(``/``[``, an optional ``-``, an optional ``$``, an
   integer (with or without thousands commas), optional decimals, optional spaces and a simple
   fraction ``b/c``, an optional closing ``)``/``]`` and an optional ``%`` (spaces allowed before
   it), that holds a digit; stripped;
3. ``reference_number`` reads prediction and gold as numbers: one pair of wrapping ``()`` and then of
   ``[]`` removed, currency signs ``$ ₹ € £`` removed, commas read as spaces, a leading ``-``, a
   trailing ``%`` (divides by 100), ``a b/c`` (a zero denominator adds 0), ``b/c`` (zero denominator:
   no number), else Python's ``float`` of the text without spaces (so ``1e5``, ``1 234`` and ``inf``
   are numbers too);
4. both numbers: correct iff ``|P - T| <= tol * max(1, |T|)`` (tol = 1e-5), detail
   ``numeric compare: pred=P truth=T tol=1e-05`` with Python's float repr; otherwise
   ``string compare: pred='p' truth='t'`` on the stripped strings, correct iff equal.

Explanation: ``"{source}='{pred_raw}'; {detail}; truth='{truth}'"`` with ``source`` ``boxed`` or
``extracted``, or ``"no numeric content found; truth='{truth}'"`` (never correct).

Choice verifier (GPQA), ``ReferenceChoice``: the letter of the last match of
``Answer\\s*:\\s*\\$?\\s*([ABCD])`` (case-insensitive; no word boundary after the letter, so
"Answer: Because" reads B, as the reference reads it), upper-cased; correct iff it equals the gold
letter. Explanation ``"parsed='X'; truth='Y'"`` or ``"no Answer: <LETTER> found; truth='Y'"``. The
older variant of the released GPQA files (``"no 'Answer: [A-D]' pattern found"``) came from another
rule and is only read (``ttcgames.grading.explanations``), never written.

Where Python's own limits would make the reference raise (an integer of more than 4300 digits, a
fraction whose value overflows a float), ``reference_number`` returns None instead: the sample is
then compared as a string. Nothing here raises on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "Verdict",
    "ReferenceNumeric",
    "ReferenceChoice",
    "last_boxed",
    "last_numeric_token",
    "reference_number",
    "verify_numeric",
    "verify_choice",
]

_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
_DIGIT = re.compile(r"\d")
# One numeric token of the text (step 2); every part is optional, a token must hold a digit.
_NUMERIC_TOKEN = re.compile(
    r"[(\[]?-?\$?"  # opening bracket, sign, currency
    r"(?:\d{1,3}(?:,\d{3})+|\d+)?"  # integer, with or without thousands commas
    r"(?:\.\d+)?"  # decimals
    r"\s*(?:\d+/\d+)?"  # a simple fraction, after optional spaces (a mixed number)
    r"[)\]]?"  # closing bracket
    r"(?:\s*%)?"  # percent
)
_MIXED = re.compile(r"(\d+)\s+(\d+)/(\d+)")
_FRACTION = re.compile(r"(\d+)/(\d+)")
_CURRENCY = ("$", "₹", "€", "£")
_ANSWER_LINE = re.compile(r"Answer\s*:\s*\$?\s*([ABCD])\s*\$?", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """What the verifier says about one sample: its verdict and its explanation string."""

    correct: bool
    explanation: str


def last_boxed(text: str) -> str | None:
    """Stripped content of the last ``\\boxed{`` / ``\\fbox{`` when its braces close, else None (step 1)."""
    starts = [m.end() for m in _BOX_OPEN.finditer(text)]
    if not starts:
        return None
    depth = 1
    for i in range(starts[-1], len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[starts[-1] : i].strip()
    return None


def last_numeric_token(text: str) -> str | None:
    """The last numeric token of ``text`` that holds a digit, stripped (step 2), or None."""
    last = None
    for m in _NUMERIC_TOKEN.finditer(text):
        token = m.group()
        if token and _DIGIT.search(token):
            last = token
    return None if last is None else last.strip()


def _unwrap(text: str) -> str:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    return text


def reference_number(text: str) -> float | None:
    """The value the reference's comparison reads from ``text`` (step 3), or None when it reads none."""
    if not text:
        return None
    s = _unwrap(text)
    for sign in _CURRENCY:
        s = s.replace(sign, "")
    s = " ".join(s.replace(",", " ").split())
    negative = s.startswith("-")
    if negative:
        s = s[1:].strip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    try:
        if m := _MIXED.fullmatch(s):
            whole, num, den = (int(g) for g in m.groups())
            value = whole + (num / den if den != 0 else 0.0)
        elif m := _FRACTION.fullmatch(s):
            num, den = (int(g) for g in m.groups())
            if den == 0:
                return None
            value = num / den
        else:
            plain = s.replace(" ", "")
            if not plain:
                return None
            value = float(plain)
    except (ValueError, OverflowError):  # >4300-digit integers, quotients beyond a float
        return None
    if negative:
        value = -value
    if percent:
        value = value / 100.0
    return value


def _compare(pred: str, truth: str, tol: float) -> tuple[bool, str]:
    p, t = reference_number(pred), reference_number(truth)
    if p is not None and t is not None:
        return abs(p - t) <= tol * max(1.0, abs(t)), f"numeric compare: pred={p} truth={t} tol={tol}"
    p_text, t_text = pred.strip(), truth.strip()
    return p_text == t_text, f"string compare: pred='{p_text}' truth='{t_text}'"


def verify_numeric(text: str, truth: str, tol: float = 1e-5) -> Verdict:
    """The reference's numeric verdict and explanation for one sample (module docstring, steps 1-4)."""
    text = text or ""
    truth = str(truth)
    pred = last_boxed(text)
    source = "boxed"
    if pred is None or not _DIGIT.search(pred):
        pred = last_numeric_token(text)
        source = "extracted"
        if pred is None:
            return Verdict(False, f"no numeric content found; truth='{truth}'")
    correct, detail = _compare(pred, truth, tol)
    return Verdict(correct, f"{source}='{pred}'; {detail}; truth='{truth}'")


def verify_choice(text: str, truth: str) -> Verdict:
    """The reference's GPQA verdict and explanation: the letter of the last "Answer: X"."""
    truth = str(truth).strip().upper()
    letters = _ANSWER_LINE.findall(text or "")
    if not letters:
        return Verdict(False, f"no Answer: <LETTER> found; truth='{truth}'")
    pred = letters[-1].strip().upper()
    return Verdict(pred == truth, f"parsed='{pred}'; truth='{truth}'")


@dataclass(frozen=True)
class ReferenceNumeric:
    """Grading kind ``reference-numeric``: the reference's boxed-number verifier (GSM8K, AIME)."""

    tol: float = 1e-5
    answer_format: ClassVar[str] = "numeric"

    def __post_init__(self) -> None:
        if not self.tol >= 0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")

    def verify(self, text: str, truth: str) -> Verdict:
        return verify_numeric(text, truth, self.tol)


@dataclass(frozen=True)
class ReferenceChoice:
    """Grading kind ``reference-choice``: the reference's GPQA verifier (last "Answer: X")."""

    answer_format: ClassVar[str] = "choice"

    def verify(self, text: str, truth: str) -> Verdict:
        return verify_choice(text, truth)
