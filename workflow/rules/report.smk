# Stage 8: Table 2 and the figures, registered for `snakemake --report report.html`.


rule table2:
    input:
        games=expand(game_path("{dataset}", "{method}", "json"), dataset=DATASETS, method=TABLE_METHODS),
        summaries=expand(
            uncertainty_path("{dataset}", "{method}", "summary.json"), dataset=DATASETS, method=TABLE_METHODS
        ),
    output:
        csv=report(
            table_path("csv"),
            caption="../report/table2.rst",
            category="Table 2",
            labels={"table": "Table 2", "format": "csv"},
        ),
    log:
        log_path("table2", "csv"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        datasets=DATASETS,
        methods=TABLE_METHODS,
        beta=ttc.beta_label(config["games"]["table_beta"]),
        scale=config["tables"]["scale"],
    script:
        "../scripts/table2.py"


rule table2_render:
    input:
        csv=table_path("csv"),
    output:
        table=report(
            table_path("{fmt}"),
            caption="../report/table2.rst",
            category="Table 2",
            labels={"table": "Table 2", "format": "{fmt}"},
        ),
    log:
        log_path("table2_render", "{fmt}"),
    wildcard_constraints:
        fmt="md|tex",
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/table2_render.py"


rule figure_values:
    input:
        market=market_path("{dataset}", "{method}"),
    output:
        png=report(
            figure_path("values", "{dataset}", "{method}", "png"),
            caption="../report/values.rst",
            category="Figure 1: user values",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}"},
        ),
        pdf=figure_path("values", "{dataset}", "{method}", "pdf"),
    log:
        log_path("figure_values", "{dataset}/{method}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        market=market_params,
        providers=market_providers,
    script:
        "../scripts/figure_values.py"


rule figure_dynamics:
    input:
        trajectory=game_path("{dataset}", "{method}", "trajectory.csv"),
    output:
        png=report(
            figure_path("dynamics", "{dataset}", "{method}", "png"),
            caption="../report/dynamics.rst",
            category="Figure 2: dynamics",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}"},
        ),
        pdf=figure_path("dynamics", "{dataset}", "{method}", "pdf"),
    log:
        log_path("figure_dynamics", "{dataset}/{method}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        beta=ttc.beta_label(config["games"]["figure_beta"]),
        providers=market_providers,
    script:
        "../scripts/figure_dynamics.py"


rule figure_curves:
    input:
        curves=market_curves,
    output:
        png=report(
            figure_path("curves", "{dataset}", "{method}", "png"),
            caption="../report/curves.rst",
            category="Accuracy and token curves",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}"},
        ),
        pdf=figure_path("curves", "{dataset}", "{method}", "pdf"),
    log:
        log_path("figure_curves", "{dataset}/{method}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        providers=market_providers,
    script:
        "../scripts/figure_curves.py"


rule figure_inefficiency:
    input:
        sweep=game_path("{dataset}", "{method}", "sweep.csv"),
    output:
        png=report(
            figure_path("inefficiency", "{dataset}", "{method}", "png"),
            caption="../report/inefficiency.rst",
            category="Inefficiency vs beta",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}"},
        ),
        pdf=figure_path("inefficiency", "{dataset}", "{method}", "pdf"),
    log:
        log_path("figure_inefficiency", "{dataset}/{method}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/figure_inefficiency.py"


rule figure_overview:
    input:
        sweeps=[game_path(d, m, "sweep.csv") for d, m in GAMES],
    output:
        png=report(
            overview_path("png"),
            caption="../report/overview.rst",
            category="Overview",
            labels={"figure": "every game: inefficiency vs beta"},
        ),
        pdf=overview_path("pdf"),
    log:
        log_path("figure_overview", "overview"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        games=GAMES,
    script:
        "../scripts/figure_overview.py"
