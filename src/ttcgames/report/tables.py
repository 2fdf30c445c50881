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

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ttcgames.game import beta as beta_codec
from ttcgames.game import quantities as Q
from ttcgames.game.results import AuctionResult, GameResult, GamesDocument, ResultsError, read_games
from ttcgames.io.atomic import atomic_write_text
from ttcgames.uncertainty.paired import read_summary

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
GAME, AUCTION = "Game", "Auction"
_MECHANISM = {Q.GAME: GAME, Q.AUCTION: AUCTION}


def _table2_quantities() -> tuple[Q.Quantity, ...]:
    """Table 2's quantities (the registry's) in row order: per row label, the game's then the auction's."""
    table = [Q.quantity(name) for name in Q.TABLE2_GAME + Q.TABLE2_AUCTION]
    labels = dict.fromkeys(q.label for q in table)
    return tuple(q for label in labels for mech in (Q.GAME, Q.AUCTION) for q in table if (q.label, q.mechanism) == (label, mech))


_TABLE2 = _table2_quantities()
_ROW_ORDER = tuple(dict.fromkeys(q.label for q in _TABLE2))
# The units of the CSV for the registry's kinds other than money (whose unit is Q.money_unit(scale)).
_UNIT_TEXT = {Q.RATIO: "ratio", Q.COUNT: "iterations", Q.PROVIDER: "provider"}
# Rows of the tidy frame that the renderings put in the notes under the table, not in its body.
_NOTES = tuple(Q.quantity(name) for name in ("equilibria", "worst_price_of_anarchy", "price_of_stability"))
EQUILIBRIA, WORST_POA, POS = (q.label for q in _NOTES)
_NOTE_QUANTITIES = (EQUILIBRIA, WORST_POA, POS)


class TableInputError(ValueError):
    """Invalid games JSON or table CSV; the message names the file and the missing key."""


def read_games_json(path: str | os.PathLike) -> GamesDocument:
    """Read and check one games JSON (``ttcgames game --json``) with the one games-JSON reader
    (``ttcgames.game.results.read_games``): ``auction`` with winner, runner_up, user_value, price,
    utility, welfare; ``games`` entries with beta, equilibrium, optimum and price_of_anarchy."""
    try:
        return read_games(path)
    except ResultsError as exc:
        raise TableInputError(str(exc)) from None


def game_at_beta(doc: GamesDocument, beta: float | str, source: str = "games") -> GameResult:
    """The game at ``beta`` (``"inf"`` or ``math.inf`` for perfect rationality; ``ttcgames.game.beta.same``)."""
    game = doc.game_at(beta)
    if game is None:
        raise TableInputError(f"{source}: no game at beta = {beta_codec.text(beta)}; available betas: {doc.betas}")
    return game


def _as_float(value: object) -> float:
    """A checked number of a typed result as a float; a missing one (None) is NaN."""
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def _auction_price_of_anarchy(auction: AuctionResult) -> float:
    """max_i W_i^* / welfare: truthful bids offer V_i = W_i^* (Theorem 5), so this is Eq. 13's ratio."""
    welfare = _as_float(auction.welfare)
    if not auction.offered_value or not welfare > 0:
        return math.nan
    return max(_as_float(v) for v in auction.offered_value.values()) / welfare


def _value(q: Q.Quantity, game: GameResult, auction: AuctionResult, scale: float) -> object:
    """One body cell of Table 2: the quantity's value, money times ``scale``."""
    if q.unit == Q.PROVIDER:
        return q.read(game, auction) or ""
    if q.name == "auction_price_of_anarchy":
        return _auction_price_of_anarchy(auction)
    value = _as_float(q.read(game, auction))
    return scale * value if q.money else value


def _body_rows(game: GameResult, auction: AuctionResult, scale: float, unit: str) -> list[tuple]:
    """(quantity, mechanism, label, value, unit) of Table 2's numeric rows."""
    return [
        (q, _MECHANISM[q.mechanism], q.label, _value(q, game, auction, scale), unit if q.money else _UNIT_TEXT[q.unit])
        for q in _TABLE2
        if q.unit != Q.PROVIDER
    ]


def _equilibria_rows(game: GameResult) -> list[tuple]:
    """The notes' rows, when the games JSON has all pure equilibria: their number at the table's
    beta, the price of anarchy over the worst and the price of stability."""
    if game.equilibria is None:
        return []
    count, worst, best = (_as_float(q.read(game)) for q in _NOTES)
    return [
        (_NOTES[0], GAME, EQUILIBRIA, count, f"equilibria at beta = {beta_codec.text(game.beta)}"),
        (_NOTES[1], GAME, WORST_POA, worst, "ratio"),
        (_NOTES[2], GAME, POS, best, "ratio"),
    ]


