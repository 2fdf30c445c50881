"""Heterogeneous users (ttcgames.game.segments): one segment is the paper's game bit for bit; the
mixtures' equilibria equal pygambit's, their optimum a brute force; the segments CSV and
``ttcgames game --segments`` refuse bad input with the file, line and column."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import tempfile
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pygambit
import pytest
from engine_strategies import random_rows
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ttcgames.game import segments as sg
from ttcgames.game.auction import second_price_auction
from ttcgames.game.cli import main
from ttcgames.game.dynamics import better_response_dynamics
from ttcgames.game.equilibria import EquilibriaTooLarge, enumerate_equilibria
from ttcgames.game.market import market_from_rows
from ttcgames.game.optimum import social_optimum
from ttcgames.game.outcomes import profile_outcome

INF = float("inf")
BETAS = [1.0, 200.0, 1000.0, 1e5, INF]
TOL = Fraction(1e-8)  # payoffs.REL_TOL as an exact rational
FROM_ARRAYS = getattr(pygambit, "StrategicGame", pygambit.Game).from_arrays  # pygambit 17 / 16.x, as test_oracle


def bits(x) -> bytes:
    return np.asarray(x, dtype=float).tobytes()


def one_segment(rows, beta, *, alpha=0.008, v0=0.0):
    return sg.segmented_market_from_rows(rows, [sg.Segment(weight=1.0)], alpha=alpha, beta=beta, v0=v0)


def random_mixture(rng, n, k, S, *, ragged=False):
    rows = random_rows(rng, n, k, ragged=ragged)
    w = rng.uniform(0.2, 1.0, S)
    segs = [
        sg.Segment(
            weight=float(x / w.sum()),
            alpha_scale=float(rng.uniform(0.25, 4.0)),
            beta=float(rng.choice([30.0, 300.0, 3000.0, INF])),
            v0=float(rng.choice([0.0, -0.001, 0.001])),
        )
        for x in w
    ]
    segs[-1] = sg.Segment(**{**segs[-1].__dict__, "weight": 1.0 - sum(s.weight for s in segs[:-1])})
    return sg.segmented_market_from_rows(rows, segs, alpha=0.008, beta=1000.0)


# ------------------------------------------------------------------------------------------------
# One segment is today's game, bit for bit
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(30))
def test_one_segment_reproduces_the_paper_game_bit_for_bit(trial):
    rng = np.random.default_rng(900 + trial)
    rows = random_rows(rng, int(rng.integers(1, 5)), int(rng.integers(1, 6)), ragged=bool(trial % 2))
    v0 = float(rng.choice([0.0, 0.001, -0.001]))
    beta = BETAS[trial % len(BETAS)]
    m = market_from_rows(rows, alpha=0.008, v0=v0)
    sm = one_segment(rows, beta, v0=v0)
    for f in ("quality", "price", "cost", "value"):
        assert bits(getattr(sm.base, f)) == bits(getattr(m, f))
    g = sg.solve_segments(sm, seed=trial)
    # the dynamics from the lowest levels with the same seed: same path, same end
    traj = better_response_dynamics(m, beta, rng=np.random.default_rng(trial))
    eq = g["equilibrium"]
    assert eq["profile"] == m.theta_of(traj.final)
    assert (eq["iterations"], eq["turns"], eq["rounds"]) == (traj.iterations, traj.turns, traj.rounds)
    out = profile_outcome(m, traj.final, beta)
    for key in ("welfare", "user_value", "price", "provider_utility"):
        assert bits(eq[key]) == bits(getattr(out, key)), key
    assert bits(list(eq["shares"].values())) == bits(out.shares)
    assert bits(eq["abstention_share"]) == bits(out.abstention)
    # optimum, price of anarchy, all equilibria
    opt = social_optimum(m, beta)
    assert bits(g["optimum"]["welfare"]) == bits(opt.welfare)
    assert bits(g["price_of_anarchy"]) == bits(opt.welfare / out.welfare)
    eqs = enumerate_equilibria(m, beta)
    assert g["equilibria"]["count"] == eqs.count
    assert bits(g["equilibria"]["worst_welfare"]) == bits(eqs.worst_welfare)
    assert bits(g["equilibria"]["price_of_anarchy"]) == bits(opt.welfare / eqs.worst_welfare)
    assert bits(g["equilibria"]["price_of_stability"]) == bits(opt.welfare / eqs.best_welfare)
    # the auction
    auc = second_price_auction(m)
    mine = g["auction"]["segments"]["segment1"]
    assert mine["winner"] == (m.providers[auc.winner] if auc.winner is not None else None)
    for key, ref in (("user_value", auc.user_value), ("price", auc.payment), ("utility", auc.winner_utility), ("welfare", auc.welfare)):
        assert bits(mine[key]) == bits(ref) and bits(g["auction"][key]) == bits(ref), key


@pytest.mark.parametrize("beta", BETAS)
def test_the_mixture_enumeration_on_one_segment_lists_the_engines_equilibria(beta):
    """The mixture's own enumeration (not the engine's, which solve_segments uses for one segment)
    finds the engine's equilibria, with the same welfare bits."""
    rng = np.random.default_rng(31)
    for _ in range(25):
        rows = random_rows(rng, int(rng.integers(1, 5)), int(rng.integers(1, 5)), ragged=True)
        sm = one_segment(rows, beta)
        ref = enumerate_equilibria(sm.base, beta)
        if ref.count > 5000:
            continue
        mine = sg.enumerate_equilibria(sm)
        assert np.array_equal(mine.profiles, ref.profiles)
        assert bits(mine.welfare) == bits(ref.welfare)


