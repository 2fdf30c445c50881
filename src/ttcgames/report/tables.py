"""Table 2 of the paper: equilibrium of the test-time compute game vs the reverse second-price auction.

Paper, Section 5 ("Results", Table 2) and docs/paper-notes.md, "Dynamics":

- Game column (the game G at one beta, default 1000): share-weighted user value sum_i s_i V_i,
  price sum_i s_i p_i, provider utility sum_i s_i (p_i - c_i) and social welfare (Eq. 5) at the
  equilibrium reached by better-response dynamics; plus the optimal welfare and the price of
  anarchy max W / W(theta^dagger) (Eq. 9).
- Auction column (Section 4, Eq. 10-13): user value = runner-up's best W, price = payment,
  winner's utility, welfare = winner's best W; its price of anarchy max_i W_i^* / welfare, which
  Eq. 13 says is 1.
- Notes under the table: how many pure equilibria each game has at the table's beta, and the price
  of anarchy over the worst of them and the price of stability (Eq. 9 over the best), when the
  games JSON has them (``ttcgames game --all-equilibria``, which the workflow always passes).

All of these are read from the games JSON written by ``ttcgames game`` (one file per
(dataset, method)); this module only selects, scales and lays them out.

Steps (``build_table2``): ``read_games_json`` -> ``table2_frame`` (tidy long rows
``dataset,method,mechanism,quantity,value,unit``) -> ``render_markdown`` / ``render_latex``.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ttcgames.io.atomic import atomic_write_text

__all__ = [
    "METHOD_LABELS",
    "TABLE2_COLUMNS",
    "TableInputError",
    "read_games_json",
    "game_at_beta",
    "table2_frame",
    "read_table2_csv",
    "render_markdown",
    "render_latex",
    "build_table2",
    "render_table2",
    "equilibria_notes",
]

METHOD_LABELS = {"majority": "Majority vote", "bon": "Best-of-n", "reasoning": "Reasoning effort"}
TABLE2_COLUMNS = ("dataset", "method", "mechanism", "quantity", "value", "unit", "lo", "hi", "share")
# Table 2 row -> quantity of the uncertainty summary (ttcgames.uncertainty.paired), per mechanism.
_INTERVAL_KEYS = {
    ("Game", "User value"): "value",
    ("Game", "Price"): "price",
    ("Game", "Provider(s') utility"): "utility",
    ("Game", "Social welfare"): "welfare",
    ("Game", "Optimal social welfare"): "optimal_welfare",
    ("Game", "Price of anarchy"): "price_of_anarchy",
    ("Game", "Iterations to equilibrium"): "iterations",
    ("Auction", "User value"): "auction_value",
    ("Auction", "Price"): "auction_price",
    ("Auction", "Provider(s') utility"): "auction_utility",
    ("Auction", "Social welfare"): "auction_welfare",
}
_SHARE_KEYS = {"Auction winner": "auction_winner", "Auction runner-up": "auction_runner_up"}
GAME, AUCTION = "Game", "Auction"
# (quantity, key in the equilibrium entry, key in the auction entry), in Table 2's row order.
_MONEY_ROWS = (
    ("User value", "user_value", "user_value"),
    ("Price", "price", "price"),
    ("Provider(s') utility", "provider_utility", "utility"),
    ("Social welfare", "welfare", "welfare"),
)
_ROW_ORDER = (
    "User value",
    "Price",
    "Provider(s') utility",
    "Social welfare",
    "Optimal social welfare",
    "Price of anarchy",
    "Iterations to equilibrium",
    "Auction winner",
    "Auction runner-up",
)


# Rows of the tidy frame that the renderings put in the notes under the table, not in its body.
EQUILIBRIA, WORST_POA, POS = "Pure equilibria", "Price of anarchy, worst equilibrium", "Price of stability"
_NOTE_QUANTITIES = (EQUILIBRIA, WORST_POA, POS)


class TableInputError(ValueError):
    """Invalid games JSON or table CSV; the message names the file and the missing key."""


def _unit(scale: float) -> str:
    """The unit of a dollar amount multiplied by ``scale``: 1000 -> ``$ x 1e-3`` (the paper's),
    0.001 -> ``$ x 1e3``, other scales -> ``$ / 250``."""
    if scale == 1:
        return "$"
    exp = math.log10(scale)
    if abs(exp - round(exp)) < 1e-9:
        return f"$ x 1e{-int(round(exp))}"
    return f"$ / {scale:g}"


def _require(obj: Mapping, keys: Sequence[str], where: str) -> None:
    if not isinstance(obj, Mapping):
        raise TableInputError(f"{where}: expected an object")
    missing = [k for k in keys if k not in obj]
    if missing:
        raise TableInputError(f"{where}: missing key(s) {missing}")


def read_games_json(path: str | os.PathLike) -> dict:
    """Read and check one games JSON (``ttcgames game --json``): ``auction`` with winner,
    runner_up, user_value, price, utility, welfare; ``games`` entries with beta, equilibrium,
    optimum and price_of_anarchy."""
    path = Path(path)
    if not path.is_file():
        raise TableInputError(f"missing games file {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise TableInputError(f"{path}: invalid JSON at line {err.lineno} ({err.msg})") from None
    _require(doc, ("auction", "games"), str(path))
    _require(doc["auction"], ("winner", "runner_up", "user_value", "price", "utility", "welfare"), f"{path}: auction")
    if not isinstance(doc["games"], list) or not doc["games"]:
        raise TableInputError(f"{path}: 'games' must be a non-empty list")
    for k, entry in enumerate(doc["games"]):
        where = f"{path}: games[{k}]"
        _require(entry, ("beta", "equilibrium", "optimum", "price_of_anarchy"), where)
        _require(entry["equilibrium"], ("user_value", "price", "provider_utility", "welfare", "iterations"), f"{where}.equilibrium")
        _require(entry["optimum"], ("welfare",), f"{where}.optimum")
    return doc


def _beta_value(raw: object) -> float:
    return math.inf if str(raw).strip().lower() in ("inf", "infinity") else float(raw)  # type: ignore[arg-type]


def game_at_beta(doc: Mapping, beta: float | str, source: str = "games") -> Mapping:
    """The ``games`` entry for ``beta`` (``"inf"`` or ``math.inf`` for perfect rationality)."""
    target = _beta_value(beta)
    available = [_beta_value(g["beta"]) for g in doc["games"]]
    for value, entry in zip(available, doc["games"]):
        if (math.isinf(target) and math.isinf(value)) or (
            math.isfinite(target) and math.isfinite(value) and math.isclose(value, target, rel_tol=1e-9)
        ):
            return entry
    raise TableInputError(f"{source}: no game at beta = {target:g}; available betas: {available}")


def _number(raw: object, where: str) -> float:
    if raw is None:
        return math.nan
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TableInputError(f"{where}: not a number: {raw!r}") from None


def table2_frame(
    games: Mapping[tuple[str, str], Mapping],
    *,
    beta: float | str = 1000,
    scale: float = 1000,
    sources: Mapping[tuple[str, str], str] | None = None,
    intervals: Mapping[tuple[str, str], Mapping] | None = None,
) -> pd.DataFrame:
    """Tidy Table 2 rows for every (dataset, method) in ``games`` (in that order).

    Money rows are multiplied by ``scale`` (1000: $ x 1e-3, the paper's unit). A missing price of
    anarchy (welfare <= 0 at the equilibrium) becomes NaN. ``intervals`` maps (dataset, method) to
    its uncertainty summary (``ttcgames.uncertainty.paired.summarise_replicates``, at the same beta): each
    number then gets its percentile interval (``lo``, ``hi``, scaled like the value) and the
    auction's winner and runner-up the share of replicates naming the same provider (``share``).
    The auction's price of anarchy is 1 by construction (Eq. 13) and gets no interval.
    """
    if scale <= 0 or not math.isfinite(scale):
        raise ValueError(f"scale must be positive, got {scale}")
    unit = _unit(scale)
    rows = []
    for (dataset, method), doc in games.items():
        src = (sources or {}).get((dataset, method), f"{dataset}/{method}")
        entry = game_at_beta(doc, beta, src)
        eq, auction = entry["equilibrium"], doc["auction"]
        for quantity, eq_key, auction_key in _MONEY_ROWS:
            rows.append((dataset, method, GAME, quantity, scale * _number(eq[eq_key], f"{src}: equilibrium.{eq_key}"), unit))
            rows.append((dataset, method, AUCTION, quantity, scale * _number(auction[auction_key], f"{src}: auction.{auction_key}"), unit))
        rows.append((dataset, method, GAME, "Optimal social welfare", scale * _number(entry["optimum"]["welfare"], f"{src}: optimum.welfare"), unit))
        rows.append((dataset, method, GAME, "Price of anarchy", _number(entry["price_of_anarchy"], f"{src}: price_of_anarchy"), "ratio"))
        offered = auction.get("offered_value")
        welfare = _number(auction["welfare"], f"{src}: auction.welfare")
        if isinstance(offered, Mapping) and offered and welfare > 0:
            # Truthful bids offer V_i = W_i^* (Theorem 5), so max_i W_i^* / welfare is Eq. 13's ratio.
            auction_poa = max(_number(v, f"{src}: auction.offered_value") for v in offered.values()) / welfare
        else:
            auction_poa = math.nan
        rows.append((dataset, method, AUCTION, "Price of anarchy", auction_poa, "ratio"))
        rows.append((dataset, method, GAME, "Iterations to equilibrium", float(eq["iterations"]), "iterations"))
        eqs = entry.get("equilibria")
        if isinstance(eqs, Mapping) and "count" in eqs:
            beta_text = "inf" if entry["beta"] == "inf" else f"{float(entry['beta']):g}"
            rows.append((dataset, method, GAME, EQUILIBRIA, float(_number(eqs["count"], f"{src}: equilibria.count")),
                         f"equilibria at beta = {beta_text}"))
            for quantity, key in ((WORST_POA, "price_of_anarchy"), (POS, "price_of_stability")):
                value = eqs.get(key)
                rows.append((dataset, method, GAME, quantity,
                             math.nan if value is None else _number(value, f"{src}: equilibria.{key}"), "ratio"))
        rows.append((dataset, method, AUCTION, "Auction winner", auction["winner"] or "", "provider"))
        rows.append((dataset, method, AUCTION, "Auction runner-up", auction["runner_up"] or "", "provider"))
    if not rows:
        raise TableInputError("no games given")
    out = []
    for row in rows:
        dataset, method, mechanism, quantity, value, unit = row
        lo = hi = share = math.nan
        summary = (intervals or {}).get((dataset, method))
        if summary is not None:
            where = (sources or {}).get((dataset, method), f"{dataset}/{method}")
            if "beta" in summary and _beta_value(summary["beta"]) != _beta_value(beta):
                raise TableInputError(f"{where}: uncertainty summary at beta {summary['beta']}, the table is at beta {beta}")
            key = _INTERVAL_KEYS.get((mechanism, quantity))
            if key is not None:
                q = summary["quantities"][key]
                factor = scale if unit.startswith("$") else 1.0
                lo = math.nan if q["lo"] is None else factor * q["lo"]
                hi = math.nan if q["hi"] is None else factor * q["hi"]
            elif quantity in _SHARE_KEYS:
                f = summary["frequencies"][_SHARE_KEYS[quantity]]
                if f["point"] != value:
                    raise TableInputError(
                        f"{where}: the uncertainty summary's {_SHARE_KEYS[quantity]} {f['point']!r} is not the game's {value!r} "
                        "(different betas or inputs?)"
                    )
                share = math.nan if f["point_share"] is None else f["point_share"]
        out.append((*row, lo, hi, share))
    return pd.DataFrame(out, columns=list(TABLE2_COLUMNS))


def read_table2_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Table 2 CSV back (``value`` stays text for provider rows, numbers elsewhere)."""
    path = Path(path)
    if not path.is_file():
        raise TableInputError(f"missing table file {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in TABLE2_COLUMNS[:6] if c not in frame.columns]
    if missing:
        raise TableInputError(f"{path}: missing column(s) {missing}")
    for column in ("lo", "hi", "share"):  # tables written without an uncertainty stage lack them
        if column not in frame.columns:
            frame[column] = ""
        try:
            frame[column] = [float(v) if v != "" else math.nan for v in frame[column]]
        except ValueError:
            raise TableInputError(f"{path}: column {column!r} is not numeric") from None
    values: list[object] = []
    for line, (value, unit) in enumerate(zip(frame["value"], frame["unit"]), start=2):
        if unit == "provider":
            values.append(value)
            continue
        try:
            values.append(float(value) if value != "" else math.nan)
        except ValueError:
            raise TableInputError(f"{path}, line {line}: column 'value' is not a number: {value!r}") from None
    frame["value"] = pd.Series(values, dtype=object)
    return frame


def _format(value: object, unit: str, digits: int) -> str:
    if unit == "provider":
        return str(value)
    x = float(value)  # type: ignore[arg-type]
    if not math.isfinite(x):
        return "--"
    if unit == "iterations" or unit.startswith("equilibria"):
        return f"{int(round(x)):,}"
    if unit == "ratio":
        return f"{x:.3f}"
    return f"{x:.{digits}f}"


def _cell(row, digits: int) -> str:
    """The value, with its percentile interval (``5.50 [5.20, 5.90]``) or, for a provider, the share
    of bootstrap replicates naming it (``qwen25-7b (87%)``) when the table has them."""
    text = _format(row.value, row.unit, digits)
    lo, hi, share = (getattr(row, c, math.nan) for c in ("lo", "hi", "share"))
    if row.unit == "provider":
        if isinstance(share, float) and math.isfinite(share) and text:
            text += f" ({share:.0%})"
        return text
    if isinstance(lo, float) and math.isfinite(lo) and isinstance(hi, float) and math.isfinite(hi):
        text += f" [{_format(lo, row.unit, digits)}, {_format(hi, row.unit, digits)}]"
    return text


def _layout(frame: pd.DataFrame, digits: int) -> tuple[list[tuple[str, str]], list[str], dict]:
    combos = list(dict.fromkeys(zip(frame["dataset"], frame["method"])))
    present = set(frame["quantity"]) - set(_NOTE_QUANTITIES)
    quantities = [q for q in _ROW_ORDER if q in present] + sorted(present - set(_ROW_ORDER))
    cells = {}
    for row in frame.itertuples(index=False):
        cells[(row.quantity, row.dataset, row.method, row.mechanism)] = _cell(row, digits)
    return combos, quantities, cells


def _has_auction_poa(frame: pd.DataFrame) -> bool:
    return bool(((frame["mechanism"] == AUCTION) & (frame["quantity"] == "Price of anarchy")).any())


def _has_intervals(frame: pd.DataFrame) -> bool:
    return "lo" in frame.columns and pd.to_numeric(frame["lo"], errors="coerce").notna().any()


_INTERVAL_NOTE = (
    "Brackets: percentile interval of a paired bootstrap over questions (curves, market, equilibrium, "
    "optimum and auction rebuilt per replicate); (x%): share of replicates with the same auction winner "
    "or runner-up."
)
# Always in the caption: the auction row is no finding (Eq. 13), only a consistency check of the
# auction's welfare against the best contribution max_i W_i^*.
_AUCTION_POA_NOTE = (
    "The auction's price of anarchy is 1 by construction (Eq. 13: the winner is the provider with the "
    "highest W_i^*); its row only checks that."
)


def equilibria_notes(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per game with the all-equilibria rows: how many pure equilibria it has at the
    table's beta, the price of anarchy over the worst and the price of stability."""
    notes = []
    for (dataset, method), rows in frame.groupby(["dataset", "method"], sort=False):
        by = {q: (v, u) for q, v, u in zip(rows["quantity"], rows["value"], rows["unit"])}
        if EQUILIBRIA not in by:
            continue
        count, unit = by[EQUILIBRIA]
        n = int(round(float(count)))
        at = unit[len("equilibria "):]
        text = f"{_combo_label(dataset, method, labels)}: {n:,} pure equilibri{'um' if n == 1 else 'a'} {at}"
        ratios = [f"{name} {_format(by[q][0], 'ratio', 3)}" for q, name in
                  ((WORST_POA, "price of anarchy over the worst"), (POS, "price of stability")) if q in by]
        notes.append(text + (f" ({', '.join(ratios)})" if ratios else "") + ".")
    return notes


def _combo_label(dataset: str, method: str, labels: Mapping[str, str] | None) -> str:
    labels = labels or {}
    return f"{labels.get(dataset, dataset)} {METHOD_LABELS.get(method, method)}"


def render_markdown(frame: pd.DataFrame, *, digits: int = 2, labels: Mapping[str, str] | None = None) -> str:
    """Markdown table: one row per quantity, a Game and an Auction column per (dataset, method)."""
    combos, quantities, cells = _layout(frame, digits)
    units = sorted({u for u in frame["unit"] if u.startswith("$")})
    header = ["quantity"] + [f"{_combo_label(d, m, labels)}: {mech}" for d, m in combos for mech in (GAME, AUCTION)]
    lines = [
        f"Table 2: game (equilibrium of better-response dynamics) vs auction; money in {', '.join(units) or '$'}."
        + (" " + _AUCTION_POA_NOTE if _has_auction_poa(frame) else "")
        + (" " + _INTERVAL_NOTE if _has_intervals(frame) else ""),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" + "---:|" * (len(header) - 1),
    ]
    for q in quantities:
        row = [q] + [cells.get((q, d, m, mech), "") for d, m in combos for mech in (GAME, AUCTION)]
        lines.append("| " + " | ".join(row) + " |")
    notes = equilibria_notes(frame, labels)
    if notes:
        lines += ["", "Notes. The game column is the equilibrium the dynamics reach; all pure equilibria of each game:"]
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def _tex(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))


def _unit_tex(unit: str) -> str:
    match = re.fullmatch(r"\$ x 1e(-?\d+)", unit)
    if match:
        return rf"\$ $\times 10^{{{match.group(1)}}}$"
    return _tex(unit)


def render_latex(
    frame: pd.DataFrame,
    *,
    digits: int = 2,
    labels: Mapping[str, str] | None = None,
    caption: str | None = None,
    label: str = "tab:table2",
) -> str:
    """LaTeX ``table`` with a booktabs ``tabular``: a two-level header (dataset and method over
    Game $\\mathcal{G}$ / Auction $\\tilde{\\mathcal{G}}$), one row per quantity."""
    combos, quantities, cells = _layout(frame, digits)
    units = sorted({u for u in frame["unit"] if u.startswith("$")})
    unit_tex = ", ".join(_unit_tex(u) for u in units)
    if caption is None:
        caption = (
            r"Equilibrium of the test-time compute game $\mathcal{G}$ vs the auction $\tilde{\mathcal{G}}$. "
            + (f"Money in {unit_tex}." if unit_tex else "")
            + (" " + _tex(_AUCTION_POA_NOTE) if _has_auction_poa(frame) else "")
            + (" " + _tex(_INTERVAL_NOTE) if _has_intervals(frame) else "")
        )
    out = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{caption}}}",
        rf"\label{{{label}}}",
        r"\begin{tabular}{l" + "rr" * len(combos) + "}",
        r"\toprule",
        " & " + " & ".join(rf"\multicolumn{{2}}{{c}}{{{_tex(_combo_label(d, m, labels))}}}" for d, m in combos) + r" \\",
        "".join(rf"\cmidrule(lr){{{2 + 2 * k}-{3 + 2 * k}}}" for k in range(len(combos))),
        " & " + " & ".join([r"Game $\mathcal{G}$", r"Auction $\tilde{\mathcal{G}}$"] * len(combos)) + r" \\",
        r"\midrule",
    ]
    for q in quantities:
        row = [_tex(q)] + [_tex(cells.get((q, d, m, mech), "")) for d, m in combos for mech in (GAME, AUCTION)]
        out.append(" & ".join(row) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    notes = equilibria_notes(frame, labels)
    if notes:
        out.append(r"\par\smallskip\footnotesize Pure equilibria of each game: " + _tex(" ".join(notes)))
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


def _games_key(path: Path) -> tuple[str, str]:
    # results/games/{dataset}/{method}.json
    return path.parent.name, path.name[: -len(".json")] if path.name.endswith(".json") else path.stem


def build_table2(
    game_paths: Mapping[tuple[str, str], str | os.PathLike] | Sequence[str | os.PathLike],
    out_csv: str | os.PathLike,
    *,
    beta: float | str = 1000,
    scale: float = 1000,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    out_md: str | os.PathLike | None = None,
    out_tex: str | os.PathLike | None = None,
    labels: Mapping[str, str] | None = None,
    summary_paths: Mapping[tuple[str, str], str | os.PathLike] | None = None,
) -> pd.DataFrame:
    """Workflow stage: Table 2 CSV (tidy long form, ``TABLE2_COLUMNS``) and optionally its
    Markdown and LaTeX renderings. ``summary_paths`` maps (dataset, method) to its uncertainty
    summary JSON (``results/uncertainty/{dataset}/{method}.summary.json``) for the intervals.

    ``game_paths`` maps (dataset, method) to a games JSON, or lists files laid out as
    ``.../{dataset}/{method}.json``. ``datasets``/``methods`` (config order) fix the column order
    and must all be present.
    """
    if isinstance(game_paths, Mapping):
        items = {(str(d), str(m)): Path(p) for (d, m), p in game_paths.items()}
    else:
        items = {}
        for p in game_paths:
            p = Path(p)
            key = _games_key(p)
            if key in items:
                raise TableInputError(f"two games files for {key}: {items[key]} and {p}")
            items[key] = p
    if datasets is not None or methods is not None:
        ds = list(datasets) if datasets is not None else list(dict.fromkeys(k[0] for k in items))
        ms = list(methods) if methods is not None else list(dict.fromkeys(k[1] for k in items))
        wanted = [(d, m) for d in ds for m in ms]
        missing = [k for k in wanted if k not in items]
        if missing:
            raise TableInputError(f"missing games file(s) for (dataset, method) {missing}; given {sorted(items)}")
        items = {k: items[k] for k in wanted}
    docs = {key: read_games_json(path) for key, path in items.items()}
    intervals = None
    if summary_paths is not None:
        intervals = {}
        for key, path in summary_paths.items():
            try:
                intervals[(str(key[0]), str(key[1]))] = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise TableInputError(f"{path}: unreadable uncertainty summary ({exc})") from None
    frame = table2_frame(docs, beta=beta, scale=scale, sources={k: str(v) for k, v in items.items()}, intervals=intervals)
    atomic_write_text(out_csv, frame.to_csv(index=False))
    if out_md is not None:
        atomic_write_text(out_md, render_markdown(frame, labels=labels))
    if out_tex is not None:
        atomic_write_text(out_tex, render_latex(frame, labels=labels))
    return frame


def render_table2(
    table_csv: str | os.PathLike,
    out: str | os.PathLike,
    *,
    fmt: str | None = None,
    labels: Mapping[str, str] | None = None,
    digits: int = 2,
) -> str:
    """Workflow stage: render a Table 2 CSV as Markdown (``.md``) or LaTeX (``.tex``)."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    frame = read_table2_csv(table_csv)
    if fmt == "md":
        text = render_markdown(frame, labels=labels, digits=digits)
    elif fmt == "tex":
        text = render_latex(frame, labels=labels, digits=digits)
    else:
        raise ValueError(f"unknown table format {fmt!r} for {out} (use md or tex)")
    atomic_write_text(out, text)
    return text
