"""Trace import stage: one released trace file -> generations, grades, rewards and an import report."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.traces.importer import fetch_trace_file, import_traces  # noqa: E402

s = snakemake.params.settings
path = fetch_trace_file(
    s["folder"], s["name"], source=s["source"], local_dir=s["local_dir"], repo=s["repo"],
    revision=s["revision"], cache_dir=s["cache_dir"],
)
log.info("trace file %s", path)
report = import_traces(
    path,
    generations_out=snakemake.output.generations,
    grades_out=snakemake.output.grades,
    rewards_out=snakemake.output.rewards,
    report_out=snakemake.output.report,
    dataset=snakemake.wildcards.dataset,
    provider=snakemake.wildcards.provider,
    answer_format=s["answer_format"],
    max_new_tokens=s["max_new_tokens"],
    samples=s["samples"],
    min_samples=s["min_samples"],
    bad_lines=s["bad_lines"],
    null_rewards=s["null_rewards"],
    votes=s["votes"],
    expect_reasoning=s["expect_reasoning"],
    reasoning_filter=s["reasoning_filter"],
)
for item in report["bad_line_details"]:
    log.warning("%s:%d: skipped bad line: %s", path, item["line"], item["reason"])
for item in report["repeated_qid_details"]:
    log.warning("%s:%d: repeated qid %r (first at line %d) skipped", path, item["line"], item["qid"], item["first_line"])
log.info(
    "%d questions, %d samples, %d bad lines, %d repeated qids; labels: %d from explanations, %d from text, %d none "
    "(%d explanation strings in no known shape)",
    report["questions"], report["samples"], report["bad_lines"], report["repeated_qids"],
    report["labels_from_explanations"], report["labels_from_text"], report["no_label"],
    report["explanation_cases"]["unknown"],
)