def test_two_equal_segments_are_the_one_segment_game():
    """0.5 u + 0.5 u = u in floating point: splitting the users into two identical halves changes nothing."""
    rng = np.random.default_rng(5)
    rows = random_rows(rng, 3, 4)
    whole = one_segment(rows, 1000.0)
    halves = sg.segmented_market_from_rows(rows, [sg.Segment(weight=0.5), sg.Segment(weight=0.5)], alpha=0.008, beta=1000.0)
    P = np.array(list(itertools.product(range(4), repeat=3)))
    assert bits(sg.utilities(halves, P)) == bits(sg.utilities(whole, P))
    assert bits(sg.social_welfare(halves, P)) == bits(sg.social_welfare(whole, P))


# ------------------------------------------------------------------------------------------------
# Mixtures against independent solvers
# ------------------------------------------------------------------------------------------------


def formula_shares(m, beta, profile):
    """(s_0, s_1..s_N) of one segment from Table 1, written here: a softmax over V0 and the market's
    values, or at beta = inf the top value's tie group splitting the segment."""
    vals = np.array([m.v0] + [m.value[i, k] for i, k in enumerate(profile)])
    if beta == INF:
        top = vals == vals.max()
        return top / top.sum()
    z = np.exp(beta * (vals - vals.max()))
    return z / z.sum()


def formula_utilities(sm, profile):
    """U_i = sum_s w_s s_si (p_i - c_i)."""
    total = np.zeros(sm.n_providers)
    for m, w, beta in zip(sm.markets, sm.weights, sm.betas):
        total += w * formula_shares(m, beta, profile)[1:] * np.array([m.profit[i, k] for i, k in enumerate(profile)])
    return total


def formula_welfare(sm, profile):
    """W = sum_s w_s (V0_s s_s0 + sum_i s_si (q_si - c_i))."""
    total = 0.0
    for m, w, beta in zip(sm.markets, sm.weights, sm.betas):
        contrib = np.array([m.v0] + [m.contribution[i, k] for i, k in enumerate(profile)])
        total += w * float(formula_shares(m, beta, profile) @ contrib)
    return total


def pygambit_equilibria(sm):
    """Pure equilibria of the payoff tables, with the engine's 1e-8 margin encoded exactly as in
    test_oracle: U'_i(l) = min(U_i(l) + tol |U_i(l)|, max_l' U_i(l'))."""
    K = [int(k) for k in sm.base.n_levels]
    U = {p: [Fraction(float(u)) for u in formula_utilities(sm, p)] for p in itertools.product(*(range(k) for k in K))}
    tables = []
    for i in range(sm.n_providers):
        table = np.empty(K, dtype=object)
        for p in U:
            col = [p[:i] + (lv,) + p[i + 1 :] for lv in range(K[i])]
            best = max(U[c][i] for c in col)
            table[p] = pygambit.Rational(min(U[p][i] + TOL * abs(U[p][i]), best))
        tables.append(table)
    game = FROM_ARRAYS(*tables)
    out = set()
    for eq in pygambit.nash.enumpure_solve(game).equilibria:
        if hasattr(game, "get_strategies"):
            out.add(tuple(next(j for j, s in enumerate(game.get_strategies(pl)) if eq[pl][s] == 1) for pl in game.players))
        else:
            out.add(tuple(next(j for j, s in enumerate(pl.strategies) if eq[s] == 1) for pl in game.players))
    return out


