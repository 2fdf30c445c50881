"""ttcgames.config: schema defaults, validation messages naming the key and the file, the named
cross-reference checks, and the typed view (WorkflowConfig) the rules ask."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("jsonschema")

from ttcgames.config import checks  # noqa: E402
from ttcgames.config.errors import ConfigError  # noqa: E402
from ttcgames.config.layers import config_layers, key_owner  # noqa: E402
from ttcgames.config.schema import load_schema, load_yaml, resolve_ref  # noqa: E402
from ttcgames.config.validation import load_config, validate_config  # noqa: E402
from ttcgames.config.view import Combo, WorkflowConfig, canonical, wildcard_regex  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture()
def cfg() -> dict:
    return load_yaml(ROOT / "config" / "config.yaml")


def _error(config: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(config, SCHEMA, source="test.yaml")
    return str(info.value)


# Overlays: only the keys they change, used as `--configfile` over config/config.yaml (which the
# Snakefile loads first); Snakemake merges mappings and replaces lists.
OVERLAYS = {"vllm-cpu.yaml"}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config").glob("*.yaml") if p.name != "published.yaml"))
def test_shipped_configs_validate(name):
    if name in OVERLAYS:
        from snakemake.utils import update_config

        config = load_yaml(ROOT / "config" / "config.yaml")
        update_config(config, load_yaml(ROOT / "config" / name))
        config = validate_config(config, SCHEMA, source=f"config/config.yaml + config/{name}")
    else:
        config = load_config(ROOT / "config" / name, SCHEMA)
    assert WorkflowConfig.from_dict(config).combos()


def test_schema_declares_draft_2020_12():
    schema = load_schema(SCHEMA)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _walk(schema: dict, root: dict, where: str):
    schema = resolve_ref(schema, root)
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        sub_r = resolve_ref(sub, root)
        yield f"{where}.{key}", sub_r, key in required
        yield from _walk(sub, root, f"{where}.{key}")
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], root, f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _walk(schema["additionalProperties"], root, f"{where}.*")


def test_every_schema_key_has_description_and_default_unless_required():
    schema = load_schema(SCHEMA)
    missing = []
    for where, sub, required in _walk(schema, schema, "config"):
        if "description" not in sub:
            missing.append(f"{where}: description")
        # Required keys (ids, a provider's model, problem operands) have no sensible default.
        # A default computed from other keys is stated in the description instead ("default: ...").
        if "default" not in sub and not required and "(default:" not in sub.get("description", ""):
            missing.append(f"{where}: default")
    assert not missing, missing


def test_every_config_key_is_commented():
    for name in ("config.yaml", "ci.yaml"):
        for i, line in enumerate((ROOT / "config" / name).read_text().splitlines(), 1):
            if re.match(r"^\s*(- )?[a-z_0-9-]+:", line):
                assert "#" in line, f"config/{name}:{i}: key without a comment: {line.strip()}"


def test_defaults_are_filled_recursively(cfg):
    del cfg["market"]
    del cfg["games"]["sweep"]["num"]
    del cfg["providers"][0]["temperature"]
    validate_config(cfg, SCHEMA)
    assert {k: cfg["market"][k] for k in ("baseline", "margin", "v0")} == {"baseline": 0.1, "margin": 0.25, "v0": 0.0}
    assert cfg["games"]["sweep"]["num"] == 100
    assert cfg["providers"][0]["temperature"] == pytest.approx(0.7)


def test_negative_margin_names_the_key(cfg):
    cfg["market"]["margin"] = -0.1
    assert "test.yaml: market.margin: -0.1 is less than the minimum of 0" in _error(cfg)


def test_unknown_method_names_the_key(cfg):
    cfg["methods"] = ["majority", "beam-search"]
    assert "methods[1]: 'beam-search' is not one of" in _error(cfg)


def test_missing_model_names_the_provider(cfg):
    cfg["providers"][2]["model"] = "qwen25-7b"
    assert "providers[2].model: 'qwen25-7b' is not a key of models" in _error(cfg)


def test_missing_required_key_is_named(cfg):
    del cfg["providers"][1]["model"]
    assert "providers[1].model: required key is missing" in _error(cfg)


def test_duplicate_ids_are_named(cfg):
    cfg["providers"].append(copy.deepcopy(cfg["providers"][0]))
    msg = _error(cfg)
    assert f"providers[{len(cfg['providers']) - 1}].id: duplicate id" in msg


def test_theta_grid_exceeding_samples_is_named(cfg):
    cfg["curves"]["thetas"] = [1, 2, 4, 64]
    msg = _error(cfg)
    assert "providers[0].samples" in msg and "curves.thetas" in msg


@pytest.mark.parametrize("bad", ["Qwen2.5-7b", "a_b", "x/y", "-lead"])
def test_ids_must_be_slugs(cfg, bad):
    cfg["providers"][0]["id"] = bad
    assert "providers[0].id" in _error(cfg)


def test_unknown_key_is_rejected(cfg):
    cfg["market"]["marg1n"] = 0.3
    assert "test.yaml: market.marg1n: unknown key (did you mean 'margin'?)" in _error(cfg)


@pytest.mark.parametrize(
    "section,key,value,hint",
    [
        ("datasets", "alpah", 0.02, "did you mean 'alpha'?"),
        ("datasets", "n_question", 5, "did you mean 'n_questions'?"),
        ("datasets", "locl_path", "x.jsonl", "did you mean 'local_path'?"),
        ("providers", "price_per_milion", 1.0, "did you mean 'price_per_million'?"),
        ("providers", "temprature", 0.5, "did you mean 'temperature'?"),
    ],
)
def test_misspelled_entry_key_is_refused_with_a_hint(cfg, section, key, value, hint):
    cfg[section][0][key] = value
    assert f"test.yaml: {section}[0].{key}: unknown key ({hint})" in _error(cfg)


def test_unrelated_unknown_key_lists_the_known_keys(cfg):
    cfg["grading"]["zzzz"] = 1
    assert "grading.zzzz: unknown key (known keys: kind)" in _error(cfg)


def test_misspelled_key_in_a_problem_type_is_refused(cfg):
    cfg["datasets"][0]["problems"][0]["opp"] = "add"
    assert "datasets[0].problems[0].opp: unknown key (did you mean 'op'?)" in _error(cfg)


@pytest.mark.parametrize("section,key", [("datasets", "alpha"), ("providers", "price_per_million")])
def test_economic_keys_have_no_silent_default(cfg, section, key):
    """A dataset without alpha (or a provider without a price) is an error, not the default market."""
    del cfg[section][0][key]
    assert f"{section}[0].{key}: required key is missing" in _error(cfg)


def _schema_mappings(schema: dict, root: dict, where: str):
    """Every object schema with declared properties, by location (items as [], map values as *)."""
    schema = resolve_ref(schema, root)
    if "properties" in schema:
        yield where, schema
    for key, sub in schema.get("properties", {}).items():
        yield from _schema_mappings(sub, root, f"{where}.{key}")
    if isinstance(schema.get("items"), dict):
        yield from _schema_mappings(schema["items"], root, f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _schema_mappings(schema["additionalProperties"], root, f"{where}.*")


def test_every_mapping_of_the_main_schema_is_closed():
    schema = load_schema(SCHEMA)
    open_ = [where for where, sub in _schema_mappings(schema, schema, "config") if sub.get("additionalProperties", True) is not False]
    # models.*.vllm declares tensor_parallel_size (the job's GPUs) but holds vllm.LLM's own kwargs.
    assert open_ == ["config.models.*.vllm"]


def test_trace_schema_keys_are_known_to_the_main_schema():
    """traces.schema.yaml's partial views (top level, dataset and provider entries) add no key the
    closed main schema would refuse; its own sections (traces, reasoning) are closed."""
    main = load_schema(SCHEMA)
    trace = load_schema(ROOT / "workflow" / "schemas" / "traces.schema.yaml")
    main_maps = dict(_schema_mappings(main, main, "config"))
    for where, sub in _schema_mappings(trace, trace, "config"):
        if where in main_maps:
            missing = set(sub["properties"]) - set(main_maps[where]["properties"])
            assert not missing, f"{where}: {missing} not declared in config.schema.yaml"
        else:
            assert sub.get("additionalProperties") is False, where


def test_unknown_key_in_a_trace_section_is_refused(cfg):
    from ttcgames.config import traces as trace_config

    cfg["traces"] = {"null_reward": "fail"}
    with pytest.raises(ConfigError, match=r"x.yaml: traces.null_reward: unknown key \(did you mean 'null_rewards'\?\)"):
        trace_config.validate_trace_config(cfg, source="x.yaml")


def test_error_names_the_overlay_that_holds_the_key(tmp_path, cfg):
    """snakemake --configfile base.yaml overlay.yaml: each line names the file to edit."""
    overlay = {"datasets": copy.deepcopy(cfg["datasets"]), "market": {"marg1n": 0.3}}
    overlay["datasets"][0]["alpah"] = 0.02
    del overlay["datasets"][0]["alpha"]
    (tmp_path / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    layers = config_layers([ROOT / "config" / "config.yaml", tmp_path / "overlay.yaml"], {"seed": -1})
    merged = copy.deepcopy(cfg)
    merged["datasets"] = copy.deepcopy(overlay["datasets"])
    merged["market"]["marg1n"] = 0.3
    merged["seed"] = -1
    with pytest.raises(ConfigError) as info:
        validate_config(merged, SCHEMA, source="merged", layers=layers)
    lines = str(info.value).splitlines()[1:]
    over = str(tmp_path / "overlay.yaml")
    assert any(line.strip().startswith(f"{over}: datasets[0].alpah: unknown key (did you mean 'alpha'?)") for line in lines), lines
    assert any(line.strip().startswith(f"{over}: datasets[0].alpha: required key is missing") for line in lines), lines
    assert any(line.strip().startswith(f"{over}: market.marg1n: unknown key") for line in lines), lines
    assert any(line.strip().startswith("--config: seed: -1 is less than the minimum of 0") for line in lines), lines


def test_key_owner_follows_snakemakes_merge():
    base = {"market": {"margin": 0.25, "v0": 0}, "datasets": [{"id": "a", "alpha": 1}], "seed": 0}
    over = {"market": {"v0": 1}, "datasets": [{"id": "b"}]}
    layers = [("base", base), ("over", over)]
    assert key_owner(["market", "margin"], layers) == "base"  # mappings merge key by key
    assert key_owner(["market", "v0"], layers) == "over"
    assert key_owner(["datasets", 0, "alpha"], layers) == "over"  # lists are replaced whole
    assert key_owner(["seed"], layers) == "base"
    assert key_owner(["nothing"], layers) is None
    # A scalar in a later layer replaces an earlier mapping; a later mapping then starts afresh.
    layers = [("a", {"m": {"x": 1}}), ("b", {"m": 3}), ("c", {"m": {"y": 2}})]
    assert key_owner(["m", "x"], layers) == "c"
    assert key_owner(["m"], layers) == "c"


@pytest.mark.parametrize("beta", [0, -5, "infinity"])
def test_bad_betas_are_rejected(cfg, beta):
    cfg["games"]["betas"] = [beta, 1000]
    assert "games.betas[0]" in _error(cfg)


def test_figure_beta_must_be_solved(cfg):
    cfg["games"]["figure_beta"] = 500
    assert "games.figure_beta: 500 is not one of games.betas" in _error(cfg)


def test_unknown_prompt_and_dataset_kind(cfg):
    cfg["providers"][0]["prompt"] = "no-such-style"
    cfg["datasets"][0]["kind"] = "no-such-kind"
    msg = _error(cfg)
    assert "providers[0].prompt" in msg and "datasets[0].kind" in msg


def test_table_methods_must_be_run(cfg):
    cfg["methods"] = ["majority"]
    cfg["tables"]["methods"] = ["bon"]
    assert "tables.methods[0]" in _error(cfg)


def test_combos_and_engines(cfg):
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    n = len(cfg["datasets"]) * len(cfg["providers"]) * len(cfg["methods"])
    assert len(view.combos()) == n
    assert view.providers_by_engine("transformers") == view.provider_ids
    assert view.providers_by_engine("vllm") == []
    cfg["models"]["big"] = {"source": "hub", "repo": "Qwen/Qwen2.5-7B-Instruct", "engine": "vllm"}
    cfg["models"]["either"] = {"source": "hub", "repo": "Qwen/Qwen2.5-3B-Instruct", "engine": "auto"}
    cfg["providers"][0]["model"], cfg["providers"][1]["model"] = "big", "either"
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    ids = view.provider_ids
    assert view.scheduled_on_gpu() == [ids[0]]
    assert view.scheduled_on_cpu() == ids[1:]
    assert view.models_from("hub") == ["big", "either"]


def test_wildcard_regex_matches_exactly_the_ids():
    rx = re.compile(wildcard_regex(["smol", "smol-t07"]))
    assert rx.fullmatch("smol") and rx.fullmatch("smol-t07")
    assert not rx.fullmatch("smol-t0") and not rx.fullmatch("other")
    assert not re.compile(wildcard_regex([])).fullmatch("")


@pytest.mark.parametrize("beta,label", [(1000, "1000"), (1e5, "100000"), (0.5, "0.5"), ("inf", "inf")])
def test_betas_are_labels_for_the_command_line(cfg, beta, label):
    cfg["games"]["betas"] = [beta, 2000]
    cfg["games"]["figure_beta"] = cfg["games"]["table_beta"] = beta
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    assert view.betas() == [label, "2000"]
    assert view.table_beta == view.figure_beta == label


def test_the_removed_all_equilibria_guard_is_rejected_by_name(cfg):
    """Every pure equilibrium is always found now; an old config's size guard is an error, not ignored."""
    cfg["games"]["all_equilibria_max_profiles"] = 100000
    with pytest.raises(ConfigError, match="all_equilibria_max_profiles"):
        validate_config(cfg, SCHEMA)


