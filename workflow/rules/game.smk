# Stage 7: the games. Per dataset and method: every pure equilibrium, better-response dynamics, social optimum
# and the auction at each configured beta (JSON + trajectory CSV), and the log-spaced beta sweep.


rule game:
    input:
        market=market_path("{dataset}", "{method}"),
    output:
        json=game_path("{dataset}", "{method}", "json"),
        trajectory=game_path("{dataset}", "{method}", "trajectory.csv"),
    log:
        log_path("game", "{dataset}/{method}"),
    benchmark:
        benchmark_path("game", "{dataset}/{method}")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        market=market_params,
        betas=CFG.betas(),
        seed=config["seed"],
    script:
        "../scripts/game.py"


rule sweep:
    input:
        market=market_path("{dataset}", "{method}"),
    output:
        csv=game_path("{dataset}", "{method}", "sweep.csv"),
    log:
        log_path("sweep", "{dataset}/{method}"),
    benchmark:
        benchmark_path("sweep", "{dataset}/{method}")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        market=market_params,
        sweep=config["games"]["sweep"],
        seed=config["seed"],
    script:
        "../scripts/sweep.py"
