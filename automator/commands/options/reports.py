"""``--json``, ``--markdown FILE`` and ``--dotenv FILE`` -> :class:`ReportSettings`."""

from __future__ import annotations

import argparse

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import UsageError
from automator.report.publish import ReportSettings

JSON_HELP = "print the plan as JSON on stdout instead of text"


def add_files(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reports")
    group.add_argument(
        "--markdown",
        metavar="FILE",
        help="also write the plan as Markdown to FILE ('-': stdout, and the text goes to stderr), e.g. a CI artifact or PR body",
    )
    group.add_argument(
        "--dotenv",
        metavar="FILE",
        help="also write AUTOMATOR_UPDATED, AUTOMATOR_UPDATES (JSON), AUTOMATOR_COMMIT, AUTOMATOR_PR_URL "
        "... to FILE ('-': stdout, and the text goes to stderr), a GitLab dotenv report for downstream jobs",
    )


def refuse_two_documents(as_json: bool, markdown: str | None, dotenv: str | None = None) -> None:
    """``--json``, ``--markdown -`` and ``--dotenv -``: two of them would both print to stdout,
    one document after the other, which no reader of either takes."""
    on_stdout = [name for name, given in (("--json", as_json), ("--markdown -", markdown == "-"), ("--dotenv -", dotenv == "-")) if given]
    if len(on_stdout) > 1:
        example = "--dotenv automator.env" if on_stdout[-1] == "--dotenv -" else "--markdown report.md"
        raise UsageError(f"{', '.join(on_stdout[:-1])} and {on_stdout[-1]} all print to stdout"
                         if len(on_stdout) > 2 else f"{on_stdout[0]} and {on_stdout[1]} both print to stdout",
                         hint=f"write the report to a file instead, e.g. {example}")


def settings(args: argparse.Namespace, ctx: Context) -> ReportSettings:
    refuse_two_documents(getattr(args, "json", False), getattr(args, "markdown", None), getattr(args, "dotenv", None))
    return ReportSettings(
        json=getattr(args, "json", False),
        markdown=getattr(args, "markdown", None),
        dotenv=getattr(args, "dotenv", None),
        dry_run=bool(getattr(args, "dry_run", False)),
    )


def group(*, json_help: str | None = JSON_HELP, files: bool = True, json_group: str | None = None) -> OptionGroup:
    """The report options of a command: ``--json`` (with its help, or none when ``json_help``
    is None; under the argument group ``json_group`` when given) and the report files."""

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        if files:
            add_files(parser)
        if json_help is not None:
            target = parser.add_argument_group(json_group) if json_group else parser
            target.add_argument("--json", action="store_true", help=json_help)

    return OptionGroup("report", add_arguments, settings)
