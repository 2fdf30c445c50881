"""Figure 1: user value V(theta) offered by each provider of one market."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.figures import figure_values  # noqa: E402

m, w = snakemake.params.market, snakemake.wildcards
paths = figure_values(
    snakemake.input.market,
    [snakemake.output.png, snakemake.output.pdf],
    alpha=m["alpha"],
    baseline=m["baseline"],
    margin=m["margin"],
    v0=m["v0"],
    title=f"{w.dataset}, {w.method}",
    order=snakemake.params.providers,
)
log.info("wrote %s", ", ".join(map(str, paths)))
