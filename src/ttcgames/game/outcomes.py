"""Share-weighted market outcomes of a profile: the "Game" column of Table 2.

For a profile theta and shares s (Table 1):

- user value        sum_i s_i V_i
- price             sum_i s_i p_i
- provider utility  sum_i s_i (p_i - c_i)            (= sum_i U_i, Eq. 4)
- welfare           sum_i s_i (q_i - c_i) + V0 s_0    (Eq. 5)

The abstention share s_0 is reported separately; it adds V0 s_0 to the welfare only.

The authors' notebooks also print unweighted means over the N providers at the profile (each
provider counts once, whatever its share): (1/N) sum_i V_i, (1/N) sum_i p_i and (1/N) sum_i (p_i - c_i).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.payoffs import gather, profile_shares, social_welfare

__all__ = ["Outcome", "profile_outcome"]


@dataclass(frozen=True)
class Outcome:
    user_value: float
    price: float
    provider_utility: float
    welfare: float
    shares: np.ndarray  # providers only
    abstention: float
    mean_user_value: float  # unweighted means over providers (the notebooks' "unweighted" numbers)
    mean_price: float
    mean_provider_margin: float


def profile_outcome(market: Market, profile: np.ndarray, beta: float) -> Outcome:
    profile = market.check_profile(profile)
    s = profile_shares(market, profile, beta)
    sp = s[1:]
    value, price, profit = (gather(t, profile) for t in (market.value, market.price, market.profit))
    return Outcome(
        user_value=float(sp @ value),
        price=float(sp @ price),
        provider_utility=float(sp @ profit),
        # the same expression as payoffs.social_welfare, so that this profile's welfare is bit-identical
        # to the one the equilibrium enumeration reports for it
        welfare=float(social_welfare(market, profile, beta)),
        shares=sp,
        abstention=float(s[0]),
        mean_user_value=float(value.mean()),
        mean_price=float(price.mean()),
        mean_provider_margin=float(profit.mean()),
    )
