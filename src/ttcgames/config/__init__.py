"""The workflow's configuration: one validation for both sources (generating and traces), then a
frozen, typed view that the Snakemake rules ask.

- ``errors``: ``ConfigError`` and the key paths its messages name;
- ``schema``: the JSON schemas, their defaults and their errors as ``key.path: message`` lines;
- ``layers``: Snakemake's config-merge precedence, so that an error names the file holding the key;
- ``checks``: the main config's cross-reference checks, one rule each;
- ``validation``: ``validate_config`` (defaults, schema, checks) and the error message;
- ``traces``: the trace-import keys (workflow/schemas/traces.schema.yaml), their checks and the
  import rule's settings;
- ``view``: ``WorkflowConfig``, the read-only view of a validated config.

``validate_workflow_config`` runs both validations, as workflow/rules/common.smk does at parse time.
"""

from pathlib import Path

from ttcgames.config.errors import ConfigError
from ttcgames.config.traces import validate_trace_config
from ttcgames.config.validation import validate_config
from ttcgames.config.view import WorkflowConfig

__all__ = ["ConfigError", "WorkflowConfig", "validate_workflow_config"]


def validate_workflow_config(config: dict, schemas: str | Path, source: str | None = None, layers=None) -> WorkflowConfig:
    """Validate (and fill the defaults of) a workflow config in place: the main schema, then the
    trace-import keys, whose defaults always apply and whose cross-checks run with ``source: traces``.
    ``layers`` (``ttcgames.config.layers.config_layers``) lets each error name the config file holding
    the key. Returns the view of the validated config; raises ``ConfigError`` naming the config files
    and keys."""
    schemas = Path(schemas)
    validate_config(config, schemas / "config.schema.yaml", source=source, layers=layers)
    validate_trace_config(config, schemas / "traces.schema.yaml", source=source, layers=layers)
    return WorkflowConfig.from_dict(config)
