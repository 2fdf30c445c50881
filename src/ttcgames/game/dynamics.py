"""Better-response dynamics of a test-time compute game (Section 3, after Theorem 1).

Semantics follow the authors' implementation (docs/paper-notes.md, "Dynamics"):

1. Start with every provider at its lowest compute level.
2. Play in rounds. Each round visits the providers in an order drawn from a seeded
   ``numpy.random.Generator`` (a fresh permutation per round).
3. On its turn a provider looks at its other levels in order of index distance from its current
   level, the lower one first on ties, and moves to the first whose utility beats its current
   utility by the relative margin: ``U_new > U_cur + rel_tol * |U_cur|`` (default 1e-8,
   :func:`ttcgames.game.payoffs.improves`).
   In the best-response variant it moves instead to the level of highest utility (the nearest such
   level, lower first, among exact ties), provided that level beats its current utility by the margin.
4. Every turn is one iteration t, whether or not the provider moves. The run stops after a full
   round in which nobody moved: the profile is then a pure Nash equilibrium up to ``rel_tol``.
   Whether a provider moves is decided by :func:`ttcgames.game.payoffs.stays` on
   :func:`ttcgames.game.payoffs.deviation_utilities` (one row of ``deviation_utilities_rows``): the
   same evaluation and comparison as :func:`ttcgames.game.payoffs.equilibrium_mask`, so the run stops
   exactly at the profiles that test lists as equilibria.

Theorem 1 guarantees termination (every strict improvement raises the potential of Eq. 7 and the
profile space is finite); ``max_rounds`` is only a guard against misuse.

Cycles (games without a potential)
----------------------------------
The loop itself (:func:`run_rounds`) takes any utility function, so games that are not potential
games run through it too (the mixtures of user segments of :mod:`ttcgames.game.segments`). There a
better-response path may return to a profile it left. Rule 5: after a round in which somebody moved,
if the profile equals the profile at the end of an earlier round (the start counts as the end of
round 0), the run stops and reports the *cycle*: the profiles visited from that earlier round end
to now, one per move (:attr:`Path.cycle`, :attr:`Trajectory.cycle`), and the two rounds. Every step
of it is a strict improvement of the mover's utility (by the relative margin), so the cycle is an
improvement cycle and proves that the game has no generalized ordinal potential (Theorem 1 fails).
It does not prove that the game has no pure equilibrium: another order of turns may leave the
cycle (check with :func:`ttcgames.game.segments.enumerate_equilibria`).

Rule 5 changes nothing for the paper's game: by Theorem 1 every move raises the potential strictly
(a move beats the current utility by the relative margin 1e-8, far above the rounding of the
utilities, so the exact utility rises too), so a profile that ended a round can never come back
after a move; the runs, their random draws and their results are the same bit for bit. With rule 5
any run ends within (number of profiles + 1) rounds: round-end profiles cannot repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ttcgames.game.market import Market
from ttcgames.game.payoffs import REL_TOL, deviation_utilities, improves, profile_shares, social_welfare, stays, utilities
from ttcgames.game.potential import potential, potential_constant
from ttcgames.game.shares import is_perfect

__all__ = ["Trajectory", "Path", "better_response_dynamics", "improving_level", "choose_level", "run_rounds", "REL_TOL"]


def _search_order(current: int, n_levels: int) -> list[int]:
    """Levels other than ``current`` by index distance, lower first on ties."""
    out = []
    for d in range(1, n_levels):
        for k in (current - d, current + d):
            if 0 <= k < n_levels:
                out.append(k)
    return out


def choose_level(u: np.ndarray, cur: int, *, best_response: bool = False, rel_tol: float = REL_TOL) -> int | None:
    """Rule 3 on the utilities ``u`` of every level of one provider whose current level is ``cur``:
    the level it moves to, or None if it stays."""
    if stays(u, u[cur], rel_tol):  # the equilibrium test's own comparison (payoffs.equilibrium_mask)
        return None
    if best_response:
        best = u.max()
        for k in _search_order(cur, len(u)):
            if u[k] == best:
                return k
        return None
    for k in _search_order(cur, len(u)):
        if improves(u[k], u[cur], rel_tol):
            return k
    raise AssertionError("unreachable: some level beats the current one")  # pragma: no cover


def improving_level(
    market: Market,
    profile: np.ndarray,
    i: int,
    beta: float,
    *,
    best_response: bool = False,
    rel_tol: float = REL_TOL,
) -> int | None:
    """The level provider ``i`` moves to on its turn, or None if it stays (rules 3 above)."""
    u = deviation_utilities(market, profile, i, beta)
    return choose_level(u, int(profile[i]), best_response=best_response, rel_tol=rel_tol)


@dataclass(frozen=True)
class Path:
    """The states of a run of :func:`run_rounds` (see :class:`Trajectory` for the first fields).
    ``cycle`` (L, N): the profiles of a detected cycle in visit order, starting at the repeated
    round-end profile (the last move returns to it); None when no cycle was found. ``cycle_rounds``:
    the round that first ended at that profile and the round that returned to it."""

    profiles: np.ndarray
    movers: np.ndarray
    moved: np.ndarray
    rounds: int
    converged: bool
    cycle: np.ndarray | None = None
    cycle_rounds: tuple[int, int] | None = None


def _cycle_states(profiles: list[np.ndarray], moved: list[bool], since: int) -> np.ndarray:
    """The profile at turn ``since`` and then the profile after every move up to the last turn,
    without the final return to the first."""
    states = [profiles[since]] + [profiles[t] for t in range(since + 1, len(profiles)) if moved[t]]
    return np.array(states[:-1])


def run_rounds(
    deviation: Callable[[np.ndarray, int], np.ndarray],
    start: np.ndarray,
    rng: np.random.Generator,
    *,
    best_response: bool = False,
    rel_tol: float = REL_TOL,
    max_rounds: int = 100_000,
) -> Path:
    """Rules 2-5 of the module docstring from ``start``: ``deviation(profile, i)`` gives provider i's
    utility at each of its levels, the others held at ``profile``."""
    profile = np.array(start, dtype=np.int64)
    profiles, movers, moved = [profile.copy()], [-1], [False]
    round_ends = {profile.tobytes(): (0, 0)}  # profile at the end of round r -> (r, its turn)
    rounds, converged = 0, False
    while rounds < max_rounds:
        rounds += 1
        any_move = False
        for i in rng.permutation(len(profile)):
            k = choose_level(deviation(profile, int(i)), int(profile[i]), best_response=best_response, rel_tol=rel_tol)
            if k is not None:
                profile[i] = k
                any_move = True
            profiles.append(profile.copy())
            movers.append(int(i))
            moved.append(k is not None)
        if not any_move:
            converged = True
            break
        key = profile.tobytes()
        if key in round_ends:
            r0, t0 = round_ends[key]
            return Path(np.array(profiles), np.array(movers), np.array(moved), rounds, False, _cycle_states(profiles, moved, t0), (r0, rounds))
        round_ends[key] = (rounds, len(profiles) - 1)
    return Path(np.array(profiles), np.array(movers), np.array(moved), rounds, converged)


@dataclass
class Trajectory:
    """The states of a run: index t = 0 is the start, t >= 1 the state after turn t.

    ``profiles`` (T+1, N) level indices; ``movers`` (T+1,) the provider whose turn it was (-1 at t=0);
    ``moved`` whether that provider changed level; ``shares`` (T+1, N+1) abstention first;
    ``welfare``, ``potential`` (T+1,). ``iterations`` is the turn of the last move (0 if nobody ever
    moved): from then on the profile is the equilibrium. ``turns`` counts every turn, including the
    final round that confirmed it. ``cycle`` and ``cycle_rounds``: as in :class:`Path` (rule 5;
    always None in the paper's game, which has a potential).
    """

    beta: float
    profiles: np.ndarray
    movers: np.ndarray
    moved: np.ndarray
    shares: np.ndarray
    utilities: np.ndarray
    welfare: np.ndarray
    potential: np.ndarray
    rounds: int
    converged: bool
    extras: dict = field(default_factory=dict)
    cycle: np.ndarray | None = None
    cycle_rounds: tuple[int, int] | None = None

    @property
    def final(self) -> np.ndarray:
        return self.profiles[-1]

    @property
    def turns(self) -> int:
        return len(self.profiles) - 1

    @property
    def iterations(self) -> int:
        hits = np.flatnonzero(self.moved)
        return int(hits[-1]) if hits.size else 0

    def inefficiency(self, optimal_welfare: float) -> np.ndarray:
        """max W / W(theta_t) per state (Figure 2); inf where W(theta_t) <= 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.welfare > 0, optimal_welfare / self.welfare, np.inf)


def better_response_dynamics(
    market: Market,
    beta: float,
    *,
    rng: np.random.Generator | int | None = 0,
    start: np.ndarray | None = None,
    best_response: bool = False,
    rel_tol: float = REL_TOL,
    max_rounds: int = 100_000,
) -> Trajectory:
    """Run better-response (or best-response) dynamics to a pure Nash equilibrium; see module doc."""
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    n = market.n_providers
    start = np.zeros(n, dtype=np.int64) if start is None else market.check_profile(start).copy()
    path = run_rounds(
        lambda profile, i: deviation_utilities(market, profile, i, beta),
        start,
        rng,
        best_response=best_response,
        rel_tol=rel_tol,
        max_rounds=max_rounds,
    )
    P = path.profiles
    const = potential_constant(market) if is_perfect(beta) else None
    return Trajectory(
        beta=beta,
        profiles=P,
        movers=path.movers,
        moved=path.moved,
        shares=profile_shares(market, P, beta),
        utilities=utilities(market, P, beta),
        welfare=np.asarray(social_welfare(market, P, beta)),
        potential=np.asarray(potential(market, P, beta, const)),
        rounds=path.rounds,
        converged=path.converged,
        cycle=path.cycle,
        cycle_rounds=path.cycle_rounds,
    )
