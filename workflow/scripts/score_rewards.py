"""Rewards stage: one reward per sample for best-of-n (config rewards.kind)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.rewards import score_file  # noqa: E402

path = score_file(
    snakemake.input.generations,
    snakemake.output.csv,
    scorer=dict(snakemake.params.rewards),
    data_path=snakemake.input.data,
)
log.info("wrote %s", path)
