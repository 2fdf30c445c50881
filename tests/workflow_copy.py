"""Copy the workflow's files into a scratch folder, so Snakemake tests never see the tree's results/."""

from __future__ import annotations

import shutil
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
