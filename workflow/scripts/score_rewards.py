"""Rewards stage: one reward per sample for best-of-n (config rewards.kind), resumable by shards."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.rewards import score_file  # noqa: E402

p = snakemake.params
path = score_file(
    snakemake.input.generations,
    snakemake.output.csv,
    scorer=dict(p.scorer),
    data_path=snakemake.input.data,
    shard_dir=p.shard_dir,
    shard_size=p.shard_size,
)
log.info("wrote %s", path)
