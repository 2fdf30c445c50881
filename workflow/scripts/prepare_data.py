"""Data stage: build the questions of one dataset (results/data/{dataset}.jsonl)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.data.datasets import prepare_dataset, write_dataset  # noqa: E402

records = prepare_dataset(dict(snakemake.params.dataset), seed=snakemake.params.seed)
write_dataset(records, snakemake.output.jsonl)
log.info("wrote %s (%d questions)", snakemake.output.jsonl, len(records))
