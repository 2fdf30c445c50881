"""Games stage: `ttcgames game` on one market (equilibria, dynamics, optimum, auction per beta).

Runs the CLI's own entry point in-process, so the JSON and trajectory CSV are exactly what
`ttcgames game` writes; the equivalent command line is logged for rerunning by hand.
"""

import shlex
import sys

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.game.cli import main  # noqa: E402

market = snakemake.params.market
argv = ["game", snakemake.input.market]
for beta in snakemake.params.betas:
    argv += ["--beta", str(beta)]
for flag in ("alpha", "baseline", "margin", "v0"):
    argv += [f"--{flag}", repr(float(market[flag]))]
argv += ["--seed", str(snakemake.params.seed), "--all-equilibria"]  # every pure equilibrium, any game size
argv += ["--json", snakemake.output.json, "--trajectory", snakemake.output.trajectory]
log.info("ttcgames %s", shlex.join(argv))
sys.exit(main(argv))
