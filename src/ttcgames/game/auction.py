"""The reverse second-price auction for test-time compute (Section 4, Eq. 10-13, Theorem 5).

Each provider bids a compute level theta_i (so a quality q_i(theta_i)) and a price p_i. The platform
gives the task to the highest offered value V_i = q_i(theta_i) - p_i and the user pays the second-price
amount P = q_winner - V_runner_up (Eq. 10); the winner's utility is P - c_winner (Eq. 11), everybody
else gets 0, and the welfare is W_winner = q_winner - c_winner.

Theorem 5: bidding theta*_i = argmax_theta W_i(theta) and p_i = c_i(theta*_i) is dominant, so the
offered values are V_i = W_i(theta*_i), the winner is argmax_i W_i(theta*_i), and the auction attains
the best welfare max_i max_theta W_i (price of anarchy 1, Eq. 13).

Conventions the paper leaves open:
- what is a tie: two contributions or offered values within ``TIE_RTOL`` times the money involved
  (the largest |q|, |c|, |p| or |V0| of the market and the bids), the engine's rule everywhere
  (:mod:`ttcgames.game.shares`); so a cost computed as 291 tokens x $0.2/M and one computed as
  194 x $0.3/M tie here as they do in the game.
- theta*_i ties: the lowest such level (cheapest).
- ties between offered values: the provider listed first wins (the paper assumes no ties); the
  runner-up is likewise the first listed among the rest. A winner tied with the second-highest
  value (or with V0) pays its own offered value, so with truthful bids its utility is exactly 0.
- the user's outside option V0 acts as a reserve bid: the second-highest value is
  max(V_runner_up, V0), and if no provider offers more than V0 there is no sale (the user abstains,
  welfare V0). With a single provider the runner-up is V0. With V0 = 0 and positive contributions
  (the paper's setting) this changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.shares import TIE_RTOL

__all__ = ["Bids", "AuctionOutcome", "truthful_bids", "auction_outcome", "second_price_auction"]


@dataclass(frozen=True)
class Bids:
    """One bid per provider: a level index and a price."""

    levels: np.ndarray
    prices: np.ndarray


@dataclass(frozen=True)
class AuctionOutcome:
    winner: int | None
    runner_up: int | None
    offered_values: np.ndarray
    payment: float
    user_value: float
    utilities: np.ndarray
    welfare: float
    bids: Bids

    @property
    def winner_utility(self) -> float:
        return float(self.utilities[self.winner]) if self.winner is not None else 0.0


def _tie_tol(market: Market, prices: np.ndarray | None = None) -> float:
    """Absolute tie tolerance: TIE_RTOL times the largest amount of money in the market (and bids)."""
    bids = float(np.abs(prices).max()) if prices is not None and len(prices) else 0.0
    return TIE_RTOL * max(market.money_scale, bids)


def _first_best(values: np.ndarray, tol: float) -> int:
    """Index of the first entry within ``tol`` of the largest (the first listed wins a tie)."""
    return int(np.argmax(values >= values.max() - tol))


def truthful_bids(market: Market) -> Bids:
    """The dominant strategy of Theorem 5: theta*_i = argmax W_i, price c_i(theta*_i)."""
    contrib = np.where(market.mask, market.contribution, -np.inf)
    tol = _tie_tol(market)
    levels = np.array([_first_best(row, tol) for row in contrib], dtype=np.int64)  # lowest level on ties
    prices = market.cost[np.arange(market.n_providers), levels]
    return Bids(levels=levels, prices=prices)


def auction_outcome(market: Market, bids: Bids) -> AuctionOutcome:
    """Winner, payment (Eq. 10), utilities (Eq. 11) and welfare for arbitrary bids."""
    n = market.n_providers
    levels = market.check_profile(bids.levels)
    prices = np.asarray(bids.prices, dtype=float)
    if prices.shape != (n,) or not np.isfinite(prices).all():
        raise ValueError("one finite price per provider is required")
    rows = np.arange(n)
    quality = market.quality[rows, levels]
    offered = quality - prices
    tol = _tie_tol(market, prices)
    utilities = np.zeros(n)
    top = _first_best(offered, tol)
    if not offered[top] > market.v0 + tol:
        return AuctionOutcome(None, None, offered, 0.0, market.v0, utilities, market.v0, bids)
    runner = None
    if n > 1:
        rest = offered.copy()
        rest[top] = -np.inf
        runner = _first_best(rest, tol)
    second = max(float(offered[runner]), market.v0) if runner is not None else market.v0
    if offered[top] - second <= tol:
        second = float(offered[top])  # a tie: the winner pays its own offered value
    payment = float(quality[top]) - second
    welfare = float(market.contribution[top, levels[top]])
    utilities[top] = welfare - second  # = P - c_winner, written so that a tie gives exactly 0
    return AuctionOutcome(top, runner, offered, payment, second, utilities, welfare, bids)


def second_price_auction(market: Market) -> AuctionOutcome:
    """The auction's equilibrium outcome: every provider bids truthfully (Theorem 5)."""
    return auction_outcome(market, truthful_bids(market))
