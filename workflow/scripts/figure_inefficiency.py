"""Inefficiency (price of anarchy) versus beta from one game's sweep."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.figures import figure_inefficiency  # noqa: E402

w = snakemake.wildcards
paths = figure_inefficiency(
    {w.method: snakemake.input.sweep},
    [snakemake.output.png, snakemake.output.pdf],
    title=f"{w.dataset}, {w.method}",
)
log.info("wrote %s", ", ".join(map(str, paths)))
