"""The workflow's configuration: one validation for both sources (generating and traces).

``core`` validates against workflow/schemas/config.schema.yaml and holds the lookups the rules use;
``traces`` validates the trace-import keys (workflow/schemas/traces.schema.yaml) and builds the import
settings. ``validate_workflow_config`` runs both, as workflow/rules/common.smk does at parse time.
"""

from pathlib import Path

from ttcgames.config.core import ConfigError, validate_config
from ttcgames.config.traces import validate_trace_config

__all__ = ["ConfigError", "validate_workflow_config"]


def validate_workflow_config(config: dict, schemas: str | Path, source: str | None = None, layers=None) -> dict:
    """Validate (and fill the defaults of) a workflow config in place: the main schema, then the
    trace-import keys, whose defaults always apply and whose cross-checks run with ``source: traces``.
    ``layers`` (``core.config_layers``) lets each error name the config file holding the key.
    Raises ``ConfigError`` naming the config files and keys."""
    schemas = Path(schemas)
    validate_config(config, schemas / "config.schema.yaml", source=source, layers=layers)
    validate_trace_config(config, schemas / "traces.schema.yaml", source=source, layers=layers)
    return config
