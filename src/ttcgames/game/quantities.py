"""The one registry of the quantities the project reports about a market at one beta.

Every number of Table 2 (paper, Section 5), of the uncertainty summary, of the comparison with the
published numbers and of the figures is one :class:`Quantity` here, with

- ``name``: its one name. It is the key of the uncertainty files (replicate CSV columns, summary
  JSON ``quantities``/``frequencies``) and of the published numbers (``config/published.yaml``);
- ``label``: Table 2's row label (the game's and the auction's quantity of the same kind share it);
- ``unit``: its kind (:data:`MONEY`, :data:`RATIO`, :data:`COUNT`, :data:`SHARE`, :data:`PERCENT`,
  :data:`PROVIDER`, :data:`PROFILE`); money is in dollars per query in every file;
- ``section`` and ``json_key``: where the games JSON (``ttcgames game --json``) holds it:
  ``section`` is ``"equilibrium"``, ``"optimum"`` or ``"equilibria"`` (objects of a ``games[]``
  entry), ``"game"`` (the entry itself) or ``"auction"`` (the document's ``auction``);
  ``DERIVED`` (json_key None) for numbers the readers compute from others (``derived_from``);
- ``uncertainty_key``: its key in the uncertainty files, None where the bootstrap does not carry it;
- ``published_key``: its key in a ``notebook_auctions`` row of ``config/published.yaml`` when it
  differs from ``name`` (the file drops the ``auction_`` prefix).

The game's quantities follow Eq. 3-5 and 9 at the reached equilibrium; the auction's Section 4,
Eq. 10-13. The registry holds today's file keys: no artifact format depends on the Python names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MONEY",
    "RATIO",
    "COUNT",
    "SHARE",
    "PERCENT",
    "PROVIDER",
    "PROFILE",
    "GAME",
    "AUCTION",
    "DERIVED",
    "Quantity",
    "QUANTITIES",
    "BY_NAME",
    "quantity",
    "NUMERIC_UNCERTAINTY",
    "LABEL_UNCERTAINTY",
    "TABLE2_GAME",
    "TABLE2_AUCTION",
    "by_label",
    "money_unit",
]

MONEY, RATIO, COUNT, SHARE, PERCENT, PROVIDER, PROFILE = "money", "ratio", "count", "share", "percent", "provider", "profile"
NUMERIC_UNITS = (MONEY, RATIO, COUNT, SHARE, PERCENT)
GAME, AUCTION = "game", "auction"
DERIVED = "derived"


@dataclass(frozen=True)
class Quantity:
    """One reported quantity (module docstring)."""

    name: str
    label: str
    unit: str
    mechanism: str
    section: str
    json_key: str | None
    uncertainty_key: str | None = None
    published_key: str | None = None
    derived_from: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.unit in NUMERIC_UNITS

    @property
    def money(self) -> bool:
        return self.unit == MONEY

    def read(self, game: Any = None, auction: Any = None) -> Any:
        """This quantity's value in a games ``games[]`` entry / the document's ``auction`` (JSON
        mappings or the typed :mod:`ttcgames.game.results`); DERIVED quantities have none."""
        if self.json_key is None:
            raise KeyError(f"{self.name} is derived from {list(self.derived_from)}, not stored")
        if self.section == AUCTION:
            owner = auction
        elif self.section == GAME:
            owner = game
        else:
            owner = _get(game, self.section)
        return _get(owner, self.json_key)


def _get(obj: Any, key: str) -> Any:
    return obj[key] if isinstance(obj, Mapping) else getattr(obj, key)


def _q(name, label, unit, mechanism, section, json_key, uncertainty=False, published=None, derived_from=()):
    return Quantity(name, label, unit, mechanism, section, json_key, name if uncertainty else None, published, tuple(derived_from))


# Order: Table 2's game rows, the game's other numbers, then the auction's (the uncertainty files'
# column order is this order restricted to the bootstrapped quantities).
QUANTITIES: tuple[Quantity, ...] = (
    _q("value", "User value", MONEY, GAME, "equilibrium", "user_value", True),
    _q("price", "Price", MONEY, GAME, "equilibrium", "price", True),
    _q("utility", "Provider(s') utility", MONEY, GAME, "equilibrium", "provider_utility", True),
    _q("welfare", "Social welfare", MONEY, GAME, "equilibrium", "welfare", True),
    _q("optimal_welfare", "Optimal social welfare", MONEY, GAME, "optimum", "welfare", True),
    _q("price_of_anarchy", "Price of anarchy", RATIO, GAME, GAME, "price_of_anarchy", True),
    _q("iterations", "Iterations to equilibrium", COUNT, GAME, "equilibrium", "iterations", True),
    _q("equilibrium_profile", "Equilibrium profile", PROFILE, GAME, "equilibrium", "profile", True),
    _q("mean_user_value", "Mean user value (unweighted)", MONEY, GAME, "equilibrium", "mean_user_value"),
    _q("mean_price", "Mean price (unweighted)", MONEY, GAME, "equilibrium", "mean_price"),
    _q("mean_provider_margin", "Mean provider margin (unweighted)", MONEY, GAME, "equilibrium", "mean_provider_margin"),
    _q("abstention_share", "Abstention share", SHARE, GAME, "equilibrium", "abstention_share"),
    _q("welfare_loss_pct", "Welfare loss", PERCENT, GAME, DERIVED, None, derived_from=("welfare", "optimal_welfare")),
    _q("equilibria", "Pure equilibria", COUNT, GAME, "equilibria", "count"),
    _q("worst_equilibrium_welfare", "Social welfare, worst equilibrium", MONEY, GAME, "equilibria", "worst_welfare"),
    _q("best_equilibrium_welfare", "Social welfare, best equilibrium", MONEY, GAME, "equilibria", "best_welfare"),
    _q("worst_price_of_anarchy", "Price of anarchy, worst equilibrium", RATIO, GAME, "equilibria", "price_of_anarchy"),
    _q("price_of_stability", "Price of stability", RATIO, GAME, "equilibria", "price_of_stability"),
    _q("auction_value", "User value", MONEY, AUCTION, AUCTION, "user_value", True, "value"),
    _q("auction_price", "Price", MONEY, AUCTION, AUCTION, "price", True, "price"),
    _q("auction_utility", "Provider(s') utility", MONEY, AUCTION, AUCTION, "utility", True, "utility"),
    _q("auction_welfare", "Social welfare", MONEY, AUCTION, AUCTION, "welfare", True, "welfare"),
    # Eq. 13: max_i W_i^* / welfare, with W_i^* the truthful offered values (Theorem 5); 1 by construction.
    _q("auction_price_of_anarchy", "Price of anarchy", RATIO, AUCTION, DERIVED, None, derived_from=("offered_value", "auction_welfare")),
    _q("auction_winner", "Auction winner", PROVIDER, AUCTION, AUCTION, "winner", True, "winner"),
    _q("auction_runner_up", "Auction runner-up", PROVIDER, AUCTION, AUCTION, "runner_up", True, "runner_up"),
    _q(
        "auction_winner_welfare",
        "Auction winner's best welfare",
        MONEY,
        AUCTION,
        DERIVED,
        None,
        False,
        "winner_welfare",
        ("offered_value", "auction_winner"),
    ),
    _q(
        "auction_runner_up_welfare",
        "Auction runner-up's best welfare",
        MONEY,
        AUCTION,
        DERIVED,
        None,
        False,
        "runner_up_welfare",
        ("offered_value", "auction_runner_up"),
    ),
)
BY_NAME: dict[str, Quantity] = {q.name: q for q in QUANTITIES}

# The uncertainty files' numeric quantities and label quantities, in their column order.
NUMERIC_UNCERTAINTY = tuple(q.uncertainty_key for q in QUANTITIES if q.uncertainty_key and q.numeric)
LABEL_UNCERTAINTY = tuple(q.uncertainty_key for q in QUANTITIES if q.uncertainty_key and not q.numeric)
# Table 2's body, per mechanism, in row order.
TABLE2_GAME = ("value", "price", "utility", "welfare", "optimal_welfare", "price_of_anarchy", "iterations")
TABLE2_AUCTION = (
    "auction_value",
    "auction_price",
    "auction_utility",
    "auction_welfare",
    "auction_price_of_anarchy",
    "auction_winner",
    "auction_runner_up",
)


def quantity(name: str) -> Quantity:
    """The registered quantity ``name``; a KeyError lists the known names."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown quantity {name!r} (known: {', '.join(BY_NAME)})") from None


def by_label(label: str, mechanism: str) -> Quantity:
    """The quantity with Table 2 row ``label`` for ``mechanism`` (``GAME`` or ``AUCTION``)."""
    for q in QUANTITIES:
        if q.label == label and q.mechanism == mechanism:
            return q
    raise KeyError(f"no {mechanism} quantity labelled {label!r}")


def money_unit(scale: float, *, tex: bool = False) -> str:
    """The unit of a dollar amount multiplied by ``scale``: 1 -> ``$``; 1000 -> ``$ x 1e-3`` (the
    paper's; with ``tex``, ``\\$ $\\times 10^{-3}$``), 0.001 -> ``$ x 1e3``; other scales ->
    ``$ / 250``."""
    if scale == 1:
        return "$"
    exp = math.log10(scale)
    if abs(exp - round(exp)) < 1e-9:
        return rf"\$ $\times 10^{{{-int(round(exp))}}}$" if tex else f"$ x 1e{-int(round(exp))}"
    return rf"\$ / {scale:g}" if tex else f"$ / {scale:g}"
