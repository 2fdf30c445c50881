# Stage 2: n samples per question for each provider (results/generations/{dataset}/{provider}.jsonl).
# Two rules write the same path; the provider wildcard picks the one matching the model's engine:
# transformers runs on CPU threads, vllm requests a GPU (cap with --resources gpu=N).
# Shards (the resume state) live next to the output in {provider}.shards/ and survive a failed job.
# Hub models are fetched by the download stage first (downloads.smk); the jobs then run offline.
# A vllm job claims its own GPU (ttcgames.generation.gpu: CUDA_VISIBLE_DEVICES from lock-file slots on a
# multi-GPU machine) and checks the driver before vLLM loads.


rule prepare_model:
    output:
        directory(model_dir("{model}")),
    log:
        log_path("prepare_model", "{model}"),
    conda:
        "../../envs/generation-cpu.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        model=lambda wildcards: CFG.models[wildcards.model].spec(),
    script:
        "../scripts/prepare_model.py"


rule generate:
    input:
        data=data_path("{dataset}"),
        model=model_input,
        download=model_download,
    output:
        jsonl=generations_path("{dataset}", "{provider}"),
    log:
        log_path("generate", "{dataset}/{provider}"),
    benchmark:
        benchmark_path("generate", "{dataset}/{provider}")
    wildcard_constraints:
        provider=wildcard_regex(CPU_PROVIDERS),
    conda:
        "../../envs/generation-cpu.yaml"
    threads: config["generation"]["threads"]
    resources:
        mem_mb=4000,
    params:
        provider=provider_recipe,
        model=model_spec,
        model_cache=lambda wildcards: model_dir(provider_model(wildcards)),
        shard_dir=lambda wildcards: shards_dir(wildcards.dataset, wildcards.provider),
        generation=CFG.generation_settings(),
        seed=config["seed"],
        gpu_memory_fraction=0.0,
    script:
        "../scripts/generate.py"


rule generate_vllm:
    input:
        data=data_path("{dataset}"),
        model=model_input,
        download=model_download,
    output:
        # hours of GPU time: write-protected once written (delete it with `chmod u+w` + `rm` to redo)
        jsonl=protected(generations_path("{dataset}", "{provider}")),
    log:
        log_path("generate_vllm", "{dataset}/{provider}"),
    benchmark:
        benchmark_path("generate_vllm", "{dataset}/{provider}")
    wildcard_constraints:
        provider=wildcard_regex(GPU_PROVIDERS),
    conda:
        "../../envs/vllm.yaml"
    threads: 4
    resources:
        gpu=lambda wildcards: CFG.gpus_per_job(wildcards.provider),
        mem_mb=32000,
        gpu_mem_mb=config["generation"]["gpu_mem_mb"],
    params:
        provider=provider_recipe,
        model=model_spec,
        model_cache=lambda wildcards: model_dir(provider_model(wildcards)),
        shard_dir=lambda wildcards: shards_dir(wildcards.dataset, wildcards.provider),
        generation=CFG.generation_settings(),
        seed=config["seed"],
        # vLLM reserves this share of the GPU and refuses to start with less free (preflight)
        gpu_memory_fraction=lambda wildcards: gpu_memory_fraction(wildcards),
    script:
        "../scripts/generate.py"
