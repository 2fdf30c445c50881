"""One call from a market to everything the paper reports about it.

:func:`solve_game` runs, for one beta: the better-response dynamics from the lowest levels to a pure
equilibrium (Section 3), the exact social optimum, the price of anarchy (Eq. 9) of the reached
equilibrium, the Table 2 "Game" statistics, Theorem 2's prediction and Theorem 4's bound, and
optionally all pure equilibria (their number, the worst and best welfare, the price of anarchy over
the worst and the price of stability). :func:`analyse` adds the auction (Section 4) and covers many betas;
its dictionary is what ``ttcgames game`` writes as JSON.

Each beta's dynamics draw their provider orders from a generator seeded with ``seed`` alone, so the
result for one beta does not depend on which other betas are in the list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ttcgames.game.auction import second_price_auction
from ttcgames.game.dynamics import Trajectory, better_response_dynamics
from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import Market
from ttcgames.game.optimum import social_optimum
from ttcgames.game.outcomes import profile_outcome
from ttcgames.game.shares import is_perfect
from ttcgames.game.theorems import theorem2, theorem4_bound

__all__ = [
    "solve_game", "analyse", "beta_sweep", "trajectory_rows", "auction_summary", "beta_label", "NotConvergedError",
]


class NotConvergedError(ValueError):
    """The better-response dynamics stopped at their round limit before reaching an equilibrium."""


def beta_label(beta: float) -> float | str:
    """JSON has no infinity: beta = inf is written as the string "inf"."""
    return "inf" if is_perfect(beta) else float(beta)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def _named(market: Market, arr: Sequence[float]) -> dict[str, float]:
    return {p: float(x) for p, x in zip(market.providers, arr)}


def auction_summary(market: Market) -> dict:
    """The auction column of Table 2 with each provider's truthful bid."""
    out = second_price_auction(market)
    name = lambda i: market.providers[i] if i is not None else None  # noqa: E731
    return {
        "winner": name(out.winner),
        "runner_up": name(out.runner_up),
        "user_value": out.user_value,
        "price": out.payment,
        "utility": out.winner_utility,
        "welfare": out.welfare,
        "truthful_theta": market.theta_of(out.bids.levels),
        "truthful_price": _named(market, out.bids.prices),
        "offered_value": _named(market, out.offered_values),
    }


def solve_game(
    market: Market,
    beta: float,
    *,
    seed: int = 0,
    all_equilibria: bool = False,
    best_response: bool = False,
    return_trajectory: bool = False,
    max_rounds: int = 100_000,
) -> dict | tuple[dict, Trajectory]:
    """The per-beta entry of the ``games`` list (see the README for its keys).

    Raises :class:`NotConvergedError` when the dynamics hit ``max_rounds`` (Theorem 1 guarantees
    they end, so this is a guard): the last profile is then no equilibrium, and nothing computed
    from it would mean what the JSON says.
    """
    traj = better_response_dynamics(
        market, beta, rng=np.random.default_rng(seed), best_response=best_response, max_rounds=max_rounds
    )
    if not traj.converged:
        raise NotConvergedError(
            f"beta={beta_label(beta)}: the better-response dynamics did not reach an equilibrium within "
            f"{max_rounds} rounds ({traj.turns} turns); the last profile {market.theta_of(traj.final)} is not one"
        )
    eq = traj.final
    outcome = profile_outcome(market, eq, beta)
    opt = social_optimum(market, beta)
    t2 = theorem2(market)
    t4 = theorem4_bound(market, eq, beta)
    entry = {
        "beta": beta_label(beta),
        "equilibrium": {
            "profile": market.theta_of(eq),
            "iterations": traj.iterations,
            "turns": traj.turns,
            "rounds": traj.rounds,
            "welfare": outcome.welfare,
            "user_value": outcome.user_value,
            "price": outcome.price,
            "provider_utility": outcome.provider_utility,
            "mean_user_value": outcome.mean_user_value,
            "mean_price": outcome.mean_price,
            "mean_provider_margin": outcome.mean_provider_margin,
            "shares": _named(market, outcome.shares),
            "abstention_share": outcome.abstention,
        },
        "optimum": {"welfare": opt.welfare, "profile": market.theta_of(opt.profile)},
        "price_of_anarchy": _ratio(opt.welfare, outcome.welfare),
        "theorem4_bound": t4.bound if t4 is not None else None,
        "theorem4": None
        if t4 is None
        else {
            "leading": t4.leading,
            "f_beta": t4.f_beta,
            "w_star": t4.w_star,
            "delta_w": t4.delta_w,
            # The bound is a first-order expansion in these: it is informative only when they are small.
            "expansion_terms": list(t4.expansion),
            "informative": t4.informative,
            "not_informative_because": t4.why_not,
        },
        "theorem2": {
            "dominant": market.providers[t2.dominant] if t2.dominant is not None else None,
            "theta": market.theta_of_level(t2.dominant, t2.level) if t2.dominant is not None else None,
            "rival_threshold": t2.rival_threshold if math.isfinite(t2.rival_threshold) else None,
            # Theorem 3: for large beta every equilibrium is one of the beta = inf game, where
            # Theorem 2 fixes the dominant provider's level.
            "equilibrium_agrees": bool(t2.dominant is not None and eq[t2.dominant] == t2.level),
        },
    }
    if all_equilibria:
        eqs = enumerate_equilibria(market, beta)
        entry["equilibria"] = {
            "count": eqs.count,
            "worst_welfare": eqs.worst_welfare if eqs.count else None,
            "best_welfare": eqs.best_welfare if eqs.count else None,
            # Eq. 9 over the worst equilibrium (price of anarchy proper) and the best (stability)
            "price_of_anarchy": _ratio(opt.welfare, eqs.worst_welfare) if eqs.count else None,
            "price_of_stability": _ratio(opt.welfare, eqs.best_welfare) if eqs.count else None,
        }
    if return_trajectory:
        return entry, traj
    return entry


