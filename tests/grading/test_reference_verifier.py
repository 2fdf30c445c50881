"""The reference verifiers on generated texts (grading kinds reference-numeric and reference-choice).

Regression table: (generated text, gold, the explanation string the reference's verifier writes,
its verdict, the vote label). The expected strings are written out by hand from the rules in
docs/traces.md ("Explanation strings"), one comment per row; every explanation variant has a row.
A generated sample must get the label an imported trace of the same sample gets: the label the
trace path reads from the reference's string (``parse_explanation``) is compared with our grade.
"""

from __future__ import annotations

import math
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.grading.explanations import gold_label, parse_explanation
from ttcgames.grading.reference import (
    ReferenceNumeric,
    Verdict,
    last_boxed,
    last_numeric_token,
    reference_number,
    verify_choice,
    verify_numeric,
)
from ttcgames.grading.verifiers import EXTRACTIONS, grade_sample

NUMERIC = EXTRACTIONS["reference-numeric"]
CHOICE = EXTRACTIONS["reference-choice"]

# (text, gold, explanation, verdict, label, case)
NUMERIC_ROWS = [
    # the paper's prompt: a boxed integer
    ("48 / 2 = 24 clips in May, 48 + 24 = 72 in all.\n\\boxed{72}", "72",
     "boxed='72'; numeric compare: pred=72.0 truth=72.0 tol=1e-05; truth='72'", True, "72", "boxed"),
    # a wrong boxed answer: same shape, verdict false
    ("So the answer is \\boxed{70}.", "72",
     "boxed='70'; numeric compare: pred=70.0 truth=72.0 tol=1e-05; truth='72'", False, "70", "boxed"),
    # spaces inside the box are stripped; \fbox counts as a box
    ("Total: \\fbox{ 1,234 }", "1234",
     "boxed='1,234'; numeric compare: pred=1234.0 truth=1234.0 tol=1e-05; truth='1234'", True, "1234", "boxed"),
    # spaces between \boxed and its brace
    ("\\boxed {18}", "18", "boxed='18'; numeric compare: pred=18.0 truth=18.0 tol=1e-05; truth='18'", True, "18", "boxed"),
    # several boxes: the last one
    ("First \\boxed{5}, no wait: \\boxed{7}", "7", "boxed='7'; numeric compare: pred=7.0 truth=7.0 tol=1e-05; truth='7'", True, "7", "boxed"),
    # LaTeX's escaped dollar: the comparison and the label rule both keep the backslash (no number):
    # string compare, wrong, and no label
    ("\\boxed{\\$18.50}", "18.5",
     "boxed='\\$18.50'; string compare: pred='\\$18.50' truth='18.5'; truth='18.5'", False, None, "numeric_unlabelled"),
    # a fraction equals a decimal gold
    ("\\boxed{3/4}", "0.75", "boxed='3/4'; numeric compare: pred=0.75 truth=0.75 tol=1e-05; truth='0.75'", True, "0.75", "boxed"),
    # a percentage divides by 100
    ("\\boxed{50%}", "0.5", "boxed='50%'; numeric compare: pred=0.5 truth=0.5 tol=1e-05; truth='0.5'", True, "0.5", "boxed"),
    # within the tolerance 1e-5 x |T|: correct, yet its own label (votes apart from "72")
    ("\\boxed{72.0001}", "72",
     "boxed='72.0001'; numeric compare: pred=72.0001 truth=72.0 tol=1e-05; truth='72'", True, "72.0001", "boxed"),
    # a LaTeX fraction: no number for the comparison (string compare) and no label
    ("Half: \\boxed{\\frac{1}{2}}", "0.5",
     "boxed='\\frac{1}{2}'; string compare: pred='\\frac{1}{2}' truth='0.5'; truth='0.5'", False, None, "numeric_unlabelled"),
    # Python's float reads 1e2, for the verdict and for the label alike (it votes with "100")
    ("\\boxed{1e2}", "100", "boxed='1e2'; numeric compare: pred=100.0 truth=100.0 tol=1e-05; truth='100'", True, "100", "boxed"),
    # commas are read as spaces and spaces dropped: "1 234" is 1234 for the verdict and the label
    ("\\boxed{1 234}", "1234",
     "boxed='1 234'; numeric compare: pred=1234.0 truth=1234.0 tol=1e-05; truth='1234'", True, "1234", "boxed"),
    # a ';' in the box: the label rule reads only what comes before it, where the quote never closes:
    # no label (docs/traces.md); the verdict compares strings
    ("\\boxed{3; 4}", "3", "boxed='3; 4'; string compare: pred='3; 4' truth='3'; truth='3'", False, None, "numeric_unlabelled"),
    # the box holds no digit: the last number of the whole text
    ("The answer is 12 apples, i.e. \\boxed{twelve}", "12",
     "extracted='12'; numeric compare: pred=12.0 truth=12.0 tol=1e-05; truth='12'", True, "12", "extracted"),
    # the last box is cut off (truncated sample): no box at all, not the earlier complete one
    ("\\boxed{5} hmm, recheck: 6 + 1 = \\boxed{7", "5",
     "extracted='7'; numeric compare: pred=7.0 truth=5.0 tol=1e-05; truth='5'", False, "7", "extracted"),
    # no box: a currency amount with thousands separators, the sentence's period left out
    ("She pays $1,200 in total.", "1200",
     "extracted='$1,200'; numeric compare: pred=1200.0 truth=1200.0 tol=1e-05; truth='1200'", True, "1200", "extracted"),
    # a negative number
    ("The temperature drops to -5 degrees", "-5",
     "extracted='-5'; numeric compare: pred=-5.0 truth=-5.0 tol=1e-05; truth='-5'", True, "-5", "extracted"),
    # a mixed number
    ("It needs 1 1/2 cups", "1.5", "extracted='1 1/2'; numeric compare: pred=1.5 truth=1.5 tol=1e-05; truth='1.5'", True, "1.5", "extracted"),
    # a mixed number split by a line break: the verifier reads 5.5 and accepts it, but the label rule
    # finds no closing quote on the value's first line: no label, so it never wins a vote
    ("It takes 5\n1/2 cups", "5.5",
     "extracted='5\n1/2'; numeric compare: pred=5.5 truth=5.5 tol=1e-05; truth='5.5'", True, None, "numeric_unlabelled"),
    # a percentage in the text
    ("a rise of 25 %", "0.25", "extracted='25 %'; numeric compare: pred=0.25 truth=0.25 tol=1e-05; truth='0.25'", True, "0.25", "extracted"),
    # a parenthesised number keeps its brackets in the string; the comparison and the label drop them
    ("so the count is (5)", "5", "extracted='(5)'; numeric compare: pred=5.0 truth=5.0 tol=1e-05; truth='5'", True, "5", "extracted"),
    # an unclosed bracket: the comparison cannot read it (string compare), and there is no label
    ("options (5 apples", "5", "extracted='(5'; string compare: pred='(5' truth='5'; truth='5'", False, None, "numeric_unlabelled"),
    # the last number wins even when it restates the question
    ("Each costs 3 dollars, so 4 cost 12. That is 4 items.", "12",
     "extracted='4'; numeric compare: pred=4.0 truth=12.0 tol=1e-05; truth='12'", False, "4", "extracted"),
    # no digit anywhere
    ("I do not know.", "7", "no numeric content found; truth='7'", False, None, "no_numeric"),
    # an empty sample
    ("", "7", "no numeric content found; truth='7'", False, None, "no_numeric"),
]

