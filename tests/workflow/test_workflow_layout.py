"""The catalog layout: `snakemake` (top-level Snakefile) and `snakemake -s workflow/Snakefile` plan the
same jobs with the same default target, and the catalog's files are in place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_copy import ROOT, copy_workflow

yaml = pytest.importorskip("yaml")
pytest.importorskip("snakemake")

SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def _planned(root: Path, snakefile: str, configfile: str | None) -> set[tuple[str, str, str]]:
    """(output file, rule, plan) of every job the default target needs, from `snakemake --summary`."""
    cmd = [str(SNAKEMAKE), "-s", snakefile, "--summary", "--cores", "2"]
    if configfile:
        cmd += ["--configfile", configfile]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split("\t") for line in proc.stdout.splitlines() if "\t" in line]
    assert rows and rows[0][:3] == ["output_file", "date", "rule"], proc.stdout[:500]
    return {(r[0], r[2], r[5]) for r in rows[1:]}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("layout"))


@pytest.mark.parametrize("configfile", [None, "config/paper-traces.yaml"])
def test_both_snakefiles_plan_the_same_jobs(tree, configfile):
    top = _planned(tree, "Snakefile", configfile)
    nested = _planned(tree, "workflow/Snakefile", configfile)
    assert top == nested
    outputs = {out for out, _, _ in top}
    # the default target (rule all): Table 2 and the figures, not just the first rule's output
    assert "results/tables/table2.md" in outputs
    assert any(out.startswith("results/figures/") for out in outputs)
    assert len(top) > 20


def test_catalog_files():
    catalog = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text(encoding="utf-8"))
    usage = catalog["usage"]
    assert usage["mandatory-flags"]["desc"] and isinstance(usage["mandatory-flags"]["flags"], str)
    assert usage["software-stack-deployment"]["conda"] is True
    assert usage["report"] is True
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License") and "ttc-games contributors" in license_text
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = "MIT"' in pyproject and 'license-files = ["LICENSE"]' in pyproject


def test_config_readme_names_every_schema_key():
    """config/README.md documents every key of both schemas (the schemas are the source)."""
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    missing = []
    for name in ("config.schema.yaml", "traces.schema.yaml"):
        schema = yaml.safe_load((ROOT / "workflow" / "schemas" / name).read_text(encoding="utf-8"))
        for path in _keys(schema, schema):
            if f"`{path}`" not in readme:
                missing.append(f"{name}: {path}")
    assert not missing, f"config/README.md lacks {missing}"


def _keys(node: dict, root: dict, prefix: str = ""):
    """Dotted key paths of a JSON schema (arrays as `key[]`, $refs followed)."""
    if "$ref" in node:
        ref = node["$ref"].removeprefix("#/").split("/")
        target = root
        for part in ref:
            target = target[part]
        yield from _keys(target, root, prefix)
        return
    for key, sub in (node.get("properties") or {}).items():
        path = f"{prefix}{key}"
        yield path
        yield from _keys(sub, root, path + ".")
        if sub.get("type") == "array" or "items" in sub:
            items = sub.get("items") or {}
            yield from _keys(items, root, path + "[].")
    for combo in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(combo) or []:
            yield from _keys(sub, root, prefix)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _keys(node["additionalProperties"], root, prefix + "*.")
