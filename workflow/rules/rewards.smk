# Stage 4: a reward per sample for best-of-n (results/rewards/{dataset}/{provider}.csv), only for
# providers in the bon game. mean-logprob reads the generations (CPU); armorm runs the paper's
# reward model and requests a GPU. Shards in {provider}.shards/ next to the output make it resumable.


rule score_rewards:
    input:
        data=data_path("{dataset}"),
        generations=generations_path("{dataset}", "{provider}"),
        download=reward_download,
    output:
        # ArmoRM scoring takes GPU hours: write-protected once written, like the generations
        csv=(
            protected(rewards_path("{dataset}", "{provider}"))
            if ttc.reward_gpus(config)
            else rewards_path("{dataset}", "{provider}")
        ),
    log:
        log_path("score_rewards", "{dataset}/{provider}"),
    benchmark:
        benchmark_path("score_rewards", "{dataset}/{provider}")
    conda:
        "../../envs/analysis.yaml" if ttc.reward_gpus(config) == 0 else "../../envs/vllm.yaml"
    threads: 1
    resources:
        mem_mb=1000 if ttc.reward_gpus(config) == 0 else 32000,
        gpu=ttc.reward_gpus(config),
    params:
        scorer=ttc.reward_scorer(config),
        shard_dir=lambda wildcards: f"{RESULTS}/rewards/{wildcards.dataset}/{wildcards.provider}.shards",
        shard_size=config["rewards"]["shard_size"],
    script:
        "../scripts/score_rewards.py"