# (text, gold, explanation, verdict, label, case)
CHOICE_ROWS = [
    # the requested last line
    ("The photon mediates it.\nAnswer: C", "C", "parsed='C'; truth='C'", True, "C", "parsed"),
    # the $LETTER of the instruction taken literally, lower case
    ("... so it is the gluon.\nanswer: $b$", "B", "parsed='B'; truth='B'", True, "B", "parsed"),
    # several answer lines: the last
    ("Answer: A\nWait, that is wrong.\nAnswer: D", "A", "parsed='D'; truth='A'", False, "D", "parsed"),
    # newlines between the colon and the letter
    ("The answer line follows.\nAnswer:\n\nB", "B", "parsed='B'; truth='B'", True, "B", "parsed"),
    # markdown bold between the colon and the letter is not skipped
    ("**Answer:** B", "B", "no Answer: <LETTER> found; truth='B'", False, None, "no_letter"),
    # no word boundary after the letter: "Answer: Because" reads B, as the reference reads it
    ("Answer: Because the field is zero.", "A", "parsed='B'; truth='A'", False, "B", "parsed"),
    # the gold letter is upper-cased in the string
    ("Answer: c", "c", "parsed='C'; truth='C'", True, "C", "parsed"),
    # "answer is" without a colon does not count
    ("The correct answer is C.", "C", "no Answer: <LETTER> found; truth='C'", False, None, "no_letter"),
    # a letter outside A-D
    ("Answer: E", "C", "no Answer: <LETTER> found; truth='C'", False, None, "no_letter"),
    # a boxed letter is not the requested format
    ("\\boxed{C}", "C", "no Answer: <LETTER> found; truth='C'", False, None, "no_letter"),
]


