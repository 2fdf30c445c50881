"""Shared start-up of the workflow's script adapters (Snakemake puts this folder on sys.path)."""

import logging
import os
import sys
from pathlib import Path


def start(snakemake) -> logging.Logger:
    """Send stdout, stderr and logging of this job to its log file; import ttcgames from this checkout.

    A job with a shard folder (``params.shard_dir``: generation, rewards) first takes that folder's
    lock (``ttcgames.io.shards.hold_shard_dir``), so a second copy of the job waits (saying so on
    stderr, i.e. in the SLURM log) before it touches the log file that the first copy still writes.
    The log stays open until the process exits, so a traceback ends up in the log too.
    """
    src = Path(snakemake.scriptdir).resolve().parents[1] / "src"
    if src.is_dir():
        sys.path.insert(0, str(src))
    shard_dir = snakemake.params.get("shard_dir")
    if shard_dir:
        from ttcgames.io.shards import hold_shard_dir

        hold_shard_dir(shard_dir)
    log = open(snakemake.log[0], "w", buffering=1)
    sys.stdout = sys.stderr = log
    logging.basicConfig(
        stream=log, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
    )
    logger = logging.getLogger(f"ttcgames.workflow.{snakemake.rule}")
    logger.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards.items()))
    return logger


def gpu_setup(snakemake, log: logging.Logger, *, need_fraction: float = 0.0, need_mib: int = 0):
    """Call before torch, transformers or vLLM is imported.

    A job whose models came from the download stage (an input named ``download``) checks that
    they are visible here and runs offline (``HF_HUB_OFFLINE=1``). A job with a ``gpu`` resource
    claims its own device(s) (``CUDA_VISIBLE_DEVICES``; lock-file slots on a machine with more
    GPUs than the job needs) and checks the driver and free memory (``ttcgames.generation.gpu``),
    unless the environment's vLLM is the CPU build (``vllm_cpu_reason``: the job runs on the CPU,
    logged). Returns the device claim (None for CPU jobs): keep it referenced until the job ends.
    """
    from ttcgames.data.downloads import use_downloads

    markers = list(snakemake.input.get("download", []) or [])
    for marker in use_downloads(markers):
        log.info("offline: %s from %s", marker["repo"], marker["path"])
    n_gpus = int(snakemake.resources.get("gpu", 0) or 0)
    if n_gpus < 1:
        return None
    from ttcgames.generation.gpu import prepare_gpu_job, vllm_cpu_reason

    reason = vllm_cpu_reason()
    if reason is not None:  # the CPU build of vLLM (envs/install-vllm-cpu.sh): no device, no driver
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
        log.info("GPU preflight skipped: %s; no device claimed (CUDA_VISIBLE_DEVICES=%s from the scheduler)", reason, visible)
        return None

    claim = prepare_gpu_job(n_gpus, need_fraction=need_fraction, need_mib=need_mib)
    log.info("GPU job on CUDA_VISIBLE_DEVICES=%s", ",".join(claim.devices))
    return claim
