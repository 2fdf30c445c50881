"""Vote labels from the verifier's explanation strings of the released traces (docs/traces.md).

Every sample of a released trace record carries, besides its generated text (``answers``) and
the verifier's verdict (``correct``), the verifier's *explanation string* (``explanations``). The
authors' majority vote is taken over the prediction that string carries, not over a parse of the
text. The known shapes are

- GSM8K and AIME: ``"{source}='{pred_raw}'; {detail}; truth='{truth}'"`` with ``source`` one of
  ``boxed`` (content of the last ``\\boxed{...}``/``\\fbox{...}`` holding a digit) or ``extracted``
  (the last numeric token of the text); ``detail`` says how it was compared. Without any number:
  ``"no numeric content found; truth='{truth}'"``;
- GPQA: ``"parsed='X'; truth='Y'"``, or ``"no Answer: <LETTER> found; truth='Y'"`` (an older
  variant: ``"no 'Answer: [A-D]' pattern found; truth='Y'"``).

**Label rule** (the reference's): the label is the quoted value after the first ``=`` of the part
before the first ``;``. Numbers (``numeric_label``) keep a label only when that value is a simple
number: wrapping ``()``/``[]`` and currency signs removed, commas read as thousands separators, an
optional sign, an integer or decimal, ``b/c`` fractions and ``a b/c`` mixed numbers, and a trailing
``%`` dividing by 100. Anything else (``\\frac{3}{4}``, ``x=5``, words) has no label, and a sample
without a label never wins a vote. Labels are canonical strings of the value as a double
(``"72"`` for 72, 72.0 and ``$72``; ``"0.5"`` for 1/2 and 50%), so equal values vote together.
GPQA labels are the upper-case letter.

Splitting at the *first* ``;`` follows the reference literally: a boxed prediction that itself
contains ``;`` keeps only the part before it.

``parse_explanation`` returns the label and the *case* it recognised; a string in no known shape
is case ``unknown`` (no label), which the import report counts rather than failing on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "CASES",
    "ExplanationLabel",
    "numeric_label",
    "letter_label",
    "parse_explanation",
    "gold_label",
]

# Case names, in the order the import report lists them.
CASES = (
    "boxed",  # numeric: boxed='...' with a simple number
    "extracted",  # numeric: extracted='...' with a simple number
    "numeric_unlabelled",  # numeric: boxed/extracted value that is not a simple number (no label)
    "no_numeric",  # numeric: "no numeric content found"
    "parsed",  # choice: parsed='X'
    "no_letter",  # choice: "no Answer: <LETTER> found" or the older "no 'Answer: [A-D]' pattern found"
    "unknown",  # no known shape (no label)
)

_CURRENCY = "$€£¥"
_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_SIMPLE = re.compile(
    r"(?P<sign>[+-]?)\s*"
    r"(?:"
    r"(?P<whole>" + _INT + r")\s+(?P<mnum>\d+)\s*/\s*(?P<mden>\d+)"  # a b/c
    r"|(?P<num>" + _INT + r")\s*/\s*(?P<den>\d+)"  # b/c
    r"|(?P<dec>" + _INT + r"(?:\.\d*)?|\.\d+)"  # 12, 1,234.5, 3., .5
    r")\s*(?P<pct>%?)"
)
_LETTERS = re.compile(r"[A-Za-z]")
_NO_NUMERIC = re.compile(r"no numeric content found", re.IGNORECASE)
_NO_LETTER = re.compile(r"no\s+(?:Answer:\s*<LETTER>|'Answer:\s*\[A-D\]'\s*pattern)\s+found", re.IGNORECASE)


@dataclass(frozen=True)
class ExplanationLabel:
    """What one explanation string says: the vote label (None: never wins) and the recognised case."""

    label: str | None
    case: str


def _canonical(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    if value == 0:
        return "0"  # also -0.0
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _strip_wrappers(text: str) -> str:
    text = text.strip().replace("\\$", "$")
    for sign in _CURRENCY:
        text = text.replace(sign, "")
    text = text.strip()
    while len(text) >= 2 and (text[0], text[-1]) in (("(", ")"), ("[", "]")):
        text = text[1:-1].strip()
    return text


def numeric_label(pred_raw: str) -> str | None:
    """Canonical label of a numeric prediction, or None when it is not a simple number (module docstring)."""
    text = _strip_wrappers(pred_raw)
    m = _SIMPLE.fullmatch(text)
    if m is None:
        return None
    if m.group("whole") is not None:
        den = int(m.group("mden"))
        if den == 0:
            return None
        value = Fraction(int(m.group("whole").replace(",", ""))) + Fraction(int(m.group("mnum")), den)
    elif m.group("num") is not None:
        den = int(m.group("den"))
        if den == 0:
            return None
        value = Fraction(int(m.group("num").replace(",", "")), den)
    else:
        value = Fraction(m.group("dec").replace(",", ""))
    if m.group("sign") == "-":
        value = -value
    if m.group("pct"):
        value /= 100
    return _canonical(float(value))


def letter_label(pred_raw: str, letters: str = "ABCD") -> str | None:
    """GPQA label: the single option letter (upper case), or None."""
    text = pred_raw.strip().strip("()$ ").upper()
    return text if len(text) == 1 and text in letters else None


def _quoted_value(head: str) -> tuple[str, str] | None:
    """``"boxed='72'"`` -> ``("boxed", "72")``: the key before the first ``=`` and the value, quotes removed."""
    key, eq, value = head.partition("=")
    if not eq:
        return None
    value = value.strip()
    if len(value) >= 1 and value[0] == "'":
        value = value[1:]
    if len(value) >= 1 and value[-1] == "'":
        value = value[:-1]
    return key.strip(), value


def parse_explanation(text: str, answer_format: str) -> ExplanationLabel:
    """The vote label and case of one explanation string; ``answer_format`` is ``numeric`` or ``choice``."""
    if answer_format not in ("numeric", "choice"):
        raise ValueError(f"answer_format must be 'numeric' or 'choice', got {answer_format!r}")
    if not isinstance(text, str):
        return ExplanationLabel(None, "unknown")
    head = text.split(";", 1)[0]
    pair = _quoted_value(head)
    if answer_format == "numeric":
        if pair is not None and pair[0] in ("boxed", "extracted"):
            label = numeric_label(pair[1])
            return ExplanationLabel(label, pair[0] if label is not None else "numeric_unlabelled")
        if _NO_NUMERIC.fullmatch(head.strip()):
            return ExplanationLabel(None, "no_numeric")
        return ExplanationLabel(None, "unknown")
    if pair is not None and pair[0] == "parsed":
        label = letter_label(pair[1])
        return ExplanationLabel(label, "parsed" if label is not None else "unknown")
    if _NO_LETTER.fullmatch(head.strip()):
        return ExplanationLabel(None, "no_letter")
    return ExplanationLabel(None, "unknown")


def gold_label(gold: str, answer_format: str) -> str | None:
    """The label a correct prediction of ``gold`` (a record's ``ground_truths[0]``) would carry."""
    if answer_format == "choice":
        return letter_label(str(gold))
    return numeric_label(str(gold))