@pytest.mark.parametrize("text, gold, explanation, verdict, label, case", NUMERIC_ROWS)
def test_numeric_regression_table(text, gold, explanation, verdict, label, case):
    assert verify_numeric(text, gold) == Verdict(verdict, explanation)
    grade = grade_sample(text, gold, NUMERIC)
    assert (grade.answer, grade.verdict, grade.explanation) == (label, verdict, explanation)
    assert grade.correct is (verdict and label is not None)
    assert parse_explanation(explanation, "numeric").case == case


@pytest.mark.parametrize("text, gold, explanation, verdict, label, case", CHOICE_ROWS)
def test_choice_regression_table(text, gold, explanation, verdict, label, case):
    assert verify_choice(text, gold) == Verdict(verdict, explanation)
    grade = grade_sample(text, gold, CHOICE)
    assert (grade.answer, grade.correct, grade.verdict, grade.explanation) == (label, verdict, verdict, explanation)
    assert parse_explanation(explanation, "choice").case == case


def test_every_explanation_variant_the_verifier_writes_is_in_the_tables():
    # the older GPQA string ("no 'Answer: [A-D]' pattern found") and unknown shapes are only read, never written
    written = {row[5] for row in NUMERIC_ROWS} | {row[5] for row in CHOICE_ROWS}
    assert written == {"boxed", "extracted", "numeric_unlabelled", "no_numeric", "parsed", "no_letter"}
    details = " ".join(row[2] for row in NUMERIC_ROWS)
    assert "numeric compare" in details and "string compare" in details


@pytest.mark.parametrize("rows, kind, fmt", [(NUMERIC_ROWS, "reference-numeric", "numeric"), (CHOICE_ROWS, "reference-choice", "choice")])
def test_a_generated_sample_and_its_trace_get_the_same_grade(rows, kind, fmt):
    """The trace path: the released record holds the text, the reference's string and verdict; its grade
    row is (label of the string, verdict and labelled, verdict). Grading the text must give that row."""
    for text, gold, explanation, verdict, _, _ in rows:
        trace_label = parse_explanation(explanation, fmt).label
        trace_row = (trace_label, verdict and trace_label is not None, verdict, explanation)
        grade = grade_sample(text, gold, EXTRACTIONS[kind])
        assert (grade.answer, grade.correct, grade.verdict, grade.explanation) == trace_row, text


# ------------------------------------------------------------------ the steps on their own


def test_last_boxed_needs_the_last_box_closed():
    assert last_boxed("\\boxed{\\frac{1}{2}} and \\fbox{ x{y}z }") == "x{y}z"
    assert last_boxed("\\boxed{5} and \\boxed{6") is None
    assert last_boxed("no box") is None
    assert last_boxed("\\boxed{}") == ""


def test_last_numeric_token_shapes():
    assert last_numeric_token("costs -$1,234.50 each") == "-$1,234.50"
    assert last_numeric_token("[12] and then 3/4") == "3/4"
    assert last_numeric_token("12,34") == "34"  # not a thousands group: two tokens
    assert last_numeric_token("about 50 % of it") == "50 %"
    assert last_numeric_token("nothing") is None


@pytest.mark.parametrize(
    "text, value",
    [
        ("72", 72.0), ("$1,234", 1234.0), ("(5)", 5.0), ("[-3]", -3.0), ("-$5", -5.0), ("50%", 0.5),
        ("1 1/2", 1.5), ("3/4", 0.75), ("5 3/0", 5.0), ("3/0", None), ("1e2", 100.0), ("1 234", 1234.0),
        ("\\frac{3}{4}", None), ("", None), ("x", None), ("€7", 7.0), ("1" * 400, math.inf), ("1" * 5000 + "/3", None),
        ("1" * 400 + "/3", None),
    ],
)
def test_reference_number(text, value):
    assert reference_number(text) == value


