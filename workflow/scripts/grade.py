"""Grading stage: extract each sample's answer and compare it with the gold answer."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.grading.verifiers import grade_file  # noqa: E402

path = grade_file(
    snakemake.input.generations,
    snakemake.input.data,
    snakemake.output.csv,
    kind=snakemake.params.kind,
)
log.info("wrote %s", path)