@pytest.mark.parametrize("trial", range(40))
def test_mixture_equilibria_equal_pygambits(trial):
    rng = np.random.default_rng(7000 + trial)
    sm = random_mixture(rng, int(rng.integers(2, 4)), int(rng.integers(2, 4)), int(rng.integers(2, 4)), ragged=bool(trial % 3 == 0))
    mine = {tuple(int(k) for k in p) for p in sg.enumerate_equilibria(sm).profiles}
    assert mine == pygambit_equilibria(sm)


@pytest.mark.parametrize("trial", range(40))
def test_the_exact_optimum_equals_brute_force_over_all_profiles(trial):
    rng = np.random.default_rng(8000 + trial)
    sm = random_mixture(rng, int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), ragged=True)
    profiles = list(itertools.product(*(range(int(k)) for k in sm.base.n_levels)))
    brute = max(formula_welfare(sm, p) for p in profiles)
    opt = sg.social_optimum(sm)
    assert opt.welfare == pytest.approx(brute, rel=1e-12)
    assert formula_welfare(sm, tuple(opt.profile)) == pytest.approx(brute, rel=1e-12)


def test_dynamics_end_points_are_equilibria_and_the_seed_fixes_them():
    rng = np.random.default_rng(12)
    for _ in range(10):
        sm = random_mixture(rng, 3, 4, 2)
        runs, ends = sg.dynamics_equilibria(sm, n_starts=6, seed=3)
        runs2, _ = sg.dynamics_equilibria(sm, n_starts=6, seed=3)
        assert [r.profiles.tobytes() for r in runs] == [r.profiles.tobytes() for r in runs2]
        assert len(runs) == 6 and not runs[0].profiles[0].any()  # the paper's start first
        if ends.count:
            assert sg.equilibrium_mask(sm, ends.profiles).all()
            every = sg.enumerate_equilibria(sm)
            assert all(every.contains(p) for p in ends.profiles)


def test_beyond_the_enumeration_limit_equilibria_come_from_the_dynamics():
    rng = np.random.default_rng(3)
    sm = random_mixture(rng, 4, 4, 2)
    with pytest.raises(EquilibriaTooLarge, match="256 profiles"):
        sg.enumerate_equilibria(sm, max_profiles=100)
    with pytest.raises(sg.TooManyProfiles, match="256 profiles"):
        sg.social_optimum(sm, max_profiles=100)
    g = sg.solve_segments(sm, seed=1, max_profiles=100)
    assert g["equilibria"]["method"] == "dynamics"
    ends = {tuple(r["end"].values()) for r in g["runs"] if r["end"] is not None}
    assert len(g["equilibria"]["profiles"]) == len(ends)
    exact = sg.solve_segments(sm, seed=1)
    assert exact["equilibria"]["method"] == "enumeration"
    assert exact["equilibria"]["count"] >= g["equilibria"]["count"]


def test_each_segments_auction_attains_at_least_the_games_optimum():
    """Theorem 5 per segment: every segment's auction reaches max_i max_theta W_si (or V0_s), so the
    weighted auctions are at least the mixture's optimum, where a provider keeps one level for all."""
    rng = np.random.default_rng(21)
    for _ in range(30):
        sm = random_mixture(rng, 3, 3, 3)
        auctions = sg.segment_auctions(sm)
        for m, a in zip(sm.markets, auctions):
            assert a.welfare == pytest.approx(max(float(np.nanmax(m.contribution)), m.v0), rel=1e-12)
        total = sum(w * a.welfare for w, a in zip(sm.weights, auctions))
        assert total >= sg.social_optimum(sm).welfare * (1 - 1e-12)


