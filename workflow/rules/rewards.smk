# Stage 4: a reward per sample for best-of-n (results/rewards/{dataset}/{provider}.csv).


rule score_rewards:
    input:
        data=data_path("{dataset}"),
        generations=generations_path("{dataset}", "{provider}"),
    output:
        csv=rewards_path("{dataset}", "{provider}"),
    log:
        log_path("score_rewards", "{dataset}/{provider}"),
    conda:
        "../../envs/analysis.yaml"
    params:
        rewards=config["rewards"],
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/score_rewards.py"
