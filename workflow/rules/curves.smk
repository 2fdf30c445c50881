# Stage 5: expected accuracy and tokens per compute level theta, with bands
# (results/curves/{dataset}/{method}/{provider}.csv).


rule curve:
    input:
        unpack(curve_inputs),
    output:
        csv=curve_path("{dataset}", "{method}", "{provider}"),
    log:
        log_path("curve", "{dataset}/{method}/{provider}"),
    benchmark:
        benchmark_path("curve", "{dataset}/{method}/{provider}")
    conda:
        "../../envs/analysis.yaml"
    wildcard_constraints:
        method="majority|bon",
    params:
        thetas=ttc.thetas(config),
        estimator=config["curves"]["estimator"],
        subsamples=config["curves"]["subsamples"],
        vote_correct=config["curves"]["vote_correct"],
        n_boot=config["curves"]["n_boot"],
        ci=config["curves"]["ci"],
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../scripts/curve.py"
