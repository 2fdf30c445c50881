"""The paper's verifiers: math-verify for GSM8K and AIME, option letters for GPQA.

Regression table of realistic model outputs: (output, gold, expected answer, expected correct),
one comment per row. Every new extraction failure seen in real generations becomes a row.
"""

from __future__ import annotations

import threading

import pytest

from ttcgames.grading.verifiers import (
    EXTRACTIONS,
    MathVerifyExtraction,
    grade_file,
    grade_text,
    math_verify_timeout,
)
from ttcgames.io.csv_file import read_csv
from ttcgames.io.errors import ArtifactError
from ttcgames.io.jsonl import write_jsonl

pytest.importorskip("math_verify")

MATH = EXTRACTIONS["math-verify"]
CHOICE = EXTRACTIONS["choice"]

MATH_ROWS = [
    # the paper's prompt: reasoning, then a boxed integer
    ("Natalia sold 48/2 = 24 clips in May.\nAltogether 48 + 24 = 72.\n\\boxed{72}", "72", "72", True),
    # "The answer is" with no box (Llama often ends like this)
    ("So she makes 9 * 2 = 18 dollars.\nThe answer is 18.", "18", "18", True),
    # a dollar sign and trailing period inside the sentence
    ("Therefore, the total cost is $18.00.", "18", "18", True),
    # thousands separator in the text, none in GSM8K's gold
    ("The company pays 2,000 * 12 = 24,000 dollars.\nThe answer is 24,000.", "24000", "24000", True),
    # LaTeX thousands separator {,} inside the box
    ("The final answer is $\\boxed{1{,}234}$.", "1234", "1234", True),
    # a LaTeX fraction equals a decimal gold answer
    ("Half of the cake: $\\boxed{\\frac{1}{2}}$", "0.5", "1/2", True),
    # \dfrac and a decimal in the box vote together as 3/4
    ("So $x = \\boxed{\\dfrac{3}{4}}$.", "3/4", "3/4", True),
    ("That is \\boxed{0.75}", "3/4", "3/4", True),
    # several boxed answers: the last one is the final answer (math-verify alone reads the set {5, 7})
    ("First I got \\boxed{5}. Wait, I forgot the tax. Recomputing: \\boxed{7}", "7", "7", True),
    # several boxed answers, the last one wrong
    ("\\boxed{7} ... no, recheck: \\boxed{8}", "7", "8", False),
    # AIME answers written with leading zeros
    ("Thus $m + n = \\boxed{033}$.", "33", "33", True),
    # an equation in the box: "x = 5" is the value 5
    ("Solving gives $\\boxed{x = 5}$", "5", "5", True),
    # a wrong boxed answer
    ("The answer is \\boxed{71}.", "72", "71", False),
    # no answer at all: invalid, never correct
    ("I'm not sure how to solve this problem.", "72", None, False),
    # empty output (e.g. the model stopped at once)
    ("", "72", None, False),
    # truncated inside the box (max_new_tokens): the last number of the text is read instead
    ("48 + 24 = 72 clips. So the answer is \\boxed{", "72", "72", True),
    # truncated before any number: invalid
    ("Let me think about how many clips Natalia", "72", None, False),
]


@pytest.mark.parametrize("text, gold, answer, correct", MATH_ROWS)
def test_math_verify_regression_table(text, gold, answer, correct):
    assert grade_text(text, gold, MATH) == (answer, correct)


