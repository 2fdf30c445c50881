"""Heterogeneous users: a test-time compute game played over a finite mixture of user segments.

The paper assumes that all users derive the same value from a model and compute level and names
heterogeneous users as future work (Section 6). This module is that extension.

Model
-----
Segments s = 1..S have a weight w_s > 0 (the weights sum to 1), a value of accuracy alpha_s, a
rationality beta_s and an outside option V0_s. Providers, their levels, prices p_i(theta) and costs
c_i(theta) are common to all segments; only the quality differs, q_si(theta) = alpha_s (b + (1 - b)
acc_i(theta)) (the paper's market, Section 5), so segment s sees the values V_si = q_si - p_i (Eq. 3).
Each segment is therefore one paper market (:class:`~ttcgames.game.market.Market` with alpha_s and
V0_s), and:

- shares per segment, Table 1 with (beta_s, V0_s, V_s):   s_si(theta)
- utility (Eq. 4 averaged over segments):                 U_i(theta) = sum_s w_s s_si(theta) (p_i - c_i)
- welfare (Eq. 5 per segment, averaged):                  W(theta) = sum_s w_s W_s(theta),
  W_s = sum_i s_si (q_si - c_i) + V0_s s_s0: each segment's user value plus the providers' profits.

A provider picks one compute level for all segments: it cannot tell the segments' users apart (if it
could, the game would split into S independent paper games). One segment with weight 1 is the
paper's game, and every quantity here is then the engine's own number bit for bit: a sum over one
segment is 1.0 x (the engine's number), computed with the engine's functions
(:mod:`ttcgames.game.payoffs`, :mod:`ttcgames.game.outcomes`, :mod:`ttcgames.game.auction`).

What no longer holds
--------------------
The mixture is in general *not* a potential game: U_i is a weighted sum of S softmax shares with
different betas and values, and the potential of Eq. 7 (Theorem 1) does not extend. Better-response
dynamics may cycle (:func:`ttcgames.game.dynamics.run_rounds` detects and reports it) and a pure
equilibrium need not exist. Theorem 2 (the dominant provider at beta = inf) and Theorem 4 (the PoA
bound) are statements about one segment's market and are not reported for mixtures. The social optimum
max_theta sum_s w_s N_s(theta) / D_s(theta) is a sum of S ratios with different denominators, so
Dinkelbach's method (:mod:`ttcgames.game.optimum`, which needs one ratio N / D whose parametric
problem N - lambda D separates over providers) does not apply: :func:`social_optimum` enumerates.
The auction (Section 4) runs per segment, one user type per auction, and keeps its guarantees in
each (Theorem 5, Eq. 13), see :func:`segment_auctions`.

Exact enumeration and its cost
------------------------------
With P = prod_i K_i profiles (K^N for N providers with K levels), S segments, and profiles visited in
chunks of ``CHUNK`` rows:

- :func:`enumerate_equilibria` tests every profile with the equilibrium test of
  :mod:`ttcgames.game.payoffs` (the relative margin ``REL_TOL``) on the mixture's utilities: at most
  S N (N + 1 + 2 K) exponentials and logs per profile (a profile rejected by a provider is not
  tested for the next ones, which makes the mean far smaller); memory O(CHUNK S (N + 1) N) doubles,
  independent of P, plus the equilibria found. Games with more than :data:`MAX_EQUILIBRIUM_PROFILES` profiles are
  refused with :class:`~ttcgames.game.equilibria.EquilibriaTooLarge`; :func:`dynamics_equilibria`
  then gives the end points of the dynamics from several seeded starts (equilibria, not all of them).
- :func:`social_optimum` evaluates W at every profile: S (N + 1) exponentials per profile, memory
  O(CHUNK S N); refused beyond :data:`MAX_OPTIMUM_PROFILES` (:class:`TooManyProfiles`).

Measured on one core of the project's 2-core machine, two segments of the paper's size (N = 9, K = 6,
10,077,696 profiles): 19 s for the equilibria and 14 s for the optimum, 91 MiB peak memory (about
1 s and 0.7 s per million profiles and segment; up to 2.5 times that while other jobs share the cores).
One segment needs neither: :func:`solve_segments` then uses the engine's exact methods for the paper's
game (:func:`ttcgames.game.equilibria.enumerate_equilibria`, :func:`ttcgames.game.optimum.social_optimum`),
which never visit the profiles, so its numbers are today's, bit for bit.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ttcgames.game import beta as beta_codec
from ttcgames.game import payoffs
from ttcgames.game.auction import AuctionOutcome, second_price_auction
from ttcgames.game.dynamics import Path as DynamicsPath
from ttcgames.game.dynamics import run_rounds
from ttcgames.game.equilibria import Equilibria, EquilibriaTooLarge, iter_profiles
from ttcgames.game.equilibria import enumerate_equilibria as paper_equilibria
from ttcgames.game.market import Market, market_from_rows, read_market_csv
from ttcgames.game.optimum import Optimum
from ttcgames.game.optimum import social_optimum as paper_optimum
from ttcgames.game.outcomes import profile_outcome
from ttcgames.game.payoffs import REL_TOL

__all__ = [
    "Segment",
    "SegmentError",
    "SegmentedMarket",
    "TooManyProfiles",
    "segmented_market_from_rows",
    "segmented_market",
    "segment_markets_from_rows",
    "segment_markets_from_csv",
    "analyse_segments",
    "DEFAULT_STARTS",
    "read_segments_csv",
    "segments_from_config",
    "deviation_utilities_rows",
    "utilities",
    "social_welfare",
    "equilibrium_mask",
    "enumerate_equilibria",
    "social_optimum",
    "segment_dynamics",
    "dynamics_equilibria",
    "segment_auctions",
    "solve_segments",
    "poa_vs_spread",
    "MAX_EQUILIBRIUM_PROFILES",
    "MAX_OPTIMUM_PROFILES",
    "WEIGHT_SUM_TOL",
    "SEGMENT_COLUMNS",
]

MAX_EQUILIBRIUM_PROFILES = 12_000_000  # about 10 s per segment at N = 9, K = 6 (the paper's 10,077,696 profiles fit)
MAX_OPTIMUM_PROFILES = 20_000_000  # equilibria.MAX_PROFILES, the brute force's limit
WEIGHT_SUM_TOL = 1e-9  # the weights must sum to 1 within this (0.1 + 0.2 + 0.7 is 1 up to rounding)
CHUNK = 1 << 16
DEFAULT_STARTS = 8  # runs of the dynamics per game: the lowest levels, then seeded random starts
SEGMENT_COLUMNS = ("name", "weight", "alpha", "alpha_scale", "beta", "v0")


class SegmentError(ValueError):
    """Invalid segments; the message names the file, line and column (or config key) at fault."""


class TooManyProfiles(ValueError):
    """The game has more profiles than the optimum's enumeration allows (the message gives the size)."""


