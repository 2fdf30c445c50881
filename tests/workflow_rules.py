"""Load the workflow's rules with Snakemake's own parser (no DAG, no jobs): each rule's script,
conda env, output flags, and whether a cluster run would keep it on the submitting machine."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from types import SimpleNamespace


def load_workflow(root: Path, configfile: str):
    """The parsed ``snakemake.workflow.Workflow`` of ``root/Snakefile`` with ``configfile``."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings, StorageSettings

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        with SnakemakeApi(OutputSettings()) as api:
            wf = api.workflow(
                resource_settings=ResourceSettings(),
                config_settings=ConfigSettings(configfiles=[root / configfile]),
                storage_settings=StorageSettings(),
                workdir=root,
                snakefile=root / "Snakefile",
            )
            return wf._workflow


def runs_locally_on_a_cluster(workflow, rule) -> bool:
    """``Workflow.is_local`` as a cluster executor (local_exec False) evaluates it for ``rule``."""
    as_cluster = SimpleNamespace(local_exec=False, _localrules=workflow._localrules)
    return type(workflow).is_local(as_cluster, rule)
