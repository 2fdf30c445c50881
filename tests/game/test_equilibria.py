"""The exact enumeration of pure equilibria (ttcgames.game.equilibria.enumerate_equilibria) against the
brute force over all profiles (equal sets, profile for profile), the one equilibrium test shared with
the dynamics, the rounding bound of the proof, symmetric markets and games too large to list. The
independent oracle (pygambit) is in test_oracle.py; the brute force stays here only where pygambit
cannot go: betas up to 1e9, where shares below the smallest double make providers indifferent in
large boxes (pygambit's exact shares are positive, and the games too large for its tables), and
margins closer than the utilities' rounding (one ulp), where the engine's floating-point rule is the
definition and the brute force applies that same rule."""

import decimal

import numpy as np
import pytest
from engine_strategies import hand_worked_market, monotone_markets, near_margin_market, random_market, symmetric_market
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ttcgames.game import equilibria
from ttcgames.game.dynamics import better_response_dynamics, improving_level
from ttcgames.game.equilibria import (
    EquilibriaTooLarge,
    brute_force_equilibria,
    enumerate_equilibria,
    is_nash_equilibrium,
    iter_profiles,
)
from ttcgames.game.market import Market, market_from_rows
from ttcgames.game.optimum import social_optimum
from ttcgames.game.payoffs import deviation_utilities, deviation_utilities_rows, equilibrium_mask, others_log_mass

INF = float("inf")
BETAS = [0.5, 1.0, 30.0, 1000.0, 3e4, 1e5, 3e5, 1e6, 1e9, INF]


def assert_same_set(m, beta, **kw):
    fast = enumerate_equilibria(m, beta, **kw)
    brute = brute_force_equilibria(m, beta)
    assert fast.count == brute.count
    np.testing.assert_array_equal(fast.profiles, brute.profiles)
    np.testing.assert_array_equal(fast.welfare, brute.welfare)
    assert fast.worst_welfare == brute.worst_welfare or fast.count == 0
    assert fast.best_welfare == brute.best_welfare or fast.count == 0
    return fast


@st.composite
def tied_markets(draw, max_providers: int = 4, max_levels: int = 3):
    """Providers drawn from a small pool of identical (accuracy, tokens) menus and prices: value ties
    across providers, hence symmetric games with several equilibria (and ties at beta = inf)."""
    pool = [sorted(draw(st.lists(st.sampled_from([0.1, 0.4, 0.6, 0.9]), min_size=1, max_size=max_levels)))
            for _ in range(2)]
    n = draw(st.integers(2, max_providers))
    rows = []
    for i in range(n):
        accs = pool[draw(st.integers(0, 1))]
        ppm = draw(st.sampled_from([0.05, 0.1]))
        for j, acc in enumerate(accs):
            rows.append({"provider": f"p{i}", "theta": 2**j, "accuracy": acc, "tokens": 100.0 * (j + 1),
                         "price_per_million": ppm})
    from ttcgames.game.market import market_from_rows

    return market_from_rows(rows, alpha=draw(st.sampled_from([0.008, 0.05])),
                            v0=draw(st.sampled_from([0.0, 0.0, -0.001, 0.001])))


@st.composite
def near_tie_markets(draw, max_providers: int = 3, max_levels: int = 4):
    """Markets whose levels' utilities straddle the dynamics' 1e-8 margin, by one ulp to 1e-6, at a
    reference profile (``engine_strategies.near_margin_market``): the margin decides which levels are
    best responses, and the candidate intervals' ends sit at the reference profile's total mass."""
    beta = draw(st.sampled_from(BETAS))
    m, _ = near_margin_market(np.random.default_rng(draw(st.integers(0, 2**32 - 1))),
                              draw(st.integers(2, max_providers)), draw(st.integers(2, max_levels)), beta,
                              v0=draw(st.sampled_from([0.0, 0.0, -0.001, 0.002])))
    return m, beta


# 550 random small games in all: 300 monotone, 100 with tied menus, 150 with near-margin levels.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monotone_markets(), st.sampled_from(BETAS), st.sampled_from([0, 256]))
def test_property_equilibrium_set_equals_brute_force(m, beta, expand_limit):
    """expand_limit 0 accepts boxes of indifferent providers whole (the path large games take);
    256 tests every profile of every candidate box."""
    assert_same_set(m, beta, expand_limit=expand_limit)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_markets(), st.sampled_from(BETAS), st.sampled_from([0, 256]))