@dataclass(frozen=True)
class Segment:
    """One user segment as given: ``alpha`` absolute, or None for ``alpha_scale`` x the market's alpha;
    ``beta`` and ``v0`` None for the game's beta and the market's V0."""

    weight: float
    alpha: float | None = None
    alpha_scale: float = 1.0
    beta: float | None = None
    v0: float | None = None
    name: str = ""


@dataclass(frozen=True, eq=False)
class SegmentedMarket:
    """S paper markets over the same providers, levels, prices and costs, with weights and betas."""

    markets: tuple[Market, ...]
    weights: tuple[float, ...]
    betas: tuple[float, ...]
    names: tuple[str, ...]
    alphas: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.markets or not len(self.markets) == len(self.weights) == len(self.betas) == len(self.names):
            raise SegmentError("one weight, beta and name per segment market is required")
        first = self.markets[0]
        for s, m in enumerate(self.markets[1:], start=1):
            same = m.providers == first.providers and np.array_equal(m.n_levels, first.n_levels)
            same = same and all(np.array_equal(a, b) for a, b in zip(m.thetas, first.thetas))
            same = same and all(np.array_equal(getattr(m, f)[m.mask], getattr(first, f)[first.mask]) for f in ("price", "cost"))
            if not same:
                raise SegmentError(f"segment {self.names[s]!r}: its market differs from the first segment's in providers, levels, prices or costs")
        _check_weights(self.weights, "segments")
        for m, beta, name in zip(self.markets, self.betas, self.names):
            try:
                m.check_beta(beta)
            except ValueError as exc:
                raise SegmentError(f"segment {name!r}: {exc}") from None

    @property
    def base(self) -> Market:
        """The first segment's market: providers, levels, prices and costs of every segment."""
        return self.markets[0]

    @property
    def n_providers(self) -> int:
        return self.base.n_providers

    @property
    def n_profiles(self) -> int:
        return self.base.n_profiles


