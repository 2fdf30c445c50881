"""Command line: ``ttcgames game`` (games at a few betas plus the auction) and ``ttcgames sweep``.

Every argument and the market file are checked before anything is computed or written: a bad one
ends the command with exit code 2 and one line ``ttcgames: error: ...`` naming the argument or the
file (and line), and no output file is created or touched.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from ttcgames import __version__
from ttcgames.game import beta as beta_codec
from ttcgames.game.analysis import SWEEP_COLUMNS, TRAJECTORY_COLUMNS, analyse, beta_sweep
from ttcgames.game.market import Market, MarketError, read_market_csv
from ttcgames.game.menus import MenuError, flag_theorem2, menu_document, menu_market, parse_menu
from ttcgames.game.segments import SegmentError, analyse_segments, read_segments_csv, segment_markets_from_csv, segmented_market
from ttcgames.io.atomic import atomic_write_text

__all__ = ["main", "MAX_SWEEP_BETAS"]

MAX_SWEEP_BETAS = 100_000


class _Refused(Exception):
    """A bad argument or input: :func:`main` prints the one-line message and returns 2, writing nothing."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line (no usage block) and lets main return 2."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        raise _Refused(f"{' '.join(message.split())} (see '{self.prog} --help')")


def _csv_text(rows: list[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r[k] is None else repr(r[k]) if isinstance(r[k], float) else r[k]) for k in columns})
    return buf.getvalue()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _beta(text: str) -> float:
    try:
        return beta_codec.parse(text)
    except beta_codec.BetaError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _finite(check, what: str):
    """An argparse type: a finite float satisfying ``check``, else 'must be <what>'."""

    def parse(text: str) -> float:
        value = _number(text)
        if not math.isfinite(value) or not check(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


def _price_menu(text: str) -> tuple[float, ...]:
    try:
        return parse_menu(text.split(","), "")
    except MenuError as exc:
        raise argparse.ArgumentTypeError(str(exc).lstrip(": ")) from None


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def _pow10(x: float) -> float:
    try:
        return 10.0**x
    except OverflowError:
        return math.inf


def _logspace(raw: Sequence[str]) -> list[float]:
    """``--beta-logspace START STOP NUM`` checked: numbers, NUM in 1..MAX_SWEEP_BETAS, every beta a
    positive finite double (10^START and 10^STOP neither underflow to 0 nor overflow)."""
    where = "argument --beta-logspace"
    exps = []
    for name, text in zip(("START", "STOP"), raw[:2]):
        try:
            value = float(text)
        except ValueError:
            raise _Refused(f"{where}: {name} is not a number: {text!r}") from None
        if not math.isfinite(value):
            raise _Refused(f"{where}: {name} must be a finite exponent, got {text!r}")
        beta = _pow10(value)
        if beta == 0.0:
            raise _Refused(f"{where}: {name} {text} gives beta = 10^{text}, which underflows to 0 (use at least -307)")
        if math.isinf(beta):
            raise _Refused(f"{where}: {name} {text} gives beta = 10^{text}, beyond the largest double "
                           "(use at most 308, or --beta inf)")
        exps.append(value)
    try:
        num = int(raw[2])
    except ValueError:
        raise _Refused(f"{where}: NUM must be a positive integer, got {raw[2]!r}") from None
    if not 1 <= num <= MAX_SWEEP_BETAS:
        raise _Refused(f"{where}: NUM must be between 1 and {MAX_SWEEP_BETAS:,}, got {raw[2]!r}")
    with np.errstate(over="ignore", under="ignore"):
        betas = [float(b) for b in np.logspace(exps[0], exps[1], num)]
    # The points lie between the two checked endpoints, up to rounding at the extremes.
    bad = [b for b in betas if not (0.0 < b < math.inf)]
    if bad:
        raise _Refused(f"{where}: {raw[0]} {raw[1]} {raw[2]} gives beta = {bad[0]!r}; choose exponents in [-307, 308]")
    return betas


def _add_market_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("market", help="market CSV: provider, theta, accuracy, tokens, price_per_million")
    p.add_argument("--alpha", type=_finite(lambda x: x > 0, "a positive number"), default=0.008,
                   help="dollar worth of 100%% accuracy (default 0.008, GSM8K)")
    p.add_argument("--baseline", type=_finite(lambda x: 0 <= x < 1, "a number in [0, 1)"), default=0.1,
                   help="quality baseline b in q = alpha (b + (1-b) acc) (default 0.1)")
    p.add_argument("--margin", type=_finite(lambda x: x > 0, "a positive number"), default=0.25,
                   help="price over cost: c = p / (1 + margin) (default 0.25)")
    p.add_argument("--v0", type=_finite(lambda x: True, "a finite number"), default=0.0,
                   help="abstention value V0 in dollars (default 0)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the dynamics' provider orders (default 0)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ttcgames", description="Test-time compute games: equilibria, optimum, auction.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("game", help="solve the game at one or more betas and run the auction")
    _add_market_args(g)
    g.add_argument("--beta", type=_beta, action="append", required=True, help="user rationality; repeatable; 'inf' allowed")
    g.add_argument("--all-equilibria", action="store_true", help="also find every pure equilibrium: count, worst and best welfare, PoA and PoS")
    g.add_argument("--price-menu", type=_price_menu, metavar="M1,M2,...",
                   help="price competition: each provider also picks its margin from these (comma-separated, positive); "
                        "costs stay at price / (1 + --margin); adds a price_menu section (docs/extensions.md)")
    g.add_argument("--segments", metavar="SEGMENTS.csv",
                   help="heterogeneous users: CSV of user segments (weight; optional name, alpha or alpha_scale, beta, v0; "
                        "empty cells take the game's values); adds a segments section (docs/extensions.md)")
    g.add_argument("--json", required=True, help="output JSON")
    g.add_argument("--trajectory", help="optional CSV of the dynamics, one row per (beta, t, provider)")
    s = sub.add_parser(
        "sweep",
        help="equilibrium welfare, optimum, price of anarchy (reached and worst equilibrium) and of stability over many betas",
    )
    _add_market_args(s)
    grp = s.add_mutually_exclusive_group(required=True)
    grp.add_argument("--beta", type=_beta, action="append", help="user rationality; repeatable; 'inf' allowed")
    grp.add_argument("--beta-logspace", nargs=3, metavar=("START", "STOP", "NUM"),
                     help=f"numpy.logspace(START, STOP, NUM), e.g. 0 6 100 (NUM at most {MAX_SWEEP_BETAS:,})")
    s.add_argument("--csv", required=True, help="output CSV")
    return parser


def _check_outputs(outputs: dict[str, str | None], market: str) -> None:
    """Each output is a file we can create or replace: not a folder, its nearest existing ancestor a
    writable folder, no two outputs the same file, none the market file itself."""
    if "\0" in market:
        raise _Refused(f"{market!r}: not a valid file name")
    seen: dict[Path, str] = {Path(market).resolve(): "the market file"}
    for flag, text in outputs.items():
        if text is None:
            continue
        if "\0" in text:
            raise _Refused(f"argument {flag}: {text!r} is not a valid file name")
        path = Path(text)
        if text == "" or path.is_dir():
            raise _Refused(f"argument {flag}: {text!r} is a directory, not a file")
        resolved = path.resolve()
        if resolved in seen:
            raise _Refused(f"argument {flag}: {text!r} is also {seen[resolved]}")
        seen[resolved] = f"given to {flag}"
        parent = resolved.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise _Refused(f"argument {flag}: cannot create {text!r}: {str(parent)!r} is not a directory")
        if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise _Refused(f"argument {flag}: cannot write {text!r}: permission denied")


def _check_betas(market: Market, betas: Sequence[float], flag: str) -> None:
    for beta in betas:
        try:
            market.check_beta(beta)
        except ValueError as exc:
            raise _Refused(f"argument {flag}: {exc}") from None


def _read_segments(args, betas: Sequence[float], outputs: dict[str, str | None]) -> tuple[list, list] | None:
    """``--segments``: the segments and one market per segment, checked before anything is computed
    (errors name the segments file, line and column, or the market file and line)."""
    if args.command != "game" or args.segments is None:
        return None
    if args.price_menu:
        raise _Refused("argument --segments: not with --price-menu (one extension at a time)")
    if "\0" in args.segments:
        raise _Refused(f"argument --segments: {args.segments!r} is not a valid file name")
    where = Path(args.segments).resolve()
    for flag, text in outputs.items():
        if text is not None and Path(text).resolve() == where:
            raise _Refused(f"argument {flag}: {text!r} is also the segments file")
    try:
        segments = read_segments_csv(args.segments)
        markets = segment_markets_from_csv(args.market, segments, alpha=args.alpha, baseline=args.baseline, margin=args.margin, v0=args.v0)
        for beta in betas:
            segmented_market(markets, segments, alpha=args.alpha, beta=beta)
    except SegmentError as exc:
        raise _Refused(f"{args.segments}: {exc}" if not str(exc).startswith(str(args.segments)) else str(exc)) from None
    except MarketError as exc:
        raise _Refused(f"{exc} (with --segments {args.segments})") from None
    return markets, segments


def _no_nan(rows: list[dict], columns: Sequence[str], what: str) -> None:
    for r in rows:
        for k in columns:
            if isinstance(r[k], float) and math.isnan(r[k]):
                raise _Refused(f"{what}: {k} is not a number at beta = {r.get('beta')}; please report this market")


def _run(argv: Sequence[str] | None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "game":
        outputs = {"--json": args.json, "--trajectory": args.trajectory}
        betas, beta_flag = args.beta, "--beta"
    else:
        outputs = {"--csv": args.csv}
        betas, beta_flag = (_logspace(args.beta_logspace), "--beta-logspace") if args.beta_logspace else (args.beta, "--beta")
    _check_outputs(outputs, args.market)
    try:
        market = read_market_csv(args.market, alpha=args.alpha, baseline=args.baseline, margin=args.margin, v0=args.v0)
    except MarketError as exc:
        raise _Refused(str(exc)) from None
    _check_betas(market, betas, beta_flag)
    segmented = _read_segments(args, betas, outputs)
    params = {"market": str(args.market), "alpha": args.alpha, "baseline": args.baseline, "margin": args.margin}
    # Compute and serialise everything first; write only when all of it succeeded.
    try:
        if args.command == "game":
            menu = menu_market(market, args.price_menu, reference_margin=args.margin) if args.price_menu else None
            game_market = menu.market if menu else market
            doc, rows = analyse(game_market, betas, seed=args.seed, all_equilibria=args.all_equilibria, parameters=params)
            if menu:
                doc = flag_theorem2(doc, menu)
                doc["price_menu"] = menu_document(menu, betas, seed=args.seed, all_equilibria=args.all_equilibria)
            if segmented:
                doc["segments"] = analyse_segments(*segmented, betas, alpha=args.alpha, seed=args.seed, parameters={"segments": args.segments})
            try:
                texts = {args.json: json.dumps(doc, indent=2, allow_nan=False) + "\n"}
            except ValueError:
                raise _Refused("--json: a result is not a finite number; please report this market") from None
            if args.trajectory:
                _no_nan(rows, TRAJECTORY_COLUMNS, "--trajectory")
                texts[args.trajectory] = _csv_text(rows, TRAJECTORY_COLUMNS)
        else:
            rows = beta_sweep(market, betas, seed=args.seed)
            _no_nan(rows, SWEEP_COLUMNS, "--csv")
            texts = {args.csv: _csv_text(rows, SWEEP_COLUMNS)}
    except ValueError as exc:  # the engine refusing a game (equilibria beyond memory, non-finite results)
        raise _Refused(f"{args.market}: {exc}") from None
    except MemoryError:  # the engine refuses games it cannot hold first (EquilibriaTooLarge); this is a guard
        raise _Refused(f"{args.market}: out of memory ({market.n_providers} providers, "
                       f"{market.n_profiles:,} profiles)") from None
    written: list[Path] = []
    for path, text in texts.items():
        existed = Path(path).exists()
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            for p in written:  # do not leave half of the outputs behind
                p.unlink(missing_ok=True)
            raise _Refused(f"cannot write {path}: {exc.strerror or exc}") from None
        if not existed:
            written.append(Path(path))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; 0 on success, 2 (one line on stderr, nothing written) on bad input."""
    try:
        _run(argv)
    except _Refused as exc:
        message = str(exc).replace("\r", "\\r").replace("\n", "\\n")  # one line, whatever the file names
        print(f"ttcgames: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