def test_provider_methods_shape_the_table(cfg):
    cfg["providers"][0]["methods"] = ["majority"]
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    assert view.providers_for("bon") == view.provider_ids[1:]
    assert view.providers_for("majority") == view.provider_ids
    assert view.provider(view.provider_ids[0]).methods == ("majority",)
    assert Combo("arith", view.provider_ids[0], "bon") not in view.combos()
    assert len(view.combos()) == 2 * len(cfg["providers"]) - 1


def test_provider_methods_must_be_configured(cfg):
    cfg["methods"] = ["majority"]
    cfg["tables"]["methods"] = ["majority"]
    cfg["providers"][1]["methods"] = ["bon"]
    assert "providers[1].methods: 'bon' is not one of methods" in _error(cfg)


def test_every_method_needs_a_provider(cfg):
    cfg["methods"] = ["majority", "bon", "reasoning"]
    for p in cfg["providers"]:
        p["methods"] = ["majority", "bon"]
    assert "methods: no provider competes in 'reasoning'" in _error(cfg)


def test_trace_kind_needs_trace_source(cfg):
    cfg["datasets"][0]["kind"] = "traces"
    assert "datasets[0].kind: 'traces' does not fit source 'generate'" in _error(cfg)


def test_load_config_reports_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: file not found"):
        load_config(tmp_path / "nope.yaml", SCHEMA)


