"""Table 2 stage: game vs auction at the table's beta, as a tidy CSV (rendered by table2_render)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.report.tables import build_table2  # noqa: E402

p = snakemake.params
keys = [(d, m) for d in p.datasets for m in p.methods]
frame = build_table2(
    dict(zip(keys, snakemake.input.games)),
    snakemake.output.csv,
    beta=p.beta,
    scale=p.scale,
    datasets=p.datasets,
    methods=p.methods,
    summary_paths=dict(zip(keys, snakemake.input.summaries)),
)
log.info("wrote %s (%d rows)", snakemake.output.csv, len(frame))
