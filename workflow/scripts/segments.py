"""Heterogeneous users: the mixture of market.segments on one game's market, at every games.betas.

Writes results/games/{dataset}/{method}.segments.json: the document that `ttcgames game --segments`
puts in its JSON's `segments` section (ttcgames.game.segments.analyse_segments), with the segments'
alpha_scale applied to the dataset's alpha.
"""

import json

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.game import beta as beta_codec  # noqa: E402
from ttcgames.game.segments import analyse_segments, segment_markets_from_csv, segments_from_config  # noqa: E402
from ttcgames.io.atomic import atomic_write_text  # noqa: E402

market = snakemake.params.market
segments = segments_from_config(snakemake.params.segments)
markets = segment_markets_from_csv(
    snakemake.input.market, segments, alpha=market["alpha"], baseline=market["baseline"], margin=market["margin"], v0=market["v0"]
)
betas = [beta_codec.parse(b, "games.betas") for b in snakemake.params.betas]
log.info("%d segments, betas %s", len(segments), [beta_codec.text(b) for b in betas])
doc = analyse_segments(markets, segments, betas, alpha=market["alpha"], seed=snakemake.params.seed, parameters=dict(market))
atomic_write_text(snakemake.output.json, json.dumps(doc, indent=2, allow_nan=False) + "\n")
