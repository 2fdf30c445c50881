# Extension (issue 21, docs/extensions.md): the sensitivity atlas. Per dataset and method, the game re-solved
# on the config's grid margin x alpha multiplier x price multiplier x beta (results/atlas/{dataset}/{method}.csv),
# and its heat maps: price of anarchy and over-spending (results/atlas/{dataset}/{method}.{poa,spend}.{png,pdf}).
# Named target: atlas_only (Snakefile); not part of `all`.


# Every game's atlas CSV and heat maps (the target atlas_only).
ATLAS_DIR = f"{RESULTS}/atlas"
ATLAS_TARGETS = [
    f"{ATLAS_DIR}/{d}/{m}.{s}" for d, m in GAMES for s in ("csv", "poa.png", "poa.pdf", "spend.png", "spend.pdf")
]


localrules:
    figure_atlas,


rule atlas:
    input:
        market=market_path("{dataset}", "{method}"),
    output:
        csv=f"{ATLAS_DIR}/{{dataset}}/{{method}}.csv",
    log:
        log_path("atlas", "{dataset}/{method}"),
    benchmark:
        benchmark_path("atlas", "{dataset}/{method}")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        market=market_params,
        grid=config["atlas"],
        seed=config["seed"],
    script:
        "../scripts/atlas.py"


rule figure_atlas:
    input:
        csv=f"{ATLAS_DIR}/{{dataset}}/{{method}}.csv",
    output:
        poa_png=report(
            f"{ATLAS_DIR}/{{dataset}}/{{method}}.poa.png",
            caption="../report/atlas.rst",
            category="Sensitivity atlas",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}", "figure": "price of anarchy"},
        ),
        poa_pdf=f"{ATLAS_DIR}/{{dataset}}/{{method}}.poa.pdf",
        spend_png=report(
            f"{ATLAS_DIR}/{{dataset}}/{{method}}.spend.png",
            caption="../report/atlas.rst",
            category="Sensitivity atlas",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "method": "{method}", "figure": "over-spending"},
        ),
        spend_pdf=f"{ATLAS_DIR}/{{dataset}}/{{method}}.spend.pdf",
    log:
        log_path("figure_atlas", "{dataset}/{method}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        market=market_params,
    script:
        "../scripts/atlas_figures.py"
