# Stage 3: extract and check each sample's answer (results/grades/{dataset}/{provider}.csv).


rule grade:
    input:
        data=data_path("{dataset}"),
        generations=generations_path("{dataset}", "{provider}"),
    output:
        csv=grades_path("{dataset}", "{provider}"),
    log:
        log_path("grade", "{dataset}/{provider}"),
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        kind=lambda wildcards: CFG.dataset(wildcards.dataset).grading,
    script:
        "../scripts/grade.py"
