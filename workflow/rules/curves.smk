# Stage 5: expected accuracy and tokens per compute level theta, with bands
# (results/curves/{dataset}/{method}/{provider}.csv), and what each question contributes
# ({provider}.questions.csv, read by the uncertainty stage). Majority vote and best-of-n subsample a
# provider's samples (theta = samples per query); the reasoning method bins the samples by their
# reasoning tokens (theta = bin index, ttcgames.curves.reasoning).


rule curve:
    input:
        unpack(curve_inputs),
    output:
        csv=curve_path("{dataset}", "{method}", "{provider}"),
        questions=question_curve_path("{dataset}", "{method}", "{provider}"),
    log:
        log_path("curve", "{dataset}/{method}/{provider}"),
    benchmark:
        benchmark_path("curve", "{dataset}/{method}/{provider}")
    wildcard_constraints:
        method="majority|bon",
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        thetas=list(CFG.thetas),
        estimator=config["curves"]["estimator"],
        subsamples=config["curves"]["subsamples"],
        vote_correct=config["curves"]["vote_correct"],
        reward_dtype=config["curves"]["reward_dtype"],
        n_boot=config["curves"]["n_boot"],
        ci=config["curves"]["ci"],
        seed=config["seed"],
    script:
        "../scripts/curve.py"


rule reasoning_curve:
    input:
        generations=generations_path("{dataset}", "{provider}"),
        grades=grades_path("{dataset}", "{provider}"),
    output:
        csv=curve_path("{dataset}", "{method}", "{provider}"),
        questions=question_curve_path("{dataset}", "{method}", "{provider}"),
    log:
        log_path("reasoning_curve", "{dataset}/{method}/{provider}"),
    benchmark:
        benchmark_path("reasoning_curve", "{dataset}/{method}/{provider}")
    wildcard_constraints:
        method="reasoning",
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        reasoning=config["reasoning"],
        ci=config["curves"]["ci"],
        seed=config["seed"],
    script:
        "../scripts/reasoning_curve.py"
