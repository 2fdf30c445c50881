"""Typed results of the engine, and the one reader of the games JSON.

``ttcgames game --json`` writes one document per market (README, "games JSON"):
``{"parameters", "providers", "auction", "games": [...]}`` with one ``games`` entry per beta.
These frozen dataclasses are that document: each field is one JSON key, in the order the file has
them, so ``to_json`` of a result built by :func:`ttcgames.game.analysis.solve_game` is the file's
text byte for byte once ``json.dumps``-ed, and ``from_json(to_json(r)) == r``.

- :class:`GameResult`: one beta's game (Section 3): the equilibrium the better-response dynamics
  reach, the optimum, the price of anarchy (Eq. 9), Theorem 2's and Theorem 4's statements and,
  optionally, the summary over all pure equilibria;
- :class:`AuctionResult`: the reverse second-price auction (Section 4, Eq. 10-13) with truthful bids;
- :class:`GamesDocument`: the whole file; :func:`read_games` reads and checks one;
- :class:`SweepRow`: one row of ``ttcgames sweep``'s CSV.

Readers need only some keys (:data:`REQUIRED`): other keys may be missing (older or hand-written
files) and read as None. A file without a required key, or with a value of the wrong type, is
refused with a :class:`ResultsError` naming the file, the entry and the key.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ttcgames.game import beta as beta_codec

__all__ = [
    "ResultsError",
    "EquilibriumResult",
    "OptimumResult",
    "Theorem2Result",
    "Theorem4Result",
    "EquilibriaResult",
    "GameResult",
    "AuctionResult",
    "GamesDocument",
    "SweepRow",
    "SWEEP_COLUMNS",
    "MEANS",
    "OLD_FILE_HINT",
    "read_games",
    "parse_games",
]

# The unweighted means over providers; files written before they were added lack them.
MEANS = ("mean_user_value", "mean_price", "mean_provider_margin")
OLD_FILE_HINT = " (written before the unweighted means were added: rerun the games stage)"


class ResultsError(ValueError):
    """A games JSON (or sweep row) that is missing a key or holds a wrong value; the message names
    the file, the entry and the key."""


# ---------------------------------------------------------------------------------------------
# Checking one JSON object


def _object(obj: Any, where: str) -> Mapping:
    if not isinstance(obj, Mapping):
        raise ResultsError(f"{where}: expected an object")
    return obj


def _require(obj: Any, keys: Sequence[str], where: str, hint: str = "") -> Mapping:
    obj = _object(obj, where)
    missing = [k for k in keys if k not in obj]
    if missing:
        raise ResultsError(f"{where}: missing key(s) {missing}{hint}")
    return obj


def _number(obj: Mapping, key: str, where: str) -> Any:
    """``obj[key]`` when it is a number or null (absent: None); anything else is refused."""
    value = obj.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise ResultsError(f"{where}.{key}: not a number: {value!r}")
    return value


def _numbers(obj: Mapping, keys: Sequence[str], where: str) -> dict[str, Any]:
    return {k: _number(obj, k, where) for k in keys}


def _plain(value: Any) -> Any:
    """A field's JSON value: nested results become objects, tuples lists, dicts fresh dicts."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _JsonRecord:
    """``to_json``: the fields in declaration order (the file's key order)."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def _dict(value: Any) -> dict | None:
    return dict(value) if isinstance(value, Mapping) else None


# ---------------------------------------------------------------------------------------------
# One beta's game


@dataclass(frozen=True)
class EquilibriumResult(_JsonRecord):
    """The pure equilibrium the dynamics reach and its Table 2 statistics (Eq. 3-5 share-weighted)."""

    profile: dict | None
    iterations: int
    turns: int | None
    rounds: int | None
    welfare: float | None
    user_value: float | None
    price: float | None
    provider_utility: float | None
    mean_user_value: float | None
    mean_price: float | None
    mean_provider_margin: float | None
    shares: dict | None
    abstention_share: float | None

    REQUIRED = ("user_value", "price", "provider_utility", "welfare", "iterations")

    @classmethod
    def from_json(cls, obj: Any, where: str, *, require_means: bool = False) -> EquilibriumResult:
        obj = _require(obj, cls.REQUIRED, where)
        if require_means:
            _require(obj, MEANS, where, OLD_FILE_HINT)
        nums = _numbers(
            obj, ("iterations", "turns", "rounds", "welfare", "user_value", "price", "provider_utility", *MEANS, "abstention_share"), where
        )
        return cls(profile=_dict(obj.get("profile")), shares=_dict(obj.get("shares")), **nums)


@dataclass(frozen=True)
class OptimumResult(_JsonRecord):
    """The exact social optimum max W (Eq. 5) and a profile reaching it."""

    welfare: float | None
    profile: dict | None

    @classmethod
    def from_json(cls, obj: Any, where: str) -> OptimumResult:
        obj = _require(obj, ("welfare",), where)
        return cls(welfare=_number(obj, "welfare", where), profile=_dict(obj.get("profile")))


@dataclass(frozen=True)
class Theorem4Result(_JsonRecord):
    """Theorem 4's first-order bound on the price of anarchy, its terms and whether it informs."""

    leading: float | None
    f_beta: float | None
    w_star: float | None
    delta_w: float | None
    expansion_terms: tuple[float, ...]
    informative: bool
    not_informative_because: str | None

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Theorem4Result:
        obj = _object(obj, where)
        nums = _numbers(obj, ("leading", "f_beta", "w_star", "delta_w"), where)
        return cls(
            **nums,
            expansion_terms=tuple(obj.get("expansion_terms") or ()),
            informative=bool(obj.get("informative")),
            not_informative_because=obj.get("not_informative_because"),
        )