def test_stage_params_leave_out_market_only_keys(cfg):
    """Prices and alpha must not reach generation or data params (Snakemake reruns on params)."""
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    pid, did = cfg["providers"][0]["id"], cfg["datasets"][0]["id"]
    assert "price_per_million" not in view.generation_recipe(pid)
    assert "alpha" not in view.dataset(did).loader_spec()
    assert set(view.generation_settings()) == {"shard_size", "max_batch_rows", "threads"}
    assert view.market_params(did)["alpha"] == cfg["datasets"][0]["alpha"]
    assert view.prices([pid]) == {pid: cfg["providers"][0]["price_per_million"]}


def test_dataset_prompts_swap_a_providers_style_on_that_dataset_only(cfg):
    cfg["datasets"][0]["prompts"] = {cfg["providers"][0]["prompt"]: "plain"}
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    pid, did = cfg["providers"][0]["id"], cfg["datasets"][0]["id"]
    assert view.generation_recipe(pid, did)["prompt"] == "plain"
    assert view.generation_recipe(pid)["prompt"] == cfg["providers"][0]["prompt"]
    assert "prompts" not in view.dataset(did).loader_spec()  # not a loader key: data params do not change


def test_paper_config_asks_and_grades_as_the_reference():
    """config/paper.yaml: GSM8K and AIME with the boxed prompt, GPQA (gpqa_extended, options shuffled by
    random.Random(1234)) with its own prompt, all graded by the reference's verifiers."""
    paper = WorkflowConfig.from_dict(load_config(ROOT / "config" / "paper.yaml", SCHEMA))
    gpqa = paper.dataset("gpqa").entry
    assert (gpqa["hub_config"], gpqa["shuffle_seed"]) == ("gpqa_extended", 1234)
    kinds = {d.id: d.grading for d in paper.datasets}
    assert kinds == {"gsm8k": "reference-numeric", "gpqa": "reference-choice", "aime": "reference-numeric"}
    for p in paper.providers:
        reasoning = "reasoning" in p.methods
        styles = {d: paper.generation_recipe(p.id, d)["prompt"] for d in paper.dataset_ids}
        expected = "think" if reasoning else "boxed"
        assert styles == {"gsm8k": expected, "aime": expected, "gpqa": "think" if reasoning else "plain"}, p.id


