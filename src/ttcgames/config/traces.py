"""Configuration of the trace reproduction: validation of its keys and the settings of its import rule.

``workflow/schemas/traces.schema.yaml`` describes the keys (``source``, ``traces``, ``reasoning``,
per-dataset ``trace_folder``/``answer_format`` and per-provider ``methods``); ``validate_trace_config``
fills their defaults, validates them with ``ttcgames.config.schema`` and runs :data:`TRACE_CHECKS`,
one rule each, for what a schema cannot express:

- every provider has a trace model name in ``traces.models`` and every name there is a provider;
- every dataset has a ``trace_folder``; ``traces.local_dir`` is set when ``traces.source`` is local;
- providers' ``methods`` are among the configured methods; a method no provider competes in is an
  error (the main config's own checks, ``ttcgames.config.checks``);
- reasoning quantiles rise strictly from 0 to 1.

(Samples against the largest theta are checked by ``ttcgames.config.validation.validate_config``,
which the workflow runs first.)

Errors are ``ttcgames.config.errors.ConfigError`` naming the config file and key path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ttcgames.config.checks import Check, every_method_has_a_provider, provider_methods_are_configured
from ttcgames.config.errors import ConfigError
from ttcgames.config.schema import load_schema
from ttcgames.config.validation import Layers, SchemaSource, validate_with
from ttcgames.config.view import WorkflowConfig

__all__ = [
    "TRACE_CHECKS",
    "default_trace_schema_path",
    "validate_trace_config",
    "trace_name",
    "import_settings",
]


def default_trace_schema_path() -> Path:
    return Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "traces.schema.yaml"


def trace_name(cfg: WorkflowConfig, provider_id: str) -> str:
    """The trace model name (file stem in the released traces) of a provider."""
    try:
        return cfg.raw["traces"]["models"][provider_id]
    except KeyError:
        raise ConfigError(f"traces.models: no trace model name for provider {provider_id!r}") from None


def providers_have_trace_names(config: dict) -> Iterator[str]:
    """Every provider has a name in ``traces.models``."""
    names = config.get("traces", {}).get("models", {})
    for i, p in enumerate(config.get("providers", [])):
        if p["id"] not in names:
            yield f"traces.models: provider {p['id']!r} (providers[{i}]) has no trace model name"


def trace_names_are_providers(config: dict) -> Iterator[str]:
    """Every name in ``traces.models`` belongs to a provider."""
    ids = [p["id"] for p in config.get("providers", [])]
    for pid in config.get("traces", {}).get("models", {}):
        if pid not in ids:
            yield f"traces.models.{pid}: not a provider id (providers: {', '.join(ids)})"


def datasets_have_trace_folders(config: dict) -> Iterator[str]:
    """Every dataset says which folder of the traces holds it."""
    for i, d in enumerate(config.get("datasets", [])):
        if not d.get("trace_folder"):
            yield f"datasets[{i}].trace_folder: required when source is 'traces'"


def local_traces_have_a_folder(config: dict) -> Iterator[str]:
    """Local traces (``traces.source: local``) name their folder."""
    traces = config.get("traces", {})
    if traces.get("source") == "local" and not traces.get("local_dir"):
        yield "traces.local_dir: required when traces.source is 'local'"


def reasoning_quantiles_rise(config: dict) -> Iterator[str]:
    """The reasoning bins' quantiles rise strictly from 0 to 1."""
    q = config.get("reasoning", {}).get("quantiles", [])
    if q and (q[0] != 0 or q[-1] != 1 or any(b <= a for a, b in zip(q, q[1:]))):
        yield f"reasoning.quantiles: must rise strictly from 0 to 1, got {q}"


TRACE_CHECKS: tuple[Check, ...] = (
    providers_have_trace_names,
    trace_names_are_providers,
    datasets_have_trace_folders,
    local_traces_have_a_folder,
    provider_methods_are_configured,
    every_method_has_a_provider,
    reasoning_quantiles_rise,
)


def validate_trace_config(config: dict, schema: SchemaSource = None, source: str | None = None, layers: Layers | None = None) -> dict:
    """Fill the trace keys' defaults, validate them and cross-check (see the module docstring).

    Only configs with ``source: traces`` are cross-checked; others just get the defaults.
    Returns the same dict; raises ``ConfigError`` listing every problem, each line naming the file
    that holds the key (``layers``, see ``ttcgames.config.layers.key_owner``) or else ``source``.
    """
    if not isinstance(schema, dict):
        schema = load_schema(schema or default_trace_schema_path())
    checks = TRACE_CHECKS if config.get("source", "generate") == "traces" else ()
    return validate_with(config, schema, checks, title="invalid trace configuration", source=source, layers=layers)


def import_settings(cfg: WorkflowConfig, dataset_id: str, provider_id: str) -> dict[str, Any]:
    """Everything the import rule of one (dataset, provider) needs, as plain values."""
    dataset = cfg.dataset(dataset_id).entry
    provider = cfg.provider(provider_id)
    competes = {"majority", "bon"} & set(provider.methods)
    traces = cfg.raw["traces"]
    reasoning = cfg.raw["reasoning"]
    return {
        "folder": dataset["trace_folder"],
        "name": trace_name(cfg, provider_id),
        "answer_format": dataset.get("answer_format", "numeric"),
        "max_new_tokens": int(provider.entry.get("max_new_tokens", 512)),
        "samples": int(provider.entry["samples"]) if "samples" in provider.entry else None,
        "min_samples": max(cfg.thetas) if competes else 1,
        "expect_reasoning": True if "reasoning" in provider.methods else (False if competes else None),
        "source": traces["source"],
        "local_dir": traces["local_dir"],
        "repo": traces["repo"],
        "revision": traces["revision"],
        "cache_dir": traces["cache_dir"],
        "bad_lines": traces["bad_lines"],
        "null_rewards": traces["null_rewards"],
        "votes": traces["votes"],
        "reasoning_filter": (int(reasoning["max_total_tokens"]), int(reasoning["min_reasoning_tokens"])),
    }
