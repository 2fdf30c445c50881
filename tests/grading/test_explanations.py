"""Vote labels from the released traces' verifier strings (ttcgames.grading.explanations).

The regression tables write out, by hand and one comment per row, the label the reference's rule
gives (``verifiers.boxed_number.parse_pred_from_explanation`` and
``verifiers.gpqa.parse_pred_from_explanation_gpqa``, grouped by ``str`` of the value as in
``core.accuracy_analysis.compute_curves_for_model_fast``; module docstring of ttcgames.grading.explanations).
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttcgames.grading.explanations import CASES, gold_label, letter_label, numeric_label, parse_explanation

D = "; numeric compare: pred=0 truth=0 tol=1e-05; truth='0'"  # a detail and truth the rule never reads

# (explanation string, label or None)
NUMERIC_TABLE = [
    # the common shapes
    ("boxed='72'; numeric compare: pred=72.0 truth=72.0 tol=1e-05; truth='72'", "72"),
    ("boxed='72.0'" + D, "72"),  # equal floats share a label
    ("extracted='$1,234'" + D, "1234"),  # currency sign and thousands comma dropped
    ("extracted='-3'" + D, "-3"),
    ("boxed='1 1/2'" + D, "1.5"),  # a mixed number
    ("boxed='3/4'" + D, "0.75"),
    ("extracted='50%'" + D, "0.5"),  # a trailing % divides by 100
    ("boxed='(18)'" + D, "18"),
    ("boxed='\\frac{3}{4}'; string compare: pred='\\frac{3}{4}' truth='0.75'; truth='0.75'", None),
    ("boxed='x = 5'; string compare: pred='x = 5' truth='5'; truth='5'", None),
    # the differences the colleague reported, each the reference's reading
    ("boxed='\\$18.50'; string compare: pred='\\$18.50' truth='18.5'; truth='18.5'", None),  # the backslash stays
    ("boxed='1e2'" + D, "100"),  # Python's float reads exponents
    ("boxed='1 234'" + D, "1234"),  # spaces removed before float
    ("boxed='12,34'" + D, "1234"),  # any comma is a space, then removed
    ("boxed='inf'" + D, "inf"),
    ("boxed='nan'" + D, "nan"),
    ("boxed='1_000'" + D, "1000"),  # float accepts digit-group underscores
    ("boxed='5 3/0'" + D, "5"),  # a mixed number with a zero denominator adds 0
    ("boxed='1,234/5'" + D, "47.8"),  # "1 234/5" is the mixed number 1 + 234/5
    ("boxed='3; 4'; string compare: pred='3; 4' truth='3'; truth='3'", None),  # cut at ';': no closing quote
    ("boxed='((5))'" + D, None),  # one pair of () only
    ("boxed='$5'" + D, "5"),
    ("boxed='₹5'" + D, "5"),
    ("boxed='€5'" + D, "5"),
    ("boxed='£5'" + D, "5"),
    ("boxed='¥5'" + D, None),  # yen is not among the reference's signs
    # further edges of the reference's rule
    ("boxed='3/0'" + D, None),  # a plain fraction with a zero denominator is no number
    ("boxed='([5])'" + D, "5"),  # () first, then []
    ("boxed='[(5)]'" + D, None),  # [] then the inner () stays
    ("boxed='$(5)'" + D, None),  # the brackets are checked before the sign goes
    ("boxed='($5)'" + D, "5"),
    ("boxed='-0'" + D, "-0"),  # -0.0 votes apart from 0.0 ("-0.0" != "0.0")
    ("boxed='0'" + D, "0"),
    ("boxed='-1e-400'" + D, "-0"),  # underflow keeps the sign
    ("boxed='1e400'" + D, "inf"),  # overflow of a plain float is inf, not an error
    ("boxed='-inf'" + D, "-inf"),
    ("boxed='Infinity'" + D, "inf"),
    ("boxed='NaN'" + D, "nan"),
    ("boxed='--5'" + D, "5"),  # one '-' is read as the sign, float reads the second
    ("boxed='- 5'" + D, "-5"),
    ("boxed='+5'" + D, "5"),
    ("boxed='\u22125'" + D, None),  # a Unicode minus is not a sign
    ("boxed='-5%'" + D, "-0.05"),
    ("boxed='5%%'" + D, None),  # one % only
    ("boxed='1/2%'" + D, "0.005"),
    ("boxed='1.5,3'" + D, "1.53"),  # the comma vanishes inside a decimal too
    ("boxed='1 2 3/4'" + D, None),  # not a mixed number, and "123/4" is no float
    ("boxed='5.'" + D, "5"),
    ("boxed='.5'" + D, "0.5"),
    ("boxed='1e-5'" + D, "1e-05"),
    ("boxed='0x10'" + D, None),  # float reads no hex
    ("boxed='\u0663'" + D, "3"),  # Unicode decimal digits are digits (ARABIC-INDIC THREE)
    ("boxed='()'" + D, None),  # nothing left
    ("boxed=''" + D, None),
    ("boxed='   '" + D, None),
    ("boxed='it's 5'" + D, None),  # the value runs to the last quote: "it's 5"
    ("boxed='5' extra" + D, "5"),  # text after the closing quote is ignored
    ("boxed = '5'" + D, "5"),  # white space around '='
    ("boxed=\n'5'" + D, "5"),  # white space before the quote may span lines
    ("extracted='5\n1/2'" + D, None),  # the value may not: no closing quote on the line
    ("boxed='x=5'" + D, None),  # the first '=' opens the value
    ("boxed=5; truth='5'", None),  # no quote before the first ';'
    ("pred='5'" + D, "5"),  # the key is not checked
    ("no numeric content found; truth='72'", None),  # the truth is never read
    ("The answer is 72.", None),
    ("", None),
]

# (explanation string, label or None)
CHOICE_TABLE = [
    ("parsed='D'; truth='C'", "D"),
    ("parsed='b'; truth='B'", "B"),  # upper-cased
    ("parsed=' c '; truth='C'", "C"),  # stripped
    ("parsed='E'; truth='A'", "E"),  # any value: the letter set is not checked
    ("parsed='AB'; truth='A'", "AB"),
    ("parsed='(c)'; truth='C'", "(C)"),
    ("parsed = 'A'; truth='A'", "A"),
    ("xparsed='A'; truth='A'", "A"),  # searched anywhere in the first part
    ("Parsed='A'; truth='A'", None),  # case-sensitive key
    ("parsed=''; truth='A'", None),  # at least one character
    ("parsed='  '; truth='A'", None),  # strips to nothing
    ("parsed='A; truth='B'", None),  # cut at ';': no closing quote
    ("parsed='__none__'; truth='A'", None),  # reads as the reference's missing-value sentinel
    ("no Answer: <LETTER> found; truth='A'", None),
    ("no 'Answer: [A-D]' pattern found; truth='A'", None),
    ("Answer: C", None),
    ("", None),
]


@pytest.mark.parametrize("text,label", NUMERIC_TABLE)
def test_numeric_regression_table(text, label):
    assert parse_explanation(text, "numeric").label == label


@pytest.mark.parametrize("text,label", CHOICE_TABLE)
def test_choice_regression_table(text, label):
    assert parse_explanation(text, "choice").label == label


@pytest.mark.parametrize(
    "text,fmt,case",
    [
        ("boxed='72'" + D, "numeric", "boxed"),
        ("extracted='72'" + D, "numeric", "extracted"),
        ("boxed='\\frac{3}{4}'" + D, "numeric", "numeric_unlabelled"),
        ("boxed='3; 4'; string compare: pred='3; 4' truth='3'; truth='3'", "numeric", "numeric_unlabelled"),
        ("no numeric content found; truth='72'", "numeric", "no_numeric"),
        ("pred='5'" + D, "numeric", "unknown"),  # labelled, yet no known shape
        ("The answer is 72.", "numeric", "unknown"),
        ("parsed='D'; truth='C'", "choice", "parsed"),
        ("parsed='E'; truth='C'", "choice", "parsed"),
        ("no Answer: <LETTER> found; truth='A'", "choice", "no_letter"),
        ("no 'Answer: [A-D]' pattern found; truth='A'", "choice", "no_letter"),
        ("xparsed='A'; truth='A'", "choice", "unknown"),
        ("Answer: C", "choice", "unknown"),
    ],
)
def test_cases(text, fmt, case):
    assert parse_explanation(text, fmt).case == case


def test_truth_part_never_becomes_the_label():
    """The truth='...' part names the gold; reading it would turn majority vote into pass@theta."""
    assert parse_explanation("no numeric content found; truth='72'", "numeric").label is None
    assert parse_explanation("no Answer: <LETTER> found; truth='C'", "choice").label is None
    assert parse_explanation("boxed='3; 4'; string compare: pred='3; 4' truth='3'; truth='3'", "numeric").label is None


def test_gold_labels():
    assert gold_label("72", "numeric") == "72"
    assert gold_label("72.0", "numeric") == gold_label("$72", "numeric") == "72"
    assert gold_label("C", "choice") == "C"
    assert gold_label(" c ", "choice") == "C"  # the GPQA verifier strips and upper-cases the gold
    assert letter_label("c") == "C"
    assert letter_label("(c)") == "(C)"
    assert letter_label("(c)", letters="ABCD") is None  # the optional letter filter
    assert letter_label("c", letters="ABCD") == "C"


# ------------------------------------------------------------------ properties


def _reference_value(text: str) -> float | None:
    """Independent oracle for texts of digits, '.', 'e', '_' and '-' only: there the reference's
    number is its leading '-' (stripped) negating Python's float of the rest, or nothing."""
    negative = text.startswith("-")
    body = text[1:] if negative else text
    try:
        value = float(body)
    except ValueError:
        return None
    return -value if negative else value


