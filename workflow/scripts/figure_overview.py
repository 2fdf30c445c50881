"""Overview: every game of the run (datasets x methods) in one grid, inefficiency versus beta."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.figures import figure_overview  # noqa: E402

paths = figure_overview(
    dict(zip(map(tuple, snakemake.params.games), snakemake.input.sweeps, strict=True)),
    [snakemake.output.png, snakemake.output.pdf],
    title="max W / W at an equilibrium, every game",
)
log.info("wrote %s", ", ".join(map(str, paths)))
