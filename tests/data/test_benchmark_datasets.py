"""The paper's benchmark loaders (gsm8k, gpqa, aime) on local files in each hub dataset's own schema.

Field names are the hub's: GSM8K ``question``/``answer`` (openai/gsm8k, config main); GPQA
``Question``, ``Correct Answer``, ``Incorrect Answer 1-3``, ``Record ID`` among its many columns
(Idavidrein/gpqa); AIME ``ID``, ``Year``, ``Problem Number``, ``Question``, ``Answer``, ``Part``
(gneubig/aime-1983-2024) and ``ID``, ``Problem``, ``Solution``, ``Answer`` (Maxwell-Jia/AIME_2024).
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys

import pytest

from ttcgames.data.datasets import (
    gsm8k_gold,
    prepare_dataset,
    read_dataset,
    write_dataset,
)
from ttcgames.io.errors import ArtifactError

GSM8K_ROWS = [
    {
        "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
        "How many clips did Natalia sell altogether in April and May?",
        "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72",
    },
    {
        "question": "A company pays $1,000 a month for each of 2 offices. What does it pay in a year?",
        "answer": "2 * 1,000 = <<2*1000=2000>>2,000 a month.\n2,000 * 12 = <<2000*12=24000>>24,000\n#### 24,000",
    },
]

GPQA_COLUMNS = [
    "Pre-Revision Question", "Pre-Revision Correct Answer", "Pre-Revision Incorrect Answer 1",
    "Pre-Revision Incorrect Answer 2", "Pre-Revision Incorrect Answer 3", "Pre-Revision Explanation",
    "Self-reported question-writing time (minutes)", "Question", "Correct Answer", "Incorrect Answer 1",
    "Incorrect Answer 2", "Incorrect Answer 3", "Explanation", "Revision Comments (from Question Writer)",
    "Subdomain", "Writer's Difficulty Estimate", "Extra Revised Question", "Extra Revised Explanation",
    "Extra Revised Correct Answer", "Extra Revised Incorrect Answer 1", "Extra Revised Incorrect Answer 2",
    "Extra Revised Incorrect Answer 3", "Non-Expert Validator Accuracy", "Majority Non-Expert Vals Incorrect",
    "Expert Validator Accuracy", "Record ID", "High-level domain",
]


def gpqa_row(i):
    row = {c: "" for c in GPQA_COLUMNS}
    row.update(
        {
            "Question": f"Which particle mediates interaction number {i}?",
            "Correct Answer": f" photon {i}\n",  # hub values carry stray whitespace
            "Incorrect Answer 1": f"gluon {i}",
            "Incorrect Answer 2": f"W boson {i}",
            "Incorrect Answer 3": f"graviton {i}",
            "Record ID": f"rec{i:05d}",
            "Subdomain": "Physics (general)",
            "High-level domain": "Physics",
        }
    )
    return row


def write_csv_rows(path, rows, fieldnames):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fieldnames)
        w.writeheader()
        w.writerows(rows)
    return path


def write_jsonl_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# ------------------------------------------------------------------ GSM8K


def test_gsm8k_gold_is_after_the_marker_without_commas():
    assert gsm8k_gold("... so 72.\n#### 72") == "72"
    assert gsm8k_gold("#### 1,234,567") == "1234567"
    with pytest.raises(ValueError, match="####"):
        gsm8k_gold("no marker")


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_gsm8k_from_a_local_file_in_the_hub_schema(tmp_path, fmt):
    path = tmp_path / f"test.{fmt}"
    if fmt == "jsonl":
        write_jsonl_rows(path, GSM8K_ROWS)
    elif fmt == "csv":
        write_csv_rows(path, GSM8K_ROWS, ["question", "answer"])
    else:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(GSM8K_ROWS), path)
    records = prepare_dataset({"id": "gsm8k", "kind": "gsm8k", "local_path": str(path)}, seed=0)
    assert [r["answer"] for r in records] == ["72", "24000"]
    assert records[0]["qid"] == "gsm8k-0000" and records[0]["question"].startswith("Natalia sold clips")
    assert records[1]["meta"]["solution"].endswith("#### 24,000")
    out = write_dataset(records, tmp_path / "data" / "gsm8k.jsonl")
    assert read_dataset(out) == records


def test_gsm8k_n_questions_keeps_the_first(tmp_path):
    path = write_jsonl_rows(tmp_path / "t.jsonl", GSM8K_ROWS)
    records = prepare_dataset({"id": "g", "kind": "gsm8k", "local_path": str(path), "n_questions": 1}, 0)
    assert len(records) == 1
    assert len(prepare_dataset({"id": "g", "kind": "gsm8k", "local_path": str(path), "n_questions": None}, 0)) == 2


def test_gsm8k_bad_rows_name_file_and_row(tmp_path):
    path = write_jsonl_rows(tmp_path / "t.jsonl", [GSM8K_ROWS[0], {"question": "q", "answer": "no marker"}])
    with pytest.raises(ArtifactError, match=r"t\.jsonl\) row 2: field 'answer': no '####'"):
        prepare_dataset({"id": "g", "kind": "gsm8k", "local_path": str(path)}, 0)
    path = write_jsonl_rows(tmp_path / "u.jsonl", [{"Question": "q", "answer": "#### 1"}])
    with pytest.raises(ArtifactError, match=r"row 1: missing field 'question' \(fields: Question, answer\)"):
        prepare_dataset({"id": "g", "kind": "gsm8k", "local_path": str(path)}, 0)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "#### 1"}\n{oops\n')
    with pytest.raises(ArtifactError, match=r"bad\.jsonl:2: invalid JSON"):
        prepare_dataset({"id": "g", "kind": "gsm8k", "local_path": str(bad)}, 0)
    with pytest.raises(FileNotFoundError, match="missing.jsonl: local dataset file not found"):
        prepare_dataset({"id": "g", "kind": "gsm8k", "local_path": str(tmp_path / "missing.jsonl")}, 0)


# ------------------------------------------------------------------ GPQA


GPQA_INSTRUCTION_TEXT = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering."
)


@pytest.fixture
def gpqa_csv(tmp_path):
    return write_csv_rows(tmp_path / "gpqa_extended.csv", [gpqa_row(i) for i in range(12)], GPQA_COLUMNS)


def reference_gpqa_file(rows, seed=1234):
    """The reference's GPQA file, written out by hand: one random.Random(seed) shuffling the option texts
    (correct first) row after row, the prompt "instruction, blank line, question, blank line, A) ... D) ..."
    stripped as a whole, gold = letter of the correct text."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        options = [row["Correct Answer"], row["Incorrect Answer 1"], row["Incorrect Answer 2"], row["Incorrect Answer 3"]]
        correct = options[0]
        rng.shuffle(options)
        prompt = (
            GPQA_INSTRUCTION_TEXT + "\n\n" + row["Question"] + "\n\n"
            + f"A) {options[0]}\nB) {options[1]}\nC) {options[2]}\nD) {options[3]}"
        ).strip()
        out.append((prompt, "ABCD"[options.index(correct)]))
    return out


