"""Uncertainty stage: the paired bootstrap over questions of one game (dataset, method)."""

import numpy as np
from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.uncertainty.paired import build_uncertainty  # noqa: E402

p = snakemake.params
u, sweep = p.settings, p.sweep
summary = build_uncertainty(
    dict(zip(p.providers, snakemake.input.questions)),
    p.prices,
    method=snakemake.wildcards.method,
    market=p.market,
    beta=float(p.beta),
    replicates_out=snakemake.output.replicates,
    summary_out=snakemake.output.summary,
    sweep_out=snakemake.output.sweep,
    n_boot=u["n_boot"],
    level=u["ci"],
    seed=u["seed"],
    game_seed=p.seed,
    sweep_betas=list(np.logspace(np.log10(sweep["start"]), np.log10(sweep["stop"]), u["sweep_num"])),
    sweep_n_boot=u["sweep_n_boot"],
    context={"dataset": snakemake.wildcards.dataset},
)
q = summary["quantities"]["price_of_anarchy"]
log.info(
    "%d replicates (%d failed): PoA %.4f [%.4f, %.4f]; point equilibrium reached in %.0f%% of replicates",
    summary["replicates"], summary["failed_replicates"], q["point"], q["lo"], q["hi"],
    100 * (summary["frequencies"]["equilibrium_profile"]["point_share"] or 0),
)
