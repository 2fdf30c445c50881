"""One call from a market to everything the paper reports about it.

:func:`solve_game` runs, for one beta: the better-response dynamics from the lowest levels to a pure
equilibrium (Section 3), the exact social optimum, the price of anarchy (Eq. 9) of the reached
equilibrium, the Table 2 "Game" statistics, Theorem 2's prediction and Theorem 4's bound, and
optionally all pure equilibria (their number, the worst and best welfare, the price of anarchy over
the worst and the price of stability). :func:`analyse` adds the auction (Section 4) and covers many betas;
its dictionary is what ``ttcgames game`` writes as JSON.

The results are the typed records of :mod:`ttcgames.game.results` (:func:`game_result`,
:func:`auction_result`); :func:`solve_game`, :func:`auction_summary`, :func:`analyse` and
:func:`beta_sweep` return their JSON forms, whose keys and order are the files'.

Each beta's dynamics draw their provider orders from a generator seeded with ``seed`` alone, so the
result for one beta does not depend on which other betas are in the list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ttcgames.game import beta as beta_codec
from ttcgames.game.auction import second_price_auction
from ttcgames.game.dynamics import Trajectory, better_response_dynamics
from ttcgames.game.equilibria import enumerate_equilibria
from ttcgames.game.market import Market
from ttcgames.game.optimum import social_optimum
from ttcgames.game.outcomes import profile_outcome
from ttcgames.game.results import (
    SWEEP_COLUMNS,
    AuctionResult,
    EquilibriaResult,
    EquilibriumResult,
    GameResult,
    GamesDocument,
    OptimumResult,
    SweepRow,
    Theorem2Result,
    Theorem4Result,
)
from ttcgames.game.theorems import theorem2, theorem4_bound

__all__ = [
    "game_result", "solve_game", "auction_result", "auction_summary", "analyse", "beta_sweep", "trajectory_rows",
    "NotConvergedError", "SWEEP_COLUMNS", "TRAJECTORY_COLUMNS",
]


class NotConvergedError(ValueError):
    """The better-response dynamics stopped at their round limit before reaching an equilibrium."""


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def _named(market: Market, arr: Sequence[float]) -> dict[str, float]:
    return {p: float(x) for p, x in zip(market.providers, arr)}


def auction_result(market: Market) -> AuctionResult:
    """The auction column of Table 2 (Section 4) with each provider's truthful bid (Theorem 5)."""
    out = second_price_auction(market)
    name = lambda i: market.providers[i] if i is not None else None  # noqa: E731
    return AuctionResult(
        winner=name(out.winner),
        runner_up=name(out.runner_up),
        user_value=out.user_value,
        price=out.payment,
        utility=out.winner_utility,
        welfare=out.welfare,
        truthful_theta=market.theta_of(out.bids.levels),
        truthful_price=_named(market, out.bids.prices),
        offered_value=_named(market, out.offered_values),
    )


def auction_summary(market: Market) -> dict:
    """:func:`auction_result` as the games JSON's ``auction`` object."""
    return auction_result(market).to_json()


def _reach_equilibrium(market: Market, beta: float, *, seed: int, best_response: bool, max_rounds: int) -> Trajectory:
    """Better-response dynamics from the lowest levels (Section 3), refusing a run that hit ``max_rounds``."""
    traj = better_response_dynamics(market, beta, rng=np.random.default_rng(seed), best_response=best_response, max_rounds=max_rounds)
    if not traj.converged:
        raise NotConvergedError(
            f"beta={beta_codec.to_json(beta)}: the better-response dynamics did not reach an equilibrium within "
            f"{max_rounds} rounds ({traj.turns} turns); the last profile {market.theta_of(traj.final)} is not one"
        )
    return traj


def _equilibrium(market: Market, traj: Trajectory, beta: float) -> EquilibriumResult:
    """The reached profile's Table 2 statistics (share-weighted Eq. 3-5, unweighted means, shares)."""
    outcome = profile_outcome(market, traj.final, beta)
    return EquilibriumResult(
        profile=market.theta_of(traj.final),
        iterations=traj.iterations,
        turns=traj.turns,
        rounds=traj.rounds,
        welfare=outcome.welfare,
        user_value=outcome.user_value,
        price=outcome.price,
        provider_utility=outcome.provider_utility,
        mean_user_value=outcome.mean_user_value,
        mean_price=outcome.mean_price,
        mean_provider_margin=outcome.mean_provider_margin,
        shares=_named(market, outcome.shares),
        abstention_share=outcome.abstention,
    )


def _theorem4(market: Market, profile: np.ndarray, beta: float) -> tuple[float | None, Theorem4Result | None]:
    """Theorem 4's bound at the reached profile and its terms; None, None where the theorem does not apply."""
    t4 = theorem4_bound(market, profile, beta)
    if t4 is None:
        return None, None
    # The bound is a first-order expansion in these terms: it is informative only when they are small.
    return t4.bound, Theorem4Result(
        leading=t4.leading, f_beta=t4.f_beta, w_star=t4.w_star, delta_w=t4.delta_w, expansion_terms=tuple(t4.expansion),
        informative=t4.informative, not_informative_because=t4.why_not,
    )


