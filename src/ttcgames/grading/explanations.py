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

**Label rule.** Each rule below is the reference implementation's, re-stated from its source
(package ``strategic_ttc``; the notebooks that printed the published curves pass these functions
to the majority vote); the code here is our own.

Numbers (GSM8K, AIME), after ``verifiers.boxed_number.parse_pred_from_explanation``:

1. an empty (or missing) string has no label;
2. only the part before the first ``;`` is read (so ``truth='...'`` never is: reading it would turn
   majority vote into pass@theta);
3. in that part, the first ``=`` followed by optional white space, a ``'`` and, later *on the same
   line*, a closing ``'`` gives the value: everything between that opening quote and the *last*
   ``'`` of the line. The key before ``=`` is not checked (``pred='5'`` is 5 too). Without a
   closing quote there is no label: a boxed prediction holding ``;`` is cut at it and loses its
   closing quote (``boxed='3; 4'`` has no label), and a value spanning a line break has none;
4. the value is stripped and read as a number by the same routine the verifier compares with
   (``verifiers.boxed_number._parse_simple_number``; ours is
   ``ttcgames.grading.reference.reference_number``): *one* pair of wrapping ``()`` and then one of
   ``[]`` removed (``((5))`` and ``[(5)]`` are not numbers, ``([5])`` is 5); the signs
   ``$ ₹ € £`` removed anywhere (not ``¥``; ``\\$18.50`` keeps its backslash and is no number);
   commas read as spaces, runs of white space as one space; one leading ``-`` negates (``--5`` is
   5, ``−5`` with a Unicode minus is no number); one trailing ``%`` divides by 100; then
   ``a b/c`` is ``a + b/c`` (a zero denominator adds 0: ``5 3/0`` is 5; ``1,234/5`` reads as
   ``1 234/5`` = 47.8), ``b/c`` is ``b/c`` (``3/0`` is no number), and anything else is Python's
   ``float`` of the text with its spaces removed, so ``1e2``, ``1 234``, ``12,34`` (1234),
   ``1.5,3`` (1.53), ``1_000``, ``+5``, ``inf``, ``Infinity``, ``nan`` and Unicode decimal digits
   are numbers, while ``\\frac{3}{4}``, ``x=5``, ``0x10`` and words are not.

Letters (GPQA), after ``verifiers.gpqa.parse_pred_from_explanation_gpqa``: in the part before the
first ``;``, the first ``parsed`` (case-sensitive, anywhere) followed by optional white space,
``=``, optional white space and a quoted value of at least one character without ``'``; the label
is that value stripped and upper-cased, whatever it is (``E``, ``AB`` and ``(C)`` are labels too);
a value that strips to nothing has none.

**Grouping**, after ``core.accuracy_analysis.compute_curves_for_model_fast`` (its two stored
versions agree): each parsed value is turned into ``str(value)`` and samples vote together iff
those strings are equal; a missing value becomes the string ``"__NONE__"``, which never wins. For
numbers that is Python's float repr: equal floats vote together (``72``, ``72.0``, ``$72``,
``7.2e1``; ``1/2``, ``0.5``, ``50%``), except that ``-0.0`` and ``0.0`` vote apart, while every
NaN votes with every other NaN. Our labels are canonical strings in one-to-one correspondence with
that repr: ``"72"`` for an integral value, the repr otherwise (``"0.5"``, ``"1e-05"``), and
``"-0"``, ``"0"``, ``"inf"``, ``"-inf"``, ``"nan"``. A GPQA label is the string itself; a GPQA
value reading ``__NONE__`` merges with the missing-value sentinel, so it has no label either.

**Not reproduced.** Where Python itself would make the reference raise (an ``a b/c`` or ``b/c``
whose integers have more than 4300 digits or whose quotient overflows a float), it would have
stopped with an error; we give no label. The GSM8K and AIME notebooks import the vote from a module
``core.accuracy_analysis_f`` that is not in the stored copy of the reference's repository; the GPQA
notebook imports ``core.accuracy_analysis``, whose rule is the one above. An older helper of the
reference (``majority_vote_correct``) counted raw floats (there ``-0.0`` and ``0.0`` vote together
and NaNs never do); it is not on the notebooks' path.

