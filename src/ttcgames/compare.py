"""Compare the reproduced games with the numbers the paper published, number by number.

Published numbers live in ``config/published.yaml`` (Table 2, the notebooks' printed table and
the numbers stated in Section 5; money in USD x 1e-3). Ours come from the games JSON of each
(dataset, method) (``ttcgames analysis``; README): at the table's beta, the equilibrium's share-
weighted user value, price, provider utility and welfare, the optimum's welfare, the price of
anarchy, the iterations of better-response dynamics (turn of the last move), and the auction's
user value, price, winner utility, welfare, winner and runner-up.

Each row says whether ours *agrees within the published rounding*: a number printed with d
decimals agrees when ours rounds to it (|ours - published| <= 0.5 x 10^-d) for sources that
round, or truncates to it (published <= ours < published + 10^-d) for Table 2, which cuts
digits. Provider names must be equal. A published row whose game was not run reads ``n/a``.

Steps (``build_comparison``): ``load_published`` -> ``game_numbers`` per game -> ``compare_numbers``
-> ``comparison_markdown``; CSV and Markdown written atomically.
"""

from __future__ import annotations

import json
import math
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .jsonl import atomic_write_text

__all__ = [
    "MONEY",
    "QUANTITIES",
    "COMPARISON_COLUMNS",
    "CompareError",
    "load_published",
    "game_numbers",
    "agrees",
    "compare_numbers",
    "comparison_markdown",
    "build_comparison",
]

# Quantity -> where it sits in the games JSON; money ones are scaled to the published unit.
MONEY = (
    "value", "price", "utility", "welfare", "optimal_welfare",
    "auction_value", "auction_price", "auction_utility", "auction_welfare",
)
QUANTITIES = MONEY + ("price_of_anarchy", "iterations", "auction_winner", "auction_runner_up")
_NAMES = ("auction_winner", "auction_runner_up")
SOURCES = ("table2", "notebooks", "text")
COMPARISON_COLUMNS = (
    "source", "dataset", "method", "quantity", "unit", "published", "ours",
    "difference", "relative_difference", "agrees",
)


class CompareError(ValueError):
    """A published-numbers file or games JSON is malformed; the message names the file and key."""