def _theorem2(market: Market, profile: np.ndarray) -> Theorem2Result:
    """Theorem 2's dominant provider and level; Theorem 3: for large beta every equilibrium is one of
    the beta = inf game, where Theorem 2 fixes the dominant provider's level."""
    t2 = theorem2(market)
    dominant = t2.dominant
    return Theorem2Result(
        dominant=market.providers[dominant] if dominant is not None else None,
        theta=market.theta_of_level(dominant, t2.level) if dominant is not None else None,
        rival_threshold=t2.rival_threshold if math.isfinite(t2.rival_threshold) else None,
        equilibrium_agrees=bool(dominant is not None and profile[dominant] == t2.level),
    )


def _all_equilibria(market: Market, beta: float, optimal_welfare: float) -> EquilibriaResult:
    """Every pure equilibrium: count, worst and best welfare, and Eq. 9 over the worst (price of
    anarchy proper) and over the best (price of stability)."""
    eqs = enumerate_equilibria(market, beta)
    if not eqs.count:
        return EquilibriaResult(count=eqs.count, worst_welfare=None, best_welfare=None, price_of_anarchy=None, price_of_stability=None)
    return EquilibriaResult(
        count=eqs.count,
        worst_welfare=eqs.worst_welfare,
        best_welfare=eqs.best_welfare,
        price_of_anarchy=_ratio(optimal_welfare, eqs.worst_welfare),
        price_of_stability=_ratio(optimal_welfare, eqs.best_welfare),
    )


def _solve(market: Market, beta: float, *, seed: int, all_equilibria: bool, best_response: bool, max_rounds: int):
    traj = _reach_equilibrium(market, beta, seed=seed, best_response=best_response, max_rounds=max_rounds)
    equilibrium = _equilibrium(market, traj, beta)
    opt = social_optimum(market, beta)
    bound, t4 = _theorem4(market, traj.final, beta)
    result = GameResult(
        beta=beta_codec.parse(beta),
        equilibrium=equilibrium,
        optimum=OptimumResult(welfare=opt.welfare, profile=market.theta_of(opt.profile)),
        price_of_anarchy=_ratio(opt.welfare, equilibrium.welfare),
        theorem4_bound=bound,
        theorem4=t4,
        theorem2=_theorem2(market, traj.final),
        equilibria=_all_equilibria(market, beta, opt.welfare) if all_equilibria else None,
    )
    return result, traj


def game_result(
    market: Market,
    beta: float,
    *,
    seed: int = 0,
    all_equilibria: bool = False,
    best_response: bool = False,
    max_rounds: int = 100_000,
) -> GameResult:
    """The game at ``beta`` (module docstring) as a typed :class:`~ttcgames.game.results.GameResult`.

    Raises :class:`NotConvergedError` when the dynamics hit ``max_rounds`` (Theorem 1 guarantees
    they end, so this is a guard): the last profile is then no equilibrium, and nothing computed
    from it would mean what the JSON says.
    """
    return _solve(market, beta, seed=seed, all_equilibria=all_equilibria, best_response=best_response, max_rounds=max_rounds)[0]


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
    """The per-beta entry of the ``games`` list (see the README for its keys): :func:`game_result`
    as JSON, with the dynamics' trajectory when ``return_trajectory``."""
    result, traj = _solve(market, beta, seed=seed, all_equilibria=all_equilibria, best_response=best_response, max_rounds=max_rounds)
    if return_trajectory:
        return result.to_json(), traj
    return result.to_json()


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
        result, traj = _solve(market, beta, seed=seed, all_equilibria=all_equilibria, best_response=False, max_rounds=100_000)
        games.append(result)
        rows.extend(trajectory_rows(market, traj, result.optimum.welfare))
    doc = GamesDocument(
        parameters=dict(parameters or {}, v0=market.v0, seed=seed),
        providers=tuple(market.providers),
        auction=auction_result(market),
        games=tuple(games),
    )
    return doc.to_json(), rows


TRAJECTORY_COLUMNS = (
    "beta", "t", "provider", "theta", "level", "share", "utility",
    "mover", "moved", "welfare", "inefficiency", "potential",
)


def trajectory_rows(market: Market, traj: Trajectory, optimal_welfare: float) -> list[dict]:
    """Tidy rows, one per (beta, t, provider): Figure 2's data."""
    ineff = traj.inefficiency(optimal_welfare)
    beta = beta_codec.to_json(traj.beta)
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


def beta_sweep(market: Market, betas: Iterable[float], *, seed: int = 0) -> list[dict]:
    """Per beta (the inefficiency-vs-beta figure), one :class:`~ttcgames.game.results.SweepRow` as a
    CSV row (``SWEEP_COLUMNS``): the equilibrium the dynamics reach, the optimum and the price of
    anarchy there, and over all pure equilibria their number, the worst and best welfare, the
    worst-case price of anarchy and the price of stability."""
    return [SweepRow.from_game(game_result(market, beta, seed=seed, all_equilibria=True)).to_json() for beta in betas]
