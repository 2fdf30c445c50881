"""Multiple-choice answer extraction (GPQA): the option letter a sample chose, or None.

``ttcgames.grading.verifiers`` extracts numbers only; GPQA samples answer with a letter. Extraction tries,
in order (the first that finds a letter wins):

1. ``boxed``: the last ``\\boxed{...}``; its content is a letter, optionally wrapped in
   ``\\text{}``, ``\\mathrm{}``, ``\\textbf{}``, parentheses or followed by option text
   ("C) 12 eV", "(B)");
2. ``answer_phrase``: the letter after the last "answer is" / "answer:" / "answer is:" /
   "correct option is" (markdown bold and parentheses tolerated), or before "is correct" in
   "Option C is correct";
3. ``last_parenthesised``: the last "(X)" on its own, X in the allowed letters.

Letters are returned upper-case. A sample with none of these gets ``None`` (the invalid marker),
never an exception, so majority voting can skip it (docs/paper-notes.md, "Accuracy and token curves": samples without a label never win).
Every strategy runs in time linear in the text (``_last_boxed`` is one pass with a stack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ChoiceExtraction", "extract_choice"]

_WRAPPERS = re.compile(r"\\(?:text|mathrm|textbf|mathbf|rm|bf)\s*\{([^{}]*)\}")


@dataclass(frozen=True)
class ChoiceExtraction:
    """Settings for extracting an option letter; ``letters`` are the allowed options."""

    letters: str = "ABCD"
    strategies: tuple[str, ...] = ("boxed", "answer_phrase", "last_parenthesised")

    def __post_init__(self) -> None:
        if not self.letters or not self.letters.isalpha() or not self.letters.isupper():
            raise ValueError(f"letters must be upper-case letters, got {self.letters!r}")
        unknown = [s for s in self.strategies if s not in _STRATEGIES]
        if unknown or not self.strategies:
            raise ValueError(f"unknown or empty strategies {unknown}; known: {', '.join(_STRATEGIES)}")


_BRACES = re.compile(r"[{}]")


def _last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` whose braces balance, or None (also used by grading).

    An unclosed (truncated) box is skipped in favour of the last earlier one that closes. One pass
    over the braces with a stack of the open ones, so linear in the text: each ``{`` is pushed once
    and popped at its matching ``}``; a box's content ends at the ``}`` matching its own ``{``.
    """
    stack: list[tuple[int, bool]] = []  # (index after the "{", opens a \boxed)
    best: tuple[int, int] | None = None
    for m in _BRACES.finditer(text):
        i = m.start()
        if text[i] == "{":
            stack.append((i + 1, text.startswith("\\boxed", i - 6) if i >= 6 else False))
        elif stack:
            start, boxed = stack.pop()
            if boxed and (best is None or start > best[0]):
                best = (start, i)
    return None if best is None else text[best[0] : best[1]]


def _letter_at_start(content: str, letters: str) -> str | None:
    """A letter that opens ``content`` as a whole token: "C", "(C)", "C)", "C. text", "c"."""
    content = _WRAPPERS.sub(r"\1", content).strip().strip("$*").strip()
    m = re.match(r"^\(?\s*([A-Za-z])\s*\)?(?![A-Za-z])", content)
    if m and m.group(1).upper() in letters:
        return m.group(1).upper()
    return None


def _from_boxed(text: str, letters: str) -> str | None:
    content = _last_boxed(text)
    return None if content is None else _letter_at_start(content, letters)


# "answer is X", "answer: X", "The correct answer is: A", "answer is option (B)". The runs of
# tolerated characters are single character classes separated by literals, so matching stays linear.
_PHRASE = re.compile(
    r"(?:answer|option|choice)\s*(?:is(?:[ \t]*:)?|:|=)[\s*$(\\{]*(?:(?:option|choice)\s+[\s*$(\\{]*)?(?:\\text\{\s*)?"
    r"([A-Za-z])(?![A-Za-z])",
    re.IGNORECASE,
)
# "Option C is correct.", "choice (B) is the right one".
_IS_CORRECT = re.compile(
    r"(?:option|choice)\s+\(?([A-Za-z])\)?\s+is\s+(?:the\s+)?(?:correct|right|best)\b",
    re.IGNORECASE,
)


def _from_answer_phrase(text: str, letters: str) -> str | None:
    found = [(m.start(), m.group(1)) for m in _PHRASE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _IS_CORRECT.finditer(text)]
    for _, raw in sorted(found, reverse=True):
        # A lower-case "a" after "answer is" is the article, not option A.
        if raw == "a":
            continue
        if raw.upper() in letters:
            return raw.upper()
    return None


def _from_last_parenthesised(text: str, letters: str) -> str | None:
    found = re.findall(r"\(([A-Z])\)", text)
    for letter in reversed(found):
        if letter in letters:
            return letter
    return None


_STRATEGIES = {
    "boxed": _from_boxed,
    "answer_phrase": _from_answer_phrase,
    "last_parenthesised": _from_last_parenthesised,
}


def extract_choice(text: str, config: ChoiceExtraction = ChoiceExtraction()) -> str | None:
    """The option letter the sample chose (upper-case), or None when it names none."""
    for name in config.strategies:
        letter = _STRATEGIES[name](text, config.letters)
        if letter is not None:
            return letter
    return None
