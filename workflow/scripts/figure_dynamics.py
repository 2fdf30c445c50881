"""Figure 2: better-response dynamics of one game at the figure's beta."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.figures import figure_dynamics  # noqa: E402

w = snakemake.wildcards
paths = figure_dynamics(
    snakemake.input.trajectory,
    [snakemake.output.png, snakemake.output.pdf],
    beta=snakemake.params.beta,
    title=f"{w.dataset}, {w.method}",  # the figure adds beta and the convergence step
    order=snakemake.params.providers,
)
log.info("wrote %s", ", ".join(map(str, paths)))
