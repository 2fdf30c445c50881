"""One row per imported trace file: what was kept, skipped and flagged."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.traces.importer import summarise_reports  # noqa: E402

frame = summarise_reports(snakemake.input.reports, snakemake.output.csv)
log.info("wrote %s (%d files)", snakemake.output.csv, len(frame))
