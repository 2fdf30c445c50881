# Stage 0 (GPU runs): fetch every hub model and the reward model once, on the login node.
# `snakemake download_only` runs these as local rules (they need the internet; compute nodes often
# have none); each writes a marker results/downloads/... that the generation and reward jobs take
# as input, so those jobs start only after the download and run with HF_HUB_OFFLINE=1
# (ttcgames.data.downloads). HF_HOME must be on a file system the compute nodes see (docs/gpu.md).


localrules:
    download_model,
    download_reward_model,
    download_only,


rule download_model:
    output:
        marker=download_marker("{hub_model}"),
    log:
        log_path("download_model", "{hub_model}"),
    wildcard_constraints:
        hub_model=wildcard_regex(HUB_MODELS),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        repo=lambda wildcards: config["models"][wildcards.hub_model]["repo"],
        revision=None,
    script:
        "../scripts/download.py"


rule download_reward_model:
    output:
        marker=REWARD_MODEL_MARKER,
    log:
        log_path("download_reward_model", "armorm"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    params:
        repo=CFG.reward_scorer().get("repo", ARMORM_REPO),
        revision=CFG.reward_scorer().get("revision"),
    script:
        "../scripts/download.py"


# Everything a GPU run fetches from the hub: the models, the reward model and the datasets
# (prepare_data, itself a local rule, loads them).
rule download_only:
    input:
        [download_marker(m) for m in HUB_MODELS],
        [REWARD_MODEL_MARKER] if CFG.reward_gpus() else [],
        [data_path(d) for d in DATASETS],
