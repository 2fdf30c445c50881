"""The workflow's JSON schemas (``workflow/schemas/*.yaml``, JSON Schema 2020-12): loading them,
filling the defaults they declare, and their validation errors as ``key.path: message`` lines.

Every mapping of the main schema is closed (``additionalProperties: false``) except the ones keyed
by ids (``models``, ``prompts``) and ``models.*.vllm`` (vllm.LLM's own keyword arguments): an
unknown key is an error with a "did you mean" hint (``datasets[0].alpah: unknown key (did you mean
'alpha'?)``). The keys that set the economics, a dataset's ``alpha`` and a provider's
``price_per_million``, have no default.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ttcgames.config.errors import ConfigError, did_you_mean, key_path

__all__ = ["default_schema_path", "load_yaml", "load_schema", "resolve_ref", "fill_defaults", "schema_errors"]


def default_schema_path() -> Path:
    """The workflow's main schema, found relative to the repository checkout."""
    return Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


def load_yaml(path: str | Path) -> Any:
    """A YAML file's content; a missing or malformed file is a :class:`ConfigError` naming it."""
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
    """A schema file (the main schema by default)."""
    return load_yaml(path or default_schema_path())


def resolve_ref(schema: dict, root: dict) -> dict:
    """``schema`` with a local ``$ref`` (``#/$defs/...``) replaced by its target, sibling keys kept."""
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
    ``additionalProperties`` (object-valued) are followed; that is all our schemas use.
    """
    root = root if root is not None else schema
    schema = resolve_ref(schema, root)
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            sub = resolve_ref(sub, root)
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


def _message(err) -> list[str]:
    """The line(s) of one jsonschema error, in the project's ``key.path: message`` form."""
    where = key_path(err.absolute_path)
    if err.validator == "oneOf" and err.context:
        # A beta: report the closest alternative rather than "is not valid under any".
        detail = "; ".join(sorted({c.message for c in err.context}))
        return [f"{where}: {err.instance!r} is invalid ({detail})"]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [f"{key_path(list(err.absolute_path) + [missing])}: required key is missing"]
    if err.validator == "additionalProperties" and err.validator_value is False and isinstance(err.instance, dict):
        known = err.schema.get("properties", {})
        return [f"{key_path(list(err.absolute_path) + [key])}: unknown key{did_you_mean(key, known)}" for key in err.instance if key not in known]
    if err.validator == "propertyNames":
        return [f"{where}: key {err.instance!r} is not a valid id ({err.message})"]
    return [f"{where}: {err.message}"]


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Every violation of ``schema`` by ``config``, one ``key.path: message`` line each, by key path."""
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = validator_cls(schema)
    messages = []
    for err in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path]):
        messages.extend(_message(err))
    return messages