def load_published(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rows ``source, dataset, method, quantity, published, rounding`` and the file's settings
    (``beta``, ``money_unit``, ``money_scale``)."""
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
    for key in ("beta", "money_unit", "money_scale"):
        if key not in doc:
            raise CompareError(f"{path}: missing key {key!r}")
    rounding = doc.get("rounding", {})
    rows = []
    for source in SOURCES:
        mode = rounding.get(source, "round")
        if mode not in ("round", "truncate"):
            raise CompareError(f"{path}: rounding.{source} must be 'round' or 'truncate', got {mode!r}")
        for i, entry in enumerate(doc.get(source) or []):
            where = f"{path}: {source}[{i}]"
            if not isinstance(entry, dict) or "dataset" not in entry or "method" not in entry:
                raise CompareError(f"{where}: needs dataset and method")
            for quantity, value in entry.items():
                if quantity in ("dataset", "method"):
                    continue
                if quantity not in QUANTITIES:
                    raise CompareError(f"{where}.{quantity}: unknown quantity (known: {', '.join(QUANTITIES)})")
                text = str(value)
                if quantity not in _NAMES:
                    try:
                        Decimal(text)
                    except Exception:
                        raise CompareError(f"{where}.{quantity}: {value!r} is not a number") from None
                rows.append(
                    {
                        "source": source,
                        "dataset": str(entry["dataset"]),
                        "method": str(entry["method"]),
                        "quantity": quantity,
                        "published": text,
                        "rounding": mode,
                    }
                )
    settings = {"beta": float(doc["beta"]), "money_unit": str(doc["money_unit"]), "money_scale": float(doc["money_scale"])}
    return pd.DataFrame(rows, columns=["source", "dataset", "method", "quantity", "published", "rounding"]), settings


def _beta_matches(entry_beta: Any, beta: float) -> bool:
    if entry_beta == "inf":
        return math.isinf(beta)
    try:
        return math.isclose(float(entry_beta), beta, rel_tol=1e-12)
    except (TypeError, ValueError):
        return False


def game_numbers(game: Mapping[str, Any] | str | os.PathLike, beta: float, scale: float = 1000.0) -> dict[str, Any]:
    """Our value of every quantity in ``QUANTITIES`` from one games JSON, at ``beta``."""
    where = "games JSON"
    if not isinstance(game, Mapping):
        where = str(game)
        try:
            game = json.loads(Path(game).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CompareError(f"{where}: file not found") from None
        except json.JSONDecodeError as exc:
            raise CompareError(f"{where}: not valid JSON ({exc.msg})") from None
    try:
        entry = next(g for g in game["games"] if _beta_matches(g["beta"], beta))
    except KeyError as exc:
        raise CompareError(f"{where}: missing key {exc}") from None
    except StopIteration:
        have = [g.get("beta") for g in game.get("games", [])]
        raise CompareError(f"{where}: no game at beta {beta:g} (betas: {have})") from None
    try:
        eq, auction = entry["equilibrium"], game["auction"]
        return {
            "value": eq["user_value"] * scale,
            "price": eq["price"] * scale,
            "utility": eq["provider_utility"] * scale,
            "welfare": eq["welfare"] * scale,
            "optimal_welfare": entry["optimum"]["welfare"] * scale,
            "price_of_anarchy": entry["price_of_anarchy"],
            "iterations": eq["iterations"],
            "auction_value": auction["user_value"] * scale,
            "auction_price": auction["price"] * scale,
            "auction_utility": auction["utility"] * scale,
            "auction_welfare": auction["welfare"] * scale,
            "auction_winner": auction["winner"],
            "auction_runner_up": auction["runner_up"],
        }
    except KeyError as exc:
        raise CompareError(f"{where}: missing key {exc} (beta {beta:g})") from None


def agrees(published: str, ours: Any, rounding: str = "round") -> bool:
    """Does ``ours`` print as ``published`` (rounded or truncated to its digits)?"""
    if ours is None or (isinstance(ours, float) and not math.isfinite(ours)):
        return False
    if isinstance(ours, str):
        return ours == published
    dec = Decimal(published)
    step = Decimal(1).scaleb(dec.as_tuple().exponent)  # 10^-d
    x = Decimal(repr(float(ours)))
    if rounding == "truncate":
        if dec >= 0:
            return dec <= x < dec + step
        return dec - step < x <= dec
    return abs(x - dec) <= step / 2


def compare_numbers(
    published: pd.DataFrame,
    games: Mapping[tuple[str, str], Mapping[str, Any] | str | os.PathLike],
    *,
    beta: float,
    scale: float = 1000.0,
    money_unit: str = "USD x 1e-3",
) -> pd.DataFrame:
    """One row per published number (``COMPARISON_COLUMNS``), ours beside it.

    ``games`` maps (dataset, method) to a games JSON (path or loaded). ``difference`` is ours -
    published and ``relative_difference`` that over |published| (empty for names and for
    published zero); ``agrees`` is ``yes``/``no`` (``n/a`` when the game was not run).
    """
    cache: dict[tuple[str, str], dict[str, Any]] = {}
    rows = []
    for rec in published.itertuples(index=False):
        key = (rec.dataset, rec.method)
        unit = money_unit if rec.quantity in MONEY else ("provider" if rec.quantity in _NAMES else "")
        row = {
            "source": rec.source, "dataset": rec.dataset, "method": rec.method, "quantity": rec.quantity,
            "unit": unit, "published": rec.published, "ours": "", "difference": "", "relative_difference": "",
            "agrees": "n/a",
        }
        if key in games:
            if key not in cache:
                cache[key] = game_numbers(games[key], beta, scale)
            ours = cache[key][rec.quantity]
            if rec.quantity in _NAMES:
                row["ours"] = ours
            elif ours is not None:
                pub = float(rec.published)
                row["ours"] = float(ours)
                row["difference"] = float(ours) - pub
                row["relative_difference"] = (float(ours) - pub) / abs(pub) if pub != 0 else ""
            row["agrees"] = "yes" if agrees(rec.published, ours, rec.rounding) else "no"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e-3 and v != 0 else f"{v:.3f}".rstrip("0").rstrip(".") if not v.is_integer() else f"{v:.0f}"
    return str(v)


def comparison_markdown(frame: pd.DataFrame, *, beta: float, money_unit: str) -> str:
    """A Markdown page: a summary line, then one table per (dataset, method)."""
    ran = frame[frame["agrees"] != "n/a"]
    n_yes = int((ran["agrees"] == "yes").sum())
    rel = pd.to_numeric(ran["relative_difference"], errors="coerce").abs()
    lines = [
        "# Reproduction vs published numbers",
        "",
        f"beta = {beta:g}; money in {money_unit} per query. {len(ran)} of {len(frame)} published numbers were "
        f"reproduced by this run; {n_yes} agree within the published rounding"
        + (f"; largest relative difference {rel.max():.1%}." if rel.notna().any() else "."),
        "",
    ]
    for (dataset, method), part in frame.groupby(["dataset", "method"], sort=False):
        lines += [f"## {dataset} / {method}", "", "| source | quantity | published | ours | difference | relative | agrees |",
                  "|---|---|---|---|---|---|---|"]
        for r in part.itertuples(index=False):
            rel_txt = f"{r.relative_difference:+.1%}" if isinstance(r.relative_difference, float) else ""
            diff_txt = f"{r.difference:+.3f}" if isinstance(r.difference, float) else ""
            lines.append(f"| {r.source} | {r.quantity} | {r.published} | {_fmt(r.ours)} | {diff_txt} | {rel_txt} | {r.agrees} |")
        lines.append("")
    return "\n".join(lines)


def build_comparison(
    published_path: str | os.PathLike,
    games: Mapping[str, str | os.PathLike],
    csv_out: str | os.PathLike,
    md_out: str | os.PathLike,
) -> pd.DataFrame:
    """Workflow stage "compare": ``games`` maps ``"dataset/method"`` to its games JSON; writes
    ``results/compare/published.{csv,md}``. Published rows of games not in ``games`` read ``n/a``."""
    published, settings = load_published(published_path)
    keyed = {}
    for key, path in games.items():
        if key.count("/") != 1:
            raise CompareError(f"game key {key!r} must be 'dataset/method'")
        dataset, method = key.split("/")
        keyed[(dataset, method)] = path
    frame = compare_numbers(
        published, keyed, beta=settings["beta"], scale=settings["money_scale"], money_unit=settings["money_unit"]
    )
    atomic_write_text(csv_out, frame.to_csv(index=False))
    atomic_write_text(md_out, comparison_markdown(frame, beta=settings["beta"], money_unit=settings["money_unit"]) + "\n")
    return frame