CHOICE_ROWS = [
    # the paper's prompt, answered with a boxed letter
    ("The photon mediates it.\n\\boxed{C}", "C", "C", True),
    # boxed letter with the option text after it
    ("\\boxed{B) 12 eV}", "B", "B", True),
    # \text{} inside the box
    ("Final answer: $\\boxed{\\text{D}}$", "D", "D", True),
    # "The answer is (A)" without a box
    ("Comparing the options, the answer is (A).", "A", "A", True),
    # lower-case option letter after "answer:"
    ("answer: (b)", "B", "B", True),
    # "the answer is a ..." is an article, not option A: falls back to the last (X)
    ("I think the answer is a boson, which is option (C).", "C", "C", True),
    # several boxed letters: the last one counts
    ("\\boxed{A}? No: \\boxed{D}", "A", "D", False),
    # no letter at all
    ("It is the photon.", "C", None, False),
    # truncated before answering
    ("Let us consider option A first, then", "A", None, False),
    # Issue 11: phrasings the extractor missed
    ("The correct answer is: A", "A", "A", True),
    ("Option C is correct.", "C", "C", True),
    ("Option A is incorrect. Option B is correct.", "B", "B", True),  # "incorrect" names no answer
    ("Option B is not correct, so the answer is: D", "D", "D", True),
    ("The correct answer is: **B**", "B", "B", True),
    # an unclosed box is skipped for the last closed one
    ("\\boxed{B} ... on second thought \\boxed{", "B", "B", True),
]


@pytest.mark.parametrize("text, gold, answer, correct", CHOICE_ROWS)
def test_choice_regression_table(text, gold, answer, correct):
    assert grade_text(text, gold, CHOICE) == (answer, correct)


def test_math_verify_timeout_only_in_the_main_thread():
    assert math_verify_timeout(5) == 5
    assert math_verify_timeout(0) is None
    seen = {}

    def worker():
        seen["timeout"] = math_verify_timeout(5)
        # math-verify's own default would raise ValueError here (signal.alarm off the main thread)
        seen["grade"] = grade_text("\\boxed{72}", "72", MATH)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == {"timeout": None, "grade": ("72", True)}


def test_math_verify_settings_are_checked():
    with pytest.raises(ValueError, match="timeout_seconds"):
        MathVerifyExtraction(timeout_seconds=-1)


def test_grade_file_with_math_verify_and_choice(tmp_path):
    gens = [
        {"qid": "q1", "sample": 0, "text": "\\boxed{72}"},
        {"qid": "q1", "sample": 1, "text": "no idea"},
        {"qid": "q2", "sample": 0, "text": "The answer is \\boxed{\\frac{1}{2}}"},
    ]
    data = [
        {"qid": "q1", "question": "?", "answer": "72", "dataset": "d", "meta": {}},
        {"qid": "q2", "question": "?", "answer": "0.5", "dataset": "d", "meta": {}},
    ]
    g, d = write_jsonl(tmp_path / "g.jsonl", gens), write_jsonl(tmp_path / "d.jsonl", data)
    rows = read_csv(grade_file(g, d, tmp_path / "grades.csv", kind="math-verify"))
    assert [(r["answer"], r["valid"], r["correct"]) for r in rows] == [
        ("72", "true", "true"),
        ("", "false", "false"),
        ("1/2", "true", "true"),
    ]
    letters = [{"qid": "q1", "sample": 0, "text": "\\boxed{B}"}]
    gold = [{"qid": "q1", "question": "?", "answer": "B", "dataset": "d", "meta": {}}]
    g2, d2 = write_jsonl(tmp_path / "g2.jsonl", letters), write_jsonl(tmp_path / "d2.jsonl", gold)
    [row] = read_csv(grade_file(g2, d2, tmp_path / "grades2.csv", kind="choice"))
    assert (row["answer"], row["correct"]) == ("B", "true")


def test_unparseable_gold_is_an_error_naming_the_line(tmp_path):
    g = write_jsonl(tmp_path / "g.jsonl", [{"qid": "q1", "sample": 0, "text": "\\boxed{1}"}])
    d = write_jsonl(tmp_path / "d.jsonl", [{"qid": "q1", "question": "?", "answer": "", "dataset": "d", "meta": {}}])
    with pytest.raises(ArtifactError, match=r"g\.jsonl:1: qid 'q1': gold answer '' cannot be parsed"):
        grade_file(g, d, tmp_path / "out.csv", kind="math-verify")