def _check_weights(weights: Sequence[float], where: str) -> None:
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOL:
        raise SegmentError(f"{where}: the weights sum to {total!r}, not 1 (within {WEIGHT_SUM_TOL:g}); they are population fractions")


def _segment_alpha(seg: Segment, alpha: float) -> float:
    return seg.alpha if seg.alpha is not None else seg.alpha_scale * alpha


def segment_markets_from_rows(
    rows: Iterable[Mapping[str, object]],
    segments: Sequence[Segment],
    *,
    alpha: float,
    baseline: float = 0.1,
    margin: float = 0.25,
    v0: float = 0.0,
    source: str = "market",
) -> list[Market]:
    """One :func:`~ttcgames.game.market.market_from_rows` market per segment (alpha_s, V0_s); ``alpha``
    and ``v0`` fill what a segment leaves unset."""
    rows = list(rows)
    return [
        market_from_rows(rows, alpha=_segment_alpha(seg, alpha), baseline=baseline, margin=margin, v0=v0 if seg.v0 is None else seg.v0, source=source)
        for seg in segments
    ]


def segment_markets_from_csv(
    path: str | Path, segments: Sequence[Segment], *, alpha: float, baseline: float = 0.1, margin: float = 0.25, v0: float = 0.0
) -> list[Market]:
    """:func:`segment_markets_from_rows` from a market CSV (:func:`~ttcgames.game.market.read_market_csv`,
    whose errors name the file and line)."""
    return [
        read_market_csv(path, alpha=_segment_alpha(seg, alpha), baseline=baseline, margin=margin, v0=v0 if seg.v0 is None else seg.v0)
        for seg in segments
    ]


def segmented_market(markets: Sequence[Market], segments: Sequence[Segment], *, alpha: float, beta: float) -> SegmentedMarket:
    """The :class:`SegmentedMarket` of per-segment markets (from the two functions above) at the game's
    ``beta`` for segments without their own."""
    return SegmentedMarket(
        markets=tuple(markets),
        weights=tuple(float(s.weight) for s in segments),
        betas=tuple(float(beta if s.beta is None else s.beta) for s in segments),
        names=tuple(s.name or f"segment{j + 1}" for j, s in enumerate(segments)),
        alphas=tuple(_segment_alpha(s, alpha) for s in segments),
    )


def segmented_market_from_rows(
    rows: Iterable[Mapping[str, object]],
    segments: Sequence[Segment],
    *,
    alpha: float,
    beta: float,
    baseline: float = 0.1,
    margin: float = 0.25,
    v0: float = 0.0,
    source: str = "market",
) -> SegmentedMarket:
    """:func:`segmented_market` of :func:`segment_markets_from_rows`."""
    markets = segment_markets_from_rows(rows, segments, alpha=alpha, baseline=baseline, margin=margin, v0=v0, source=source)
    return segmented_market(markets, segments, alpha=alpha, beta=beta)


# ------------------------------------------------------------------------------------------------
# Reading segments (CSV for the CLI, a list of mappings for the config)
# ------------------------------------------------------------------------------------------------


