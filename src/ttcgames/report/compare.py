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

import json
import math
import os
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from ttcgames.io.atomic import atomic_write_text
from ttcgames.traces.importer import model_name_from_filename

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
# Notebook game rows: quantity -> key of the games JSON's per-beta ``equilibrium`` (money).
_EQUILIBRIUM_KEYS = {
    "value": "user_value",
    "price": "price",
    "utility": "provider_utility",
    "welfare": "welfare",
    "mean_user_value": "mean_user_value",
    "mean_price": "mean_price",
    "mean_provider_margin": "mean_provider_margin",
}
GAME_QUANTITIES = tuple(_EQUILIBRIUM_KEYS)[:4] + ("optimal_welfare",) + tuple(_EQUILIBRIUM_KEYS)[4:]
# Notebook auction rows: key in the file -> quantity.
_AUCTION_FILE_KEYS = {
    "winner": "auction_winner",
    "runner_up": "auction_runner_up",
    "winner_welfare": "auction_winner_welfare",
    "runner_up_welfare": "auction_runner_up_welfare",
    "value": "auction_value",
    "price": "auction_price",
    "utility": "auction_utility",
    "welfare": "auction_welfare",
}
AUCTION_QUANTITIES = tuple(_AUCTION_FILE_KEYS.values())
_NAMES = ("auction_winner", "auction_runner_up")
_TABLE2_QUANTITIES = ("value", "price", "utility", "welfare", "auction_value", "auction_price", "auction_utility", "auction_welfare")
# Text rows: quantity -> unit. The *_change_pct ones are 100 (auction / game - 1).
TEXT_QUANTITIES = {
    "price_of_anarchy": "ratio",
    "welfare_loss_pct": "%",
    "iterations": "turns",
    "auction_winner": "model",
    "auction_runner_up": "model",
    "auction_value_change_pct": "%",
    "auction_welfare_change_pct": "%",
    "auction_utility_change_pct": "%",
}
_CHANGE_OF = {
    "auction_value_change_pct": ("value", "auction_value"),
    "auction_welfare_change_pct": ("welfare", "auction_welfare"),
    "auction_utility_change_pct": ("utility", "auction_utility"),
}
_MONEY = set(GAME_QUANTITIES) | (set(AUCTION_QUANTITIES) - set(_NAMES))
SECTIONS = ("notebook_games", "notebook_auctions", "table2", "text")
PUBLISHED_COLUMNS = (
    "source", "dataset", "method", "beta", "quantity", "unit", "mode", "published",
    "low", "high", "from_table2", "provenance", "note",
)
COMPARISON_COLUMNS = (
    "source", "dataset", "method", "beta", "quantity", "unit", "mode", "published", "accepted",
    "ours", "difference", "relative_difference", "agrees", "ours_lo", "ours_hi", "in_interval", "provenance", "note",
)
# Published quantity -> quantity of the uncertainty summary (ttcgames.uncertainty.paired); money ones are scaled.
_INTERVAL_OF = {
    "value": "value", "price": "price", "utility": "utility", "welfare": "welfare",
    "optimal_welfare": "optimal_welfare", "price_of_anarchy": "price_of_anarchy", "iterations": "iterations",
    "auction_value": "auction_value", "auction_price": "auction_price", "auction_utility": "auction_utility",
    "auction_welfare": "auction_welfare",
}
NOT_JUDGED = "not judged"


class CompareError(ValueError):
    """A published-numbers file or games JSON is malformed; the message names the file and key."""


# ---------------------------------------------------------------------------------------------
# The published numbers


def _number(text: Any, where: str) -> Decimal:
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise CompareError(f"{where}: {text!r} must be a number written as a string, e.g. \"0.00457\" (float YAML values lose the printed digits)")
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise CompareError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite():
        raise CompareError(f"{where}: {text!r} is not a finite number")
    return value


def _mapping(obj: Any, where: str) -> dict:
    if not isinstance(obj, dict):
        raise CompareError(f"{where}: expected a mapping")
    return obj


def _keys(entry: dict, required: tuple[str, ...], allowed: tuple[str, ...], where: str) -> None:
    missing = [k for k in required if k not in entry]
    if missing:
        raise CompareError(f"{where}: missing key {missing[0]!r}")
    unknown = sorted(set(entry) - set(required) - set(allowed))
    if unknown:
        raise CompareError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(required + allowed)})")


def _beta(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise CompareError(f"{where}: beta {value!r} is not a number")
    try:
        beta = float(value)
    except (TypeError, ValueError):
        raise CompareError(f"{where}: beta {value!r} is not a number") from None
    if not beta > 0:
        raise CompareError(f"{where}: beta must be positive, got {value!r}")
    return beta


def _shift(money_scale: Any, where: str) -> int:
    """The power of ten of ``money_scale`` (an exact shift of printed decimals)."""
    try:
        exponent = math.log10(float(money_scale))
    except (TypeError, ValueError):
        exponent = float("nan")
    if not math.isfinite(exponent) or exponent != round(exponent):
        raise CompareError(f"{where}: money_scale must be a power of ten, got {money_scale!r}")
    return int(round(exponent))


def _money_shift(section: dict, shift: int, money_unit: str, where: str) -> int:
    printed = section.get("printed_in")
    if printed == "USD":
        return shift
    if printed == money_unit:
        return 0
    raise CompareError(f"{where}.printed_in: must be 'USD' or {money_unit!r}, got {printed!r}")


def _row(source, dataset, method, beta, quantity, unit, mode, published, provenance, note="", low="", high="", from_table2=()):
    return {
        "source": source, "dataset": dataset, "method": method, "beta": beta, "quantity": quantity,
        "unit": unit, "mode": mode, "published": published, "low": low, "high": high,
        "from_table2": tuple(from_table2), "provenance": provenance, "note": note,
    }


def _section(doc: dict, name: str, path: Path) -> tuple[dict, list]:
    where = f"{path}: {name}"
    if name not in doc:
        raise CompareError(f"{path}: missing key {name!r}")
    section = _mapping(doc[name], where)
    if not isinstance(section.get("source"), str):
        raise CompareError(f"{where}.source: missing or not a string")
    rows = section.get("rows")
    if not isinstance(rows, list) or not rows:
        raise CompareError(f"{where}.rows: expected a non-empty list")
    return section, rows


def _money_section(doc: dict, name: str, path: Path, extra: tuple[str, ...], shift: int, money_unit: str):
    """A section of printed money numbers: its mapping, rows, key path, mode and decimal shift."""
    section, entries = _section(doc, name, path)
    where = f"{path}: {name}"
    _keys(section, ("source", "printed_in", "mode", "rows") + extra, (), where)
    mode = _mode(section, ("round", "truncate"), where)
    return section, entries, where, mode, _money_shift(section, shift, money_unit, where)


def _mode(section: dict, allowed: tuple[str, ...], where: str) -> str:
    mode = section.get("mode")
    if mode not in allowed:
        raise CompareError(f"{where}.mode: must be one of {', '.join(allowed)}, got {mode!r}")
    return mode


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise CompareError(f"{where}: {value!r} is not a model name")
    return value


def _notebook_provenance(entry: dict, where: str) -> str:
    for key in ("notebook", "commit", "cell"):
        if entry.get(key) in (None, ""):
            raise CompareError(f"{where}: missing key {key!r}")
    return f"{entry['notebook']} @ {entry['commit']}, cell {entry['cell']}"


def load_published(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per published number (``PUBLISHED_COLUMNS``; money already in ``money_unit``,
    as a string with the printed digits) and the file's settings (``money_unit``, ``money_scale``).

    Refuses, with the file and key in the message: a missing section or key, an unknown key or
    quantity, a number that is not a string of digits, an unknown mode, an interval without
    low < high, a repeated (source, dataset, method, beta, quantity), and a ``from_table2``
    percentage whose Table 2 numbers are not in the file."""
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompareError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise CompareError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise CompareError(f"{path}: expected a mapping at the top level")
    _keys(doc, ("money_unit", "money_scale") + SECTIONS, (), str(path))
    money_unit = doc["money_unit"]
    if not isinstance(money_unit, str):
        raise CompareError(f"{path}: money_unit must be a string")
    shift = _shift(doc["money_scale"], f"{path}: money_scale")
    rows: list[dict] = []

    def money(text: Any, k: int, where: str) -> str:
        return str(_number(text, where).scaleb(k))

    # Notebook game outcomes, one entry per (dataset, method, beta).
    section, entries, sw, mode, k = _money_section(doc, "notebook_games", path, (), shift, money_unit)
    for i, entry in enumerate(entries):
        where = f"{sw}.rows[{i}]"
        _keys(_mapping(entry, where), ("dataset", "method", "beta", "notebook", "commit", "cell"), GAME_QUANTITIES, where)
        beta, prov = _beta(entry["beta"], f"{where}.beta"), _notebook_provenance(entry, where)
        for q in GAME_QUANTITIES:
            if q in entry:
                rows.append(_row(section["source"], str(entry["dataset"]), str(entry["method"]), beta, q, money_unit,
                                 mode, money(entry[q], k, f"{where}.{q}"), prov))

    # Notebook auctions, one entry per (dataset, method); no beta.
    section, entries, sw, mode, k = _money_section(doc, "notebook_auctions", path, (), shift, money_unit)
    for i, entry in enumerate(entries):
        where = f"{sw}.rows[{i}]"
        _keys(_mapping(entry, where), ("dataset", "method", "notebook", "commit", "cell"), tuple(_AUCTION_FILE_KEYS), where)
        prov = _notebook_provenance(entry, where)
        for key, q in _AUCTION_FILE_KEYS.items():
            if key not in entry:
                continue
            if q in _NAMES:
                rows.append(_row(section["source"], str(entry["dataset"]), str(entry["method"]), None, q, "model",
                                 "exact", _name(entry[key], f"{where}.{key}"), prov))
            else:
                rows.append(_row(section["source"], str(entry["dataset"]), str(entry["method"]), None, q, money_unit,
                                 mode, money(entry[key], k, f"{where}.{key}"), prov))

    # Table 2: one entry per (dataset, method), all at the section's beta.
    section, entries, sw, mode, k = _money_section(doc, "table2", path, ("beta", "where"), shift, money_unit)
    beta = _beta(section["beta"], f"{sw}.beta")
    table2: dict[tuple[str, str, str], str] = {}
    for i, entry in enumerate(entries):
        where = f"{sw}.rows[{i}]"
        _keys(_mapping(entry, where), ("dataset", "method"), _TABLE2_QUANTITIES, where)
        for q in _TABLE2_QUANTITIES:
            if q in entry:
                printed = money(entry[q], k, f"{where}.{q}")
                table2[(str(entry["dataset"]), str(entry["method"]), q)] = printed
                rows.append(_row(section["source"], str(entry["dataset"]), str(entry["method"]),
                                 None if q.startswith("auction_") else beta, q, money_unit, mode, printed, str(section["where"])))

    # The text: one entry per number, each with its mode.
    section, entries = _section(doc, "text", path)
    sw = f"{path}: text"
    _keys(section, ("source", "rows"), (), sw)
    for i, entry in enumerate(entries):
        where = f"{sw}.rows[{i}]"
        _keys(_mapping(entry, where), ("dataset", "method", "quantity", "published", "mode", "where"),
              ("beta", "low", "high", "from_table2", "says", "note"), where)
        q, mode = entry["quantity"], entry["mode"]
        if q not in TEXT_QUANTITIES:
            raise CompareError(f"{where}.quantity: unknown quantity {q!r} (known: {', '.join(TEXT_QUANTITIES)})")
        if mode not in MODES:
            raise CompareError(f"{where}.mode: must be one of {', '.join(MODES)}, got {mode!r}")
        if (mode == "exact") != (q in _NAMES):
            raise CompareError(f"{where}.mode: {q} is compared with mode 'exact' {'only' if q in _NAMES else 'never'}")
        beta = _beta(entry["beta"], f"{where}.beta") if "beta" in entry else None
        if beta is None and q not in _NAMES:
            raise CompareError(f"{where}: missing key 'beta'")
        dataset, method = str(entry["dataset"]), str(entry["method"])
        low = high = ""
        if mode == "interval":
            lo, hi = _number(entry.get("low"), f"{where}.low"), _number(entry.get("high"), f"{where}.high")
            if not lo < hi:
                raise CompareError(f"{where}: interval needs low < high, got [{lo}, {hi}]")
            low, high = str(lo), str(hi)
            published = str(entry["published"])
        elif q in _NAMES:
            published = _name(entry["published"], f"{where}.published")
        else:
            published = str(_number(entry["published"], f"{where}.published"))
        if ("low" in entry or "high" in entry) and mode != "interval":
            raise CompareError(f"{where}: low/high are for mode 'interval' only")
        from_table2: tuple = ()
        if "from_table2" in entry:
            if q not in _CHANGE_OF or mode != "truncate":
                raise CompareError(f"{where}.from_table2: only for the *_change_pct quantities with mode 'truncate'")
            from_table2 = tuple(entry["from_table2"]) if isinstance(entry["from_table2"], list) else ()
            if from_table2 != _CHANGE_OF[q]:
                raise CompareError(f"{where}.from_table2: must be {list(_CHANGE_OF[q])}, got {entry['from_table2']!r}")
            for t2q in from_table2:
                if (dataset, method, t2q) not in table2:
                    raise CompareError(f"{where}.from_table2: table2 has no {t2q!r} for {dataset}/{method}")
        elif q in _CHANGE_OF:
            raise CompareError(f"{where}: missing key 'from_table2' (the paper computed {q} from Table 2)")
        says = f'"{entry["says"]}"' if entry.get("says") else ""
        note = "; ".join(x for x in (says, str(entry.get("note") or "")) if x)
        rows.append(_row(section["source"], dataset, method, beta, q, TEXT_QUANTITIES[q], mode, published,
                         str(entry["where"]), note, low, high, from_table2))

    frame = pd.DataFrame(rows, columns=list(PUBLISHED_COLUMNS))
    key = ["source", "dataset", "method", "beta", "quantity"]
    dup = frame[frame[key].astype(str).duplicated()]
    if len(dup):
        r = dup.iloc[0]
        raise CompareError(f"{path}: {r.source} lists {r.dataset}/{r.method} {r.quantity} at beta {r.beta} twice")
    # Table 2's digits, for the percentages the paper computed from it.
    settings = {"money_unit": money_unit, "money_scale": float(doc["money_scale"]), "table2": table2}
    return frame, settings


# ---------------------------------------------------------------------------------------------
# Our numbers


def _load_game(game: Mapping[str, Any] | str | os.PathLike) -> tuple[Mapping[str, Any], str]:
    if isinstance(game, Mapping):
        return game, "games JSON"
    where = str(game)
    try:
        return json.loads(Path(game).read_text(encoding="utf-8")), where
    except FileNotFoundError:
        raise CompareError(f"{where}: file not found") from None
    except json.JSONDecodeError as exc:
        raise CompareError(f"{where}: not valid JSON ({exc.msg})") from None


def _beta_matches(entry_beta: Any, beta: float) -> bool:
    if entry_beta == "inf":
        return math.isinf(beta)
    try:
        return math.isclose(float(entry_beta), beta, rel_tol=1e-12)
    except (TypeError, ValueError):
        return False


def game_numbers(game: Mapping[str, Any] | str | os.PathLike, beta: float, scale: float = 1000.0) -> dict[str, Any] | None:
    """Our game numbers at ``beta`` from one games JSON (money x ``scale``), or None when the JSON
    has no game at that beta: ``GAME_QUANTITIES``, ``price_of_anarchy``, ``iterations`` and
    ``welfare_loss_pct`` = 100 (1 - W_eq / W_opt) (the text's "loss in social welfare")."""
    return _game_numbers(*_load_game(game), beta, scale)


def _game_numbers(game: Mapping[str, Any], where: str, beta: float, scale: float) -> dict[str, Any] | None:
    try:
        entry = next((g for g in game["games"] if _beta_matches(g["beta"], beta)), None)
    except (KeyError, TypeError) as exc:
        raise CompareError(f"{where}: missing key {exc} in 'games'") from None
    if entry is None:
        return None
    try:
        eq, opt = entry["equilibrium"], entry["optimum"]["welfare"]
        out = {q: eq[key] * scale for q, key in _EQUILIBRIUM_KEYS.items()}
        out["optimal_welfare"] = opt * scale
        out["price_of_anarchy"] = entry["price_of_anarchy"]
        out["iterations"] = eq["iterations"]
        out["welfare_loss_pct"] = 100.0 * (1.0 - eq["welfare"] / opt) if opt > 0 else None
    except KeyError as exc:
        hint = " (written before the unweighted means were added: rerun the games stage)" if exc.args[0].startswith("mean_") else ""
        raise CompareError(f"{where}: missing key {exc} at beta {beta:g}{hint}") from None
    return out


def auction_numbers(
    game: Mapping[str, Any] | str | os.PathLike, scale: float = 1000.0, models: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Our auction (``AUCTION_QUANTITIES``) from one games JSON. Winner and runner-up are our
    provider ids mapped to the trace model names through ``models`` (provider id -> name, or a
    full file stem, cut at ``--temp`` as the trace files are named); the
    best welfare contribution of each is its offered value under truthful bids (Theorem 5)."""
    return _auction_numbers(*_load_game(game), scale, models)


def _model_names(models: Mapping[str, str] | None) -> dict[str, str]:
    """Provider id -> trace model name: a ``traces.models`` value cut at ``--temp`` (it may be a full file stem)."""
    return {pid: model_name_from_filename(name) for pid, name in (models or {}).items()}


def _auction_numbers(game: Mapping[str, Any], where: str, scale: float, models: Mapping[str, str] | None) -> dict[str, Any]:
    names = _model_names(models)
    try:
        auction = game["auction"]
        offered = auction["offered_value"]
        winner, runner = auction["winner"], auction["runner_up"]
        return {
            "auction_winner": winner if winner is None else names.get(winner, winner),
            "auction_runner_up": runner if runner is None else names.get(runner, runner),
            "auction_winner_welfare": offered[winner] * scale if winner is not None else None,
            "auction_runner_up_welfare": offered[runner] * scale if runner is not None else None,
            "auction_value": auction["user_value"] * scale,
            "auction_price": auction["price"] * scale,
            "auction_utility": auction["utility"] * scale,
            "auction_welfare": auction["welfare"] * scale,
            "provider_ids": {"auction_winner": winner, "auction_runner_up": runner},
        }
    except KeyError as exc:
        raise CompareError(f"{where}: missing key {exc} in 'auction'") from None


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


def compare_numbers(
    published: pd.DataFrame,
    games: Mapping[tuple[str, str], Mapping[str, Any] | str | os.PathLike],
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

    ``games`` maps (dataset, method) to a games JSON (path or loaded); ``models`` maps our provider
    ids to trace model names; ``table2`` holds Table 2's printed numbers by (dataset, method,
    quantity) for the ``from_table2`` percentages. ``difference`` is ours - published and
    ``relative_difference`` that over |published| (empty for names, intervals and published zero).
    """
    table2 = table2 or {}
    loaded: dict[tuple[str, str], tuple[Mapping[str, Any], str]] = {}
    game_cache: dict[tuple[str, str, float], dict | None] = {}
    auction_cache: dict[tuple[str, str], dict] = {}
    rows = []
    for rec in published.itertuples(index=False):
        key = (rec.dataset, rec.method)
        beta = rec.beta if rec.beta is not None and not (isinstance(rec.beta, float) and math.isnan(rec.beta)) else None
        row = {c: "" for c in COMPARISON_COLUMNS}
        row.update(source=rec.source, dataset=rec.dataset, method=rec.method, beta="" if beta is None else beta,
                   quantity=rec.quantity, unit=rec.unit, mode=rec.mode, published=rec.published,
                   accepted=accepted_range(rec.published, rec.mode, rec.low, rec.high),
                   agrees="n/a", provenance=rec.provenance, note=rec.note)
        rows.append(row)
        if key not in games:
            continue
        if key not in loaded:
            loaded[key] = _load_game(games[key])
            auction_cache[key] = _auction_numbers(*loaded[key], scale, models)
        if rec.quantity in AUCTION_QUANTITIES:
            numbers = auction_cache[key]
        else:
            if (key + (beta,)) not in game_cache:
                numbers = _game_numbers(*loaded[key], beta, scale)
                game_cache[key + (beta,)] = None if numbers is None else {**auction_cache[key], **numbers}
            numbers = game_cache[key + (beta,)]
            if numbers is None:
                row["note"] = "; ".join(x for x in (f"this run has no game at beta {beta:g}", row["note"]) if x)
                continue
        if rec.quantity in _CHANGE_OF:
            digits = {q: table2[(rec.dataset, rec.method, q)] for q in rec.from_table2}
            ours = _change_from_table2(numbers, rec.from_table2, digits)
        else:
            ours = numbers[rec.quantity]
        if rec.quantity in _NAMES:
            pid = numbers["provider_ids"][rec.quantity]
            row["ours"] = "" if ours is None else (ours if ours == pid else f"{ours} ({pid})")
        elif ours is not None:
            row["ours"] = float(ours)
            if rec.mode != "interval":
                pub = float(rec.published)
                row["difference"] = float(ours) - pub
                row["relative_difference"] = (float(ours) - pub) / abs(pub) if pub != 0 else ""
        row["agrees"] = NOT_JUDGED if rec.mode == "not_comparable" else (
            "yes" if agrees(rec.published, ours, rec.mode, rec.low, rec.high) else "no")
        summary = (intervals or {}).get(key)
        if summary is not None:
            _interval_cells(row, rec, summary, beta, scale, models)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _interval_cells(row: dict, rec: Any, summary: Mapping[str, Any], beta: float | None, scale: float,
                    models: Mapping[str, str] | None) -> None:
    """Fill ``ours_lo``, ``ours_hi`` and ``in_interval`` of one comparison row (``compare_numbers``)."""
    is_auction = rec.quantity in AUCTION_QUANTITIES
    if not is_auction and (beta is None or not _beta_matches(summary.get("beta"), beta)):
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
    key = _INTERVAL_OF.get(rec.quantity)
    if key is None:
        return
    q = summary["quantities"][key]
    if q["lo"] is None:
        return
    factor = scale if rec.quantity in _MONEY else 1.0
    lo, hi = factor * q["lo"], factor * q["hi"]
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
    return "-" if beta == "" else f"{beta:g}"


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
        lines += ["", f"Uncertainty: {int((judged['in_interval'] == 'yes').sum())} of {len(judged)} published numbers at the "
                  "bootstrapped beta lie inside our percentile interval (paired bootstrap over questions; `ours [lo, hi]` "
                  "below, column `in_interval` of the CSV; for winners, the share of replicates naming the published model)."]
    interval = frame[frame["mode"] == "interval"]
    for r in interval.itertuples(index=False):
        lines += ["", f"Interval: {r.dataset}/{r.method} {r.quantity} \"{r.published}\" is compared as {r.accepted} ({r.note})."]
    money = frame[frame["agrees"].isin(["yes", "no"]) & (frame["unit"] == money_unit)]
    rel = pd.to_numeric(money["relative_difference"], errors="coerce").abs()
    if rel.notna().any():
        worst = money.loc[rel.idxmax()]
        at = "" if worst["beta"] == "" else f" at beta {worst['beta']:g}"
        lines += ["", f"Largest relative difference of a money number: {rel.max():.1%} ({worst['source']}, "
                  f"{worst['dataset']}/{worst['method']} {worst['quantity']}{at})."]
    lines.append("")
    titles = {"notebooks": "The authors' notebooks", "table2": "Table 2", "text": "The text (Section 5) and Table 2's caption"}
    for source, part in frame.groupby("source", sort=False):
        lines += [f"## {titles.get(source, source)}", ""]
        for (dataset, method), game in part.groupby(["dataset", "method"], sort=False):
            with_note = source == "text"
            head = "| beta | quantity | mode | published | ours | difference | agrees | in our interval |" + (" note |" if with_note else "")
            lines += [f"### {dataset} / {method}", "", head, "|---" * (9 if with_note else 8) + "|"]
            for r in game.itertuples(index=False):
                rel_txt = f" ({r.relative_difference:+.1%})" if isinstance(r.relative_difference, float) else ""
                diff_txt = f"{r.difference:+.4g}{rel_txt}" if isinstance(r.difference, float) else ""
                published = f"{r.published} {r.accepted}" if r.mode == "interval" else r.published
                ours = _fmt(r.ours)
                if isinstance(r.ours_lo, float) and isinstance(r.ours_hi, float):
                    ours += f" [{_fmt(r.ours_lo)}, {_fmt(r.ours_hi)}]"
                cells = [_beta_text(r.beta), r.quantity, r.mode, published, ours, diff_txt, r.agrees, r.in_interval]
                if with_note:
                    cells.append(r.note.replace("|", "/"))
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines)


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
    intervals = {}
    for key, path in (summaries or {}).items():
        dataset, _, method = key.partition("/")
        try:
            intervals[(dataset, method)] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CompareError(f"{path}: unreadable uncertainty summary ({exc})") from None
    frame = compare_numbers(
        published, keyed, scale=settings["money_scale"], models=models, table2=settings["table2"], intervals=intervals
    )
    atomic_write_text(csv_out, frame.to_csv(index=False))
    atomic_write_text(md_out, comparison_markdown(frame, money_unit=settings["money_unit"]) + "\n")
    return frame
