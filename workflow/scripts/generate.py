"""Generation stage: n samples per question for one provider (sharded, resumable)."""

import json

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.generation import run_generation  # noqa: E402

gen = snakemake.params.generation
summary = run_generation(
    snakemake.input.data,
    dict(snakemake.params.provider),
    dict(snakemake.params.model),
    snakemake.output.jsonl,
    snakemake.params.shard_dir,
    seed=snakemake.params.seed,
    shard_size=gen["shard_size"],
    model_cache_dir=snakemake.params.model_cache,
    # The configured count, not snakemake.threads (which --cores may lower): the samples are
    # bit-reproducible for a fixed thread count, so it must not depend on the machine.
    threads=gen["threads"],
    max_batch_rows=gen["max_batch_rows"],
    progress=False,
)
log.info("summary %s", json.dumps(summary))
