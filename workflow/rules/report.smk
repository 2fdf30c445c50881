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
        beta=CFG.table_beta,
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


# The per-game figures: one rule, its `kind` wildcard one of FIGURE_KINDS (inputs, report category
# and params of each kind: FIGURES in common.smk); workflow/report/figure.rst holds each kind's caption.
rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report(
            figure_path("{kind}", "{dataset}", "{method}", "png"),
            caption="../report/figure.rst",
            category=figure_category,
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}"},
        ),
        pdf=figure_path("{kind}", "{dataset}", "{method}", "pdf"),
    log:
        log_path("figure_{kind}", "{dataset}/{method}"),
    wildcard_constraints:
        kind=wildcard_regex(FIGURE_KINDS),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        providers=figure_param("providers"),
        market=figure_param("market"),
        beta=figure_param("beta"),
    script:
        "../scripts/figure_{wildcards.kind}.py"


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