@settings(max_examples=400, deadline=None)
@given(a=st.text(alphabet="0123456789.e_-", min_size=1, max_size=8), b=st.text(alphabet="0123456789.e_-", min_size=1, max_size=8))
def test_property_labels_group_as_the_reference_groups(a, b):
    """Two predictions vote together iff the reference's ``str`` of their values is equal."""
    va, vb = _reference_value(a), _reference_value(b)
    la, lb = numeric_label(a), numeric_label(b)
    assert (la is None) == (va is None) and (lb is None) == (vb is None)
    if va is not None and vb is not None:
        assert (la == lb) == (str(va) == str(vb)), (a, b, va, vb)


@settings(max_examples=400, deadline=None)
@given(x=st.floats(allow_nan=True, allow_infinity=True), y=st.floats(allow_nan=True, allow_infinity=True))
def test_property_distinct_floats_get_distinct_labels(x, y):
    # repr(x) is a number the rule reads as x exactly (a leading '-' is the sign, float reads the rest)
    lx, ly = numeric_label(repr(x)), numeric_label(repr(y))
    assert lx is not None and ly is not None
    assert (lx == ly) == (repr(x) == repr(y))


@settings(max_examples=300, deadline=None)
@given(n=st.integers(-(10**12), 10**12))
def test_property_equal_valued_predictions_share_a_label(n):
    """Renderings of the same integer value: plain, decimal, thousands commas, currency, brackets,
    a fraction, a mixed number, a percentage, an exponent. All vote together, under the label str(n)."""
    sign = "-" if n < 0 else ""
    m = abs(n)
    forms = [
        str(n),
        f"{n}.0",
        f"{sign}{m:,}",
        f"{sign}${m:,}",
        f"({n})",
        f"[{n}]",
        f"{sign}{2 * m}/2",
        f"{sign}{m} 0/7",
        f"{sign}{100 * m}%",
        f"{sign}{m}e0",
    ]
    labels = {f: numeric_label(f) for f in forms}
    assert set(labels.values()) == {"-0" if sign and m == 0 else str(n)}, labels


@settings(max_examples=300, deadline=None)
@given(p=st.integers(0, 10**6), q=st.integers(1, 10**6))
def test_property_fraction_and_decimal_share_a_label_when_the_floats_are_equal(p, q):
    value = p / q
    assert numeric_label(f"{p}/{q}") == numeric_label(repr(value))
    assert (numeric_label(f"{p}/{q}") == numeric_label(str(p))) is (value == p)


@given(st.text(max_size=200))
def test_never_raises_and_cases_are_known(text):
    for fmt in ("numeric", "choice"):
        got = parse_explanation(text, fmt)
        assert got.case in CASES
        if got.case in ("boxed", "extracted", "parsed"):
            assert got.label is not None
        if got.case in ("numeric_unlabelled", "no_numeric", "no_letter"):
            assert got.label is None


def test_labels_are_canonical_strings():
    for text in ("72", "0.5", "1e-05", "-0", "nan", "inf", "-inf", "1e+300"):
        label = numeric_label(text)
        assert numeric_label(label) == label  # a label reads back as itself
    assert math.isclose(float(numeric_label("1 1/3")), 1 + 1 / 3)


def test_bad_format_is_refused():
    with pytest.raises(ValueError, match="answer_format"):
        parse_explanation("parsed='A'", "letters")