def test_tolerance_is_relative_above_one():
    assert verify_numeric("\\boxed{100000.9}", "100000").correct  # |P - T| = 0.9 <= 1e-5 x 1e5 = 1
    assert not verify_numeric("\\boxed{100001.1}", "100000").correct
    assert verify_numeric("\\boxed{0.000001}", "0").correct  # max(1, |T|) = 1 near zero
    assert ReferenceNumeric(tol=0.0).verify("\\boxed{72.0001}", "72").correct is False
    with pytest.raises(ValueError, match="tol"):
        ReferenceNumeric(tol=-1.0)


# ------------------------------------------------------------------ properties


def _has_decimal_digit(text: str) -> bool:
    return any(unicodedata.category(ch) == "Nd" for ch in text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), gold=st.text())
def test_property_numeric_verifier_never_raises_and_writes_a_known_shape(text, gold):
    verdict = verify_numeric(text, gold)
    parsed = parse_explanation(verdict.explanation, "numeric")
    assert parsed.case != "unknown"
    if not _has_decimal_digit(text):
        assert verdict.explanation == f"no numeric content found; truth='{gold}'" and not verdict.correct
    grade = grade_sample(text, gold, NUMERIC)
    assert not grade.correct or grade.answer is not None  # a correct sample carries a label


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("Answer: $ABCDEabcd\n{}\\boxed0123456789-.,/%()[]"), max_size=60))
def test_property_numeric_verifier_on_answer_like_text(text):
    verdict = verify_numeric(text, "12")
    assert parse_explanation(verdict.explanation, "numeric").case != "unknown"


@settings(max_examples=200, deadline=None)
@given(pred=st.integers(-10**6, 10**6), gold=st.integers(-10**6, 10**6), prefix=st.text(alphabet="abc xyz.\n", max_size=30))
def test_property_boxed_integers_are_compared_within_the_tolerance(pred, gold, prefix):
    grade = grade_sample(f"{prefix}\\boxed{{{pred}}}", str(gold), NUMERIC)
    expected = abs(pred - gold) <= 1e-5 * max(1, abs(gold))  # integers: exact
    assert grade.verdict is expected
    assert grade.answer == str(pred) and grade.correct is expected
    assert (grade.answer == gold_label(str(gold), "numeric")) is (pred == gold)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), gold=st.sampled_from("ABCD"))
def test_property_choice_verifier_never_raises(text, gold):
    verdict = verify_choice(text, gold)
    assert parse_explanation(verdict.explanation, "choice").case in ("parsed", "no_letter")


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(alphabet=st.characters(blacklist_characters=":"), max_size=80),
    letter=st.sampled_from("ABCDabcd"),
    gold=st.sampled_from("ABCD"),
)
def test_property_the_last_answer_line_decides(body, letter, gold):
    # a body without a colon holds no "Answer: X" of its own, so the appended line decides
    grade = grade_sample(f"{body}\nAnswer: {letter}", gold, CHOICE)
    assert grade.answer == letter.upper() and grade.correct is (letter.upper() == gold)


def test_nan_and_inf_never_count_correct():
    assert not verify_numeric("\\boxed{nan}", "5").correct
    assert not verify_numeric("\\boxed{inf}", "inf").correct  # inf - inf is nan
    assert math.isinf(reference_number("-inf"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("0123456789 .,-+%$/()[]e_\\boxed{}xinfa;\n'"), max_size=30))
def test_property_the_label_is_the_number_the_verdict_compared(text):
    """Where the prediction holds no ';', quote or line break, the vote label reads back as the
    value the numeric compare printed: the label rule and the verdict read the same number."""
    verdict = verify_numeric(text, "12")
    pred_raw = verdict.explanation.partition("='")[2].partition("'; numeric compare")[0]
    label = parse_explanation(verdict.explanation, "numeric").label
    if "numeric compare: pred=" not in verdict.explanation or any(c in pred_raw for c in ";'\n"):
        return
    printed = float(verdict.explanation.split("numeric compare: pred=")[1].split(" ")[0])
    assert label is not None
    got = float(label)
    assert (math.isnan(got) and math.isnan(printed)) or (got == printed and math.copysign(1, got) == math.copysign(1, printed))
