"""Shared start-up of the workflow's script adapters (Snakemake puts this folder on sys.path)."""

import logging
import sys
from pathlib import Path


def start(snakemake) -> logging.Logger:
    """Send stdout, stderr and logging of this job to its log file; import ttcgames from this checkout.

    The log stays open until the process exits, so a traceback ends up in the log too.
    """
    src = Path(snakemake.scriptdir).resolve().parents[1] / "src"
    if src.is_dir():
        sys.path.insert(0, str(src))
    log = open(snakemake.log[0], "w", buffering=1)
    sys.stdout = sys.stderr = log
    logging.basicConfig(
        stream=log, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
    )
    logger = logging.getLogger(f"ttcgames.workflow.{snakemake.rule}")
    logger.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards.items()))
    return logger
