"""Reasoning-effort curve: accuracy and tokens per bin of reasoning tokens (theta = bin index)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.curves.reasoning import build_reasoning_curve  # noqa: E402

r = snakemake.params.reasoning
frame = build_reasoning_curve(
    snakemake.input.generations,
    snakemake.input.grades,
    snakemake.output.csv,
    provider=snakemake.wildcards.provider,
    quantiles=r["quantiles"],
    max_total_tokens=r["max_total_tokens"],
    min_reasoning_tokens=r["min_reasoning_tokens"],
    n_boot=r["n_boot"],
    seed=snakemake.params.seed,
    level=snakemake.params.ci,
    unit=r["bootstrap_unit"],
    ties=r["ties"],
    questions_out=snakemake.output.questions,
)
log.info("wrote %s (%d bins)", snakemake.output.csv, len(frame))
