# Heterogeneous users (market.segments; ttcgames.game.segments, docs/extensions.md): per game, the mixture
# of user segments at every games.betas, written next to the game's JSON. Only when market.segments is
# set: unset, no job and no file is added and every other artifact is unchanged.


# The segments JSON of every game when market.segments is set, else nothing (rule all and segments_only).
SEGMENT_TARGETS = (
    [game_path(d, m, "segments.json") for d in DATASETS for m in METHODS] if config["market"].get("segments") else []
)


rule segments:
    input:
        market=market_path("{dataset}", "{method}"),
    output:
        json=game_path("{dataset}", "{method}", "segments.json"),
    log:
        log_path("segments", "{dataset}/{method}"),
    benchmark:
        benchmark_path("segments", "{dataset}/{method}")
    conda:
        "../../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        market=market_params,
        segments=config["market"].get("segments") or [],
        betas=config["games"]["betas"],
        seed=config["seed"],
    script:
        "../scripts/segments.py"


rule segments_only:
    input:
        SEGMENT_TARGETS,
