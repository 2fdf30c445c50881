"""Comparison stage: every published number beside ours (CSV and Markdown)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.compare import build_comparison  # noqa: E402

frame = build_comparison(
    snakemake.input.published,
    dict(zip(snakemake.params.game_keys, snakemake.input.games)),
    snakemake.output.csv,
    snakemake.output.md,
    models=snakemake.params.models,
    summaries=dict(zip(snakemake.params.game_keys, snakemake.input.summaries)),
)
for mode, part in frame[frame["agrees"] != "n/a"].groupby("mode"):
    log.info("%s: %d compared, %d agree", mode, len(part), int((part["agrees"] == "yes").sum()))
