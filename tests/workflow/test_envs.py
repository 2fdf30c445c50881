"""Every rule's conda env holds what its script imports (`--software-deployment-method conda`).

For each rule with a script and a conda env (as Snakemake parses them, for every shipped config),
the test follows the script's imports: into the other workflow scripts (`common`) and into
`ttcgames`, transitively. Module-level imports always run. Imports inside functions run only on
some paths (the vLLM engine, ArmoRM, the hub loaders); each such import site is listed in
`LAZY_SITES` with the rules that reach it, and a new, unlisted one fails the test until it is
classified. The imported top-level modules are mapped to their distributions with the installed
metadata (`yaml` -> PyYAML), and each must be listed, with a version, in the rule's env file.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from workflow_copy import copy_workflow

yaml = pytest.importorskip("yaml")
pytest.importorskip("snakemake")

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
SCRIPTS = ROOT / "workflow" / "scripts"
CONFIGS = ("config.yaml", "ci.yaml", "paper.yaml", "paper-traces.yaml", "gpu-smoke.yaml")

# (ttcgames module, module imported inside one of its functions) -> the rules whose jobs run that import.
# The engine registry (ttcgames.generation.base.load_engine) imports an engine module by name.
LAZY_SITES: dict[tuple[str, str], set[str]] = {
    ("ttcgames.generation.base", "ttcgames.generation.transformers_engine"): {"generate"},
    ("ttcgames.generation.base", "ttcgames.generation.vllm_engine"): {"generate_vllm"},
    ("ttcgames.generation.base", "torch"): {"generate", "generate_vllm"},  # cuda_available (engine auto)
    ("ttcgames.generation.vllm_engine", "vllm"): {"generate_vllm"},
    ("ttcgames.generation.vllm_engine", "vllm.platforms"): {"generate_vllm"},  # CPU or GPU build
    ("ttcgames.generation.vllm_engine", "torch"): {"generate_vllm"},  # torch threads with vLLM's CPU build
    # generate.py imports the package inside main() (spawn-safe: a re-import runs nothing)
    ("generate", "ttcgames.generation"): {"generate", "generate_vllm"},
    ("ttcgames.generation.vllm_engine", "transformers"): {"generate_vllm"},
    ("ttcgames.generation.models", "torch"): {"prepare_model"},  # the GGUF conversion
    ("ttcgames.generation.models", "transformers"): {"prepare_model"},
    ("ttcgames.io.progress", "tqdm.auto"): {"generate", "generate_vllm", "score_rewards", "score_rewards_gpu"},
    ("ttcgames.rewards.armorm", "torch"): {"score_rewards_gpu"},
    ("ttcgames.rewards.armorm", "transformers"): {"score_rewards_gpu"},
    ("ttcgames.rewards.armorm", "transformers.models.llama.modeling_llama"): {"score_rewards_gpu"},
    ("ttcgames.data.datasets", "pyarrow.parquet"): {"prepare_data"},
    ("ttcgames.report.figures", "seaborn"): {"figure"},  # the uncertainty kind's pair plot
    ("ttcgames.data.datasets", "datasets"): {"prepare_data"},
    ("ttcgames.grading.verifiers", "math_verify"): {"grade"},
    ("ttcgames.grading.verifiers", "sympy"): {"grade"},
    ("ttcgames.config.schema", "yaml"): {"*"},  # every rule that reads a YAML config or schema
    ("ttcgames.config.schema", "jsonschema"): {"*"},
    ("ttcgames.report.compare", "yaml"): {"compare_published"},
    ("ttcgames.traces.importer", "huggingface_hub"): {"import_traces"},
    ("ttcgames.traces.importer", "pandas"): {"import_traces"},
    ("ttcgames.data.downloads", "huggingface_hub"): {"download_model", "download_reward_model"},
    ("ttcgames.generation.gpu", "torch"): {"generate_vllm", "score_rewards_gpu"},  # torch.version.cuda
}


def _module_file(name: str) -> Path | None:
    """The source file of a ttcgames module or a workflow script module, else None (third party)."""
    if name.split(".")[0] == "ttcgames":
        base = SRC.joinpath(*name.split("."))
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None
    cand = SCRIPTS / f"{name}.py"
    return cand if "." not in name and cand.is_file() else None


def _module_name(path: Path) -> str:
    if path.parent == SCRIPTS or path.is_relative_to(SCRIPTS):
        return path.stem
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _imports(path: Path) -> tuple[tuple[str, bool], ...]:
    """(module, lazy) for each import in ``path``; lazy = inside a function body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((a.name, lazy) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    mod = ".".join(base + ([child.module] if child.module else []))
                else:
                    mod = child.module or ""
                found.append((mod, lazy))
                for a in child.names:  # `from ttcgames import config` imports a submodule
                    if _module_file(f"{mod}.{a.name}") is not None:
                        found.append((f"{mod}.{a.name}", lazy))
            visit(child, inner)

    visit(tree, False)
    return tuple(found)


def rule_imports(script: Path, rule: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Third-party modules the rule's script imports, and every lazy import site it can reach."""
    third: set[str] = set()
    sites: set[tuple[str, str]] = set()
    todo, seen = [script], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        me = _module_name(path)
        extra = [(m, True) for (site, m) in LAZY_SITES if site == me and m.startswith("ttcgames.")]
        for mod, lazy in list(_imports(path)) + extra:
            top = mod.split(".")[0]
            if top in sys.stdlib_module_names or top in ("__future__", "snakemake"):
                continue
            if lazy:
                sites.add((me, mod))
                if not ({rule, "*"} & LAZY_SITES.get((me, mod), set())):
                    continue
            local = _module_file(mod)
            if local is not None:
                todo.append(local)
                # importing a.b.c runs the __init__ of a and a.b too
                parts = mod.split(".")
                todo.extend(p for k in range(1, len(parts)) if (p := _module_file(".".join(parts[:k]))) is not None)
            elif top not in ("ttcgames",):
                third.add(top)
    return third, sites


def _dist(module: str) -> str:
    names = packages_distributions().get(module) or [module]
    return _norm(names[0])


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def env_packages(path: Path) -> dict[str, str]:
    """name -> version spec of an env file's conda and pip dependencies."""
    spec = yaml.safe_load(path.read_text())
    out: dict[str, str] = {}
    for dep in spec["dependencies"]:
        entries = (dep["pip"] or []) if isinstance(dep, dict) else [dep]
        for entry in entries:
            if entry.startswith("-"):
                continue
            m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", entry)
            out[_norm(m.group(1))] = m.group(2).strip()
    return out


@pytest.fixture(scope="module")
def wf(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("envs"), ("Snakefile", "workflow", "config", "profiles", "envs", "src"))


@pytest.fixture(scope="module")
def rules(wf):
    """(config, rule name, script, env file) for every scripted rule of every shipped config."""
    from workflow_rules import load_workflow

    rows = []
    for name in CONFIGS:
        workflow = load_workflow(wf, f"config/{name}")
        for rule in workflow.rules:
            if rule.script is None:
                continue
            assert rule.conda_env, f"rule {rule.name} has a script but no conda env"
            rules_dir = ROOT / "workflow" / "rules"
            for script in rule_scripts(rule):
                rows.append((name, rule.name, (rules_dir / script).resolve(), (rules_dir / rule.conda_env).resolve()))
    return rows


def rule_scripts(rule) -> list[str]:
    """A rule's script path(s): a path with a wildcard (``figure_{wildcards.kind}.py``) is one script per
    value the rule's constraint of that wildcard allows (an alternation of ids)."""
    m = re.search(r"\{wildcards\.(\w+)\}", rule.script)
    if m is None:
        return [rule.script]
    values = [re.sub(r"\\(.)", r"\1", v) for v in rule.wildcard_constraints[m.group(1)].split("|")]
    return [rule.script.replace(m.group(0), v) for v in values]


def test_every_rule_env_holds_what_its_script_imports(rules):
    missing = []
    for config, rule, script, env in rules:
        third, _ = rule_imports(script, rule)
        have = env_packages(env)
        for module in sorted(third):
            if _dist(module) not in have:
                missing.append(f"config/{config}: rule {rule} imports {module} ({_dist(module)}), missing from envs/{env.name}")
    assert not missing, "\n".join(missing)


def test_every_lazy_import_is_classified(rules):
    unknown = set()
    for _, rule, script, _ in rules:
        _, sites = rule_imports(script, rule)
        unknown |= {s for s in sites if s not in LAZY_SITES and not s[1].startswith("ttcgames")}
    assert not unknown, f"classify these imports inside functions in LAZY_SITES: {sorted(unknown)}"


def test_the_gpu_rules_use_the_gpu_env_and_cpu_rules_never_do(rules):
    envs = {(c, r): e.name for c, r, _, e in rules}
    assert envs[("paper.yaml", "generate_vllm")] == "vllm.yaml"
    assert envs[("paper.yaml", "score_rewards_gpu")] == "vllm.yaml"
    assert envs[("config.yaml", "score_rewards")] == "analysis.yaml"
    assert envs[("config.yaml", "generate")] == "generation-cpu.yaml"


@pytest.mark.parametrize("env", sorted(p.name for p in (ROOT / "envs").glob("*.yaml")))
def test_every_env_entry_has_a_version(env):
    packages = env_packages(ROOT / "envs" / env)
    unpinned = [name for name, spec in packages.items() if name != "pip" and not re.search(r"[=<>]", spec)]
    assert not unpinned, f"envs/{env}: no version for {unpinned}"


def test_a_script_with_a_wildcard_is_checked_for_each_kind(rules):
    scripts = {script.name for config, rule, script, _ in rules if rule == "figure" and config == "ci.yaml"}
    assert scripts == {f"figure_{kind}.py" for kind in ("values", "dynamics", "curves", "inefficiency", "uncertainty")}
    assert all(script.is_file() for _, _, script, _ in rules)


def test_the_checker_sees_a_missing_package(tmp_path, rules):
    """The check itself can fail: grade imports math_verify, which an env without it lacks."""
    _, _, script, env = next(r for r in rules if r[1] == "grade")
    third, _ = rule_imports(script, "grade")
    assert {"math_verify", "sympy"} <= third
    stripped = tmp_path / "analysis.yaml"
    stripped.write_text(re.sub(r".*math-verify.*\n", "", env.read_text()))
    assert "math-verify" in env_packages(env) and "math-verify" not in env_packages(stripped)