def test_poa_vs_spread_keeps_the_mean_and_starts_at_the_paper_game():
    rng = np.random.default_rng(2)
    rows = random_rows(rng, 3, 4)
    table = sg.poa_vs_spread(rows, alpha=0.008, beta=1000.0, spreads=[0.0, 0.3, 0.6, 0.9])
    assert [r["spread"] for r in table] == [0.0, 0.3, 0.6, 0.9]
    for r in table:
        assert (r["alpha_low"] + r["alpha_high"]) / 2 == pytest.approx(0.008, rel=1e-12)
        assert r["worst_price_of_anarchy"] is None or r["worst_price_of_anarchy"] >= 1 - 1e-12
    m = market_from_rows(rows, alpha=0.008)
    traj = better_response_dynamics(m, 1000.0, rng=np.random.default_rng(0))
    assert bits(table[0]["price_of_anarchy"]) == bits(social_optimum(m, 1000.0).welfare / float(traj.welfare[-1]))
    with pytest.raises(sg.SegmentError, match="spread 1.0"):
        sg.poa_vs_spread(rows, alpha=0.008, beta=1000.0, spreads=[1.0])


# ------------------------------------------------------------------------------------------------
# Segments input: the CSV, the config list, the market's consistency
# ------------------------------------------------------------------------------------------------


def test_a_segments_csv_with_defaults(tmp_path):
    p = tmp_path / "seg.csv"
    p.write_text("name,weight,alpha,alpha_scale,beta,v0\nexperts,0.25,0.05,,inf,\ncasual,0.75,,0.5,,-0.001\n")
    a, b = sg.read_segments_csv(p)
    assert a == sg.Segment(weight=0.25, alpha=0.05, beta=INF, name="experts")
    assert b == sg.Segment(weight=0.75, alpha_scale=0.5, v0=-0.001, name="casual")
    sm = sg.segmented_market_from_rows(random_rows(np.random.default_rng(0), 2, 2), [a, b], alpha=0.008, beta=200.0, v0=0.002)
    assert sm.alphas == (0.05, 0.004) and sm.betas == (INF, 200.0) and [m.v0 for m in sm.markets] == [0.002, -0.001]


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("", "empty file"),
        ("weight,colour\n1,red\n", "line 1, column 2: unknown column 'colour'"),
        ("weight,beta,weight\n1,1,1\n", "line 1, column 3: column 'weight' appears twice"),
        ("alpha\n0.1\n", "line 1: missing column 'weight'"),
        ("weight\n", "no segments"),
        ("weight,alpha\n1,abc\n", "line 2, column 'alpha': not a number: 'abc'"),
        ("weight,alpha\n1,-2\n", "line 2, column 'alpha': must be a positive number"),
        ("weight,alpha\n1,nan\n", "line 2, column 'alpha': must be a positive number"),
        ("weight\n0\n", "line 2, column 'weight': must be a positive number"),
        ("name,weight\na,\n", "line 2, column 'weight': empty"),
        ("weight,beta\n1,0\n", "line 2, column 'beta'"),
        ("weight,beta\n1,-inf\n", "line 2, column 'beta'"),
        ("weight,v0\n1,inf\n", "line 2, column 'v0': must be a finite number"),
        ("weight,alpha,alpha_scale\n1,0.1,2\n", "line 2: give 'alpha' or 'alpha_scale', not both"),
        ("weight,beta\n0.5,1\n0.5,1,7\n", "line 3: 3 fields, the header has 2"),
        ("name,weight\na,0.5\na,0.5\n", "line 3: segment name 'a' already used"),
        ("weight\n0.5\n0.4\n", "the weights sum to 0.9, not 1"),
        ('weight,name\n1,"x\n', "malformed CSV"),
    ],
)
def test_bad_segments_csv_names_file_line_and_column(tmp_path, content, expect):
    p = tmp_path / "seg.csv"
    p.write_text(content)
    with pytest.raises(sg.SegmentError) as err:
        sg.read_segments_csv(p)
    assert str(err.value).startswith(str(p)) and expect in str(err.value)


def test_non_utf8_and_missing_segments_files(tmp_path):
    p = tmp_path / "seg.csv"
    p.write_bytes(b"weight\n1\n\xff\n")
    with pytest.raises(sg.SegmentError, match=r"seg.csv, line 3: not UTF-8"):
        sg.read_segments_csv(p)
    with pytest.raises(sg.SegmentError, match="cannot open segments file"):
        sg.read_segments_csv(tmp_path / "missing.csv")