def _provider_rows(game: GameResult, auction: AuctionResult) -> list[tuple]:
    """The auction's winner and runner-up (empty without one)."""
    return [(q, AUCTION, q.label, _value(q, game, auction, 1.0), _UNIT_TEXT[q.unit]) for q in _TABLE2 if q.unit == Q.PROVIDER]


def _uncertainty_cells(q: Q.Quantity, value: object, summary: Mapping | None, scale: float, where: str) -> tuple[float, float, float]:
    """(lo, hi, share) of one row from its game's uncertainty summary: the percentile interval of a
    number (money scaled like the value), the share of replicates naming the same provider."""
    lo = hi = share = math.nan
    if summary is None or q.uncertainty_key is None:
        return lo, hi, share
    if q.numeric:
        s = summary["quantities"][q.uncertainty_key]
        factor = scale if q.money else 1.0
        lo = math.nan if s["lo"] is None else factor * s["lo"]
        hi = math.nan if s["hi"] is None else factor * s["hi"]
    else:
        f = summary["frequencies"][q.uncertainty_key]
        if f["point"] != value:
            raise TableInputError(
                f"{where}: the uncertainty summary's {q.uncertainty_key} {f['point']!r} is not the game's {value!r} (different betas or inputs?)"
            )
        share = math.nan if f["point_share"] is None else f["point_share"]
    return lo, hi, share


def _summary_at(intervals: Mapping | None, key: tuple[str, str], beta: float | str, where: str) -> Mapping | None:
    """The game's uncertainty summary, which must be at the table's beta."""
    summary = (intervals or {}).get(key)
    if summary is not None and "beta" in summary and not beta_codec.same(summary["beta"], beta):
        raise TableInputError(f"{where}: uncertainty summary at beta {summary['beta']}, the table is at beta {beta}")
    return summary


def table2_frame(
    games: Mapping[tuple[str, str], GamesDocument],
    *,
    beta: float | str = 1000,
    scale: float = 1000,
    sources: Mapping[tuple[str, str], str] | None = None,
    intervals: Mapping[tuple[str, str], Mapping] | None = None,
) -> pd.DataFrame:
    """Tidy Table 2 rows for every (dataset, method) in ``games`` (typed games JSONs, in that order).

    Money rows are multiplied by ``scale`` (1000: $ x 1e-3, the paper's unit). A missing price of
    anarchy (welfare <= 0 at the equilibrium) becomes NaN. ``intervals`` maps (dataset, method) to
    its uncertainty summary (``ttcgames.uncertainty.paired.summarise_replicates``, at the same beta): each
    number then gets its percentile interval (``lo``, ``hi``, scaled like the value) and the
    auction's winner and runner-up the share of replicates naming the same provider (``share``).
    The auction's price of anarchy is 1 by construction (Eq. 13) and gets no interval.
    Steps per game: ``game_at_beta`` -> ``_body_rows``, ``_equilibria_rows``, ``_provider_rows``
    -> ``_uncertainty_cells``.
    """
    if scale <= 0 or not math.isfinite(scale):
        raise ValueError(f"scale must be positive, got {scale}")
    unit = Q.money_unit(scale)
    out = []
    for (dataset, method), doc in games.items():
        src = (sources or {}).get((dataset, method), f"{dataset}/{method}")
        game = game_at_beta(doc, beta, src)
        rows = _body_rows(game, doc.auction, scale, unit) + _equilibria_rows(game) + _provider_rows(game, doc.auction)
        summary = _summary_at(intervals, (dataset, method), beta, src)
        for q, mechanism, label, value, row_unit in rows:
            out.append((dataset, method, mechanism, label, value, row_unit, *_uncertainty_cells(q, value, summary, scale, src)))
    if not out:
        raise TableInputError("no games given")
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
    "The auction's price of anarchy is 1 by construction (Eq. 13: the winner is the provider with the highest W_i^*); its row only checks that."
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
        at = unit[len("equilibria ") :]
        text = f"{_combo_label(dataset, method, labels)}: {n:,} pure equilibri{'um' if n == 1 else 'a'} {at}"
        ratios = [
            f"{name} {_format(by[q][0], 'ratio', 3)}"
            for q, name in ((WORST_POA, "price of anarchy over the worst"), (POS, "price of stability"))
            if q in by
        ]
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
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
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
        intervals = {(str(d), str(m)): read_summary(path, error=TableInputError) for (d, m), path in summary_paths.items()}
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