def _cell(raw: str | None, where: str, column: str, check: Callable[[float], bool], what: str) -> float | None:
    """A finite number satisfying ``check`` from a cell, None for an empty cell."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise SegmentError(f"{where}, column {column!r}: not a number: {text!r}") from None
    if not math.isfinite(value) or not check(value):
        raise SegmentError(f"{where}, column {column!r}: must be {what}, got {text!r}")
    return value


def _segment_from_cells(cells: Mapping[str, str | None], where: str) -> Segment:
    weight = _cell(cells.get("weight"), where, "weight", lambda x: x > 0, "a positive number")
    if weight is None:
        raise SegmentError(f"{where}, column 'weight': empty; every segment needs a weight")
    alpha = _cell(cells.get("alpha"), where, "alpha", lambda x: x > 0, "a positive number")
    scale = _cell(cells.get("alpha_scale"), where, "alpha_scale", lambda x: x > 0, "a positive number")
    if alpha is not None and scale is not None:
        raise SegmentError(f"{where}: give 'alpha' or 'alpha_scale', not both")
    raw_beta = (cells.get("beta") or "").strip()
    try:
        beta = beta_codec.parse(raw_beta, f"{where}, column 'beta'") if raw_beta else None
    except beta_codec.BetaError as exc:
        raise SegmentError(str(exc)) from None
    v0 = _cell(cells.get("v0"), where, "v0", lambda x: True, "a finite number")
    name = (cells.get("name") or "").strip()
    return Segment(weight=weight, alpha=alpha, alpha_scale=1.0 if scale is None else scale, beta=beta, v0=v0, name=name)


def _check_names(segments: Sequence[Segment], wheres: Sequence[str]) -> None:
    seen: dict[str, str] = {}
    for seg, where in zip(segments, wheres):
        if seg.name and seg.name in seen:
            raise SegmentError(f"{where}: segment name {seg.name!r} already used ({seen[seg.name]})")
        seen[seg.name] = where


def read_segments_csv(path: str | Path) -> list[Segment]:
    """Segments from a CSV with a header: ``weight`` required; ``name``, ``alpha`` (absolute),
    ``alpha_scale`` (x the market's alpha), ``beta`` (a number or inf) and ``v0`` optional, an empty
    cell meaning the game's value. UTF-8 (a byte-order mark is dropped). Errors name the file, the
    line and the column."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SegmentError(f"{path}: cannot open segments file ({exc.strerror or exc})") from None
    data = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SegmentError(f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the segments as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise SegmentError(f"{path}: empty file, expected a header with 'weight' and any of {list(SEGMENT_COLUMNS)}")
        for col, name in enumerate(header, start=1):
            if name not in SEGMENT_COLUMNS:
                raise SegmentError(f"{path}, line 1, column {col}: unknown column {name!r}; known: {list(SEGMENT_COLUMNS)}")
            if header.index(name) != col - 1:
                raise SegmentError(f"{path}, line 1, column {col}: column {name!r} appears twice in the header")
        if "weight" not in header:
            raise SegmentError(f"{path}, line 1: missing column 'weight'")
        segments, wheres = [], []
        for fields in reader:
            where = f"{path}, line {reader.line_num}"
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise SegmentError(f"{where}: {len(fields)} fields, the header has {len(header)}")
            segments.append(_segment_from_cells(dict(zip(header, fields)), where))
            wheres.append(where)
    except csv.Error as exc:
        raise SegmentError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from None
    if not segments:
        raise SegmentError(f"{path}: no segments (a header and at least one row are needed)")
    _check_names(segments, wheres)
    _check_weights([s.weight for s in segments], str(path))
    return segments


def segments_from_config(items: Sequence[Mapping[str, object]], key: str = "market.segments") -> list[Segment]:
    """Segments from the config list ``market.segments`` (keys name, weight, alpha_scale, beta, v0;
    beta and v0 null for the game's). Errors name the key and the item."""
    segments, wheres = [], []
    for j, item in enumerate(items):
        where = f"{key}[{j}]"
        cells = {k: (None if item.get(k) is None else str(item.get(k))) for k in ("name", "weight", "alpha_scale", "beta", "v0")}
        segments.append(_segment_from_cells(cells, where))
        wheres.append(where)
    if not segments:
        raise SegmentError(f"{key}: no segments")
    _check_names(segments, wheres)
    _check_weights([s.weight for s in segments], key)
    return segments


# ------------------------------------------------------------------------------------------------
# Utilities, welfare and the equilibrium test of the mixture
# ------------------------------------------------------------------------------------------------


def _weighted_sum(sm: SegmentedMarket, term: Callable[[Market, float], np.ndarray]) -> np.ndarray:
    """sum_s w_s term(market_s, beta_s), accumulated in segment order from w_1 term_1 (one segment:
    1.0 x term, the engine's bits)."""
    total = None
    for m, w, beta in zip(sm.markets, sm.weights, sm.betas):
        part = w * np.asarray(term(m, beta), dtype=float)
        total = part if total is None else total + part
    return total


def deviation_utilities_rows(sm: SegmentedMarket, profiles: np.ndarray, i: int) -> np.ndarray:
    """U_i(l; theta_-i) = sum_s w_s s_si(l) (p_il - c_il) for every level l of provider i and every row
    of ``profiles`` (B, N): shape (B, K_i); each segment's term is the engine's evaluation
    (:func:`ttcgames.game.payoffs.deviation_utilities_rows`)."""
    P = np.asarray(profiles, dtype=np.int64)
    return _weighted_sum(sm, lambda m, beta: payoffs.deviation_utilities_rows(m, P, i, beta))


def utilities(sm: SegmentedMarket, profiles: np.ndarray) -> np.ndarray:
    """U_i for every provider at the profile(s): shape (..., N)."""
    return _weighted_sum(sm, lambda m, beta: payoffs.utilities(m, profiles, beta))


def social_welfare(sm: SegmentedMarket, profiles: np.ndarray) -> np.ndarray | float:
    """W = sum_s w_s W_s (Eq. 5 per segment): each segment's user value plus the providers' profits."""
    w = _weighted_sum(sm, lambda m, beta: payoffs.social_welfare(m, profiles, beta))
    return float(w) if np.ndim(w) == 0 else w


def equilibrium_mask(sm: SegmentedMarket, profiles: np.ndarray, rel_tol: float = REL_TOL) -> np.ndarray:
    """For each row of ``profiles`` (B, N), True when no provider moves: the engine's comparison
    (:func:`ttcgames.game.payoffs.stays`) on the mixture's utilities. Rows that a provider already
    rejects are not evaluated for the next providers (each row's test is independent of the others)."""
    P = np.asarray(profiles, dtype=np.int64).reshape(-1, sm.n_providers)
    alive = np.arange(len(P))
    for i in range(sm.n_providers):
        if not len(alive):
            break
        u = deviation_utilities_rows(sm, P[alive], i)
        cur = np.take_along_axis(u, P[alive, i][:, None], axis=1)[:, 0]
        alive = alive[payoffs.stays(u, cur, rel_tol)]
    out = np.zeros(len(P), dtype=bool)
    out[alive] = True
    return out


def enumerate_equilibria(sm: SegmentedMarket, *, rel_tol: float = REL_TOL, max_profiles: int = MAX_EQUILIBRIUM_PROFILES) -> Equilibria:
    """Every pure equilibrium of the mixture, by testing all prod_i K_i profiles (cost in the module
    docstring); more than ``max_profiles`` profiles raise :class:`EquilibriaTooLarge`."""
    total = sm.n_profiles
    if total > max_profiles:
        raise EquilibriaTooLarge(
            f"{total:,} profiles ({sm.n_providers} providers, levels {sm.base.n_levels.tolist()}) x {len(sm.markets)} segments: "
            f"more than the {max_profiles:,} that the exact enumeration of a mixture allows; use the dynamics' end points"
        )
    found = [P[equilibrium_mask(sm, P, rel_tol)] for P in iter_profiles(sm.base, CHUNK)]
    profiles = np.concatenate(found)
    welfare = np.atleast_1d(social_welfare(sm, profiles)) if len(profiles) else np.zeros(0)
    return Equilibria.from_profiles(profiles, welfare, sm.n_providers)


def social_optimum(sm: SegmentedMarket, *, max_profiles: int = MAX_OPTIMUM_PROFILES) -> Optimum:
    """max_theta W(theta) by enumeration of all profiles (the first maximiser in mixed-radix order).
    Exact: W is evaluated at every profile. (Dinkelbach's method does not apply to a sum of ratios,
    see the module docstring.) More than ``max_profiles`` profiles raise :class:`TooManyProfiles`."""
    if sm.n_profiles > max_profiles:
        raise TooManyProfiles(f"{sm.n_profiles:,} profiles: more than the {max_profiles:,} that the optimum's enumeration allows")
    best_w, best_p = -np.inf, None
    for P in iter_profiles(sm.base, CHUNK):
        w = np.atleast_1d(social_welfare(sm, P))
        j = int(np.argmax(w))
        if w[j] > best_w:
            best_w, best_p = float(w[j]), P[j].copy()
    return Optimum(welfare=best_w, profile=best_p)


# ------------------------------------------------------------------------------------------------
# Dynamics and auctions
# ------------------------------------------------------------------------------------------------


def segment_dynamics(
    sm: SegmentedMarket,
    *,
    rng: np.random.Generator | int | None = 0,
    start: np.ndarray | None = None,
    best_response: bool = False,
    rel_tol: float = REL_TOL,
    max_rounds: int = 100_000,
) -> DynamicsPath:
    """Better-response dynamics (the paper's rules, :mod:`ttcgames.game.dynamics`) on the mixture's
    utilities, from ``start`` (default: every provider's lowest level). A cycle is reported in
    ``cycle`` and ends the run (the mixture may have no potential)."""
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    start = np.zeros(sm.n_providers, dtype=np.int64) if start is None else sm.base.check_profile(start)
    return run_rounds(
        lambda profile, i: deviation_utilities_rows(sm, profile[None, :], i)[0],
        start,
        rng,
        best_response=best_response,
        rel_tol=rel_tol,
        max_rounds=max_rounds,
    )


def _starts(sm: SegmentedMarket, n_starts: int, seed: int) -> list[np.ndarray]:
    """The paper's start (every provider at its lowest level), then ``n_starts - 1`` uniform random
    profiles drawn from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    out = [np.zeros(sm.n_providers, dtype=np.int64)]
    for _ in range(max(0, n_starts - 1)):
        out.append(rng.integers(0, sm.base.n_levels).astype(np.int64))
    return out


def dynamics_equilibria(sm: SegmentedMarket, *, n_starts: int = DEFAULT_STARTS, seed: int = 0) -> tuple[list[DynamicsPath], Equilibria]:
    """Runs of the dynamics from ``n_starts`` seeded starts (run r draws its turn orders from
    ``default_rng([seed, r])``) and the distinct equilibria they end at (a subset of all of them)."""
    runs = [segment_dynamics(sm, rng=np.random.default_rng([seed, r]), start=s) for r, s in enumerate(_starts(sm, n_starts, seed))]
    ends = [r.profiles[-1] for r in runs if r.converged]
    profiles = np.unique(np.array(ends), axis=0) if ends else np.zeros((0, sm.n_providers), dtype=np.int64)
    welfare = np.atleast_1d(social_welfare(sm, profiles)) if len(profiles) else np.zeros(0)
    return runs, Equilibria.from_profiles(profiles, welfare, sm.n_providers)


def segment_auctions(sm: SegmentedMarket) -> list[AuctionOutcome]:
    """The second-price auction of Section 4 run in each segment on its own (one user type, one
    auction; Eq. 10-13). Each winner bids its own best level for that segment, theta*_si = argmax W_si
    (Theorem 5), so the auctions' welfare sum_s w_s max_i max_theta W_si (or V0_s if higher, the
    reserve) is at least the game's optimum, where a provider keeps one level for every segment."""
    return [second_price_auction(m) for m in sm.markets]


# ------------------------------------------------------------------------------------------------
# The whole analysis of one mixture (what ``ttcgames game --segments`` writes) and the PoA vs spread
# ------------------------------------------------------------------------------------------------


def _weighted(sm: SegmentedMarket, values: Sequence[float]) -> float:
    """sum_s w_s x_s from the first segment on (one segment: 1.0 x x_1)."""
    total = sm.weights[0] * values[0]
    for w, x in zip(sm.weights[1:], values[1:]):
        total = total + w * x
    return float(total)


def _profile_summary(sm: SegmentedMarket, profile: np.ndarray) -> dict:
    """The Table 2 "Game" statistics of a profile, averaged over the segments with their weights, and
    each segment's own (:func:`ttcgames.game.outcomes.profile_outcome`)."""
    outs = [profile_outcome(m, profile, b) for m, b in zip(sm.markets, sm.betas)]
    named = sm.base.providers
    shares = [_weighted(sm, [o.shares[i] for o in outs]) for i in range(sm.n_providers)]
    return {
        "profile": sm.base.theta_of(profile),
        "welfare": _weighted(sm, [o.welfare for o in outs]),
        "user_value": _weighted(sm, [o.user_value for o in outs]),
        "price": _weighted(sm, [o.price for o in outs]),
        "provider_utility": _weighted(sm, [o.provider_utility for o in outs]),
        "shares": dict(zip(named, shares)),
        "abstention_share": _weighted(sm, [o.abstention for o in outs]),
        "segments": {
            name: {
                "welfare": o.welfare,
                "user_value": o.user_value,
                "price": o.price,
                "provider_utility": o.provider_utility,
                "shares": {p: float(x) for p, x in zip(named, o.shares)},
                "abstention_share": o.abstention,
            }
            for name, o in zip(sm.names, outs)
        },
    }


def _run_summary(sm: SegmentedMarket, run: DynamicsPath) -> dict:
    return {
        "start": sm.base.theta_of(run.profiles[0]),
        "end": sm.base.theta_of(run.profiles[-1]) if run.converged else None,
        "converged": run.converged,
        "iterations": int(np.flatnonzero(run.moved)[-1]) if run.moved.any() else 0,
        "turns": len(run.profiles) - 1,
        "rounds": run.rounds,
        "cycle": None if run.cycle is None else [sm.base.theta_of(p) for p in run.cycle],
        "cycle_rounds": None if run.cycle_rounds is None else list(run.cycle_rounds),
    }


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def _equilibria_summary(sm: SegmentedMarket, eqs: Equilibria, method: str, optimum: float, listed: int = 100) -> dict:
    return {
        "method": method,  # "enumeration": all of them; "dynamics": the distinct end points of the runs
        "count": eqs.count,
        # the first ``listed`` profiles box by box (a box may hold billions: never expand them all)
        "profiles": [sm.base.theta_of(p) for p in itertools.islice(itertools.chain.from_iterable(itertools.product(*b) for b in eqs.boxes), listed)],
        "worst_welfare": eqs.worst_welfare if eqs.count else None,
        "best_welfare": eqs.best_welfare if eqs.count else None,
        "price_of_anarchy": _ratio(optimum, eqs.worst_welfare) if eqs.count else None,
        "price_of_stability": _ratio(optimum, eqs.best_welfare) if eqs.count else None,
    }


def _auction_summary(sm: SegmentedMarket) -> dict:
    outs = segment_auctions(sm)
    name = lambda m, i: m.providers[i] if i is not None else None  # noqa: E731
    theta = lambda m, o: None if o.winner is None else m.theta_of_level(o.winner, o.bids.levels[o.winner])  # noqa: E731
    per = {
        seg: {
            "winner": name(m, o.winner),
            "runner_up": name(m, o.runner_up),
            "user_value": o.user_value,
            "price": o.payment,
            "utility": o.winner_utility,
            "welfare": o.welfare,
            "winner_theta": theta(m, o),
        }
        for seg, m, o in zip(sm.names, sm.markets, outs)
    }
    totals = {k: _weighted(sm, [p[k] for p in per.values()]) for k in ("user_value", "price", "utility", "welfare")}
    return dict(totals, segments=per)


def _optimum(sm: SegmentedMarket) -> Optimum:
    """The mixture's optimum by enumeration; one segment is the paper's game, whose exact method
    (:func:`ttcgames.game.optimum.social_optimum`: Dinkelbach, or the grouping at beta = inf) applies
    at any size and gives today's number."""
    if len(sm.markets) == 1:
        return paper_optimum(sm.base, sm.betas[0])
    return social_optimum(sm)


def _equilibria(sm: SegmentedMarket, runs: Sequence[DynamicsPath], max_profiles: int) -> tuple[Equilibria, str]:
    """All pure equilibria ("enumeration"; one segment: the engine's exact enumeration, any size), or
    beyond the limit the distinct end points of the runs ("dynamics")."""
    try:
        if len(sm.markets) == 1:
            return paper_equilibria(sm.base, sm.betas[0]), "enumeration"
        return enumerate_equilibria(sm, max_profiles=max_profiles), "enumeration"
    except EquilibriaTooLarge:
        ends = [r.profiles[-1] for r in runs if r.converged]
        P = np.unique(np.array(ends, dtype=np.int64), axis=0) if ends else np.zeros((0, sm.n_providers), dtype=np.int64)
        welfare = np.atleast_1d(social_welfare(sm, P)) if len(P) else np.zeros(0)
        return Equilibria.from_profiles(P, welfare, sm.n_providers), "dynamics"


def solve_segments(sm: SegmentedMarket, *, seed: int = 0, n_starts: int = DEFAULT_STARTS, max_profiles: int = MAX_EQUILIBRIUM_PROFILES) -> dict:
    """One JSON-ready entry for the mixture: the dynamics from the lowest levels (turn orders from
    ``default_rng(seed)``, as :func:`ttcgames.game.analysis.solve_game`) and from ``n_starts - 1``
    seeded random starts (:func:`_starts`; run r's turn orders from ``default_rng([seed, r])``), the
    exact optimum, the price of anarchy of the reached equilibrium (None when the run cycled), the
    pure equilibria (all of them by enumeration, else the runs' end points) and the per-segment
    auctions."""
    first = segment_dynamics(sm, rng=np.random.default_rng(seed))
    starts = _starts(sm, n_starts, seed)[1:]
    runs = [first] + [segment_dynamics(sm, rng=np.random.default_rng([seed, r]), start=s) for r, s in enumerate(starts, start=1)]
    opt = _optimum(sm)
    eqs, method = _equilibria(sm, runs, max_profiles)
    reached = _profile_summary(sm, first.profiles[-1]) if first.converged else None
    return {
        "segments": [
            {"name": n, "weight": w, "alpha": a, "beta": beta_codec.to_json(b), "v0": m.v0}
            for n, w, a, b, m in zip(sm.names, sm.weights, sm.alphas, sm.betas, sm.markets)
        ],
        "equilibrium": dict(reached or {}, **_run_summary(sm, first)),
        "optimum": {"welfare": opt.welfare, "profile": sm.base.theta_of(opt.profile)},
        "price_of_anarchy": _ratio(opt.welfare, reached["welfare"]) if reached else None,
        "equilibria": _equilibria_summary(sm, eqs, method, opt.welfare),
        "runs": [_run_summary(sm, r) for r in runs],
        "auction": _auction_summary(sm),
    }


def analyse_segments(
    markets: Sequence[Market],
    segments: Sequence[Segment],
    betas: Iterable[float],
    *,
    alpha: float,
    seed: int = 0,
    n_starts: int = DEFAULT_STARTS,
    parameters: Mapping[str, object] | None = None,
) -> dict:
    """The JSON document of ``ttcgames game --segments`` and of the workflow's ``segments.json``: one
    :func:`solve_segments` entry per game beta (segments with their own beta keep it)."""
    games = []
    for beta in betas:
        sm = segmented_market(markets, segments, alpha=alpha, beta=beta)
        games.append(dict(beta=beta_codec.to_json(beta), **solve_segments(sm, seed=seed, n_starts=n_starts)))
    return {
        "parameters": dict(parameters or {}, seed=seed, starts=n_starts),
        "providers": list(markets[0].providers),
        "games": games,
    }


def poa_vs_spread(
    rows: Iterable[Mapping[str, object]],
    *,
    alpha: float,
    beta: float,
    spreads: Sequence[float],
    baseline: float = 0.1,
    margin: float = 0.25,
    v0: float = 0.0,
    seed: int = 0,
) -> list[dict]:
    """The price of anarchy as the users' values of accuracy spread around a fixed mean: two equal
    segments with alpha (1 - d) and alpha (1 + d) for each d in ``spreads`` (0 <= d < 1; the mean
    stays alpha and d is the coefficient of variation of alpha over users), both at ``beta``.
    d = 0 is the paper's game exactly (0.5 u + 0.5 u = u in floating point). One row per d: the
    reached equilibrium's PoA, the worst and best over all pure equilibria, their count, the
    optimum, and whether the dynamics cycled."""
    rows = list(rows)
    out = []
    for d in spreads:
        if not 0.0 <= d < 1.0:
            raise SegmentError(f"spread {d!r} must lie in [0, 1) (alpha (1 - d) must stay positive)")
        segs = [Segment(weight=0.5, alpha=alpha * (1.0 - d), name="low"), Segment(weight=0.5, alpha=alpha * (1.0 + d), name="high")]
        sm = segmented_market_from_rows(rows, segs, alpha=alpha, beta=beta, baseline=baseline, margin=margin, v0=v0)
        g = solve_segments(sm, seed=seed, n_starts=1)
        eqs = g["equilibria"]
        out.append(
            {
                "spread": float(d),
                "alpha_low": sm.alphas[0],
                "alpha_high": sm.alphas[1],
                "optimal_welfare": g["optimum"]["welfare"],
                "equilibrium_welfare": g["equilibrium"].get("welfare"),
                "price_of_anarchy": g["price_of_anarchy"],
                "equilibria": eqs["count"],
                "worst_price_of_anarchy": eqs["price_of_anarchy"],
                "price_of_stability": eqs["price_of_stability"],
                "cycled": g["equilibrium"]["cycle"] is not None,
            }
        )
    return out
