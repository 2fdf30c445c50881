"""Markets stage: gather every provider's curve and price into one market CSV."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.markets.build import build_market  # noqa: E402

frame = build_market(
    dict(zip(snakemake.params.providers, snakemake.input.curves)),
    snakemake.params.prices,
    snakemake.output.csv,
    dataset=snakemake.wildcards.dataset,
    method=snakemake.wildcards.method,
)
log.info("wrote %s (%d providers x %d thetas)", snakemake.output.csv, frame["provider"].nunique(), frame["theta"].nunique())