def test_config_segments_and_their_errors():
    segs = sg.segments_from_config(
        [{"name": "low", "weight": 0.5, "alpha_scale": 0.5}, {"name": "high", "weight": 0.5, "alpha_scale": 1.5, "beta": "inf"}]
    )
    assert [s.alpha_scale for s in segs] == [0.5, 1.5] and segs[1].beta == INF and segs[0].beta is None
    with pytest.raises(sg.SegmentError, match=r"market.segments\[1\], column 'alpha_scale': must be a positive number"):
        sg.segments_from_config([{"weight": 0.5}, {"weight": 0.5, "alpha_scale": 0}])
    with pytest.raises(sg.SegmentError, match="market.segments: the weights sum to 0.6"):
        sg.segments_from_config([{"weight": 0.6}])


def test_segment_markets_must_share_providers_prices_and_costs():
    rng = np.random.default_rng(0)
    a = market_from_rows(random_rows(rng, 2, 2), alpha=0.008)
    b = market_from_rows(random_rows(rng, 2, 2), alpha=0.008)
    with pytest.raises(sg.SegmentError, match="differs from the first segment"):
        sg.SegmentedMarket(markets=(a, b), weights=(0.5, 0.5), betas=(1.0, 1.0), names=("a", "b"), alphas=(0.008, 0.008))
    with pytest.raises(sg.SegmentError, match="segment 'a': beta"):
        sg.SegmentedMarket(markets=(a,), weights=(1.0,), betas=(1e305,), names=("a",), alphas=(0.008,))


# ------------------------------------------------------------------------------------------------
# ttcgames game --segments
# ------------------------------------------------------------------------------------------------

