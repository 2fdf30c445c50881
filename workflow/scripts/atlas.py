"""Atlas stage: one game's market re-solved on the config's atlas grid (ttcgames.game.atlas)."""

from common import start

log = start(snakemake)  # noqa: F821 (snakemake is injected by the script directive)

from ttcgames.game.atlas import AtlasGrid, atlas_columns, atlas_rows  # noqa: E402
from ttcgames.game.market import read_market_csv  # noqa: E402
from ttcgames.io.csv_file import write_csv  # noqa: E402

market = snakemake.params.market
grid = AtlasGrid.from_config(snakemake.params.grid)
base = read_market_csv(
    snakemake.input.market,
    alpha=float(market["alpha"]),
    baseline=float(market["baseline"]),
    margin=float(market["margin"]),
    v0=float(market["v0"]),
)
log.info(
    "%d cells: %d margins x %d alpha multipliers x %d price multipliers x %d betas",
    grid.size,
    len(grid.margins),
    len(grid.alpha_multipliers),
    len(grid.price_multipliers),
    len(grid.betas),
)
write_csv(snakemake.output.csv, atlas_rows(base, grid, seed=snakemake.params.seed), atlas_columns(base.providers))
log.info("wrote %s", snakemake.output.csv)
