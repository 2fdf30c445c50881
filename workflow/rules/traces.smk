# Trace reproduction (docs/traces.md): with `source: traces` the authors' released traces replace
# the generation, grading and reward rules; curves (with the estimator keys), markets and games are
# the shared rules; the comparison with the published numbers ends the run. Included by the
# Snakefile when config["source"] == "traces" (in place of generation.smk, grading.smk and
# rewards.smk). Its config keys are validated and its path helpers defined in common.smk.


rule import_traces:
    output:
        generations=generations_path("{dataset}", "{provider}"),
        grades=grades_path("{dataset}", "{provider}"),
        rewards=rewards_path("{dataset}", "{provider}"),
        report=trace_report_path("{dataset}", "{provider}"),
    log:
        log_path("import_traces", "{dataset}/{provider}"),
    benchmark:
        benchmark_path("import_traces", "{dataset}/{provider}")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        settings=lambda wildcards: ttc_traces.import_settings(CFG, wildcards.dataset, wildcards.provider),
    script:
        "../scripts/import_traces.py"


rule trace_import_summary:
    input:
        reports=[trace_report_path(d, p) for d in DATASETS for p in PROVIDERS],
    output:
        csv=f"{RESULTS}/traces/import_summary.csv",
    log:
        log_path("trace_import_summary", "all"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    script:
        "../scripts/trace_import_summary.py"


rule compare_published:
    input:
        published=config["traces"]["published"],
        games=expand(game_path("{dataset}", "{method}", "json"), dataset=DATASETS, method=METHODS),
        summaries=expand(uncertainty_path("{dataset}", "{method}", "summary.json"), dataset=DATASETS, method=METHODS),
    output:
        csv=report(compare_path("csv"), caption="../report/compare.rst", category="Reproduction vs paper"),
        md=compare_path("md"),
    log:
        log_path("compare_published", "all"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        game_keys=[f"{d}/{m}" for d in DATASETS for m in METHODS],
        models=CFG.section("traces")["models"],
    script:
        "../scripts/compare_published.py"


rule traces_only:
    input:
        trace_targets(),