@dataclass(frozen=True)
class Theorem2Result(_JsonRecord):
    """Theorem 2's dominant provider and level in the beta = inf game, and whether the equilibrium agrees."""

    dominant: str | None
    theta: float | int | None
    rival_threshold: float | None
    equilibrium_agrees: bool

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Theorem2Result:
        obj = _object(obj, where)
        return cls(
            dominant=obj.get("dominant"),
            theta=_number(obj, "theta", where),
            rival_threshold=_number(obj, "rival_threshold", where),
            equilibrium_agrees=bool(obj.get("equilibrium_agrees")),
        )


@dataclass(frozen=True)
class EquilibriaResult(_JsonRecord):
    """All pure equilibria: their number, worst and best welfare, PoA over the worst and PoS (Eq. 9)."""

    count: int
    worst_welfare: float | None
    best_welfare: float | None
    price_of_anarchy: float | None
    price_of_stability: float | None

    @classmethod
    def from_json(cls, obj: Any, where: str) -> EquilibriaResult:
        obj = _require(obj, ("count",), where)
        return cls(**_numbers(obj, ("count", "worst_welfare", "best_welfare", "price_of_anarchy", "price_of_stability"), where))


@dataclass(frozen=True)
class GameResult:
    """One ``games[]`` entry: the game at one beta (Section 3). ``beta`` is a float (``math.inf``
    for perfect rationality; written ``"inf"``). ``equilibria`` is None unless all pure equilibria
    were enumerated (the key is then absent from the JSON)."""

    beta: float
    equilibrium: EquilibriumResult
    optimum: OptimumResult
    price_of_anarchy: float | None
    theorem4_bound: float | None = None
    theorem4: Theorem4Result | None = None
    theorem2: Theorem2Result | None = None
    equilibria: EquilibriaResult | None = None

    REQUIRED = ("beta", "equilibrium", "optimum", "price_of_anarchy")

    def to_json(self) -> dict[str, Any]:
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        out["beta"] = beta_codec.to_json(self.beta)
        if self.equilibria is None:
            del out["equilibria"]
        return out

    @classmethod
    def from_json(cls, obj: Any, where: str, *, require_means: bool = False) -> GameResult:
        obj = _require(obj, cls.REQUIRED, where)
        try:
            beta = beta_codec.from_json(obj["beta"])
        except beta_codec.BetaError as exc:
            raise ResultsError(f"{where}.beta: {exc}") from None
        t4, t2, eqs = obj.get("theorem4"), obj.get("theorem2"), obj.get("equilibria")
        return cls(
            beta=beta,
            equilibrium=EquilibriumResult.from_json(obj["equilibrium"], f"{where}.equilibrium", require_means=require_means),
            optimum=OptimumResult.from_json(obj["optimum"], f"{where}.optimum"),
            price_of_anarchy=_number(obj, "price_of_anarchy", where),
            theorem4_bound=_number(obj, "theorem4_bound", where),
            theorem4=None if t4 is None else Theorem4Result.from_json(t4, f"{where}.theorem4"),
            theorem2=None if t2 is None else Theorem2Result.from_json(t2, f"{where}.theorem2"),
            equilibria=None if eqs is None else EquilibriaResult.from_json(eqs, f"{where}.equilibria"),
        )


# ---------------------------------------------------------------------------------------------
# The auction and the whole document


@dataclass(frozen=True)
class AuctionResult(_JsonRecord):
    """The auction column of Table 2 (Section 4): winner, runner-up (provider names or None), the
    user's value, the payment, the winner's utility and the welfare (Eq. 10-13), and each provider's
    truthful bid (Theorem 5): its theta, price and offered value V_i = W_i^*."""

    winner: str | None
    runner_up: str | None
    user_value: float | None
    price: float | None
    utility: float | None
    welfare: float | None
    truthful_theta: dict | None = None
    truthful_price: dict | None = None
    offered_value: dict | None = None

    REQUIRED = ("winner", "runner_up", "user_value", "price", "utility", "welfare")

    @classmethod
    def from_json(cls, obj: Any, where: str) -> AuctionResult:
        obj = _require(obj, cls.REQUIRED, where)
        nums = _numbers(obj, ("user_value", "price", "utility", "welfare"), where)
        return cls(
            winner=obj["winner"],
            runner_up=obj["runner_up"],
            **nums,
            truthful_theta=_dict(obj.get("truthful_theta")),
            truthful_price=_dict(obj.get("truthful_price")),
            offered_value=_dict(obj.get("offered_value")),
        )


