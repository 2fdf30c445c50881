# ttc-games: from LLM generations to test-time compute games (Velasco et al.).
# Thin entry point: the config is validated in common.smk, the stages live in workflow/rules/.
# Usage: snakemake --cores 2 (see docs/workflow.md); profiles/default/config.yaml is picked up automatically.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


# Samples come from the models (generate) or from the authors' released traces (source: traces).
if CFG.uses_traces:

    include: "workflow/rules/traces.smk"

else:

    include: "workflow/rules/downloads.smk"
    include: "workflow/rules/data.smk"
    include: "workflow/rules/generation.smk"
    include: "workflow/rules/grading.smk"
    include: "workflow/rules/rewards.smk"


include: "workflow/rules/curves.smk"
include: "workflow/rules/markets.smk"
include: "workflow/rules/game.smk"
include: "workflow/rules/uncertainty.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/segments.smk"
include: "workflow/rules/atlas.smk"


rule all:
    default_target: True
    input:
        targets("all"),
        SEGMENT_TARGETS,  # heterogeneous users, only when market.segments is set


# Named partial targets: rerun the pipeline up to one stage.
rule generate_only:
    input:
        targets("generate"),


rule uncertainty_only:
    input:
        targets("uncertainty"),


rule curves_only:
    input:
        targets("curves"),


rule markets_only:
    input:
        targets("markets"),


rule games_only:
    input:
        targets("games"),


rule figures_only:
    input:
        targets("figures"),


rule tables_only:
    input:
        targets("tables"),


# The sensitivity atlas of every game (workflow/rules/atlas.smk, docs/extensions.md); not part of `all`.
rule atlas_only:
    input:
        ATLAS_TARGETS,


# Jobs of seconds (markets, figures, tables) and the named targets run on the submitting machine,
# never as cluster jobs (an sbatch job each would wait in the queue for a 60-minute, 4 GB slot).
localrules:
    all,
    generate_only,
    curves_only,
    markets_only,
    games_only,
    uncertainty_only,
    figures_only,
    tables_only,
    segments_only,
    atlas_only,
    market,
    table2,
    table2_render,
    figure,
    figure_overview,