def test_property_games_with_several_equilibria(m, beta, expand_limit):
    assert_same_set(m, beta, expand_limit=expand_limit)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_tie_markets(), st.sampled_from([0, 256]))
def test_property_near_ties_at_the_tolerance(spec, expand_limit):
    m, beta = spec
    assert_same_set(m, beta, expand_limit=expand_limit)


def test_near_margin_markets_do_straddle_the_margin():
    """The generator's levels land on both sides of the margin within 1e-6 of it (else the test above
    would test nothing near the margin)."""
    rng = np.random.default_rng(3)
    gaps = []
    for beta in (30.0, 1e5, INF):
        for _ in range(20):
            m, ref = near_margin_market(rng, 3, 3, beta)
            for i in range(3):
                u = deviation_utilities(m, ref, i, beta)
                cur = u[ref[i]]
                if cur > 0:
                    gaps += [(x - cur) / (cur * 1e-8) - 1 for k, x in enumerate(u) if k != ref[i]]
    gaps = np.array(gaps)
    near = gaps[np.abs(gaps) < 1e-6 / 1e-8]
    assert (near > 0).sum() >= 10 and (near <= 0).sum() >= 10
    assert (np.abs(gaps) < 1e-13 / 1e-8).sum() >= 3  # within a few hundred ulps of the margin


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_tie_markets())
def test_property_one_test_for_dynamics_enumeration_and_is_nash(spec):
    """Profile by profile, near the margin included: the dynamics stop (nobody's improving_level, in
    both variants) exactly where equilibrium_mask, is_nash_equilibrium, the brute force and the
    enumeration say the profile is an equilibrium."""
    m, beta = spec
    P = np.concatenate(list(iter_profiles(m)))
    mask = equilibrium_mask(m, P, beta)
    eqs = enumerate_equilibria(m, beta)
    listed = {tuple(p) for p in eqs.profiles.tolist()}
    assert listed == {tuple(p) for p in P[mask].tolist()}
    for prof, ok in zip(P, mask):
        for best in (False, True):
            stop = all(improving_level(m, prof, i, beta, best_response=best) is None for i in range(m.n_providers))
            assert stop == ok
        assert is_nash_equilibrium(m, prof, beta) == ok


def test_one_row_alone_or_in_a_batch_gives_the_same_bits():
    """deviation_utilities (the dynamics) is one row of deviation_utilities_rows (the enumeration),
    bit for bit, whatever the batch around it."""
    rng = np.random.default_rng(7)
    for beta in (1.0, 300.0, 1e5, 1e9, INF):
        m = random_market(rng, 6, 5, v0=-0.0005)
        P = rng.integers(0, 5, size=(500, 6))
        z = beta * np.concatenate([np.full((500, 1), m.v0), m.value[np.arange(6), P]], axis=1) if beta < INF else None
        for i in range(6):
            batch = deviation_utilities_rows(m, P, i, beta)
            shared = batch if z is None else deviation_utilities_rows(m, P, i, beta, others_log_mass(z, np.arange(6))[:, i])
            for r in range(0, 500, 7):
                one = deviation_utilities(m, P[r], i, beta)
                assert one.tobytes() == batch[r].tobytes() == shared[r].tobytes()


def _exact_utilities(m, profile, i, beta, digits=60):
    """U_i(l) for every level from Table 1 and Eq. 4 in 60-digit decimal arithmetic, from the exact
    rationals of beta and the market's doubles."""
    ctx = decimal.Context(prec=digits, Emin=-10**9, Emax=10**9)
    D = ctx.create_decimal_from_float
    z = [ctx.multiply(D(beta), D(m.v0))] + [ctx.multiply(D(beta), D(m.value[j, profile[j]]))
                                            for j in range(m.n_providers) if j != i]
    out = []
    for lv in range(m.n_levels[i]):
        zi = ctx.multiply(D(beta), D(m.value[i, lv]))
        if max(ctx.subtract(zj, zi) for zj in z) > 1500:  # a share below e^-1500: not a normal double
            out.append(decimal.Decimal(0))
            continue
        den = ctx.add(decimal.Decimal(1), sum((ctx.exp(ctx.subtract(zj, zi)) for zj in z), decimal.Decimal(0)))
        out.append(ctx.multiply(ctx.divide(decimal.Decimal(1), den), D(m.profit[i, lv])))
    return out


