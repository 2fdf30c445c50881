"""Sensitivity atlas: one game solved over a grid of the paper's modelling choices (issue 21).

The paper fixes, per dataset, the worth of accuracy alpha, a 25% margin and the per-token prices
(Section 5, Appendix C). A cell of the atlas rebuilds the market of Section 2 from the same
measurements with

    q(theta) = (a alpha) (b + (1 - b) accuracy(theta)),
    p(theta) = r tokens(theta) price_per_million / 1e6,
    c(theta) = p(theta) / (1 + m),

for a margin m, a multiplier a on alpha and a multiplier r on the per-token prices (so the prices are
observed and the costs inferred from them, as in the paper; a cost held fixed while the margin moves
is the cell (m, r = (1 + m) / (1 + m_paper)) of the same grid), and solves it at each beta exactly as
the game rule does (``ttcgames game --all-equilibria``): the better-response dynamics from the lowest
levels with the provider orders drawn from ``seed`` (Section 3), the exact optimum (the numerator of
Eq. 9), the price of anarchy of the reached equilibrium (Eq. 9), every pure equilibrium (Eq. 6) with
the worst and best welfare among them, and the second-price auction (Section 4, Theorem 5).

At a = r = 1 and the configured margin, a cell's market is the game rule's market bit for bit (the
multipliers multiply the already computed arrays, and x * 1.0 == x), so its numbers are the rule's.

A uniform margin scales every provider's profit p - c = p m / (1 + m) by the same factor, so by Eq. 4
it scales every utility by that factor: the equilibria do not depend on m (up to rounding), only the
welfare (Eq. 5, through c) and hence the optimum and the price of anarchy do. The atlas still solves
every cell on its own numbers.

Spend. ``equilibrium_spend`` = sum_i s_i c_i(theta_i), the generation cost per query the market
pays at the reached equilibrium (abstention costs nothing); ``optimal_spend`` the same at the
welfare optimum. The market *over-spends* at a cell when its spend exceeds the optimum's by more
than a relative 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ttcgames.game.auction import second_price_auction
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import Market, MarketError
from ttcgames.game.optimum import social_optimum
from ttcgames.game.outcomes import profile_outcome
from ttcgames.game.payoffs import gather, profile_shares
from ttcgames.game.shares import is_perfect

__all__ = [
    "AtlasError",
    "AtlasGrid",
    "DEFAULT_GRID",
    "MAX_CELLS",
    "OVERSPEND_RTOL",
    "atlas_columns",
    "atlas_rows",
    "cell_market",
    "spend",
]

MAX_CELLS = 200_000
"""The most cells one atlas may have (a 9 x 6 game solves about 50 cells a second, see benchmarks/README.md)."""

OVERSPEND_RTOL = 1e-9
"""Relative margin by which the equilibrium's spend must exceed the optimum's to count as over-spending."""


class AtlasError(ValueError):
    """A bad atlas grid or a cell the engine refuses; the message names the key or the cell."""


def _axis(values: object, name: str, *, allow_inf: bool = False) -> tuple[float, ...]:
    """A non-empty list of distinct positive numbers (``inf`` or "inf" too where ``allow_inf``)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise AtlasError(f"atlas.{name}: must be a non-empty list of positive numbers, got {values!r}")
    out = []
    for v in values:
        ok_type = isinstance(v, (int, float)) and not isinstance(v, bool)
        x = float(v) if ok_type or (allow_inf and v == "inf") else math.nan
        if not x > 0 or (math.isinf(x) and not allow_inf):
            what = "positive numbers or 'inf'" if allow_inf else "positive finite numbers"
            raise AtlasError(f"atlas.{name}: {v!r} is not allowed (use {what})")
        out.append(x)
    if len(set(out)) != len(out):
        raise AtlasError(f"atlas.{name}: values must be distinct, got {list(values)!r}")
    return tuple(out)


@dataclass(frozen=True)
class AtlasGrid:
    """The four axes of the atlas, each in the order given (see the module docstring)."""

    margins: tuple[float, ...]
    alpha_multipliers: tuple[float, ...]
    price_multipliers: tuple[float, ...]
    betas: tuple[float, ...]

    def __post_init__(self) -> None:
        for name in ("margins", "alpha_multipliers", "price_multipliers"):
            object.__setattr__(self, name, _axis(getattr(self, name), name))
        object.__setattr__(self, "betas", _axis(self.betas, "betas", allow_inf=True))
        if self.size > MAX_CELLS:
            raise AtlasError(
                f"atlas: {self.size:,} cells (margins x alpha_multipliers x price_multipliers x betas) is more than the {MAX_CELLS:,} allowed"
            )

    @property
    def size(self) -> int:
        return len(self.margins) * len(self.alpha_multipliers) * len(self.price_multipliers) * len(self.betas)

    @classmethod
    def from_config(cls, block: Mapping[str, object] | None) -> AtlasGrid:
        """The grid of the config's ``atlas:`` block; a missing key takes :data:`DEFAULT_GRID`'s axis."""
        block = dict(block or {})
        unknown = sorted(set(block) - set(DEFAULT_AXES))
        if unknown:
            raise AtlasError(f"atlas: unknown key(s) {unknown}; known: {list(DEFAULT_AXES)}")
        return cls(**{k: block.get(k, v) for k, v in DEFAULT_AXES.items()})


DEFAULT_AXES: dict[str, tuple] = {
    "margins": (0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0),
    "alpha_multipliers": (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0),
    "price_multipliers": (0.5, 1.0, 2.0),
    "betas": (200.0, 1000.0, 100000.0, math.inf),
}
DEFAULT_GRID = AtlasGrid(**DEFAULT_AXES)


