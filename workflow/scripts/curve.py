"""Curves stage: expected accuracy and tokens per theta for one provider and method (majority, bon)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.curves.estimators import build_method_curve  # noqa: E402

p = snakemake.params
frame = build_method_curve(
    snakemake.input.generations,
    snakemake.input.grades,
    snakemake.input.get("rewards"),
    snakemake.output.csv,
    provider=snakemake.wildcards.provider,
    method=snakemake.wildcards.method,
    thetas=p.thetas,
    estimator=p.estimator,
    vote_correct=p.vote_correct,
    reward_dtype=p.reward_dtype,
    questions_out=snakemake.output.questions,
    n_subsamples=p.subsamples,
    n_boot=p.n_boot,
    seed=p.seed,
    level=p.ci,
)
log.info("wrote %s (%s estimator, %d thetas)", snakemake.output.csv, p.estimator, len(frame))
