# Stage 4: a reward per sample for best-of-n (results/rewards/{dataset}/{provider}.csv), only for
# providers in the bon game. Two rules write the same path and the config picks one (as generate /
# generate_vllm do): mean-logprob reads the generations on a CPU (score_rewards, seconds, no GPU
# anywhere); armorm runs the paper's reward model on a GPU (score_rewards_gpu, the rule the cluster
# profile sizes for an 8B model). Shards in {provider}.shards/ next to the output make both resumable.

# The providers each rule scores: every provider for the rule the config's reward kind selects, none
# for the other (a never-matching wildcard constraint).
REWARD_PROVIDERS_CPU = [] if CFG.reward_gpus() else PROVIDERS
REWARD_PROVIDERS_GPU = PROVIDERS if CFG.reward_gpus() else []


rule score_rewards:
    input:
        data=data_path("{dataset}"),
        generations=generations_path("{dataset}", "{provider}"),
    output:
        csv=rewards_path("{dataset}", "{provider}"),
    log:
        log_path("score_rewards", "{dataset}/{provider}"),
    benchmark:
        benchmark_path("score_rewards", "{dataset}/{provider}")
    wildcard_constraints:
        provider=wildcard_regex(REWARD_PROVIDERS_CPU),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        scorer=CFG.reward_scorer(),
        shard_dir=lambda wildcards: f"{RESULTS}/rewards/{wildcards.dataset}/{wildcards.provider}.shards",
        shard_size=config["rewards"]["shard_size"],
    script:
        "../scripts/score_rewards.py"


# The same job with the reward model: inherits script and params from score_rewards.
use rule score_rewards as score_rewards_gpu with:
    input:
        data=data_path("{dataset}"),
        generations=generations_path("{dataset}", "{provider}"),
        download=REWARD_MODEL_MARKER,
    output:
        # ArmoRM scoring takes GPU hours: write-protected once written, like the generations
        csv=protected(rewards_path("{dataset}", "{provider}")),
    log:
        log_path("score_rewards_gpu", "{dataset}/{provider}"),
    benchmark:
        benchmark_path("score_rewards_gpu", "{dataset}/{provider}")
    wildcard_constraints:
        provider=wildcard_regex(REWARD_PROVIDERS_GPU),
    conda:
        "../../envs/vllm.yaml"
    resources:
        mem_mb=32000,
        gpu=1,
