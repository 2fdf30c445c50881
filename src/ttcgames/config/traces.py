"""Configuration of the trace reproduction: validation of its keys and the lookups its rules use.

``workflow/schemas/traces.schema.yaml`` describes the keys (``source``, ``traces``, ``reasoning``,
per-dataset ``trace_folder``/``answer_format`` and per-provider ``methods``); ``validate_trace_config`` fills their defaults, validates them with
``ttcgames.config.core``'s machinery and checks what a schema cannot:

- every provider has a trace model name in ``traces.models`` and every name there is a provider;
- every dataset has a ``trace_folder``; ``traces.local_dir`` is set when ``traces.source`` is local;
- providers' ``methods`` are among the configured methods; a method no provider competes in is an error;
- reasoning quantiles rise strictly from 0 to 1.

(Samples against the largest theta are checked by ``ttcgames.config.core.validate_config``, which the
workflow runs first.)

Errors are ``ttcgames.config.core.ConfigError`` naming the config file and key path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ttcgames.config.core import (
    ConfigError,
    _schema_errors,
    error_lines,
    fill_defaults,
    load_schema,
    provider_methods,
    providers_for,
    uses_traces,
)

__all__ = [
    "default_trace_schema_path",
    "validate_trace_config",
    "trace_name",
    "import_settings",
]


def default_trace_schema_path() -> Path:
    return Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "traces.schema.yaml"


def trace_name(config: dict, provider_id: str) -> str:
    try:
        return config["traces"]["models"][provider_id]
    except KeyError:
        raise ConfigError(f"traces.models: no trace model name for provider {provider_id!r}") from None


def _cross_errors(config: dict) -> list[str]:
    errors = []
    traces = config.get("traces", {})
    ids = [p["id"] for p in config.get("providers", [])]
    names = traces.get("models", {})
    for i, pid in enumerate(ids):
        if pid not in names:
            errors.append(f"traces.models: provider {pid!r} (providers[{i}]) has no trace model name")
    for pid in names:
        if pid not in ids:
            errors.append(f"traces.models.{pid}: not a provider id (providers: {', '.join(ids)})")
    for i, d in enumerate(config.get("datasets", [])):
        if not d.get("trace_folder"):
            errors.append(f"datasets[{i}].trace_folder: required when source is 'traces'")
    if traces.get("source") == "local" and not traces.get("local_dir"):
        errors.append("traces.local_dir: required when traces.source is 'local'")
    methods = list(config.get("methods", []))
    for i, p in enumerate(config.get("providers", [])):
        for m in p.get("methods") or []:
            if m not in methods:
                errors.append(f"providers[{i}].methods: {m!r} is not one of methods {methods}")
    for m in methods:
        if not providers_for(config, m):
            errors.append(f"methods: no provider competes in {m!r} (set providers[].methods)")
    q = config.get("reasoning", {}).get("quantiles", [])
    if q and (q[0] != 0 or q[-1] != 1 or any(b <= a for a, b in zip(q, q[1:]))):
        errors.append(f"reasoning.quantiles: must rise strictly from 0 to 1, got {q}")
    return errors


def validate_trace_config(
    config: dict,
    schema: dict | str | Path | None = None,
    source: str | None = None,
    layers: list[tuple[str, Any]] | None = None,
) -> dict:
    """Fill the trace keys' defaults, validate them and cross-check (see the module docstring).

    Only configs with ``source: traces`` are cross-checked; others just get the defaults.
    Returns the same dict; raises ``ConfigError`` listing every problem, each line naming the file
    that holds the key (``layers``, see ``ttcgames.config.core.key_owner``) or else ``source``.
    """
    if not isinstance(schema, dict):
        schema = load_schema(schema or default_trace_schema_path())
    fill_defaults(config, schema)
    errors = _schema_errors(config, schema)
    if not errors and uses_traces(config):
        errors = _cross_errors(config)
    if errors:
        raise ConfigError(f"invalid trace configuration:\n{error_lines(errors, source, layers)}")
    return config


def import_settings(config: dict, dataset_id: str, provider_id: str) -> dict[str, Any]:
    """Everything the import rule of one (dataset, provider) needs, as plain values."""
    dataset = next(d for d in config["datasets"] if d["id"] == dataset_id)
    provider = next(p for p in config["providers"] if p["id"] == provider_id)
    methods = provider_methods(config, provider)
    competes = {"majority", "bon"} & set(methods)
    traces = config["traces"]
    return {
        "folder": dataset["trace_folder"],
        "name": trace_name(config, provider_id),
        "answer_format": dataset.get("answer_format", "numeric"),
        "max_new_tokens": int(provider.get("max_new_tokens", 512)),
        "samples": int(provider["samples"]) if "samples" in provider else None,
        "min_samples": max(config["curves"]["thetas"]) if competes else 1,
        "expect_reasoning": True if "reasoning" in methods else (False if competes else None),
        "source": traces["source"],
        "local_dir": traces["local_dir"],
        "repo": traces["repo"],
        "revision": traces["revision"],
        "cache_dir": traces["cache_dir"],
        "bad_lines": traces["bad_lines"],
        "null_rewards": traces["null_rewards"],
        "votes": traces["votes"],
        "reasoning_filter": (int(config["reasoning"]["max_total_tokens"]), int(config["reasoning"]["min_reasoning_tokens"])),
    }
