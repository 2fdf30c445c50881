"""Comparison stage: every published number beside ours (CSV and Markdown)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.compare import build_comparison  # noqa: E402

frame = build_comparison(
    snakemake.input.published,
    dict(zip(snakemake.params.game_keys, snakemake.input.games)),
    snakemake.output.csv,
    snakemake.output.md,
)
log.info("%d published numbers, %d agree within rounding", len(frame), int((frame["agrees"] == "yes").sum()))