``parse_explanation`` returns the label and the *case* it recognised, for the import report: the
case follows the key before the first ``=`` (``boxed``, ``extracted``, ``parsed``) or the fixed
no-answer sentences; the label follows the rule above whatever the case, so a string in no known
shape (case ``unknown``) may still carry the label the reference would read from it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ttcgames.grading.reference import reference_number

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
    "boxed",  # numeric: boxed='...' whose value is a number (labelled)
    "extracted",  # numeric: extracted='...' whose value is a number (labelled)
    "numeric_unlabelled",  # numeric: boxed/extracted string whose value is no number, or not closed (no label)
    "no_numeric",  # numeric: "no numeric content found" (no label)
    "parsed",  # choice: parsed='X' (labelled)
    "no_letter",  # choice: "no Answer: <LETTER> found" or the older "no 'Answer: [A-D]' pattern found" (no label)
    "unknown",  # no known shape; labelled only where the reference's rule still reads a value
)

# Rule step 3: ``[^\n]`` is what the reference's ``.`` matches (no DOTALL); ``\s`` may span lines.
_QUOTED_VALUE = re.compile(r"=\s*'([^\n]*)'")
_PARSED_VALUE = re.compile(r"parsed\s*=\s*'([^']+)'")
_NO_NUMERIC = re.compile(r"no numeric content found", re.IGNORECASE)
_NO_LETTER = re.compile(r"no\s+(?:Answer:\s*<LETTER>|'Answer:\s*\[A-D\]'\s*pattern)\s+found", re.IGNORECASE)
_MISSING_SENTINEL = "__NONE__"  # the reference's stand-in for "no value" (module docstring, grouping)


@dataclass(frozen=True)
class ExplanationLabel:
    """What one explanation string says: the vote label (None: never wins) and the recognised case."""

    label: str | None
    case: str


def _canonical(value: float) -> str:
    """A string per distinct ``str(value)`` of the reference (module docstring, grouping)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if value.is_integer():
        return str(int(value))
    return repr(value)  # always holds "." or "e", so never equal to an integral label


def numeric_label(pred_raw: str) -> str | None:
    """Canonical label of a numeric prediction (rule step 4), or None when the reference reads no number."""
    value = reference_number(pred_raw.strip())
    return None if value is None else _canonical(value)


def letter_label(pred_raw: str, letters: str | None = None) -> str | None:
    """GPQA label: ``pred_raw`` stripped and upper-cased (the reference's rule), or None when empty.

    ``letters`` (not part of the reference's rule) keeps only single letters from that set."""
    label = pred_raw.strip().upper()
    if not label or label == _MISSING_SENTINEL:
        return None
    if letters is not None and not (len(label) == 1 and label in letters.upper()):
        return None
    return label


def _key(head: str) -> str:
    return head.partition("=")[0].strip()


def parse_explanation(text: str, answer_format: str) -> ExplanationLabel:
    """The vote label and case of one explanation string; ``answer_format`` is ``numeric`` or ``choice``."""
    if answer_format not in ("numeric", "choice"):
        raise ValueError(f"answer_format must be 'numeric' or 'choice', got {answer_format!r}")
    if not isinstance(text, str) or not text:
        return ExplanationLabel(None, "unknown")
    head = text.partition(";")[0]
    key = _key(head)
    if answer_format == "numeric":
        m = _QUOTED_VALUE.search(head)
        label = None if m is None else numeric_label(m.group(1))
        if key in ("boxed", "extracted"):
            return ExplanationLabel(label, key if label is not None else "numeric_unlabelled")
        if label is None and _NO_NUMERIC.fullmatch(head.strip()):
            return ExplanationLabel(None, "no_numeric")
        return ExplanationLabel(label, "unknown")
    m = _PARSED_VALUE.search(head)
    label = None if m is None else letter_label(m.group(1))
    if key == "parsed" and label is not None:
        return ExplanationLabel(label, "parsed")
    if label is None and _NO_LETTER.fullmatch(head.strip()):
        return ExplanationLabel(None, "no_letter")
    return ExplanationLabel(label, "unknown")


def gold_label(gold: str, answer_format: str) -> str | None:
    """The label a correct prediction of ``gold`` (a record's ``ground_truths[0]``) would carry: the
    GPQA verifier compares with the gold stripped and upper-cased, the numeric one with its number."""
    if answer_format == "choice":
        return letter_label(str(gold))
    return numeric_label(str(gold))
