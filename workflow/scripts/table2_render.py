"""Table 2 rendering: Markdown or LaTeX from the Table 2 CSV."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.tables import render_table2  # noqa: E402

render_table2(snakemake.input.csv, snakemake.output.table, fmt=snakemake.wildcards.fmt)
log.info("wrote %s", snakemake.output.table)
