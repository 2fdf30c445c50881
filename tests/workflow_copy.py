"""Copy the workflow's files into a scratch folder, so Snakemake tests never see the tree's results/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "profiles", "envs", "src")


def copy_workflow(dest: Path, names: tuple[str, ...] = WORKFLOW_FILES) -> Path:
    """Copy ``names`` (files or folders of the repository root) into ``dest`` and return ``dest``."""
    for name in names:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    return dest


SNAKEMAKE = Path(sys.executable).with_name("snakemake")

# A small market of three of the default config's providers (arith), for rules that start from results/markets/.
SMALL_DEFAULT_MARKET = """provider,theta,accuracy,tokens,price_per_million
smol-direct-t03,1,0.56,9.6,10.0
smol-direct-t03,2,0.60,19.2,10.0
smol-direct-t06,1,0.37,10.3,7.0
smol-direct-t06,2,0.45,20.6,7.0
smol-equation-t05,1,0.37,13.3,4.0
smol-equation-t05,2,0.43,26.6,4.0
"""


def run_snakemake(root: Path, *args: str, timeout: int = 300) -> str:
    """``snakemake --cores 1 ARGS`` in ``root`` (a copy); fails the test with its output unless it succeeds."""
    out = subprocess.run([str(SNAKEMAKE), "--cores", "1", *args], cwd=root, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr
