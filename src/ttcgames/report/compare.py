"""Compare the reproduced games with every number the paper and its authors' notebooks printed.

The published numbers ship in ``config/published.yaml``, as printed and with where they were
printed: the notebooks' game outcomes of the 9 games (dataset x method) at beta = 200, 1000 and
100000 (share-weighted user value, price and provider utility at the reached equilibrium, the
unweighted means over providers of V_i, p_i and p_i - c_i, equilibrium and optimal welfare), the
notebooks' auction of each game (winner, runner-up, their best welfare contributions W, user
value, price, winner utility, welfare), Table 2, and the numbers of Section 5's text and Table 2's
caption. Ours come from the games JSON of each (dataset, method) (``ttcgames game``; README).

Money is compared in ``money_unit`` (USD x 1e-3, the paper's unit); a number printed in USD by a
notebook is converted exactly (a power-of-ten shift of the printed decimal, so its printed
precision is kept). Each published number has a *mode* saying when ours agrees with it:

- ``round``: ours rounds to it, |ours - published| <= half a unit of its last digit;
- ``truncate`` (Table 2, which cuts digits): ours truncates to it, published <= ours <
  published + one unit (mirrored below zero); a text percentage marked ``from_table2`` is computed
  as the paper did, from our Table 2 numbers cut to Table 2's digits, before it is truncated;
- ``interval``: low <= ours <= high, for a phrase that bounds a number only loosely
  ("about 0.6%" inefficiency);
- ``exact``: provider names, compared as the trace files' model names (our provider ids are mapped
  through ``traces.models``);
- ``not_comparable``: shown beside ours but never judged (a published number that was one
  unseeded random draw, such as the iterations of the authors' dynamics).

``agrees`` reads ``yes`` or ``no``; ``not judged`` for ``not_comparable``; ``n/a`` when the game
(or its beta) was not run. Steps (``build_comparison``): ``load_published`` ->
``compare_numbers`` (``game_numbers`` / ``auction_numbers`` per games JSON) ->
``comparison_markdown``; the CSV and Markdown are written atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ttcgames.config.errors import ConfigError
from ttcgames.config.schema import load_schema, load_yaml, schema_errors
from ttcgames.config.validation import error_lines
from ttcgames.game import beta as beta_codec
from ttcgames.game import quantities as Q
from ttcgames.game.results import GamesDocument, ResultsError, parse_games, read_games
from ttcgames.io.atomic import atomic_write_text
from ttcgames.traces.importer import model_name_from_filename
from ttcgames.uncertainty.paired import read_summary

__all__ = [
    "MODES",
    "GAME_QUANTITIES",
    "AUCTION_QUANTITIES",
    "TEXT_QUANTITIES",
    "COMPARISON_COLUMNS",
    "CompareError",
    "load_published",
    "game_numbers",
    "auction_numbers",
    "agrees",
    "accepted_range",
    "compare_numbers",
    "comparison_markdown",
    "build_comparison",
]

MODES = ("round", "truncate", "interval", "exact", "not_comparable")
# The quantities (names of the registry, ttcgames.game.quantities) the notebooks printed per game
# and beta, per auction (the file's keys are the registry's published keys), and Table 2's.
GAME_QUANTITIES = ("value", "price", "utility", "welfare", "optimal_welfare", "mean_user_value", "mean_price", "mean_provider_margin")
AUCTION_QUANTITIES = (
    "auction_winner",
    "auction_runner_up",
    "auction_winner_welfare",
    "auction_runner_up_welfare",
    "auction_value",
    "auction_price",
    "auction_utility",
    "auction_welfare",
)
_AUCTION_FILE_KEYS = {Q.quantity(name).published_key: name for name in AUCTION_QUANTITIES}
_NAMES = tuple(name for name in AUCTION_QUANTITIES if Q.quantity(name).unit == Q.PROVIDER)
_TABLE2_QUANTITIES = ("value", "price", "utility", "welfare", "auction_value", "auction_price", "auction_utility", "auction_welfare")
# Text rows: quantity -> unit in the artifact. The *_change_pct ones, 100 (auction / game - 1), are
# the comparison's own (computed from Table 2's digits), not the registry's.
_UNIT_TEXT = {Q.RATIO: "ratio", Q.PERCENT: "%", Q.COUNT: "turns", Q.PROVIDER: "model"}
_CHANGE_OF = {
    "auction_value_change_pct": ("value", "auction_value"),
    "auction_welfare_change_pct": ("welfare", "auction_welfare"),
    "auction_utility_change_pct": ("utility", "auction_utility"),
}
TEXT_QUANTITIES = {
    **{name: _UNIT_TEXT[Q.quantity(name).unit] for name in ("price_of_anarchy", "welfare_loss_pct", "iterations", *_NAMES)},
    **{name: "%" for name in _CHANGE_OF},
}
PUBLISHED_SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "published.schema.yaml"
# Both tables start with the published number and where it belongs.
_NUMBER_COLUMNS = ("source", "dataset", "method", "beta", "quantity", "unit", "mode", "published")
PUBLISHED_COLUMNS = _NUMBER_COLUMNS + ("low", "high", "from_table2", "provenance", "note")
COMPARISON_COLUMNS = _NUMBER_COLUMNS + (
    "accepted",
    "ours",
    "difference",
    "relative_difference",
    "agrees",
    "ours_lo",
    "ours_hi",
    "in_interval",
    "provenance",
    "note",
)
NOT_JUDGED = "not judged"


class CompareError(ValueError):
    """A published-numbers file or games JSON is malformed; the message names the file and key."""


# ---------------------------------------------------------------------------------------------
# The published numbers: the file is validated by its schema, then each section is flattened


def _validated(path: Path, schema: str | os.PathLike) -> dict:
    """The parsed file, checked against ``schema`` by the workflow config's validator."""
    try:
        doc = load_yaml(path)
    except ConfigError as exc:
        raise CompareError(str(exc)) from None
    errors = schema_errors(doc, load_schema(schema))
    if errors:
        raise CompareError(f"invalid published numbers:\n{error_lines(errors, str(path), None)}")
    return doc


def _shift(money_scale: Any, where: str) -> int:
    """The power of ten of ``money_scale`` (an exact shift of printed decimals)."""
    exponent = math.log10(float(money_scale))
    if exponent != round(exponent):
        raise CompareError(f"{where}: money_scale must be a power of ten, got {money_scale!r}")
    return int(round(exponent))


def _money_shift(section: dict, shift: int, money_unit: str, where: str) -> int:
    """The decimal shift from a section's ``printed_in`` unit to ``money_unit``."""
    printed = section["printed_in"]
    if printed == "USD":
        return shift
    if printed == money_unit:
        return 0
    raise CompareError(f"{where}.printed_in: must be 'USD' or {money_unit!r}, got {printed!r}")


def _printed(text: str, shift: int) -> str:
    """A printed number moved ``shift`` decimal places, its digits kept (``"0.00457"``, 3 -> ``"4.57"``)."""
    return str(Decimal(text).scaleb(shift))


def _row(source, dataset, method, beta, quantity, unit, mode, published, provenance, note="", low="", high="", from_table2=()):
    return {
        "source": source,
        "dataset": dataset,
        "method": method,
        "beta": beta,
        "quantity": quantity,
        "unit": unit,
        "mode": mode,
        "published": published,
        "low": low,
        "high": high,
        "from_table2": tuple(from_table2),
        "provenance": provenance,
        "note": note,
    }


def _notebook_provenance(entry: dict) -> str:
    return f"{entry['notebook']} @ {entry['commit']}, cell {entry['cell']}"


def _notebook_game_rows(section: dict, shift: int, unit: str) -> list[dict]:
    """Notebook game outcomes: one entry per (dataset, method, beta), one row per quantity it has."""
    rows = []
    for entry in section["rows"]:
        beta, prov = float(entry["beta"]), _notebook_provenance(entry)
        for q in GAME_QUANTITIES:
            if q in entry:
                rows.append(
                    _row(section["source"], entry["dataset"], entry["method"], beta, q, unit, section["mode"], _printed(entry[q], shift), prov)
                )
    return rows


def _notebook_auction_rows(section: dict, shift: int, unit: str) -> list[dict]:
    """Notebook auctions: one entry per (dataset, method), no beta; names are compared exactly."""
    rows = []
    for entry in section["rows"]:
        prov = _notebook_provenance(entry)
        for key, q in _AUCTION_FILE_KEYS.items():
            if key not in entry:
                continue
            if q in _NAMES:
                rows.append(_row(section["source"], entry["dataset"], entry["method"], None, q, "model", "exact", entry[key], prov))
            else:
                rows.append(
                    _row(section["source"], entry["dataset"], entry["method"], None, q, unit, section["mode"], _printed(entry[key], shift), prov)
                )
    return rows


def _table2_rows(section: dict, shift: int, unit: str) -> tuple[list[dict], dict[tuple[str, str, str], str]]:
    """Table 2: one entry per (dataset, method), the game's numbers at the section's beta (the
    auction's have none); also its printed digits by (dataset, method, quantity)."""
    rows, digits = [], {}
    beta = float(section["beta"])
    for entry in section["rows"]:
        for q in _TABLE2_QUANTITIES:
            if q in entry:
                printed = digits[(entry["dataset"], entry["method"], q)] = _printed(entry[q], shift)
                rows.append(
                    _row(
                        section["source"],
                        entry["dataset"],
                        entry["method"],
                        None if q.startswith("auction_") else beta,
                        q,
                        unit,
                        section["mode"],
                        printed,
                        section["where"],
                    )
                )
    return rows, digits


def _from_table2(entry: dict, digits: Mapping[tuple[str, str, str], str], where: str) -> tuple[str, ...]:
    """The Table 2 quantities a *_change_pct percentage is computed from; they must be in the file."""
    q = entry["quantity"]
    if q not in _CHANGE_OF:
        if "from_table2" in entry:
            raise CompareError(f"{where}.from_table2: only for the *_change_pct quantities, not {q}")
        return ()
    if tuple(entry["from_table2"]) != _CHANGE_OF[q]:
        raise CompareError(f"{where}.from_table2: must be {list(_CHANGE_OF[q])}, got {entry['from_table2']!r}")
    for t2q in _CHANGE_OF[q]:
        if (entry["dataset"], entry["method"], t2q) not in digits:
            raise CompareError(f"{where}.from_table2: table2 has no {t2q!r} for {entry['dataset']}/{entry['method']}")
    return _CHANGE_OF[q]


def _text_row(source: str, entry: dict, digits: Mapping[tuple[str, str, str], str], where: str) -> dict:
    """One number of the text with its own mode (the schema has checked which keys each mode needs)."""
    published, low, high = entry["published"], "", ""
    if entry["mode"] == "interval":
        lo, hi = Decimal(entry["low"]), Decimal(entry["high"])
        if not lo < hi:
            raise CompareError(f"{where}: interval needs low < high, got [{lo}, {hi}]")
        low, high = str(lo), str(hi)
    elif "low" in entry or "high" in entry:
        raise CompareError(f"{where}.{'low' if 'low' in entry else 'high'}: for mode 'interval' only, not {entry['mode']!r}")
    elif entry["mode"] != "exact":
        published = str(Decimal(published))
    says = f'"{entry["says"]}"' if entry.get("says") else ""
    note = "; ".join(x for x in (says, entry.get("note") or "") if x)
    beta = float(entry["beta"]) if "beta" in entry else None
    q = entry["quantity"]
    return _row(
        source,
        entry["dataset"],
        entry["method"],
        beta,
        q,
        TEXT_QUANTITIES[q],
        entry["mode"],
        published,
        entry["where"],
        note,
        low,
        high,
        _from_table2(entry, digits, where),
    )


def _refuse_repeats(frame: pd.DataFrame, path: Path) -> None:
    key = ["source", "dataset", "method", "beta", "quantity"]
    dup = frame[frame[key].astype(str).duplicated()]
    if len(dup):
        r = dup.iloc[0]
        raise CompareError(f"{path}: {r.source} lists {r.dataset}/{r.method} {r.quantity} at beta {r.beta} twice")


