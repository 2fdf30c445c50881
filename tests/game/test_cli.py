"""The ``ttcgames game`` command on Appendix A's example and on bad input."""

import csv
import json
import subprocess
import sys

import pytest

from ttcgames.game.cli import main

APPENDIX_A = """provider,theta,accuracy,tokens,price_per_million
P1,1,0.70,0.3125,1000000
P1,2,0.90,1.25,1000000
P2,1,0.50,0.625,1000000
P2,2,0.95,12.5,1000000
"""


@pytest.fixture
def appendix_a(tmp_path):
    p = tmp_path / "appendix_a.csv"
    p.write_text(APPENDIX_A)
    return p


def run_game(market, tmp_path, *extra):
    out = tmp_path / "game.json"
    traj = tmp_path / "traj.csv"
    rc = main(["game", str(market), "--alpha", "2", "--baseline", "0", "--json", str(out),
               "--trajectory", str(traj), *extra])
    assert rc == 0
    return json.loads(out.read_text()), list(csv.DictReader(traj.open()))


def test_appendix_a_through_the_cli(appendix_a, tmp_path):
    doc, rows = run_game(appendix_a, tmp_path, "--beta", "inf", "--all-equilibria")
    (game,) = doc["games"]
    assert game["beta"] == "inf"
    eq = game["equilibrium"]
    # P1 serves the whole market at high compute (Eq. 17), welfare 0.8 (Eq. 16); optimum 1.15
    assert eq["profile"]["P1"] == 2
    assert eq["shares"] == {"P1": 1.0, "P2": 0.0}
    assert eq["welfare"] == pytest.approx(0.8, rel=1e-12)
    assert eq["user_value"] == pytest.approx(0.55, rel=1e-12)  # V_1(High)
    assert eq["provider_utility"] == pytest.approx(0.25, rel=1e-12)  # U_1(High)
    # unweighted means over both providers at (P1 High, P2 Low), by hand: V = (0.55, 0.375),
    # p = (1.25, 0.625), p - c = p - p / 1.25 = (0.25, 0.125)
    assert eq["profile"]["P2"] == 1
    assert eq["mean_user_value"] == pytest.approx((0.55 + 0.375) / 2, rel=1e-12)
    assert eq["mean_price"] == pytest.approx((1.25 + 0.625) / 2, rel=1e-12)
    assert eq["mean_provider_margin"] == pytest.approx((0.25 + 0.125) / 2, rel=1e-12)
    assert game["optimum"]["welfare"] == pytest.approx(1.15, rel=1e-12)
    assert game["optimum"]["profile"]["P1"] == 1
    assert game["price_of_anarchy"] == pytest.approx(1.4375, rel=1e-12)  # Eq. 18
    assert game["equilibria"]["count"] == 2  # P2's level does not matter
    assert game["equilibria"]["worst_welfare"] == pytest.approx(0.8, rel=1e-12)
    assert game["theorem2"] == {"dominant": "P1", "theta": 2, "rival_threshold": None, "equilibrium_agrees": True}
    assert game["theorem4_bound"] <= game["price_of_anarchy"]
    # the auction gives the task to P1 at low compute: welfare 1.15, user gets P2's best W = 0.5
    auc = doc["auction"]
    assert (auc["winner"], auc["runner_up"]) == ("P1", "P2")
    assert auc["truthful_theta"] == {"P1": 1, "P2": 1}
    assert auc["welfare"] == pytest.approx(1.15, rel=1e-12)
    assert auc["user_value"] == pytest.approx(0.5, rel=1e-12)
    assert auc["utility"] == pytest.approx(0.65, rel=1e-12)
    assert auc["price"] == pytest.approx(1.4 - 0.5, rel=1e-12)
    # trajectory: t = 0 at the lowest levels, P1 moves up once
    assert {r["t"] for r in rows} >= {"0", "1"}
    start = [r for r in rows if r["t"] == "0"]
    assert [r["level"] for r in start] == ["0", "0"]
    assert float(start[0]["welfare"]) == pytest.approx(1.15)


