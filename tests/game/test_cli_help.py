"""`ttcgames --version` and the help of the command lines: every flag explained, no reST markup."""

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import ttcgames
from ttcgames.game.cli import _parser
from ttcgames.game.cli import main as cli_main
from ttcgames.generation.__main__ import _parser as generation_parser

ROOT = Path(__file__).resolve().parents[2]
REST_MARKUP = re.compile(r"``|:(func|class|mod|meth|attr|ref|doc):`")


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli_main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"ttcgames {ttcgames.__version__}"
    # the version has one source: pyproject reads it from the package
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ttcgames.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", ttcgames.__version__)


def _all_parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


@pytest.mark.parametrize("which", ["ttcgames", "generation"])
def test_every_flag_has_help_without_rest_markup(which):
    parser = _parser() if which == "ttcgames" else generation_parser()
    seen = 0
    for p in _all_parsers(parser):
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            seen += 1
            name = "/".join(action.option_strings) or action.dest
            assert action.help and action.help.strip() and action.help != argparse.SUPPRESS, f"{p.prog} {name}: no help"
            words = len(action.help.split())
            assert words >= 2 or action.option_strings == ["-h", "--help"], f"{p.prog} {name}: help {action.help!r}"
        text = p.format_help()
        assert not REST_MARKUP.search(text), f"{p.prog} --help shows reST markup:\n{text}"
    assert seen >= (20 if which == "ttcgames" else 12)


def test_help_runs_as_a_command():
    out = subprocess.run([sys.executable, "-m", "ttcgames.generation", "--help"], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, check=True).stdout
    assert "--shard-dir" in out and "--seed" in out and "``" not in out
