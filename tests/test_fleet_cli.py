"""``automator fleet --help``: what a user reads before the first run, in-process (no git)."""

from __future__ import annotations

import argparse
import re

from automator.cli import build_parser, main


def test_help_shows_examples_and_every_exit_code_the_fleet_can_end_with(capsys):
    """A repository whose run breaks is reported with exit 70 (an internal error), and the
    fleet's exit code is the highest of all: the list names it with the others."""
    try:
        main(["fleet", "--help"])
    except SystemExit as done:
        assert done.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "automator fleet fleet.yaml" in text
    codes = text[text.index("exit codes:"):]
    assert [code for code in ("0", "1", "2", "3", "70", "130") if not re.search(rf"\b{code} ", codes)] == []


def test_every_fleet_option_says_what_it_does():
    parser = build_parser(["fleet"])
    fleet = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["fleet"]
    undocumented = [a.option_strings or a.dest for a in fleet._actions if not a.help]
    assert undocumented == []