def test_gpqa_prompt_and_gold_are_the_references(gpqa_csv):
    spec = {"id": "gpqa", "kind": "gpqa", "local_path": str(gpqa_csv)}
    records = prepare_dataset(spec, seed=0)
    expected = reference_gpqa_file([gpqa_row(i) for i in range(12)])
    assert [(r["question"], r["answer"]) for r in records] == expected
    for i, r in enumerate(records):
        meta = r["meta"]
        letter = r["answer"]
        # the texts are kept as the hub wrote them (the reference cleaned nothing)
        assert meta["options"]["ABCD".index(letter)] == f" photon {i}\n"
        assert meta["order"]["ABCD".index(letter)] == "Correct Answer"
        assert sorted(meta["order"]) == sorted(["Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"])
        assert meta["shuffle_seed"] == 1234 and meta["record_id"] == f"rec{i:05d}"
        assert meta["question_text"] == f"Which particle mediates interaction number {i}?"
    # the correct answer is not always in the same place
    assert len({r["answer"] for r in records}) > 1
    # the first lines of a prompt: instruction, blank line, question
    assert records[0]["question"].split("\n")[:3] == [GPQA_INSTRUCTION_TEXT, "", "Which particle mediates interaction number 0?"]


def test_gpqa_shuffle_seed_is_a_dataset_key_not_the_master_seed(gpqa_csv):
    spec = {"id": "gpqa", "kind": "gpqa", "local_path": str(gpqa_csv)}
    assert prepare_dataset(spec, seed=5) == prepare_dataset(spec, seed=6)  # the run's seed does not move the options
    other = prepare_dataset({**spec, "shuffle_seed": 7}, seed=5)
    assert [(r["question"], r["answer"]) for r in other] == reference_gpqa_file([gpqa_row(i) for i in range(12)], seed=7)
    assert [r["meta"]["order"] for r in other] != [r["meta"]["order"] for r in prepare_dataset(spec, seed=5)]
    # draws run row after row: the first n questions keep the orders they have in the full file
    first = prepare_dataset({**spec, "n_questions": 3}, seed=5)
    assert first == prepare_dataset(spec, seed=5)[:3]
    with pytest.raises(ValueError, match="'shuffle_seed' must be an integer"):
        prepare_dataset({**spec, "shuffle_seed": "1234"}, seed=0)