def test_dataset_prompts_are_checked(cfg):
    cfg["datasets"][0]["prompts"] = {"boxed": "chatty"}
    assert "datasets[0].prompts.boxed: unknown prompt style 'chatty'" in _error(cfg)
    cfg["datasets"][0]["prompts"] = {"boxed": "think"}
    assert "datasets[0].prompts.boxed: 'think' is not a style of the same kind" in _error(cfg)


def test_canonical_params_ignore_key_order():
    assert list(canonical({"b": 1, "a": {"d": 2, "c": [{"f": 1, "e": 2}]}})) == ["a", "b"]
    assert list(canonical({"b": 1, "a": {"d": 2, "c": [{"f": 1, "e": 2}]}})["a"]["c"][0]) == ["e", "f"]


def test_loader_keys_get_no_injected_defaults(cfg):
    """A benchmark dataset keeps all its questions unless n_questions says otherwise."""
    cfg["datasets"].append({"id": "gsm8k", "kind": "arithmetic", "alpha": 0.008})
    msg = _error(cfg)
    assert "datasets[1].n_questions: required for kind 'arithmetic'" in msg
    assert "datasets[1].problems: required for kind 'arithmetic'" in msg


def test_grading_kind_per_dataset(cfg):
    validate_config(cfg, SCHEMA)
    did = cfg["datasets"][0]["id"]
    assert WorkflowConfig.from_dict(cfg).dataset(did).grading == cfg["grading"]["kind"]
    cfg["datasets"][0]["grading"] = "choice"
    view = WorkflowConfig.from_dict(cfg)
    assert view.dataset(did).grading == "choice"
    assert "grading" not in view.dataset(did).loader_spec()


