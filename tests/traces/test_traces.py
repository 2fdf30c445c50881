"""Trace import: the released format in, the workflow's generation/grade/reward artifacts out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_fixtures import DEFAULT_MODELS, write_trace_folder  # noqa: E402

from ttcgames.curves.exact import read_generations, read_grades, read_rewards, sample_table  # noqa: E402
from ttcgames.grading.choices import extract_choice  # noqa: E402
from ttcgames.traces.importer import (  # noqa: E402
    TraceError,
    fetch_trace_file,
    import_traces,
    locate_trace_file,
    model_name_from_filename,
    read_trace_file,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("traces")
    files = write_trace_folder(root, folders={"GSM8K": False, "GPQA": True}, n_questions=8, seed=3)
    return root, files


def _import(tmp_path, path, **kw):
    args = dict(dataset="gsm8k", provider="p", answer_format="numeric", max_new_tokens=512, samples=16, min_samples=8)
    args.update(kw)
    return import_traces(
        path,
        generations_out=tmp_path / "gen.jsonl",
        grades_out=tmp_path / "grades.csv",
        rewards_out=tmp_path / "rewards.csv",
        report_out=tmp_path / "report.json",
        **args,
    )


def test_model_name_is_the_file_name_up_to_temp():
    assert model_name_from_filename("Llama-3-8B--temp-0.6--samples-128--max-512.jsonl") == "Llama-3-8B"
    assert model_name_from_filename("reason-R1-D-Qwen-7B--temp-0.6--samples-32--max-2048.jsonl") == "reason-R1-D-Qwen-7B"


def test_import_writes_contract_artifacts_that_the_curve_stage_reads(folder, tmp_path):
    root, files = folder
    report = _import(tmp_path, files["GSM8K"]["Mid-3B"])
    gens = read_generations(tmp_path / "gen.jsonl")
    table = sample_table(tmp_path / "gen.jsonl", tmp_path / "grades.csv", tmp_path / "rewards.csv")
    assert report["questions"] == 8 and len(gens) == 8 * 16
    assert len(table) == 8 * 16
    assert gens["reasoning_tokens"].isna().all()
    # Correctness comes from the trace; "correct" additionally needs a label (contract).
    grades = pd.read_csv(tmp_path / "grades.csv", dtype=str, keep_default_na=False)
    both = grades[(grades["correct"] == "true")]
    assert (both["trace_correct"] == "true").all() and (both["valid"] == "true").all()
    assert report["correct_without_label"] == int(((grades["trace_correct"] == "true") & (grades["valid"] == "false")).sum())
    # The generated texts come from `answers`, the prompt is kept, the gold from ground_truths.
    first = json.loads(Path(files["GSM8K"]["Mid-3B"]).read_text().splitlines()[0])
    records = [json.loads(line) for line in (tmp_path / "gen.jsonl").read_text().splitlines()]
    q0 = [r for r in records if r["qid"] == first["qid"]]
    assert [r["text"] for r in q0] == first["answers"]
    assert {r["prompt"] for r in q0} == {first["prompt"]}
    g0 = grades[grades["qid"] == first["qid"]]
    assert set(g0["gold"]) == {first["ground_truths"][0]}
    assert g0["explanation"].tolist() == first["explanations"]


def _records(path):
    out = []
    for line in Path(path).read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def test_numeric_votes_come_from_the_explanations_not_the_text(folder, tmp_path):
    """The label is the value in the verifier's string (boxed/extracted, '$1,234' read as 1234);
    'no numeric content found' and a \\frac string compare give none; the text never decides."""
    root, files = folder
    path = files["GSM8K"]["Big-7B"]
    report = _import(tmp_path, path)
    grades = pd.read_csv(tmp_path / "grades.csv", dtype=str, keep_default_na=False)
    by_key = {(r.qid, int(r.sample)): r for r in grades.itertuples(index=False)}
    misleading = 0
    seen = set()
    for rec in _records(path):
        if rec["qid"] in seen:
            continue  # the repeated qid: the first occurrence is kept
        seen.add(rec["qid"])
        for s, (text, expl) in enumerate(zip(rec["answers"], rec["explanations"])):
            row = by_key[(rec["qid"], s)]
            head = expl.split(";")[0]
            if head.startswith(("boxed='\\frac", "no numeric")):
                assert row.valid == "false" and row.answer == ""
                continue
            value = head.split("=", 1)[1].strip("'").replace("$", "").replace(",", "")
            assert row.answer == value and row.label_source == "explanations"
            misleading += value not in text
    assert misleading > 5  # the fixture's texts often name another answer; the votes ignored them
    assert report["labels_from_text"] == 0 and report["labels_from_explanations"] > 0
    cases = report["explanation_cases"]
    assert cases["boxed"] > 0 and cases["extracted"] > 0 and cases["no_numeric"] > 0 and cases["numeric_unlabelled"] > 0
    assert cases["unknown"] == 0
    assert report["labels_from_explanations"] + report["no_label"] == report["samples"]


def test_gpqa_votes_are_letters_from_parsed(folder, tmp_path):
    root, files = folder
    report = _import(tmp_path, files["GPQA"]["Big-7B"], answer_format="choice", dataset="gpqa")
    grades = read_grades(tmp_path / "grades.csv")
    assert set(grades.loc[grades["valid"], "answer"]) <= set("ABCD")
    assert grades["valid"].mean() > 0.8
    assert report["explanation_cases"]["no_letter"] > 0 and report["explanation_cases"]["unknown"] == 0


def test_verdicts_that_disagree_with_the_label_are_counted(folder, tmp_path):
    root, files = folder
    report = _import(tmp_path, files["GSM8K"]["Mid-3B"])
    grades = pd.read_csv(tmp_path / "grades.csv", dtype=str, keep_default_na=False)
    lab = grades[grades["valid"] == "true"]
    is_gold = lab["answer"] == lab["gold"]
    ok = lab["trace_correct"] == "true"
    assert report["label_is_gold_but_not_correct"] == int((is_gold & ~ok).sum())
    assert report["correct_but_label_is_not_gold"] == int((~is_gold & ok).sum())
    assert report["label_is_gold_but_not_correct"] + report["correct_but_label_is_not_gold"] > 0


def test_text_votes_and_records_without_explanations_use_our_extraction(folder, tmp_path):
    root, files = folder
    report = _import(tmp_path, files["GSM8K"]["Mid-3B"], votes="text")
    assert report["labels_from_explanations"] == 0 and report["labels_from_text"] > 0
    # A record without explanations falls back to the text even with votes = explanations.
    rec = {"qid": "x", "answers": ["so \\boxed{12}", "I give up"], "correct": [True, False], "num_tokens": [5, 6]}
    path = tmp_path / "noexp.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    report = _import(tmp_path, path, samples=2, min_samples=1)
    assert report["records_without_explanations"] == 1
    assert (report["labels_from_text"], report["no_label"]) == (1, 1)
    grades = read_grades(tmp_path / "grades.csv")
    assert grades["answer"].tolist() == ["12", ""]


def test_unknown_explanation_strings_are_a_counted_case(tmp_path):
    rec = {
        "qid": "u", "answers": ["a", "b", "c"], "correct": [True, False, False], "num_tokens": [1, 1, 1],
        "explanations": ["boxed='7'; numeric compare: pred=7.0 truth=7.0 tol=1e-05; truth='7'", "verifier crashed", "?"],
        "ground_truths": ["7"],
    }
    path = tmp_path / "u.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    report = _import(tmp_path, path, samples=3, min_samples=1)
    assert report["explanation_cases"]["unknown"] == 2 and report["explanation_cases"]["boxed"] == 1
    assert report["no_label"] == 2


def test_bad_json_line_and_repeated_qid_are_reported_with_line_numbers(folder, tmp_path):
    root, files = folder
    report = _import(tmp_path, files["GSM8K"]["Small-1B"])
    # Fixture: a non-JSON line after record 2 (line 3) and a repeat of the first qid after record 3.
    assert report["bad_lines"] == 1
    assert report["bad_line_details"][0]["line"] == 3
    assert "invalid JSON" in report["bad_line_details"][0]["reason"]
    assert report["repeated_qids"] == 1
    rep = report["repeated_qid_details"][0]
    assert rep["qid"] == "gsm8k-0" and rep["first_line"] == 1 and rep["line"] > 3
    # The first occurrence is kept: its correctness, not the repeat's (which the fixture flipped).
    first = json.loads(Path(files["GSM8K"]["Small-1B"]).read_text().splitlines()[0])
    grades = pd.read_csv(tmp_path / "grades.csv", dtype=str, keep_default_na=False)
    kept = grades[grades["qid"] == "gsm8k-0"]["trace_correct"].eq("true").tolist()
    assert kept == first["correct"]
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert on_disk["bad_lines"] == 1 and on_disk["repeated_qids"] == 1


def test_fail_policy_stops_naming_file_and_line(folder, tmp_path):
    root, files = folder
    path = files["GSM8K"]["Small-1B"]
    with pytest.raises(TraceError, match=rf"{path.name}:3: invalid JSON"):
        _import(tmp_path, path, bad_lines="fail")
    assert not (tmp_path / "gen.jsonl").exists()


def test_reasoning_traces_keep_reasoning_and_total_tokens(folder, tmp_path):
    root, files = folder
    path = files["GSM8K"]["reason-R1-D-Tiny-7B"]
    report = _import(tmp_path, path, max_new_tokens=2048, samples=10, min_samples=1, expect_reasoning=True)
    assert report["reasoning_tokens"] is True
    gens = read_generations(tmp_path / "gen.jsonl")
    first = json.loads(path.read_text().splitlines()[0])
    q0 = gens[gens["qid"] == first["qid"]].sort_values("sample")
    assert q0["reasoning_tokens"].astype(int).tolist() == [t[0] for t in first["num_tokens"]]
    assert q0["num_tokens"].tolist() == [t[1] for t in first["num_tokens"]]
    # Truncated samples read [0, 2048]; the report counts the questions whose bins depend on the tie rule.
    assert [0, 2048] in [t for rec in _records(path) for t in rec["num_tokens"]]
    assert report["questions_with_tied_reasoning"] > 0 and report["questions_with_one_kept_sample"] > 0


def test_token_format_must_match_the_providers_methods(folder, tmp_path):
    root, files = folder
    with pytest.raises(TraceError, match="expects num_tokens as plain integers"):
        _import(tmp_path, files["GSM8K"]["reason-R1-D-Tiny-7B"], samples=10, min_samples=1, expect_reasoning=False)


def test_null_rewards_rank_below_every_real_reward(folder, tmp_path):
    root, files = folder
    report = _import(tmp_path, files["GSM8K"]["Big-7B"])
    rewards = pd.read_csv(tmp_path / "rewards.csv")
    assert report["null_rewards"] == int(rewards["reward_missing"].sum()) > 0
    real = rewards.loc[~rewards["reward_missing"], "reward"]
    assert (rewards.loc[rewards["reward_missing"], "reward"] < real.min()).all()
    read_rewards(tmp_path / "rewards.csv")  # finite numbers: the contract reader accepts them
    with pytest.raises(TraceError, match="null reward"):
        _import(tmp_path, files["GSM8K"]["Big-7B"], null_rewards="fail")


@pytest.mark.parametrize(
    "text, letter",
    [
        ("so the answer is (C).", "C"),  # phrase with parentheses
        ("Final: \\boxed{B}", "B"),  # boxed letter
        ("\\boxed{\\text{D}}", "D"),  # boxed text letter
        ("\\boxed{(A) 12 eV}", "A"),  # boxed option with its text
        ("The correct option is b.", "B"),  # lower-case letter after a phrase
        ("The answer is a value near 3.", None),  # the article 'a' is not option A
        ("no idea", None),  # nothing to read
        ("(E) is tempting but the answer is (D)", "D"),  # last phrase wins; E is not an option
    ],
)
def test_extract_choice_regressions(text, letter):
    assert extract_choice(text) == letter


def test_short_questions_are_bad_lines_and_long_ones_truncated(tmp_path):
    path = tmp_path / "GSM8K" / "M--temp-0.7--samples-4--max-512.jsonl"
    path.parent.mkdir()
    rec = lambda q, n: {"qid": q, "answers": ["\\boxed{1}"] * n, "correct": [True] * n, "rewards": [0.0] * n, "num_tokens": [5] * n}  # noqa: E731
    path.write_text("\n".join(json.dumps(r) for r in (rec("a", 4), rec("b", 2), rec("c", 6))) + "\n")
    read = read_trace_file(path, min_samples=3, max_samples=4)
    assert [r.qid for r in read.records] == ["a", "c"]
    assert read.records[1].n_samples == 4 and read.truncated_questions == 1
    assert read.bad_lines == [{"line": 2, "reason": "question 'b' has 2 samples, fewer than the 3 needed"}]


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"qid": "a", "answers": ["x"], "correct": [True, False], "num_tokens": [1]}, "differ in length"),
        ({"qid": "a", "answers": ["x"], "correct": ["yes"], "num_tokens": [1]}, "correct\\[0\\]"),
        ({"qid": "a", "answers": ["x"], "correct": [True], "num_tokens": [[9, 3]]}, "reasoning_tokens <= total_tokens"),
        ({"qid": "a", "answers": ["x"], "correct": [True]}, "missing key 'num_tokens'"),
        ({"qid": "a", "explanations": ["x"], "correct": [True], "num_tokens": [1]}, "missing key 'answers'"),
        ({"qid": "a", "answers": ["x"], "explanations": ["e", "f"], "correct": [True], "num_tokens": [1]}, "explanations 2"),
        ({"qid": "a", "answers": ["x"], "explanations": [3], "correct": [True], "num_tokens": [1]}, "explanations\\[0\\] must be a string"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_malformed_records_are_named(tmp_path, record, reason):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(TraceError, match=rf"t.jsonl:1: .*{reason}"):
        read_trace_file(path, bad_lines="fail")


def test_locate_and_fetch_local_files(folder):
    root, files = folder
    assert locate_trace_file(root, "GSM8K", "Mid-3B") == files["GSM8K"]["Mid-3B"]
    assert fetch_trace_file("GPQA", "Big-7B", source="local", local_dir=root) == files["GPQA"]["Big-7B"]
    stem = files["GSM8K"]["Mid-3B"].name[: -len(".jsonl")]
    assert locate_trace_file(root, "GSM8K", stem) == files["GSM8K"]["Mid-3B"]
    with pytest.raises(TraceError, match="no trace file for model 'Nope'"):
        locate_trace_file(root, "GSM8K", "Nope")
    with pytest.raises(TraceError, match="local_dir is not set"):
        fetch_trace_file("GSM8K", "Mid-3B", source="local", local_dir=None)


def test_fixture_models_cover_both_token_formats():
    assert {m.reasoning for m in DEFAULT_MODELS} == {True, False}


@pytest.mark.parametrize("lowest", [2.0**60, -(2.0**60), 2.0**53, -(2.0**53) - 2, 1e8, -1e8, 0.5, -0.25, 0.0, -1e300])
def test_null_reward_fill_ranks_strictly_below_at_any_magnitude(lowest):
    """Issue 11: min - 1 is absorbed at |min| >= 2^53 (and at 2^24 in float32, where best-of-n compares)."""
    import numpy as np

    from ttcgames.traces.importer import null_reward_fill

    fill = null_reward_fill(lowest)
    assert fill < lowest
    if abs(lowest) < 1e38:
        assert np.float32(fill) < np.float32(lowest)


def test_null_rewards_rank_below_huge_real_rewards():
    """A record with rewards around -2^60: the null reward still ranks last in trace_rows."""
    from ttcgames.traces.importer import TraceRecord, trace_rows

    big = -(2.0**60)
    rec = TraceRecord(qid="q1", texts=("5", "6", "7"), correct=(True, False, False), rewards=(big, None, big + 2**10),
                      total_tokens=(3, 3, 3), reasoning_tokens=None, line=1)
    _, _, rewards, stats = trace_rows([rec], answer_format="numeric", max_new_tokens=512, votes="text")
    values = [r["reward"] for r in rewards]
    assert values[1] < values[0] < values[2]
    assert stats["null_reward_fill"] == values[1]