def analyse(
    market: Market,
    betas: Iterable[float],
    *,
    seed: int = 0,
    all_equilibria: bool = False,
    parameters: dict | None = None,
) -> tuple[dict, list[dict]]:
    """The whole JSON document for ``betas`` and the long-format trajectory rows of every beta."""
    games, rows = [], []
    for beta in betas:
        entry, traj = solve_game(market, beta, seed=seed, all_equilibria=all_equilibria, return_trajectory=True)
        games.append(entry)
        rows.extend(trajectory_rows(market, traj, entry["optimum"]["welfare"]))
    doc = {
        "parameters": dict(parameters or {}, v0=market.v0, seed=seed),
        "providers": list(market.providers),
        "auction": auction_summary(market),
        "games": games,
    }
    return doc, rows


TRAJECTORY_COLUMNS = (
    "beta", "t", "provider", "theta", "level", "share", "utility",
    "mover", "moved", "welfare", "inefficiency", "potential",
)


def trajectory_rows(market: Market, traj: Trajectory, optimal_welfare: float) -> list[dict]:
    """Tidy rows, one per (beta, t, provider): Figure 2's data."""
    ineff = traj.inefficiency(optimal_welfare)
    beta = beta_label(traj.beta)
    rows = []
    for t in range(len(traj.profiles)):
        mover = market.providers[traj.movers[t]] if traj.movers[t] >= 0 else ""
        for i, name in enumerate(market.providers):
            k = int(traj.profiles[t, i])
            rows.append({
                "beta": beta,
                "t": t,
                "provider": name,
                "theta": float(market.thetas[i][k]),
                "level": k,
                "share": float(traj.shares[t, i + 1]),
                "utility": float(traj.utilities[t, i]),
                "mover": mover,
                "moved": bool(traj.moved[t]),
                "welfare": float(traj.welfare[t]),
                "inefficiency": float(ineff[t]),
                "potential": float(traj.potential[t]),
            })
    return rows


SWEEP_COLUMNS = (
    "beta", "equilibrium_welfare", "optimal_welfare", "price_of_anarchy", "iterations",
    "user_value", "price", "provider_utility", "theorem4_bound", "theorem4_informative",
    "equilibria", "worst_equilibrium_welfare", "best_equilibrium_welfare",
    "worst_price_of_anarchy", "price_of_stability",
)


def beta_sweep(market: Market, betas: Iterable[float], *, seed: int = 0) -> list[dict]:
    """Per beta (the inefficiency-vs-beta figure): the equilibrium the dynamics reach, the optimum and
    the price of anarchy there, and over all pure equilibria their number, the worst and best welfare,
    the worst-case price of anarchy and the price of stability."""
    rows = []
    for beta in betas:
        g = solve_game(market, beta, seed=seed, all_equilibria=True)
        eq, eqs = g["equilibrium"], g["equilibria"]
        rows.append({
            "beta": g["beta"],
            "equilibrium_welfare": eq["welfare"],
            "optimal_welfare": g["optimum"]["welfare"],
            "price_of_anarchy": g["price_of_anarchy"],
            "iterations": eq["iterations"],
            "user_value": eq["user_value"],
            "price": eq["price"],
            "provider_utility": eq["provider_utility"],
            "theorem4_bound": g["theorem4_bound"],
            "theorem4_informative": g["theorem4"]["informative"] if g["theorem4"] is not None else False,
            "equilibria": eqs["count"],
            "worst_equilibrium_welfare": eqs["worst_welfare"],
            "best_equilibrium_welfare": eqs["best_welfare"],
            "worst_price_of_anarchy": eqs["price_of_anarchy"],
            "price_of_stability": eqs["price_of_stability"],
        })
    return rows
