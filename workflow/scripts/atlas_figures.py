"""Heat maps of one game's atlas: price of anarchy and over-spending (ttcgames.report.atlas)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.atlas import figure_atlas_poa, figure_atlas_spend  # noqa: E402

w, out = snakemake.wildcards, snakemake.output
point = (float(snakemake.params.market["margin"]), 1.0, 1.0)  # the configured market: margin, alpha x 1, prices x 1
title = f"{w.dataset}, {w.method}"
paths = figure_atlas_poa(snakemake.input.csv, [out.poa_png, out.poa_pdf], title=title, point=point)
paths += figure_atlas_spend(snakemake.input.csv, [out.spend_png, out.spend_pdf], title=title, point=point)
log.info("wrote %s", ", ".join(map(str, paths)))