def load_published(path: str | os.PathLike, schema: str | os.PathLike = PUBLISHED_SCHEMA) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per published number (``PUBLISHED_COLUMNS``; money already in ``money_unit``,
    as a string with the printed digits) and the file's settings (``money_unit``, ``money_scale``,
    ``table2``: Table 2's printed digits by (dataset, method, quantity)).

    The file is checked against ``schema`` (workflow/schemas/published.schema.yaml: missing and
    unknown keys, types, modes, numbers written as strings of digits, which keys each mode of a text
    number needs) and then by each section's flattener: money_scale a power of ten, printed_in USD
    or money_unit, an interval with low < high, a ``from_table2`` percentage with its Table 2
    numbers in the file, and no (source, dataset, method, beta, quantity) twice. Every refusal is a
    ``CompareError`` naming the file and the key."""
    path = Path(path)
    doc = _validated(path, schema)
    unit = doc["money_unit"]
    shift = _shift(doc["money_scale"], f"{path}: money_scale")

    def section(name: str) -> tuple[dict, int]:
        return doc[name], _money_shift(doc[name], shift, unit, f"{path}: {name}")

    table2_rows, digits = _table2_rows(*section("table2"), unit)
    rows = _notebook_game_rows(*section("notebook_games"), unit) + _notebook_auction_rows(*section("notebook_auctions"), unit)
    rows += table2_rows
    rows += [_text_row(doc["text"]["source"], entry, digits, f"{path}: text.rows[{i}]") for i, entry in enumerate(doc["text"]["rows"])]
    frame = pd.DataFrame(rows, columns=list(PUBLISHED_COLUMNS))
    _refuse_repeats(frame, path)
    return frame, {"money_unit": unit, "money_scale": float(doc["money_scale"]), "table2": digits}


# ---------------------------------------------------------------------------------------------
# Our numbers


def _load_game(game: Mapping[str, Any] | GamesDocument | str | os.PathLike) -> GamesDocument:
    """A games JSON (path, loaded or typed), checked by the one games-JSON reader with the
    unweighted means required (the notebooks printed them)."""
    if isinstance(game, GamesDocument):
        return game
    try:
        if isinstance(game, Mapping):
            return parse_games(game, "games JSON", require_means=True)
        return read_games(game, require_means=True)
    except ResultsError as exc:
        raise CompareError(str(exc)) from None


def _money(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def game_numbers(game: Mapping[str, Any] | GamesDocument | str | os.PathLike, beta: float, scale: float = 1000.0) -> dict[str, Any] | None:
    """Our game numbers at ``beta`` from one games JSON (money x ``scale``), or None when the JSON
    has no game at that beta: ``GAME_QUANTITIES``, ``price_of_anarchy``, ``iterations`` and
    ``welfare_loss_pct`` = 100 (1 - W_eq / W_opt) (the text's "loss in social welfare")."""
    return _game_numbers(_load_game(game), beta, scale)


def _game_numbers(doc: GamesDocument, beta: float, scale: float) -> dict[str, Any] | None:
    game = doc.game_at(beta)
    if game is None:
        return None
    out: dict[str, Any] = {name: _money(Q.quantity(name).read(game), scale) for name in GAME_QUANTITIES}
    for name in ("price_of_anarchy", "iterations"):
        out[name] = Q.quantity(name).read(game)
    welfare, opt = game.equilibrium.welfare, game.optimum.welfare
    out["welfare_loss_pct"] = 100.0 * (1.0 - welfare / opt) if welfare is not None and opt is not None and opt > 0 else None
    return out


def auction_numbers(
    game: Mapping[str, Any] | GamesDocument | str | os.PathLike, scale: float = 1000.0, models: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Our auction (``AUCTION_QUANTITIES``) from one games JSON. Winner and runner-up are our
    provider ids mapped to the trace model names through ``models`` (provider id -> name, or a
    full file stem, cut at ``--temp`` as the trace files are named); the
    best welfare contribution of each is its offered value under truthful bids (Theorem 5)."""
    doc = _load_game(game)
    return _auction_numbers(doc, str(game) if isinstance(game, (str, os.PathLike)) else "games JSON", scale, models)


def _model_names(models: Mapping[str, str] | None) -> dict[str, str]:
    """Provider id -> trace model name: a ``traces.models`` value cut at ``--temp`` (it may be a full file stem)."""
    return {pid: model_name_from_filename(name) for pid, name in (models or {}).items()}


def _offered(offered: Mapping[str, float], pid: str | None, where: str) -> float | None:
    """A provider's offered value under truthful bids, None for no provider."""
    if pid is None:
        return None
    if pid not in offered:
        raise CompareError(f"{where}: auction.offered_value has no {pid!r}")
    return offered[pid]


def _auction_numbers(doc: GamesDocument, where: str, scale: float, models: Mapping[str, str] | None) -> dict[str, Any]:
    names = _model_names(models)
    auction = doc.auction
    offered = auction.offered_value
    if offered is None:
        raise CompareError(f"{where}: missing key 'offered_value' in 'auction'")
    winner, runner = auction.winner, auction.runner_up
    stored = [Q.quantity(name) for name in AUCTION_QUANTITIES if name not in _NAMES and Q.quantity(name).json_key]
    out = {q.name: _money(q.read(auction=auction), scale) for q in stored}
    return {
        "auction_winner": winner if winner is None else names.get(winner, winner),
        "auction_runner_up": runner if runner is None else names.get(runner, runner),
        "auction_winner_welfare": _money(_offered(offered, winner, where), scale),
        "auction_runner_up_welfare": _money(_offered(offered, runner, where), scale),
        **out,
        "provider_ids": {"auction_winner": winner, "auction_runner_up": runner},
    }


# ---------------------------------------------------------------------------------------------
# Agreement


def _step(published: str) -> Decimal:
    return Decimal(1).scaleb(Decimal(published).as_tuple().exponent)  # one unit of the last digit


def accepted_range(published: str, mode: str, low: str = "", high: str = "") -> str:
    """The values of ours that agree, as text: ``[a, b]`` or ``[a, b)`` (or the name for
    ``exact``; empty for ``not_comparable``)."""
    if mode == "exact":
        return published
    if mode == "not_comparable":
        return ""
    if mode == "interval":
        return f"[{low}, {high}]"
    dec, step = Decimal(published), _step(published)
    if mode == "round":
        half = step / 2
        return f"[{dec - half}, {dec + half}]"
    return f"[{dec}, {dec + step})" if dec >= 0 else f"({dec - step}, {dec}]"


def agrees(published: str, ours: Any, mode: str = "round", low: str = "", high: str = "") -> bool:
    """Does ``ours`` agree with ``published`` under ``mode`` (see the module docstring)?"""
    if mode == "not_comparable":
        raise ValueError("a not_comparable number is shown, never judged")
    if ours is None or (isinstance(ours, float) and not math.isfinite(ours)):
        return False
    if mode == "exact":
        return isinstance(ours, str) and ours == published
    if isinstance(ours, str):
        return False
    x = ours if isinstance(ours, Decimal) else Decimal(repr(float(ours)))
    if mode == "interval":
        return Decimal(low) <= x <= Decimal(high)
    dec, step = Decimal(published), _step(published)
    if mode == "truncate":
        if dec >= 0:
            return dec <= x < dec + step
        return dec - step < x <= dec
    if mode == "round":
        return abs(x - dec) <= step / 2
    raise ValueError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")


def _truncated(x: float, printed: str) -> Decimal:
    """``x`` cut (toward zero) to the digits of ``printed``, as Table 2 prints."""
    return Decimal(repr(float(x))).quantize(_step(printed), rounding=ROUND_DOWN)


def _change_from_table2(numbers: Mapping[str, Any], quantities: tuple, digits: Mapping[str, str]) -> Decimal | None:
    """100 (b / a - 1) with a and b our numbers cut to Table 2's printed digits (exact decimals)."""
    game_q, auction_q = quantities
    if numbers.get(game_q) is None or numbers.get(auction_q) is None:
        return None
    a, b = _truncated(numbers[game_q], digits[game_q]), _truncated(numbers[auction_q], digits[auction_q])
    if a == 0:
        return None
    return 100 * (b / a - 1)


class _Ours:
    """Our numbers of each game, each games JSON read once (``compare_numbers``): the auction's, and
    the game's at each beta asked for (with the auction's, which do not depend on beta)."""

    def __init__(self, games: Mapping[tuple[str, str], Any], scale: float, models: Mapping[str, str] | None):
        self.games, self.scale, self.models = games, scale, models
        self._auction: dict[tuple[str, str], dict] = {}
        self._docs: dict[tuple[str, str], GamesDocument] = {}
        self._at_beta: dict[tuple[str, str, float | None], dict | None] = {}

    def numbers(self, key: tuple[str, str], quantity: str, beta: float | None) -> dict[str, Any] | None:
        """The numbers holding ``quantity`` of game ``key``, or None when it has no game at ``beta``."""
        if key not in self._docs:
            game = self.games[key]
            self._docs[key] = _load_game(game)
            where = str(game) if isinstance(game, (str, os.PathLike)) else "games JSON"
            self._auction[key] = _auction_numbers(self._docs[key], where, self.scale, self.models)
        if quantity in AUCTION_QUANTITIES:
            return self._auction[key]
        if key + (beta,) not in self._at_beta:
            numbers = _game_numbers(self._docs[key], beta, self.scale)
            self._at_beta[key + (beta,)] = None if numbers is None else {**self._auction[key], **numbers}
        return self._at_beta[key + (beta,)]


def _row_beta(rec: Any) -> float | None:
    """A published row's beta, None for the auction's numbers (no beta)."""
    return rec.beta if rec.beta is not None and not (isinstance(rec.beta, float) and math.isnan(rec.beta)) else None


def _blank_row(rec: Any, beta: float | None) -> dict[str, Any]:
    """A comparison row with the published number, its accepted range and nothing of ours yet."""
    row = {c: "" for c in COMPARISON_COLUMNS}
    row.update(
        source=rec.source,
        dataset=rec.dataset,
        method=rec.method,
        beta="" if beta is None else beta,
        quantity=rec.quantity,
        unit=rec.unit,
        mode=rec.mode,
        published=rec.published,
        accepted=accepted_range(rec.published, rec.mode, rec.low, rec.high),
        agrees="n/a",
        provenance=rec.provenance,
        note=rec.note,
    )
    return row


def _our_value(rec: Any, numbers: Mapping[str, Any], table2: Mapping[tuple[str, str, str], str]) -> Any:
    """Our counterpart of one published number (a *_change_pct from our numbers cut to Table 2's digits)."""
    if rec.quantity in _CHANGE_OF:
        digits = {q: table2[(rec.dataset, rec.method, q)] for q in rec.from_table2}
        return _change_from_table2(numbers, rec.from_table2, digits)
    return numbers[rec.quantity]


def _fill_ours(row: dict, rec: Any, ours: Any, numbers: Mapping[str, Any]) -> None:
    """``ours`` (a name with our provider id beside it), ``difference``, ``relative_difference`` and ``agrees``."""
    if rec.quantity in _NAMES:
        pid = numbers["provider_ids"][rec.quantity]
        row["ours"] = "" if ours is None else (ours if ours == pid else f"{ours} ({pid})")
    elif ours is not None:
        row["ours"] = float(ours)
        if rec.mode != "interval":
            pub = float(rec.published)
            row["difference"] = float(ours) - pub
            row["relative_difference"] = (float(ours) - pub) / abs(pub) if pub != 0 else ""
    row["agrees"] = NOT_JUDGED if rec.mode == "not_comparable" else ("yes" if agrees(rec.published, ours, rec.mode, rec.low, rec.high) else "no")


def compare_numbers(
    published: pd.DataFrame,
    games: Mapping[tuple[str, str], Mapping[str, Any] | GamesDocument | str | os.PathLike],
    *,
    scale: float = 1000.0,
    models: Mapping[str, str] | None = None,
    table2: Mapping[tuple[str, str, str], str] | None = None,
    intervals: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """One row per published number (``COMPARISON_COLUMNS``), ours beside it.

    ``intervals`` maps (dataset, method) to its uncertainty summary (at one beta, the table's):
    rows at that beta (and the auction's, which do not depend on beta) then get our percentile
    interval (``ours_lo``, ``ours_hi``) and ``in_interval``: ``yes``/``no`` whether the published
    number lies inside it (for the ``interval`` mode: whether the two intervals overlap); for a
    winner or runner-up, the share of replicates naming the published model.

    ``games`` maps (dataset, method) to a games JSON (path, loaded or typed); ``models`` maps our
    provider ids to trace model names; ``table2`` holds Table 2's printed numbers by (dataset, method,
    quantity) for the ``from_table2`` percentages. ``difference`` is ours - published and
    ``relative_difference`` that over |published| (empty for names, intervals and published zero).
    Steps per row: ``_blank_row`` -> ``_Ours.numbers`` -> ``_our_value`` -> ``_fill_ours`` -> ``_interval_cells``.
    """
    ours_by_game = _Ours(games, scale, models)
    rows = []
    for rec in published.itertuples(index=False):
        key, beta = (rec.dataset, rec.method), _row_beta(rec)
        row = _blank_row(rec, beta)
        rows.append(row)
        if key not in games:
            continue
        numbers = ours_by_game.numbers(key, rec.quantity, beta)
        if numbers is None:
            row["note"] = "; ".join(x for x in (f"this run has no game at beta {beta_codec.text(beta)}", row["note"]) if x)
            continue
        _fill_ours(row, rec, _our_value(rec, numbers, table2 or {}), numbers)
        summary = (intervals or {}).get(key)
        if summary is not None:
            _interval_cells(row, rec, summary, beta, scale, models)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _interval_cells(row: dict, rec: Any, summary: Mapping[str, Any], beta: float | None, scale: float, models: Mapping[str, str] | None) -> None:
    """Fill ``ours_lo``, ``ours_hi`` and ``in_interval`` of one comparison row (``compare_numbers``)."""
    is_auction = rec.quantity in AUCTION_QUANTITIES
    if not is_auction and (beta is None or summary.get("beta") is None or not beta_codec.same(summary["beta"], beta)):
        return
    if rec.quantity in _NAMES:
        shares = summary["frequencies"][rec.quantity]["shares"]
        names = _model_names(models)
        by_model = {}
        for pid, share in shares.items():
            name = names.get(pid, pid)
            by_model[name] = by_model.get(name, 0.0) + share
        share = by_model.get(rec.published, 0.0)
        row["in_interval"] = f"{share:.0%} of replicates"
        return
    q = Q.BY_NAME.get(rec.quantity)
    if q is None or q.uncertainty_key is None or not q.numeric:
        return
    s = summary["quantities"][q.uncertainty_key]
    if s["lo"] is None:
        return
    factor = scale if q.money else 1.0
    lo, hi = factor * s["lo"], factor * s["hi"]
    row["ours_lo"], row["ours_hi"] = lo, hi
    if rec.mode == "interval":
        row["in_interval"] = "yes" if float(rec.low) <= hi and lo <= float(rec.high) else "no"
    else:
        row["in_interval"] = "yes" if lo <= float(rec.published) <= hi else "no"


# ---------------------------------------------------------------------------------------------
# The Markdown page


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v.is_integer():
            return f"{v:.0f}"
        return f"{v:.4g}" if abs(v) < 1e-3 else f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)


def _beta_text(beta: Any) -> str:
    return "-" if beta == "" else beta_codec.text(beta)


_MODE_TEXT = {
    "round": "rounds to the printed digits (within half a unit of the last one)",
    "truncate": "truncates to the printed digits (Table 2 cuts digits)",
    "interval": "lies in the stated interval",
    "exact": "is the same model",
    "not_comparable": "is shown only: the published number was one unseeded random draw",
}


def comparison_markdown(frame: pd.DataFrame, *, money_unit: str) -> str:
    """A Markdown page: per-mode agreement counts, then one table per source and game."""
    lines = [
        "# Reproduction vs published numbers",
        "",
        f"Every number the paper and its authors' notebooks printed about the games, beside ours. Money in {money_unit} "
        f"per query. {int((frame['agrees'] != 'n/a').sum())} of {len(frame)} published numbers have a counterpart in this run "
        "(`n/a`: its game or beta was not run). The CSV beside this page has each number's accepted range and provenance.",
        "",
        "| mode | ours agrees when it | compared | agree |",
        "|---|---|---:|---:|",
    ]
    for mode in MODES:
        part = frame[frame["mode"] == mode]
        if part.empty:
            continue
        ran = part[part["agrees"] != "n/a"]
        yes = "-" if mode == "not_comparable" else str(int((ran["agrees"] == "yes").sum()))
        lines.append(f"| {mode} | {_MODE_TEXT[mode]} | {len(ran)} of {len(part)} | {yes} |")
    judged = frame[frame["in_interval"].isin(["yes", "no"])]
    if len(judged):
        lines += [
            "",
            f"Uncertainty: {int((judged['in_interval'] == 'yes').sum())} of {len(judged)} published numbers at the "
            "bootstrapped beta lie inside our percentile interval (paired bootstrap over questions; `ours [lo, hi]` "
            "below, column `in_interval` of the CSV; for winners, the share of replicates naming the published model).",
        ]
    interval = frame[frame["mode"] == "interval"]
    for r in interval.itertuples(index=False):
        lines += ["", f'Interval: {r.dataset}/{r.method} {r.quantity} "{r.published}" is compared as {r.accepted} ({r.note}).']
    money = frame[frame["agrees"].isin(["yes", "no"]) & (frame["unit"] == money_unit)]
    rel = pd.to_numeric(money["relative_difference"], errors="coerce").abs()
    if rel.notna().any():
        worst = money.loc[rel.idxmax()]
        at = "" if worst["beta"] == "" else f" at beta {beta_codec.text(worst['beta'])}"
        lines += [
            "",
            f"Largest relative difference of a money number: {rel.max():.1%} ({worst['source']}, "
            f"{worst['dataset']}/{worst['method']} {worst['quantity']}{at}).",
        ]
    lines.append("")
    return "\n".join(lines + _game_tables(frame))


_SOURCE_TITLES = {"notebooks": "The authors' notebooks", "table2": "Table 2", "text": "The text (Section 5) and Table 2's caption"}


def _game_tables(frame: pd.DataFrame) -> list[str]:
    """The page's tables: a section per source, a table per game (the text's with a note column)."""
    lines = []
    for source, part in frame.groupby("source", sort=False):
        lines += [f"## {_SOURCE_TITLES.get(source, source)}", ""]
        for (dataset, method), game in part.groupby(["dataset", "method"], sort=False):
            with_note = source == "text"
            head = "| beta | quantity | mode | published | ours | difference | agrees | in our interval |" + (" note |" if with_note else "")
            lines += [f"### {dataset} / {method}", "", head, "|---" * (9 if with_note else 8) + "|"]
            lines += [_table_line(r, with_note) for r in game.itertuples(index=False)]
            lines.append("")
    return lines


def _table_line(r: Any, with_note: bool) -> str:
    """One comparison row as a Markdown table line."""
    rel_txt = f" ({r.relative_difference:+.1%})" if isinstance(r.relative_difference, float) else ""
    diff_txt = f"{r.difference:+.4g}{rel_txt}" if isinstance(r.difference, float) else ""
    published = f"{r.published} {r.accepted}" if r.mode == "interval" else r.published
    ours = _fmt(r.ours)
    if isinstance(r.ours_lo, float) and isinstance(r.ours_hi, float):
        ours += f" [{_fmt(r.ours_lo)}, {_fmt(r.ours_hi)}]"
    cells = [_beta_text(r.beta), r.quantity, r.mode, published, ours, diff_txt, r.agrees, r.in_interval]
    if with_note:
        cells.append(r.note.replace("|", "/"))
    return "| " + " | ".join(cells) + " |"


def build_comparison(
    published_path: str | os.PathLike,
    games: Mapping[str, str | os.PathLike],
    csv_out: str | os.PathLike,
    md_out: str | os.PathLike,
    models: Mapping[str, str] | None = None,
    summaries: Mapping[str, str | os.PathLike] | None = None,
) -> pd.DataFrame:
    """Workflow stage "compare": ``games`` maps ``"dataset/method"`` to its games JSON, ``models``
    our provider ids to trace model names (``traces.models``), ``summaries`` (optional) the same
    keys to uncertainty summaries; writes ``results/compare/published.{csv,md}``. Published rows of
    games not in ``games`` read ``n/a``."""
    published, settings = load_published(published_path)
    keyed = {}
    for key, path in games.items():
        if key.count("/") != 1:
            raise CompareError(f"game key {key!r} must be 'dataset/method'")
        dataset, method = key.split("/")
        keyed[(dataset, method)] = path
    intervals = {tuple(key.partition("/")[::2]): read_summary(path, error=CompareError) for key, path in (summaries or {}).items()}
    frame = compare_numbers(published, keyed, scale=settings["money_scale"], models=models, table2=settings["table2"], intervals=intervals)
    atomic_write_text(csv_out, frame.to_csv(index=False))
    atomic_write_text(md_out, comparison_markdown(frame, money_unit=settings["money_unit"]) + "\n")
    return frame
