"""The reverse second-price auction for test-time compute (Section 4, Eq. 10-13, Theorem 5).

Each provider bids a compute level theta_i (so a quality q_i(theta_i)) and a price p_i. The platform
gives the task to the highest offered value V_i = q_i(theta_i) - p_i and the user pays the second-price
amount P = q_winner - V_runner_up (Eq. 10); the winner's utility is P - c_winner (Eq. 11), everybody
else gets 0, and the welfare is W_winner = q_winner - c_winner.

Theorem 5: bidding theta*_i = argmax_theta W_i(theta) and p_i = c_i(theta*_i) is dominant, so the
offered values are V_i = W_i(theta*_i), the winner is argmax_i W_i(theta*_i), and the auction attains
the best welfare max_i max_theta W_i (price of anarchy 1, Eq. 13).

Conventions the paper leaves open:
- theta*_i ties: the lowest such level (cheapest).
- ties between offered values: the provider listed first wins (the paper assumes no ties).
- the user's outside option V0 acts as a reserve bid: the second-highest value is
  max(V_runner_up, V0), and if no provider offers more than V0 there is no sale (the user abstains,
  welfare V0). With a single provider the runner-up is V0. With V0 = 0 and positive contributions
  (the paper's setting) this changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttcgames.game.market import Market

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


def truthful_bids(market: Market) -> Bids:
    """The dominant strategy of Theorem 5: theta*_i = argmax W_i, price c_i(theta*_i)."""
    contrib = np.where(market.mask, market.contribution, -np.inf)
    levels = np.argmax(contrib, axis=1)  # first maximum = lowest level on ties
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
    order = np.argsort(-offered, kind="stable")
    utilities = np.zeros(n)
    top = int(order[0])
    if not offered[top] > market.v0:
        return AuctionOutcome(None, None, offered, 0.0, market.v0, utilities, market.v0, bids)
    runner = int(order[1]) if n > 1 else None
    second = max(float(offered[runner]), market.v0) if runner is not None else market.v0
    payment = float(quality[top]) - second
    welfare = float(market.contribution[top, levels[top]])
    utilities[top] = welfare - second  # = P - c_winner, written so that a tie gives exactly 0
    return AuctionOutcome(top, runner, offered, payment, second, utilities, welfare, bids)


def second_price_auction(market: Market) -> AuctionOutcome:
    """The auction's equilibrium outcome: every provider bids truthfully (Theorem 5)."""
    return auction_outcome(market, truthful_bids(market))