def test_the_rounding_bound_of_lemma_2_holds():
    """Lemma 2 of ttcgames.game.equilibria: a computed utility that is a normal double is within
    1.01 u (8M + 2N + 22) of the exact one (relative), M the largest |beta V|, N the providers.
    Checked against 60-digit arithmetic at betas up to 1e9 (|beta V| up to about 4e6)."""
    u = 2.0**-53
    rng = np.random.default_rng(11)
    worst = 0.0
    for beta in (3.0, 1e3, 1e5, 1e7, 1e9):
        m = random_market(rng, 5, 4, v0=0.0005)
        M = max(1.0, beta * m.max_abs_value)
        bound = 1.01 * u * (8 * M + 2 * 5 + 22)
        for _ in range(12):
            prof = rng.integers(0, 4, 5)
            for i in range(5):
                got = deviation_utilities(m, prof, i, beta)
                for g, e in zip(got, _exact_utilities(m, prof, i, beta)):
                    if abs(g) >= 2.2250738585072014e-308 and e != 0:
                        err = abs(decimal.Decimal(float(g)) - e) / abs(e)
                        assert err <= bound, (beta, err, bound)
                        worst = max(worst, float(err) / bound)
    assert worst > 1e-3  # the check compared real rounding, not zeros


def test_symmetric_markets_against_brute_force():
    """Identical menus (one open model served by several providers) gave every level of every
    provider as a candidate just below their common zone: K^N candidates. Now the sets are those of
    the brute force, for identical providers and for groups of them."""
    for seed, n, k, groups in ((0, 6, 6, 1), (1, 6, 5, 3), (2, 7, 4, 2)):
        m = symmetric_market(np.random.default_rng(seed), n, k, groups)
        for beta in (1.0, 100.0, 1e4, 3e5, INF):
            assert_same_set(m, beta)


def test_twelve_identical_providers_enumerate_without_visiting_the_profiles():
    """12 identical providers x 6 levels (2.2e9 profiles): a numpy memory error before; each
    equilibrium is checked profile by profile and contains the dynamics' end."""
    m = symmetric_market(np.random.default_rng(4), 12, 6)
    for beta in (1.0, 1e5, INF):
        eqs = enumerate_equilibria(m, beta)
        assert 1 <= eqs.count <= 10_000
        assert eqs.contains(better_response_dynamics(m, beta, rng=0).final)
        assert equilibrium_mask(m, eqs.profiles, beta).all()


def test_a_negligible_provider_that_decides_a_deviation_is_not_boxed():
    """Condition (b) of the module docstring. At beta = 1e5 provider f's shares are exactly 0 at
    every profile where the dominant provider d sits at its high level (f is more than 800 below the
    total), so f is indifferent; but d's low level competes with f alone, and whether it beats d's
    high level depends on f's level (d's share there is about 1/2 or 0.99, its profit 1.5 times the
    high level's). So the box "f at any level" is not made of equilibria: only f at its upper level is
    one. Checked by hand and against the brute force, with and without expanding small boxes."""
    beta = 1e5
    v = np.array([[1e-4, 0.01], [5e-5, 1e-4]])  # d: low, high; f: lower, upper (a = 10 / 1000; 5 / 10)
    profit = np.array([[1.5e-4, 1e-4], [1e-4, 1e-4]])
    price = np.full((2, 2), 2e-4)
    m = Market(providers=("d", "f"), thetas=(np.array([1.0, 2.0]),) * 2, quality=v + price, price=price,
               cost=price - profit)
    for limit in (0, 256):
        eq = assert_same_set(m, beta, expand_limit=limit)
        assert (1, 1) in {tuple(p) for p in eq.profiles.tolist()}
        assert (1, 0) not in {tuple(p) for p in eq.profiles.tolist()}