def test_gpus_per_job_follow_tensor_parallelism(cfg):
    cfg["models"]["big"] = {
        "source": "hub",
        "repo": "Qwen/Qwen2.5-7B-Instruct",
        "engine": "vllm",
        "vllm": {"tensor_parallel_size": 2, "max_model_len": 4096},
    }
    cfg["providers"][0]["model"] = "big"
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    ids = view.provider_ids
    assert view.gpus_per_job(ids[0]) == 2 and view.gpus_per_job(ids[1]) == 0


def test_the_view_is_read_only_and_names_unknown_ids(cfg):
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    with pytest.raises(TypeError):
        view.provider(view.provider_ids[0]).entry["price_per_million"] = 0.0
    with pytest.raises(TypeError):
        view.raw["market"]["margin"] = 0.0
    with pytest.raises(ConfigError, match="providers: no entry with id 'nobody'"):
        view.provider("nobody")
    with pytest.raises(ConfigError, match="datasets: no entry with id 'nothing'"):
        view.dataset("nothing")
    # params are plain data: lists and dicts, however the view stores them
    spec = view.dataset(view.dataset_ids[0]).loader_spec()
    assert type(spec) is dict and type(spec["problems"]) is list and type(spec["problems"][0]) is dict


def test_reward_scorer_takes_only_a_reward_models_set_options(cfg):
    assert WorkflowConfig.from_dict(validate_config(cfg, SCHEMA)).reward_scorer() == {"kind": "mean-logprob"}
    cfg["rewards"].update(kind="armorm", batch_size=8)
    view = WorkflowConfig.from_dict(validate_config(cfg, SCHEMA))
    scorer = view.reward_scorer()
    assert scorer["kind"] == "armorm" and scorer["batch_size"] == 8 and None not in scorer.values()
    assert list(scorer) == sorted(scorer) and view.reward_gpus() == 1


def test_each_check_is_one_rule_run_in_order(cfg):
    """Every named check passes on the shipped config; cross_reference_errors lists the lines of
    the checks in CHECKS order."""
    validate_config(cfg, SCHEMA)
    assert all(not list(check(cfg)) for check in checks.CHECKS)
    cfg["games"]["sweep"]["stop"] = cfg["games"]["sweep"]["start"]
    cfg["providers"][0]["model"] = "nope"
    lines = checks.cross_reference_errors(cfg)
    assert [line.split(":")[0] for line in lines] == ["providers[0].model", "games.sweep.stop"]
    assert list(checks.sweep_rises(cfg)) == [lines[1]]
