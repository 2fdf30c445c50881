"""Generation stage: n samples per question for one provider (sharded, resumable).

Everything runs under the ``__main__`` guard: a library that starts worker processes by spawn
(vLLM's CPU build does unless it runs in-process, ttcgames.generation.vllm_engine) re-imports this
script in each child, which must then do nothing but define ``main``.
"""

import json

from common import gpu_setup, start


def main(snakemake) -> None:
    log = start(snakemake)
    # Before torch or vLLM loads: offline hub after the download stage; for vllm jobs, this job's own
    # GPU(s) and the driver check (skipped, with a log line, for the CPU build of vLLM). `claim` holds
    # the device locks until the job ends.
    claim = gpu_setup(snakemake, log, need_fraction=snakemake.params.gpu_memory_fraction)  # noqa: F841

    from ttcgames.generation import run_generation

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
        progress=True,  # per-batch bars at a low refresh rate, into this job's log
    )
    log.info("summary %s", json.dumps(summary))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821 (snakemake is injected by the script directive)
