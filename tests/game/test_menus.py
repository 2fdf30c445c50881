"""Price competition (ttcgames.game.menus): a menu of one margin is today's game bit for bit; the
equilibria of price-menu games are pygambit's (the payoff tables built from the formulas in
test_oracle.py); the parts of the paper that need Eq. 2 are flagged, the others still hold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from engine_strategies import random_market

from ttcgames.game.auction import second_price_auction
from ttcgames.game.cli import main
from ttcgames.game.equilibria import brute_force_equilibria, enumerate_equilibria
from ttcgames.game.market import market_from_rows
from ttcgames.game.menus import MenuError, menu_game, menu_market, orderings, parse_menu, theorem2_general
from ttcgames.game.optimum import brute_force_optimum, social_optimum
from ttcgames.game.theorems import theorem2

INF = float("inf")


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def test_one_margin_menu_is_the_market_bit_for_bit():
    base = random_market(np.random.default_rng(1), 4, 5, ragged=True)
    menu = menu_market(base, [0.25], reference_margin=0.25).market
    for name in ("quality", "price", "cost", "value", "mask"):
        assert _same_bits(getattr(menu, name), getattr(base, name)), name
    assert all(_same_bits(a, b) for a, b in zip(menu.thetas, base.thetas))


def _write_market(path, rng):
    rows = ["provider,theta,accuracy,tokens,price_per_million"]
    for i in range(3):
        acc = np.sort(rng.uniform(0.2, 0.9, 4))
        tokens = np.cumsum(rng.uniform(100, 900, 4))
        rows += [f"m{i},{2**j},{float(acc[j])!r},{float(tokens[j])!r},{0.1 + 0.05 * i}" for j in range(4)]
    path.write_text("\n".join(rows) + "\n")


def test_cli_one_margin_menu_reproduces_todays_json_and_trajectory(tmp_path):
    market = tmp_path / "m.csv"
    _write_market(market, np.random.default_rng(7))
    common = ["game", str(market), "--beta", "1000", "--beta", "inf", "--all-equilibria", "--margin", "0.25"]
    assert main([*common, "--json", str(tmp_path / "a.json"), "--trajectory", str(tmp_path / "a.csv")]) == 0
    assert main([*common, "--price-menu", "0.25", "--json", str(tmp_path / "b.json"), "--trajectory", str(tmp_path / "b.csv")]) == 0
    a, b = json.loads((tmp_path / "a.json").read_text()), json.loads((tmp_path / "b.json").read_text())
    section = b.pop("price_menu")
    assert a == b
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    # the section restates the same game: same welfare and equilibrium thetas per beta
    for game, menu_entry in zip(a["games"], section["games"]):
        assert menu_entry["welfare"] == game["equilibrium"]["welfare"]
        assert {p: x["theta"] for p, x in menu_entry["equilibrium"].items()} == game["equilibrium"]["profile"]
        assert set(menu_entry["equilibrium_margins"].values()) == {0.25}


@pytest.mark.parametrize("bad", ["0.1,x", "0.1,0", "0.2,-1", "0.1,0.1", "", "inf", "nan"])
def test_cli_refuses_a_bad_price_menu_and_writes_nothing(tmp_path, capsys, bad):
    market = tmp_path / "m.csv"
    _write_market(market, np.random.default_rng(0))
    out = tmp_path / "out.json"
    assert main(["game", str(market), "--beta", "1000", "--price-menu", bad, "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ttcgames: error: argument --price-menu:") and err.count("\n") == 1
    assert not out.exists()


def test_parse_menu_sorts_and_names_the_bad_value():
    assert parse_menu([0.5, 0.1, 1]) == (0.1, 0.5, 1.0)
    with pytest.raises(MenuError, match="atlas.x: margin True"):
        parse_menu([0.1, True], "atlas.x")
    with pytest.raises(MenuError, match="non-empty"):
        parse_menu([])


def _menu_games(count, seed):
    """Small random menu games: 2-3 providers, 2-3 thetas, 2-3 margins, beta in 10..1e4 or inf."""
    rng = np.random.default_rng(seed)
    for g in range(count):
        n, k = int(rng.integers(2, 4)), int(rng.integers(2, 4))
        margins = sorted(rng.choice([0.05, 0.1, 0.25, 0.5, 1.0, 2.0], size=int(rng.integers(2, 4)), replace=False))
        base = random_market(rng, n, k, alpha=float(rng.choice([0.002, 0.008, 0.05])))
        beta = INF if g % 4 == 3 else float(10 ** rng.uniform(1, 4))
        yield menu_market(base, margins, reference_margin=0.25), beta


def test_price_menu_equilibria_equal_pygambit():
    pytest.importorskip("pygambit")
    from test_oracle import Oracle

    checked = 0
    for menu, beta in _menu_games(24, seed=11):
        market = menu.market
        if market.n_profiles > 800:
            continue
        engine = {tuple(int(x) for x in p) for p in enumerate_equilibria(market, beta).profiles}
        assert engine == Oracle(market, beta).equilibria(), (menu.margins, beta)
        checked += 1
    assert checked >= 12


def test_price_menu_enumeration_optimum_and_dynamics_agree_with_brute_force():
    for menu, beta in _menu_games(30, seed=5):
        market = menu.market
        enum, brute = enumerate_equilibria(market, beta), brute_force_equilibria(market, beta)
        assert np.array_equal(enum.profiles, brute.profiles)
        assert social_optimum(market, beta).welfare == pytest.approx(brute_force_optimum(market, beta).welfare, rel=1e-12)
        entry = menu_game(menu, beta, seed=3)
        assert entry["equilibria"]["count"] == brute.count
        # the dynamics (Theorem 1 needs no ordering) end at one of the equilibria
        assert brute.contains([_level(menu, i, a) for i, a in enumerate(entry["equilibrium"].values())])


def _level(menu, i, action):
    thetas, margins = menu.market.thetas[i], menu.margin_of_level[i]
    return int(np.flatnonzero((thetas == action["theta"]) & (margins == action["margin"]))[0])


def test_menus_break_eq2_and_the_general_theorem2_still_predicts_every_equilibrium():
    base = random_market(np.random.default_rng(3), 3, 3)
    assert orderings(base) == {"eq1_quality_increasing": True, "eq2_profit_increasing": True}
    assert orderings(menu_market(base, [0.1, 2.0], reference_margin=0.25).market)["eq2_profit_increasing"] is False
    hits = 0
    for menu, _ in _menu_games(40, seed=9):
        market = menu.market
        t2 = theorem2_general(market)
        if t2.dominant is None:
            continue
        eqs = enumerate_equilibria(market, INF)
        assert eqs.count > 0
        # Theorem 2 (i) in the form of Eq. 33's first equality: every equilibrium puts the dominant there
        assert all(list(box[t2.dominant]) == [t2.level] for box in eqs.boxes)
        hits += 1
    assert hits >= 20


def test_general_theorem2_is_theorem2_on_ordered_markets():
    rng = np.random.default_rng(4)
    for _ in range(30):
        market = random_market(rng, int(rng.integers(2, 5)), int(rng.integers(2, 6)))
        a, b = theorem2(market), theorem2_general(market)
        assert (a.dominant, a.level, a.threshold, a.rival_threshold) == (b.dominant, b.level, b.threshold, b.rival_threshold)


def test_auction_ignores_the_menu():
    base = random_market(np.random.default_rng(8), 4, 4)
    menu = menu_market(base, [0.05, 0.25, 1.0], reference_margin=0.25)
    a, b = second_price_auction(base), second_price_auction(menu.market)
    assert (a.winner, a.runner_up, a.payment, a.user_value, a.welfare) == (b.winner, b.runner_up, b.payment, b.user_value, b.welfare)
    assert all(menu.margin_of_level[i][k] == 0.05 for i, k in enumerate(b.bids.levels))  # lowest margin among equal W


def test_menu_price_and_cost_follow_the_model():
    rows = [
        {"provider": "a", "theta": 1, "accuracy": 0.5, "tokens": 1000, "price_per_million": 1.0},
        {"provider": "a", "theta": 2, "accuracy": 0.6, "tokens": 2000, "price_per_million": 1.0},
    ]
    base = market_from_rows(rows, alpha=0.01, margin=0.25)
    menu = menu_market(base, [1.0, 0.5], reference_margin=0.25)
    cost = np.array([0.001, 0.001, 0.002, 0.002]) / 1.25
    np.testing.assert_allclose(menu.market.cost[0], cost, rtol=1e-15)
    np.testing.assert_allclose(menu.market.price[0], cost * np.array([1.5, 2.0, 1.5, 2.0]), rtol=1e-15)
    assert menu.actions([3]) == {"a": {"theta": 2, "margin": 1.0}}