def test_an_equilibrium_set_beyond_memory_is_refused_with_its_size(monkeypatch):
    """Providers with two identical levels each: every one of the 2^N profiles is an equilibrium and
    none is negligible, so the set cannot be boxed: EquilibriaTooLarge names beta and the size (with
    the real limits through the command line in test_cli.py; a lower limit here keeps it quick)."""
    monkeypatch.setattr(equilibria, "MAX_CANDIDATES", 50_000)
    monkeypatch.setattr(equilibria, "MAX_BOXES", 2_000)
    rows = [{"provider": f"p{i}", "theta": t, "accuracy": 0.5, "tokens": 200.0, "price_per_million": 0.1}
            for i in range(17) for t in (1, 2)]
    m = market_from_rows(rows, alpha=0.008)
    with pytest.raises(EquilibriaTooLarge, match=r"beta = 1000: .*17 providers, 131,072 profiles.*65,536 candidate"):
        enumerate_equilibria(m, 1000.0)
    with pytest.raises(EquilibriaTooLarge, match=r"beta = inf: .*more than 2,000 boxes"):
        enumerate_equilibria(m, INF)


def test_near_tie_within_the_margin_makes_two_equilibria():
    m = Market(providers=("a", "b"), thetas=(np.array([1.0, 2.0]),) * 2,
               quality=np.full((2, 2), 0.003), price=np.full((2, 2), 0.001),
               cost=0.001 - np.array([[1e-4, 1e-4 * (1 + 0.5e-8)], [1e-4, 1e-4 * (1 + 2e-8)]]))
    # a's second level earns 0.5e-8 more (within the margin: both levels are equilibria), b's 2e-8 (beyond)
    eq = assert_same_set(m, 1000.0)
    assert eq.count == 2 and set(map(tuple, eq.profiles)) == {(0, 1), (1, 1)}


@pytest.mark.parametrize("beta", [30.0, 1000.0, 1e5, 5e5, 1e6, INF])
def test_a_7_x_6_game_against_brute_force(beta):
    """279,936 profiles; at large beta providers far below the leader are indifferent and the
    enumeration returns boxes of thousands of equilibria."""
    m = random_market(np.random.default_rng(11), 7, 6)
    assert_same_set(m, beta)


@pytest.mark.parametrize("beta", [100.0, 1e4, 1e6, INF])
def test_a_12_x_8_game_contains_the_dynamics_end_and_bounds_poa(beta):
    m = random_market(np.random.default_rng(5), 12, 8, ragged=True)
    eqs = enumerate_equilibria(m, beta)
    assert eqs.count >= 1
    traj = better_response_dynamics(m, beta, rng=0)
    assert eqs.contains(traj.final)
    opt = social_optimum(m, beta)
    assert opt.welfare >= eqs.best_welfare >= eqs.worst_welfare
    # every box is made of equilibria: check a few profiles drawn from the boxes
    rng = np.random.default_rng(0)
    for box in eqs.boxes[:20]:
        prof = np.array([rng.choice(levels) for levels in box])
        assert is_nash_equilibrium(m, prof, beta)


def test_two_equilibria_with_different_welfare():
    """Values V = [[4, 3], [3, 4]], profits [[1, 2], [2, 0.5]] (welfare contribution V + profit).
    Worked by hand at beta = inf: (a at 4, b at 4) tie,
    welfare (5 + 4.5) / 2 = 4.75, and (a=3, b=3) tie, welfare 5; every other profile has a
    profitable deviation."""
    m = hand_worked_market()
    eq = assert_same_set(m, INF)
    assert set(map(tuple, eq.profiles)) == {(0, 1), (1, 0)}
    assert (eq.worst_welfare, eq.best_welfare) == (4.75, 5.0)
    eq = assert_same_set(m, 3.0)  # the same two equilibria survive at beta = 3
    assert set(map(tuple, eq.profiles)) == {(0, 1), (1, 0)} and eq.worst_welfare < eq.best_welfare


def test_brute_force_refuses_huge_games():
    m = random_market(np.random.default_rng(0), 12, 8)
    with pytest.raises(ValueError, match="profiles"):
        brute_force_equilibria(m, 1.0)
    with pytest.raises(ValueError, match="beta"):
        enumerate_equilibria(m, 0.0)
