# Stage 7b: the paired bootstrap over questions, per dataset and method (ttcgames.uncertainty.paired).
# Each replicate draws the dataset's questions with replacement (the same draw for every provider),
# rebuilds every curve from the per-question files, the market, the equilibrium, the optimum and the
# auction: intervals for every Table 2 quantity, the frequency of each equilibrium profile and
# auction winner, and a band around the beta sweep. Its figure is the kind `uncertainty` of the rule
# `figure` (report.smk).


rule uncertainty:
    input:
        questions=market_question_curves,
    output:
        replicates=uncertainty_path("{dataset}", "{method}", "replicates.csv"),
        summary=uncertainty_path("{dataset}", "{method}", "summary.json"),
        sweep=uncertainty_path("{dataset}", "{method}", "sweep.csv"),
    log:
        log_path("uncertainty", "{dataset}/{method}"),
    benchmark:
        benchmark_path("uncertainty", "{dataset}/{method}")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        providers=market_providers,
        prices=market_prices,
        market=market_params,
        beta=config["games"]["table_beta"],
        settings=config["uncertainty"],
        sweep=config["games"]["sweep"],
        seed=config["seed"],
    script:
        "../scripts/uncertainty.py"
