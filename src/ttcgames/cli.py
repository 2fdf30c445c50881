"""Command line: ``ttcgames game`` (games at a few betas plus the auction) and ``ttcgames sweep``."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from typing import Sequence

import numpy as np

from . import __version__
from .analysis import SWEEP_COLUMNS, TRAJECTORY_COLUMNS, analyse, beta_sweep
from .jsonl import atomic_write_text
from .market import MarketError, read_market_csv

__all__ = ["main"]


def _csv_text(rows: list[dict], columns: Sequence[str]) -> str:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r[k] is None else repr(r[k]) if isinstance(r[k], float) else r[k]) for k in columns})
    return buf.getvalue()


def _beta(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if math.isnan(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"beta must be positive or inf, got {text!r}")
    return value


def _add_market_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("market", help="market CSV: provider, theta, accuracy, tokens, price_per_million")
    p.add_argument("--alpha", type=float, default=0.008, help="dollar worth of 100%% accuracy (default 0.008, GSM8K)")
    p.add_argument("--baseline", type=float, default=0.1, help="quality baseline b in q = alpha (b + (1-b) acc) (default 0.1)")
    p.add_argument("--margin", type=float, default=0.25, help="price over cost: c = p / (1 + margin) (default 0.25)")
    p.add_argument("--v0", type=float, default=0.0, help="abstention value V0 in dollars (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of the dynamics' provider orders (default 0)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ttcgames", description="Test-time compute games: equilibria, optimum, auction.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("game", help="solve the game at one or more betas and run the auction")
    _add_market_args(g)
    g.add_argument("--beta", type=_beta, action="append", required=True, help="user rationality; repeatable; 'inf' allowed")
    g.add_argument("--all-equilibria", action="store_true", help="also find every pure equilibrium: count, worst and best welfare, PoA and PoS")
    g.add_argument("--json", required=True, help="output JSON")
    g.add_argument("--trajectory", help="optional CSV of the dynamics, one row per (beta, t, provider)")
    s = sub.add_parser("sweep", help="equilibrium welfare, optimum, price of anarchy (reached and worst equilibrium) and of stability over many betas")
    _add_market_args(s)
    grp = s.add_mutually_exclusive_group(required=True)
    grp.add_argument("--beta", type=_beta, action="append", help="user rationality; repeatable; 'inf' allowed")
    grp.add_argument("--beta-logspace", nargs=3, metavar=("START", "STOP", "NUM"),
                     help="numpy.logspace(START, STOP, NUM), e.g. 0 6 100")
    s.add_argument("--csv", required=True, help="output CSV")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        market = read_market_csv(args.market, alpha=args.alpha, baseline=args.baseline, margin=args.margin, v0=args.v0)
    except MarketError as exc:
        print(f"ttcgames: error: {exc}", file=sys.stderr)
        return 2
    params = {"market": str(args.market), "alpha": args.alpha, "baseline": args.baseline, "margin": args.margin}
    if args.command == "game":
        try:
            doc, rows = analyse(market, args.beta, seed=args.seed, all_equilibria=args.all_equilibria, parameters=params)
        except ValueError as exc:
            print(f"ttcgames: error: {exc}", file=sys.stderr)
            return 2
        atomic_write_text(args.json, json.dumps(doc, indent=2, allow_nan=False) + "\n")
        if args.trajectory:
            atomic_write_text(args.trajectory, _csv_text(rows, TRAJECTORY_COLUMNS))
        return 0
    if args.beta_logspace:
        start, stop, num = args.beta_logspace
        betas = np.logspace(float(start), float(stop), int(num)).tolist()
    else:
        betas = args.beta
    rows = beta_sweep(market, betas, seed=args.seed)
    atomic_write_text(args.csv, _csv_text(rows, SWEEP_COLUMNS))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
