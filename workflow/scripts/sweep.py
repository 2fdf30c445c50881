"""Sweep stage: `ttcgames sweep` over log-spaced betas (price of anarchy vs user rationality)."""

import math
import shlex
import sys

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.game.cli import main  # noqa: E402

market, sweep = snakemake.params.market, snakemake.params.sweep
argv = ["sweep", snakemake.input.market]
# The CLI takes numpy.logspace exponents; the config gives the betas themselves.
argv += ["--beta-logspace", repr(math.log10(sweep["start"])), repr(math.log10(sweep["stop"])), str(sweep["num"])]
for flag in ("alpha", "baseline", "margin", "v0"):
    argv += [f"--{flag}", repr(float(market[flag]))]
argv += ["--seed", str(snakemake.params.seed), "--csv", snakemake.output.csv]
log.info("ttcgames %s", shlex.join(argv))
sys.exit(main(argv))
