"""Accuracy and tokens versus theta for every provider of one market."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.figures import figure_curves  # noqa: E402

w = snakemake.wildcards
paths = figure_curves(
    list(snakemake.input.curves),
    [snakemake.output.png, snakemake.output.pdf],
    title=f"{w.dataset}, {w.method}",
    order=snakemake.params.providers,
)
log.info("wrote %s", ", ".join(map(str, paths)))