@dataclass(frozen=True)
class GamesDocument(_JsonRecord):
    """One games JSON: the run's parameters, the providers in market order, the auction and one
    :class:`GameResult` per beta (in the order the betas were given)."""

    parameters: dict | None
    providers: tuple[str, ...] | None
    auction: AuctionResult
    games: tuple[GameResult, ...]

    @property
    def betas(self) -> list[float]:
        return [g.beta for g in self.games]

    def game_at(self, beta: object, rel_tol: float = beta_codec.REL_TOL) -> GameResult | None:
        """The game at ``beta`` (:func:`ttcgames.game.beta.same`), or None when there is none."""
        k = beta_codec.find(self.betas, beta, rel_tol)
        return None if k is None else self.games[k]


def parse_games(doc: Any, source: str, *, require_means: bool = False) -> GamesDocument:
    """Check and type one games JSON already loaded (``source`` names it in errors). With
    ``require_means``, the unweighted means are required too (files older than them get a hint)."""
    doc = _require(doc, ("auction", "games"), source)
    games = doc["games"]
    if not isinstance(games, list) or not games:
        raise ResultsError(f"{source}: 'games' must be a non-empty list")
    providers = doc.get("providers")
    return GamesDocument(
        parameters=_dict(doc.get("parameters")),
        providers=None if providers is None else tuple(providers),
        auction=AuctionResult.from_json(doc["auction"], f"{source}: auction"),
        games=tuple(GameResult.from_json(g, f"{source}: games[{k}]", require_means=require_means) for k, g in enumerate(games)),
    )


def read_games(path: str | os.PathLike, *, require_means: bool = False) -> GamesDocument:
    """Read and check one games JSON file (:func:`parse_games`); a missing file or invalid JSON is
    refused with the path (and the line)."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"missing games file {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ResultsError(f"{path}: invalid JSON at line {err.lineno} ({err.msg})") from None
    return parse_games(doc, str(path), require_means=require_means)


# ---------------------------------------------------------------------------------------------
# The beta sweep


@dataclass(frozen=True)
class SweepRow(_JsonRecord):
    """One beta of the inefficiency-vs-beta sweep: the reached equilibrium, the optimum and the
    price of anarchy there (Eq. 9), Theorem 4's bound, and over all pure equilibria their number,
    worst and best welfare, the worst-case price of anarchy and the price of stability."""

    beta: float
    equilibrium_welfare: float | None
    optimal_welfare: float | None
    price_of_anarchy: float | None
    iterations: int | None
    user_value: float | None
    price: float | None
    provider_utility: float | None
    theorem4_bound: float | None
    theorem4_informative: bool
    equilibria: int | None
    worst_equilibrium_welfare: float | None
    best_equilibrium_welfare: float | None
    worst_price_of_anarchy: float | None
    price_of_stability: float | None

    @classmethod
    def from_game(cls, game: GameResult) -> SweepRow:
        """The sweep row of one game solved with all equilibria."""
        eq, eqs = game.equilibrium, game.equilibria
        if eqs is None:
            raise ValueError(f"beta = {beta_codec.text(game.beta)}: the sweep needs all pure equilibria (all_equilibria=True)")
        return cls(
            beta=game.beta,
            equilibrium_welfare=eq.welfare,
            optimal_welfare=game.optimum.welfare,
            price_of_anarchy=game.price_of_anarchy,
            iterations=eq.iterations,
            user_value=eq.user_value,
            price=eq.price,
            provider_utility=eq.provider_utility,
            theorem4_bound=game.theorem4_bound,
            theorem4_informative=game.theorem4.informative if game.theorem4 is not None else False,
            equilibria=eqs.count,
            worst_equilibrium_welfare=eqs.worst_welfare,
            best_equilibrium_welfare=eqs.best_welfare,
            worst_price_of_anarchy=eqs.price_of_anarchy,
            price_of_stability=eqs.price_of_stability,
        )

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["beta"] = beta_codec.to_json(self.beta)
        return out

    @classmethod
    def from_json(cls, row: Mapping[str, Any], where: str = "sweep row") -> SweepRow:
        """A row as :meth:`to_json` gives it or as ``csv.DictReader`` reads the CSV back (text
        cells; an empty cell is None)."""
        row = _require(row, SWEEP_COLUMNS, where)
        try:
            beta = beta_codec.from_json(row["beta"])
        except beta_codec.BetaError as exc:
            raise ResultsError(f"{where}.beta: {exc}") from None
        values = {k: _cell(row[k], k, where) for k in SWEEP_COLUMNS[1:]}
        for k in ("iterations", "equilibria"):
            values[k] = None if values[k] is None else int(values[k])
        return cls(beta=beta, **values)


def _cell(raw: Any, key: str, where: str) -> Any:
    if key == "theorem4_informative":
        if isinstance(raw, bool):
            return raw
        if raw in ("True", "False"):
            return raw == "True"
        raise ResultsError(f"{where}.{key}: not True or False: {raw!r}")
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            raise ResultsError(f"{where}.{key}: not a number: {raw!r}") from None
    return _number({key: raw}, key, where)


SWEEP_COLUMNS = tuple(f.name for f in fields(SweepRow))
