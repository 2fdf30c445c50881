# Stage 1: the questions of each dataset (results/data/{dataset}.jsonl). A local rule: on a cluster
# it runs on the login node, which reaches the dataset hub (compute nodes often cannot).


localrules:
    prepare_data,


rule prepare_data:
    output:
        jsonl=data_path("{dataset}"),
    log:
        log_path("prepare_data", "{dataset}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        dataset=dataset_spec,
        seed=config["seed"],
    script:
        "../scripts/prepare_data.py"
