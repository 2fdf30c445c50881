# Stage 6: one market per dataset and method: every provider's accuracy, tokens and price per theta
# (results/markets/{dataset}/{method}.csv).


rule market:
    input:
        curves=market_curves,
    output:
        csv=market_path("{dataset}", "{method}"),
    log:
        log_path("market", "{dataset}/{method}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        providers=market_providers,
        prices=market_prices,
    script:
        "../scripts/market.py"