def test_gpqa_duplicate_options_take_the_first_matching_letter(tmp_path):
    # The reference's gold letter is options.index(correct): the first shown option with the correct text.
    rows = [gpqa_row(i) for i in range(8)]
    for row in rows:
        row["Incorrect Answer 2"] = row["Correct Answer"]
    path = write_csv_rows(tmp_path / "g.csv", rows, GPQA_COLUMNS)
    records = prepare_dataset({"id": "gpqa", "kind": "gpqa", "local_path": str(path)}, 0)
    assert [(r["question"], r["answer"]) for r in records] == reference_gpqa_file(rows)
    for r in records:
        shown = r["meta"]["options"]
        assert "ABCD".index(r["answer"]) == min(k for k, o in enumerate(shown) if o == shown["ABCD".index(r["answer"])])


# ------------------------------------------------------------------ AIME


AIME_COLUMNS = ["ID", "Year", "Problem Number", "Question", "Answer", "Part"]
AIME_ROWS = [
    {"ID": "1983-1", "Year": 1983, "Problem Number": 1, "Question": "Let $x$ ... Find $w$.", "Answer": "60", "Part": ""},
    {"ID": "2024-I-1", "Year": 2024, "Problem Number": 1, "Question": "Every morning Aya ...", "Answer": "204", "Part": "I"},
    {"ID": "2024-II-4", "Year": 2024, "Problem Number": 4, "Question": "Let $x,y$ and $z$ ...", "Answer": "033", "Part": "II"},
]


def test_aime_gneubig_schema_with_years(tmp_path):
    path = write_csv_rows(tmp_path / "AIME_Dataset_1983_2024.csv", AIME_ROWS, AIME_COLUMNS)
    records = prepare_dataset({"id": "aime", "kind": "aime", "local_path": str(path)}, 0)
    assert [r["answer"] for r in records] == ["60", "204", "33"]  # no leading zeros
    assert records[1]["meta"] == {"index": 1, "id": "2024-I-1", "year": "2024", "problem_number": "1", "part": "I"}
    only_2024 = prepare_dataset({"id": "aime", "kind": "aime", "local_path": str(path), "years": [2024]}, 0)
    assert [r["meta"]["id"] for r in only_2024] == ["2024-I-1", "2024-II-4"]
    assert [r["qid"] for r in only_2024] == ["aime-0000", "aime-0001"]


def test_aime_maxwell_jia_schema(tmp_path):
    rows = [{"ID": "2024-II-4", "Problem": "Let $x,y$ ...", "Solution": "... so $m+n=33$.", "Answer": 33}]
    path = write_jsonl_rows(tmp_path / "aime_2024_problems.jsonl", rows)
    [rec] = prepare_dataset({"id": "aime", "kind": "aime", "local_path": str(path)}, 0)
    assert rec["question"] == "Let $x,y$ ..." and rec["answer"] == "33" and rec["meta"]["id"] == "2024-II-4"


# ------------------------------------------------------------------ the hub path and the token


def test_hub_failure_names_the_dataset_and_never_the_token(tmp_path):
    pytest.importorskip("datasets")
    code = (
        "from ttcgames.data.datasets import prepare_dataset\n"
        "try:\n"
        "    prepare_dataset({'id': 'gpqa', 'kind': 'gpqa'}, 0)\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "HF_TOKEN": "hf_secretvalue123", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert "Idavidrein/gpqa" in out.stdout and "gpqa_extended" in out.stdout
    assert "hf_secretvalue123" not in out.stdout + out.stderr
    env.pop("HF_TOKEN")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert "HF_TOKEN" in out.stdout  # the hint says where the token goes