def cell_market(base: Market, margin: float, alpha_multiplier: float, price_multiplier: float) -> Market:
    """The market of one cell from ``base`` (the game's market at any margin): quality x a, price x r,
    cost = price / (1 + margin). With a = r = 1 and base's own margin every array is base's, bit for bit."""
    price = base.price * price_multiplier
    try:
        return Market(
            providers=base.providers,
            thetas=base.thetas,
            quality=base.quality * alpha_multiplier,
            price=price,
            cost=price / (1.0 + margin),
            v0=base.v0,
        )
    except MarketError as exc:
        raise AtlasError(f"cell margin={margin:g}, alpha x {alpha_multiplier:g}, prices x {price_multiplier:g}: {exc}") from None


def spend(market: Market, profile: np.ndarray, beta: float) -> float:
    """sum_i s_i c_i(theta_i): the generation cost per query at ``profile`` (abstention spends nothing)."""
    s = profile_shares(market, profile, beta)[1:]
    return float(s @ gather(market.cost, profile))


def atlas_columns(providers: Sequence[str]) -> list[str]:
    """The CSV's columns: the cell, its outcomes, then one equilibrium and one optimum theta per provider."""
    return [*_CELL_COLUMNS, *(f"theta:{p}" for p in providers), *(f"optimal_theta:{p}" for p in providers)]


_CELL_COLUMNS = (
    "margin",
    "alpha_multiplier",
    "price_multiplier",
    "beta",
    "equilibrium_welfare",
    "optimal_welfare",
    "price_of_anarchy",
    "iterations",
    "user_value",
    "price",
    "provider_utility",
    "abstention_share",
    "equilibrium_spend",
    "optimal_spend",
    "overspend",
    "equilibria",
    "worst_equilibrium_welfare",
    "best_equilibrium_welfare",
    "worst_price_of_anarchy",
    "price_of_stability",
    "auction_winner",
    "auction_user_value",
    "auction_price",
    "auction_utility",
    "auction_welfare",
)


def _ratio(num: float, den: float) -> float | None:
    """Eq. 9's max W / W, or None where the denominator is not positive (as the game's JSON writes it)."""
    return num / den if den > 0 else None


def _game_cells(market: Market, beta: float, seed: int) -> dict:
    """The game columns of one cell at one beta (the game rule's computations, module docstring)."""
    traj = better_response_dynamics(market, beta, rng=np.random.default_rng(seed))
    if not traj.converged:
        raise AtlasError(f"beta={beta:g}: the better-response dynamics did not converge")
    eq = traj.final
    out = profile_outcome(market, eq, beta)
    opt = social_optimum(market, beta)
    eqs = enumerate_equilibria(market, beta)
    eq_spend, opt_spend = spend(market, eq, beta), spend(market, opt.profile, beta)
    row = {
        "beta": "inf" if is_perfect(beta) else beta,
        "equilibrium_welfare": out.welfare,
        "optimal_welfare": opt.welfare,
        "price_of_anarchy": _ratio(opt.welfare, out.welfare),
        "iterations": traj.iterations,
        "user_value": out.user_value,
        "price": out.price,
        "provider_utility": out.provider_utility,
        "abstention_share": out.abstention,
        "equilibrium_spend": eq_spend,
        "optimal_spend": opt_spend,
        "overspend": bool(eq_spend > opt_spend + OVERSPEND_RTOL * abs(opt_spend)),
        "equilibria": eqs.count,
        "worst_equilibrium_welfare": eqs.worst_welfare if eqs.count else None,
        "best_equilibrium_welfare": eqs.best_welfare if eqs.count else None,
        "worst_price_of_anarchy": _ratio(opt.welfare, eqs.worst_welfare) if eqs.count else None,
        "price_of_stability": _ratio(opt.welfare, eqs.best_welfare) if eqs.count else None,
    }
    row.update({f"theta:{p}": t for p, t in market.theta_of(eq).items()})
    row.update({f"optimal_theta:{p}": t for p, t in market.theta_of(opt.profile).items()})
    return row


def _auction_cells(market: Market) -> dict:
    out = second_price_auction(market)
    return {
        "auction_winner": market.providers[out.winner] if out.winner is not None else "",
        "auction_user_value": out.user_value,
        "auction_price": out.payment,
        "auction_utility": out.winner_utility,
        "auction_welfare": out.welfare,
    }


def atlas_rows(base: Market, grid: AtlasGrid = DEFAULT_GRID, *, seed: int = 0) -> Iterator[dict]:
    """One row per cell (margin, alpha multiplier, price multiplier, beta), in that nesting order
    (beta fastest), with the columns of :func:`atlas_columns`. ``seed`` seeds every cell's dynamics as
    the game rule seeds each beta's. A cell the engine refuses raises :class:`AtlasError` naming it."""
    for m in grid.margins:
        for a in grid.alpha_multipliers:
            for r in grid.price_multipliers:
                market = cell_market(base, m, a, r)
                auction = _auction_cells(market)
                for beta in grid.betas:
                    where = f"cell margin={m:g}, alpha x {a:g}, prices x {r:g}, beta={beta:g}"
                    try:
                        market.check_beta(beta)
                        game = _game_cells(market, beta, seed)
                    except ValueError as exc:
                        raise AtlasError(f"{where}: {exc}") from None
                    yield {"margin": m, "alpha_multiplier": a, "price_multiplier": r, **game, **auction}
