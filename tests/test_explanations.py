"""Vote labels from the released traces' verifier strings (ttcgames.explanations): every variant."""

import pytest
from hypothesis import given, strategies as st

from ttcgames.explanations import CASES, gold_label, letter_label, numeric_label, parse_explanation

NUMERIC_EXPLANATIONS = [
    ("boxed='72'; numeric compare: pred=72.0 truth=72.0 tol=1e-05; truth='72'", "72", "boxed"),
    ("boxed='72.0'; numeric compare: pred=72.0 truth=72.0 tol=1e-05; truth='72'", "72", "boxed"),
    ("extracted='$1,234'; numeric compare: pred=1234.0 truth=1234.0 tol=1e-05; truth='1234'", "1234", "extracted"),
    ("extracted='-3'; numeric compare: pred=-3.0 truth=4.0 tol=1e-05; truth='4'", "-3", "extracted"),
    ("boxed='1 1/2'; numeric compare: pred=1.5 truth=1.5 tol=1e-05; truth='1.5'", "1.5", "boxed"),
    ("boxed='3/4'; numeric compare: pred=0.75 truth=0.75 tol=1e-05; truth='0.75'", "0.75", "boxed"),
    ("extracted='50%'; numeric compare: pred=0.5 truth=50.0 tol=1e-05; truth='50'", "0.5", "extracted"),
    ("boxed='(18)'; numeric compare: pred=18.0 truth=18.0 tol=1e-05; truth='18'", "18", "boxed"),
    ("boxed='\\frac{3}{4}'; string compare: pred='\\frac{3}{4}' truth='0.75'; truth='0.75'", None, "numeric_unlabelled"),
    ("boxed='x = 5'; string compare: pred='x = 5' truth='5'; truth='5'", None, "numeric_unlabelled"),
    ("no numeric content found; truth='72'", None, "no_numeric"),
    ("The answer is 72.", None, "unknown"),
    ("", None, "unknown"),
]

CHOICE_EXPLANATIONS = [
    ("parsed='D'; truth='C'", "D", "parsed"),
    ("parsed='b'; truth='B'", "B", "parsed"),
    ("no Answer: <LETTER> found; truth='A'", None, "no_letter"),
    ("no 'Answer: [A-D]' pattern found; truth='A'", None, "no_letter"),
    ("parsed='E'; truth='A'", None, "unknown"),
    ("Answer: C", None, "unknown"),
]


@pytest.mark.parametrize("text,label,case", NUMERIC_EXPLANATIONS)
def test_numeric_explanations(text, label, case):
    got = parse_explanation(text, "numeric")
    assert (got.label, got.case) == (label, case)


@pytest.mark.parametrize("text,label,case", CHOICE_EXPLANATIONS)
def test_choice_explanations(text, label, case):
    got = parse_explanation(text, "choice")
    assert (got.label, got.case) == (label, case)


def test_truth_part_never_becomes_the_label():
    """The truth='...' part names the gold; reading it would turn majority vote into pass@theta."""
    assert parse_explanation("no numeric content found; truth='72'", "numeric").label is None
    assert parse_explanation("no Answer: <LETTER> found; truth='C'", "choice").label is None


def test_first_semicolon_splits_as_the_reference_does():
    # A prediction holding ';' keeps only the part before it (the reference's literal split).
    assert parse_explanation("boxed='3; 4'; string compare: pred='3; 4' truth='3'; truth='3'", "numeric").label == "3"


def test_equal_values_share_a_label():
    assert numeric_label("1/2") == numeric_label("0.5") == numeric_label("50%") == numeric_label("$0.50")
    assert numeric_label("1,000") == numeric_label("1000.0") == "1000"
    assert numeric_label("-0") == "0"
    assert numeric_label("1,2") is None and numeric_label("3/0") is None


def test_gold_labels():
    assert gold_label("72", "numeric") == "72"
    assert gold_label("C", "choice") == "C"
    assert letter_label("(c)") == "C"


@given(st.text(max_size=200))
def test_never_raises_and_cases_are_known(text):
    for fmt in ("numeric", "choice"):
        got = parse_explanation(text, fmt)
        assert got.case in CASES
        assert (got.label is None) == (got.case in ("numeric_unlabelled", "no_numeric", "no_letter", "unknown"))


def test_bad_format_is_refused():
    with pytest.raises(ValueError, match="answer_format"):
        parse_explanation("parsed='A'", "letters")
