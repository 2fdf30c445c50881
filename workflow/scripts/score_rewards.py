"""Rewards stage: one reward per sample for best-of-n (config rewards.kind), resumable by shards."""

from common import gpu_setup, start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)
# Before torch loads: offline hub after the download stage; for ArmoRM, this job's own GPU and
# the driver check (8B in bf16 plus activations: about 20 GB free). `claim` holds the device lock.
claim = gpu_setup(snakemake, log, need_mib=20000)  # noqa: F821

from ttcgames.rewards.armorm import score_file  # noqa: E402

p = snakemake.params
path = score_file(
    snakemake.input.generations,
    snakemake.output.csv,
    scorer=dict(p.scorer),
    data_path=snakemake.input.data,
    shard_dir=p.shard_dir,
    shard_size=p.shard_size,
    progress=True,
)
log.info("wrote %s", path)