MARKET = """provider,theta,accuracy,tokens,price_per_million
P1,1,0.70,300,10
P1,2,0.90,900,10
P2,1,0.50,200,5
P2,2,0.80,700,5
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "m.csv").write_text(MARKET)
    (tmp_path / "s.csv").write_text("name,weight,alpha_scale\nlow,0.5,0.5\nhigh,0.5,1.5\n")
    return tmp_path


def test_game_with_segments_adds_a_section_and_keeps_the_paper_game(files):
    base = ["game", str(files / "m.csv"), "--beta", "1000", "--beta", "inf", "--seed", "4"]
    assert main([*base, "--json", str(files / "plain.json")]) == 0
    assert main([*base, "--segments", str(files / "s.csv"), "--json", str(files / "seg.json")]) == 0
    plain, seg = (json.loads((files / f).read_text()) for f in ("plain.json", "seg.json"))
    assert {k: v for k, v in seg.items() if k != "segments"} == plain  # the paper's game is untouched
    doc = seg["segments"]
    assert doc["parameters"] == {"segments": str(files / "s.csv"), "seed": 4, "starts": sg.DEFAULT_STARTS}
    assert [g["beta"] for g in doc["games"]] == [1000.0, "inf"]
    assert [s["alpha"] for s in doc["games"][0]["segments"]] == [0.004, 0.012]
    rows = [dict(zip(MARKET.split("\n")[0].split(","), line.split(","))) for line in MARKET.strip().split("\n")[1:]]
    sm = sg.segmented_market_from_rows(rows, sg.read_segments_csv(files / "s.csv"), alpha=0.008, beta=1000.0)
    assert doc["games"][0]["optimum"]["welfare"] == sg.social_optimum(sm).welfare


@pytest.mark.parametrize(
    ("segments", "extra", "expect"),
    [
        ("weight,alpha\n1,zero\n", [], "s.csv, line 2, column 'alpha': not a number: 'zero'"),
        ("weight\n0.7\n", [], "s.csv: the weights sum to 0.7, not 1"),
        ("weight,beta\n1,1e305\n", [], "s.csv: segment 'segment1': beta = 1e+305 is too large"),
        ("weight\n1\n", ["--price-menu", "0.1,0.2"], "not with --price-menu"),
    ],
)
def test_bad_segments_through_the_cli_give_one_line_and_no_output(files, capsys, segments, extra, expect):
    (files / "s.csv").write_text(segments)
    out = files / "out.json"
    rc = main(["game", str(files / "m.csv"), "--beta", "1000", "--segments", str(files / "s.csv"), *extra, "--json", str(out)])
    assert rc == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ttcgames: error: ") and expect in err


def test_cli_refuses_a_missing_segments_file_and_an_output_on_it(files, capsys):
    assert main(["game", str(files / "m.csv"), "--beta", "1", "--segments", str(files / "nope.csv"), "--json", str(files / "o.json")]) == 2
    assert "nope.csv: cannot open segments file" in capsys.readouterr().err
    seg = str(files / "s.csv")
    before = (files / "s.csv").read_text()
    assert main(["game", str(files / "m.csv"), "--beta", "1", "--segments", seg, "--json", seg]) == 2
    assert "is also the segments file" in capsys.readouterr().err
    assert (files / "s.csv").read_text() == before


def test_a_one_segment_game_with_millions_of_equilibria_lists_a_hundred_of_them():
    """A strong provider and eleven weak ones at beta = inf: the strong one takes the market at every
    level, so the weak ones earn nothing at any level and 5^11 = 48,828,125 profiles are equilibria,
    more than Equilibria.profiles expands. The engine counts them in boxes and the JSON lists the
    first 100 profiles box by box."""
    rows = [{"provider": "strong", "theta": 2**j, "accuracy": 0.9, "tokens": 10 * (j + 1), "price_per_million": 0.1} for j in range(5)]
    rows += [
        {"provider": f"weak{i}", "theta": 2**j, "accuracy": 0.1, "tokens": 5000 * (j + 1), "price_per_million": 0.1}
        for i in range(11)
        for j in range(5)
    ]
    sm = one_segment(rows, INF)
    g = sg.solve_segments(sm, n_starts=1)
    eqs = g["equilibria"]
    assert eqs["method"] == "enumeration" and eqs["count"] == 5**11
    assert len(eqs["profiles"]) == 100 and len({tuple(p.values()) for p in eqs["profiles"]}) == 100
    levels = {2**j: j for j in range(5)}
    assert sg.equilibrium_mask(sm, np.array([[levels[t] for t in p.values()] for p in eqs["profiles"]])).all()


SEGMENT_CELLS = st.sampled_from(["", "0", "1", "0.5", "-1", "inf", "-inf", "nan", "1e308", "1e-320", "x", '"', "0.25", "2"])


@st.composite
def segments_bytes(draw):
    """Segment files near the valid ones (header of known and unknown columns, random cells) or raw bytes."""
    kind = draw(st.sampled_from(["bytes", "cells", "valid"]))
    if kind == "bytes":
        return draw(st.binary(max_size=80))
    if kind == "valid":
        return draw(
            st.sampled_from(
                [
                    b"weight\n1\n",
                    b"name,weight,alpha_scale,beta\na,0.5,0.5,\nb,0.5,2,inf\n",
                    b"weight,alpha,v0\n0.25,0.1,-0.01\n0.75,0.001,\n",
                    b"\xef\xbb\xbfweight,beta\n0.5,1e-3\n0.5,1e4\n",
                ]
            )
        )
    header = draw(st.lists(st.sampled_from([*sg.SEGMENT_COLUMNS, "weight", "other"]), min_size=1, max_size=5))
    rows = draw(st.lists(st.lists(SEGMENT_CELLS, min_size=len(header) - 1, max_size=len(header) + 1), max_size=3))
    return ("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments_bytes(), st.sampled_from(["1000", "inf", "1e-3"]))
def test_property_random_segment_files_give_a_result_or_one_line_and_nothing_written(data, beta):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "m.csv").write_text(MARKET)
        (root / "s.csv").write_bytes(data)
        out = root / "out.json"
        err = io.StringIO()
        with contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            rc = main(["game", str(root / "m.csv"), "--beta", beta, "--segments", str(root / "s.csv"), "--json", str(out)])
        event(f"exit {rc}")
        if rc == 2:
            lines = err.getvalue().splitlines()
            assert len(lines) == 1 and lines[0].startswith("ttcgames: error: ") and not out.exists()
        else:
            assert rc == 0 and err.getvalue() == ""
            assert "segments" in json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
