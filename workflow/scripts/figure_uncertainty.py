"""Uncertainty figure of one game: PoA distribution, equilibrium levels, banded beta sweep."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.figures import figure_uncertainty  # noqa: E402

w = snakemake.wildcards
paths = figure_uncertainty(
    snakemake.input.replicates,
    snakemake.input.summary,
    [snakemake.output.png, snakemake.output.pdf],
    sweep_path=snakemake.input.sweep,
    method=w.method,
    title=f"{w.dataset}, {w.method}: paired bootstrap over questions",
)
log.info("wrote %s", ", ".join(map(str, paths)))
