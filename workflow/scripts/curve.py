"""Curves stage: expected accuracy and tokens per theta for one provider and method."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.curves import build_curve  # noqa: E402

frame = build_curve(
    snakemake.input.generations,
    snakemake.input.grades,
    snakemake.input.get("rewards"),
    snakemake.output.csv,
    provider=snakemake.wildcards.provider,
    method=snakemake.wildcards.method,
    thetas=snakemake.params.thetas,
    n_boot=snakemake.params.n_boot,
    seed=snakemake.params.seed,
    level=snakemake.params.ci,
)
log.info("wrote %s (%d thetas)", snakemake.output.csv, len(frame))
