"""Validation of the workflow's main config: fill the schema's defaults, validate, cross-check.

Steps of :func:`validate_config`:

1. fill every missing key that the JSON schema gives a ``default`` (``ttcgames.config.schema``);
2. validate against ``workflow/schemas/config.schema.yaml`` (JSON Schema 2020-12);
3. the cross-reference checks the schema cannot express (``ttcgames.config.checks``), only when
   the schema holds, since they assume its shapes.

Every failure is a :class:`ConfigError` listing every problem, one line each, prefixed with the
config file that holds the key (``ttcgames.config.layers.key_owner``) or else the ``source``:
``config/config.yaml: providers[2].model: 'gpt' is not a key of models``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ttcgames.config.checks import CHECKS, Check, cross_reference_errors
from ttcgames.config.errors import ConfigError, parse_key_path
from ttcgames.config.layers import key_owner
from ttcgames.config.schema import fill_defaults, load_schema, load_yaml, schema_errors

__all__ = ["Layers", "SchemaSource", "error_lines", "validate_with", "validate_config", "load_config"]

# The merged config files as written (ttcgames.config.layers.config_layers), lowest precedence first.
Layers = list[tuple[str, Any]]
# A schema: loaded, a file, or None for the default one.
SchemaSource = dict | str | Path | None


def error_lines(errors: list[str], source: str | None, layers: Layers | None) -> str:
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


def validate_with(config: dict, schema: dict, checks: tuple[Check, ...], *, title: str, source: str | None, layers: Layers | None) -> dict:
    """Fill ``schema``'s defaults into ``config`` (in place), validate it and, when the schema holds
    (the checks assume its shapes), run ``checks``; raise a :class:`ConfigError` headed ``title``
    listing every problem (:func:`error_lines`). Returns ``config``."""
    fill_defaults(config, schema)
    errors = schema_errors(config, schema)
    if not errors:
        errors = cross_reference_errors(config, checks)
    if errors:
        raise ConfigError(f"{title}:\n{error_lines(errors, source, layers)}")
    return config


def validate_config(config: dict, schema: SchemaSource = None, source: str | None = None, layers: Layers | None = None) -> dict:
    """Fill defaults, validate against the schema and cross-check; return the (same) config dict.

    ``source`` names the config file in error messages; with ``layers`` (the merged files as
    written, ``ttcgames.config.layers.config_layers``) each line names the file that holds its key
    instead. Raises :class:`ConfigError` listing every problem found, one ``file: key.path: message``
    per line.
    """
    if not isinstance(config, dict):
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}<top level>: expected a mapping of keys, got {type(config).__name__}")
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    return validate_with(config, schema, CHECKS, title="invalid workflow configuration", source=source, layers=layers)


def load_config(path: str | Path, schema: SchemaSource = None) -> dict:
    """Read a YAML config file and validate it (see :func:`validate_config`)."""
    return validate_config(load_yaml(path), schema, source=str(path))