def test_several_betas_and_json_is_strict(appendix_a, tmp_path):
    doc, rows = run_game(appendix_a, tmp_path, "--beta", "200", "--beta", "1000", "--beta", "inf")
    assert [g["beta"] for g in doc["games"]] == [200.0, 1000.0, "inf"]
    for g in doc["games"]:
        shares = g["equilibrium"]["shares"]
        assert sum(shares.values()) + g["equilibrium"]["abstention_share"] == pytest.approx(1.0)
        assert g["price_of_anarchy"] >= 1.0
    assert {r["beta"] for r in rows} == {"200.0", "1000.0", "inf"}


def test_same_seed_same_files(appendix_a, tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        assert main(["game", str(appendix_a), "--beta", "30", "--seed", "3", "--json", str(d / "g.json"),
                     "--trajectory", str(d / "t.csv")]) == 0
    assert (a / "g.json").read_bytes().replace(b"/a/", b"/b/") == (b / "g.json").read_bytes()
    assert (a / "t.csv").read_bytes() == (b / "t.csv").read_bytes()


def test_bad_market_gives_a_clear_error_and_no_output(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(APPENDIX_A.replace("0.95", "95"))
    out = tmp_path / "out.json"
    rc = main(["game", str(bad), "--beta", "1000", "--json", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "bad.csv, line 5: accuracy 95.0 is outside [0, 1]" in err
    assert not out.exists()


def test_bad_beta_is_rejected(appendix_a, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ttcgames.game.cli", "game", str(appendix_a), "--beta", "-1",
                           "--json", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "beta must be positive" in proc.stderr


def test_sweep_writes_one_row_per_beta(appendix_a, tmp_path):
    out = tmp_path / "sweep.csv"
    assert main(["sweep", str(appendix_a), "--alpha", "2", "--baseline", "0", "--beta-logspace", "0", "3", "7",
                 "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 7
    assert float(rows[0]["beta"]) == pytest.approx(1.0)
    assert float(rows[-1]["beta"]) == pytest.approx(1000.0)
    for r in rows:
        assert float(r["optimal_welfare"]) >= float(r["equilibrium_welfare"]) - 1e-12


def test_all_equilibria_of_a_game_too_large_to_enumerate(tmp_path):
    """9 providers x 7 levels is 40,353,607 profiles: far too many to visit, yet --all-equilibria
    reports every equilibrium; the dynamics' equilibrium lies between the worst and the best."""
    lines = ["provider,theta,accuracy,tokens,price_per_million"]
    for i in range(9):
        for k in range(7):
            lines.append(f"p{i},{2**k},{min(0.95, 0.1 + 0.1 * k + 0.01 * i)},{100 * (k + 1)},{0.1 + 0.01 * i}")
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines) + "\n")
    out = tmp_path / "x.json"
    proc = subprocess.run([sys.executable, "-m", "ttcgames.game.cli", "game", str(p), "--beta", "1000", "--beta", "inf",
                           "--all-equilibria", "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for game in json.loads(out.read_text())["games"]:
        eqs = game["equilibria"]
        assert eqs["count"] >= 1
        assert eqs["worst_welfare"] <= game["equilibrium"]["welfare"] <= eqs["best_welfare"]
        assert eqs["price_of_anarchy"] >= game["price_of_anarchy"] >= eqs["price_of_stability"] >= 1 - 1e-12


def _write_market(path, providers, levels, *, duplicate=False):
    """Identical providers (one menu); with ``duplicate`` every provider's levels are the same offer."""
    lines = ["provider,theta,accuracy,tokens,price_per_million"]
    for i in range(providers):
        for k in range(levels):
            acc, tokens = (0.5, 200) if duplicate else (min(0.95, 0.3 + 0.1 * k), 150 * (k + 1))
            lines.append(f"p{i},{2**k},{acc},{tokens},0.1")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_twelve_identical_providers_through_game_and_sweep(tmp_path):
    """12 identical providers x 6 levels (2.2e9 profiles) ended in a numpy ArrayMemoryError traceback
    (27 GiB for one array); every equilibrium is now listed in milliseconds per beta."""
    p = _write_market(tmp_path / "twelve.csv", 12, 6)
    out, csv_out = tmp_path / "x.json", tmp_path / "s.csv"
    assert main(["game", str(p), "--beta", "100", "--beta", "inf", "--all-equilibria", "--json", str(out)]) == 0
    for game in json.loads(out.read_text())["games"]:
        assert game["equilibria"]["count"] >= 1
    assert main(["sweep", str(p), "--beta-logspace", "0", "6", "20", "--csv", str(csv_out)]) == 0
    rows = list(csv.DictReader(csv_out.open()))
    assert len(rows) == 20 and all(int(r["equilibria"]) >= 1 for r in rows)


@pytest.mark.parametrize("command", [["game", "--beta", "1000", "--all-equilibria", "--json"],
                                     ["sweep", "--beta-logspace", "3", "4", "2", "--csv"]])
def test_an_equilibrium_set_beyond_memory_gives_one_line_naming_market_and_size(tmp_path, command):
    """21 providers with two identical levels each: all 2^21 profiles are equilibria, none negligible;
    the command ends with one line naming the market file and the size, and writes nothing."""
    p = _write_market(tmp_path / "dup.csv", 21, 2, duplicate=True)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "ttcgames.game.cli", command[0], str(p), *command[1:], str(out)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"ttcgames: error: {p}: beta = 1000: the equilibrium set of this game "
                               "(21 providers, 2,097,152 profiles) cannot be listed within memory: "), lines[0]
    assert "candidate profiles" in lines[0] and not out.exists()


# ---------------------------------------------------------------------------------------------------
# Bad input: exit code 2, one line naming the input, nothing written (issue 11, item 2)
# ---------------------------------------------------------------------------------------------------


def run_refused(argv, capsys, *, expect):
    """Run main; it must return 2 with exactly one stderr line containing ``expect``."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ttcgames: error: "), err
    assert expect in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args, expect", [
    (["--beta-logspace", "0", "6", "abc"], "argument --beta-logspace: NUM must be a positive integer, got 'abc'"),
    (["--beta-logspace", "0", "6", "-1"], "argument --beta-logspace: NUM must be between 1 and 100,000, got '-1'"),
    (["--beta-logspace", "0", "6", "0"], "argument --beta-logspace: NUM must be between 1 and 100,000, got '0'"),
    (["--beta-logspace", "0", "6", "2.5"], "NUM must be a positive integer, got '2.5'"),
    (["--beta-logspace", "-400", "0", "3"], "argument --beta-logspace: START -400 gives beta = 10^-400, which underflows to 0"),
    (["--beta-logspace", "0", "400", "3"], "argument --beta-logspace: STOP 400 gives beta = 10^400, beyond the largest double"),
    (["--beta-logspace", "nan", "6", "3"], "argument --beta-logspace: START must be a finite exponent, got 'nan'"),
    (["--beta-logspace", "0", "x", "3"], "argument --beta-logspace: STOP is not a number: 'x'"),
    (["--beta", "1", "--seed", "-1"], "argument --seed: must be a non-negative integer, got '-1'"),
    (["--beta", "1", "--seed", "1.5"], "argument --seed: must be a non-negative integer, got '1.5'"),
    (["--beta", "nan"], "argument --beta: beta must be positive or inf, got 'nan'"),
    (["--beta", "0"], "argument --beta: beta must be positive or inf, got '0'"),
    (["--beta", "1", "--alpha", "0"], "argument --alpha: must be a positive number, got '0'"),
    (["--beta", "1", "--alpha", "inf"], "argument --alpha: must be a positive number, got 'inf'"),
    (["--beta", "1", "--baseline", "1"], "argument --baseline: must be a number in [0, 1), got '1'"),
    (["--beta", "1", "--margin", "-0.1"], "argument --margin: must be a positive number, got '-0.1'"),
    (["--beta", "1", "--v0", "nan"], "argument --v0: must be a finite number, got 'nan'"),
    (["--beta", "1", "--beta-logspace", "0", "1", "2"], "not allowed with argument --beta"),
    ([], "one of the arguments --beta --beta-logspace is required"),
    # beta x V = 1e308 x 89.8 overflows a double: refused instead of a NaN row (Appendix A's values, alpha 100)
    (["--alpha", "100", "--beta", "1e308"], "argument --beta: beta = 1e+308 is too large for these values"),
    (["--alpha", "100", "--beta-logspace", "290", "308", "2"], "argument --beta-logspace: beta = 1e+308 is too large"),
])
def test_bad_sweep_arguments_are_refused_in_one_line_and_nothing_is_written(appendix_a, tmp_path, capsys, args, expect):
    out = tmp_path / "sweep.csv"
    run_refused(["sweep", str(appendix_a), *args, "--csv", str(out)], capsys, expect=expect)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appendix_a.csv"]


def test_an_existing_output_is_left_untouched_on_error(appendix_a, tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    out.write_text("earlier results\n")
    run_refused(["sweep", str(appendix_a), "--beta-logspace", "0", "6", "0", "--csv", str(out)], capsys, expect="NUM")
    assert out.read_text() == "earlier results\n"


def test_a_huge_but_representable_beta_gives_finite_rows(appendix_a, tmp_path):
    """beta x max |V| = 1e297 x 89.8 < 1e300: accepted, and the equilibrium is beta = inf's (Eq. 16-17)."""
    out = tmp_path / "sweep.csv"
    assert main(["sweep", str(appendix_a), "--alpha", "100", "--baseline", "0", "--beta", "1e297", "--beta", "inf",
                 "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert "nan" not in out.read_text()
    assert rows[0]["equilibrium_welfare"] == rows[1]["equilibrium_welfare"]
    assert rows[0]["optimal_welfare"] == rows[1]["optimal_welfare"]


@pytest.mark.parametrize("name, content, expect", [
    ("latin1.csv", "provider,theta,accuracy,tokens,price_per_million\nPé,1,0.5,1,1\n".encode("latin-1"),
     "latin1.csv, line 2: not UTF-8 text (byte 0xe9)"),
    ("dup.csv", b"provider,theta,accuracy,tokens,price_per_million,accuracy\nP,1,0.5,1,1,0.9\n",
     "dup.csv, line 1: column 'accuracy' appears twice in the header (fields 3 and 6)"),
    ("short.csv", b"provider,theta,accuracy,tokens,price_per_million\nP,1,0.5,1\n",
     "short.csv, line 2: fewer fields than the header has"),
    ("huge.csv", b"provider,theta,accuracy,tokens,price_per_million\nP,1,0.5,1e300,1e300\n",
     "huge.csv, line 2: the price tokens x price_per_million / 1e6 = 1e+300 x 1e+300 / 1e6 is beyond"),
    ("empty.csv", b"", "empty.csv: empty file"),
    ("missing.csv", None, "missing.csv: cannot open market file"),
])
def test_bad_market_files_are_refused_with_file_and_line(tmp_path, capsys, name, content, expect):
    market = tmp_path / name
    if content is not None:
        market.write_bytes(content)
    out = tmp_path / "out" / "g.json"
    run_refused(["game", str(market), "--beta", "1", "--json", str(out)], capsys, expect=expect)
    assert not (tmp_path / "out").exists()


def test_a_utf8_byte_order_mark_is_accepted(appendix_a, tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + APPENDIX_A.encode())
    outs = []
    for market in (appendix_a, bom):
        out = tmp_path / f"{market.stem}.json"
        assert main(["game", str(market), "--alpha", "2", "--baseline", "0", "--beta", "inf", "--json", str(out)]) == 0
        doc = json.loads(out.read_text())
        outs.append((doc["providers"], doc["games"]))
    assert outs[0] == outs[1]
    assert outs[1][0] == ["P1", "P2"]


@pytest.mark.parametrize("outputs, expect", [
    (lambda d: ["--json", str(d / "g.json"), "--trajectory", str(d)], "argument --trajectory: '{d}' is a directory"),
    (lambda d: ["--json", str(d), "--trajectory", str(d / "t.csv")], "argument --json: '{d}' is a directory"),
    (lambda d: ["--json", str(d / "g.json"), "--trajectory", str(d / "g.json")], "is also given to --json"),
    (lambda d: ["--json", str(d / "appendix_a.csv")], "is also the market file"),
    (lambda d: ["--json", str(d / "appendix_a.csv" / "g.json")], "appendix_a.csv' is not a directory"),
])
def test_bad_outputs_are_refused_before_anything_is_written(appendix_a, tmp_path, capsys, outputs, expect):
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    run_refused(["game", str(appendix_a), "--beta", "1", *outputs(tmp_path)], capsys,
                expect=expect.format(d=tmp_path))
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


# ---------------------------------------------------------------------------------------------------
# Fuzzing: random bad arguments and random bytes as market files never end in a traceback
# ---------------------------------------------------------------------------------------------------

import contextlib  # noqa: E402
import io  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck, event, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NUMBERS = ["1", "0", "-1", "0.5", "2", "100", "1e3", "1e297", "1e308", "1e-320", "inf", "-inf", "nan", "", "abc", "1,5",
            "0x10", "1e400", "-0", "  3 ", "٣"]
_CELLS = ["", "nan", "inf", "-1", "1e400", "0.5", "0.9", "1", "2", "250", "abc", '"', "x y", "1e300"]
_HEADER = ["provider", "theta", "accuracy", "tokens", "price_per_million", "note", "accuracy", ""]


@st.composite
def market_bytes(draw):
    kind = draw(st.sampled_from(["good", "good", "bytes", "cells", "text"]))
    if kind == "good":
        data = APPENDIX_A.encode()
    elif kind == "bytes":
        data = draw(st.binary(max_size=300))
    elif kind == "cells":
        cols = draw(st.lists(st.sampled_from(_HEADER), min_size=1, max_size=7))
        if draw(st.booleans()):
            cols = list(dict.fromkeys(["provider", "theta", "accuracy", "tokens", "price_per_million"] + cols))
        n_rows = draw(st.integers(0, 4))
        rows = [",".join(draw(st.lists(st.sampled_from(_CELLS + ["p1", "p2"]), min_size=len(cols) - 1,
                                        max_size=len(cols) + 1))) for _ in range(n_rows)]
        data = "\n".join([",".join(cols)] + rows).encode()
    else:
        data = draw(st.text(max_size=200)).encode(draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig"])))
    if draw(st.booleans()) and kind != "bytes":
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff", b"\x00", b""])) + data
    return data


_GOOD = {"--alpha": ["0.008", "2", "100"], "--baseline": ["0", "0.1"], "--margin": ["0.25", "1"],
         "--v0": ["0", "0.001", "-0.5"], "--seed": ["0", "3"], "--beta": ["1", "1000", "inf", "1e297", "1e-320"],
         "START": ["0", "-3", "300"], "STOP": ["3", "6", "290"], "NUM": ["1", "3"]}
_BAD_NUM = ["0", "-1", "2.5", "100001", "99999999999999999999", "x", ""]


@st.composite
def command_lines(draw):
    """argv with {market} and {out} placeholders: valid command lines, or with values drawn from
    numbers of every kind and random text, misplaced or unknown arguments."""
    valid = draw(st.booleans())

    def value(key, bad=_NUMBERS):
        if valid:
            return draw(st.sampled_from(_GOOD[key]))
        return draw(st.one_of(st.sampled_from(bad), st.sampled_from(_GOOD[key]), st.text(max_size=8)))

    command = draw(st.sampled_from(["game", "sweep"]))
    argv = [command, "{market}"]
    for flag in ("--alpha", "--baseline", "--margin", "--v0", "--seed"):
        if draw(st.integers(0, 3)) == 0:
            argv += [flag, value(flag)]
    logspace = command == "sweep" and draw(st.booleans())
    for _ in range(draw(st.integers(0 if logspace else 1, 3))):
        argv += ["--beta", value("--beta")]
    if logspace:
        argv += ["--beta-logspace", value("START"), value("STOP"), value("NUM", _BAD_NUM)]
    outs = ["--json", "--trajectory"] if command == "game" else ["--csv"]
    for flag in outs:
        if valid or draw(st.integers(0, 4)) > 0:
            fresh = ["{out}/a.out", "{out}/new/dir/c.out"] if flag != "--trajectory" else ["{out}/t.out"]
            argv += [flag, draw(st.sampled_from(fresh + ([] if valid else
                                                         ["{out}/b.out", "{out}", "{market}", "{market}/x", ""])))]
    if command == "game" and draw(st.booleans()):
        argv.append("--all-equilibria")
    if not valid and draw(st.integers(0, 5)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(["--bogus", "-x", "extra", "--beta"])))
    return argv


def _strict_json(text):
    def refuse(name):
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market_bytes(), command_lines())
# money so large that sums over providers overflow (found by this test in CI: numpy warned on stderr)
@example(APPENDIX_A.encode(), ["game", "{market}", "--alpha", "1e308", "--beta", "inf", "--json", "{out}/a.out"])
def test_property_bad_arguments_and_random_market_bytes_never_raise(data, argv):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        market = root / "market.csv"
        market.write_bytes(data)
        out = root / "out"
        out.mkdir()
        (out / "b.out").write_text("earlier\n")
        args = [a.replace("{market}", str(market)).replace("{out}", str(out)) for a in argv]
        before = sorted((p.relative_to(root), p.read_bytes() if p.is_file() else None) for p in root.rglob("*"))
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # numpy's overflow/invalid warnings would reach the user's terminal beside the one-line error
            warnings.simplefilter("error", RuntimeWarning)
            rc = main(args)  # any exception fails the test: that would be a traceback for the user
        lines = err.getvalue().splitlines()
        event(f"exit {rc}")
        after = sorted((p.relative_to(root), p.read_bytes() if p.is_file() else None) for p in root.rglob("*"))
        if rc == 2:
            assert len(lines) == 1 and lines[0].startswith("ttcgames: error: "), err.getvalue()
            assert after == before  # nothing written, nothing touched
        else:
            assert rc == 0 and lines == [], err.getvalue()
            written = [p for p in root.rglob("*.out") if p.is_file() and p.read_bytes() != b"earlier\n"]
            assert written
            for p in written:
                text = p.read_text()
                if text.startswith("{"):
                    _strict_json(text)
                else:
                    rows = list(csv.DictReader(io.StringIO(text)))
                    assert rows
                    assert not any(v == "nan" for r in rows for v in r.values())


def test_random_bytes_through_the_installed_command_give_one_line_and_no_traceback(tmp_path):
    market = tmp_path / "noise.csv"
    market.write_bytes(bytes(range(256)) * 3)
    for argv in (["sweep", str(market), "--beta-logspace", "0", "6", "3", "--csv", str(tmp_path / "s.csv")],
                 ["sweep", str(market), "--beta-logspace", "-400", "0", "abc", "--csv", str(tmp_path / "s.csv")],
                 ["game", str(market), "--beta", "1", "--seed", "-1", "--json", str(tmp_path / "g.json")]):
        proc = subprocess.run([sys.executable, "-m", "ttcgames.game.cli", *argv], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("ttcgames: error: "), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noise.csv"]
