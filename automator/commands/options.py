"""Argument groups shared by several subcommands, and the objects built from them."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.context import Context
from automator.tagsource import TagSource


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Where tags come from: ``--tags-from FILE`` (offline) or the registries."""
    group = parser.add_argument_group("tag source")
    group.add_argument(
        "--tags-from",
        metavar="FILE",
        type=Path,
        help="read tags from a JSON/YAML file (repository -> [tag, ...] or [{tag, created, digest}]) "
        "instead of asking registries: the offline / air-gapped mode",
    )
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        help="registry cache directory (default: $XDG_CACHE_HOME/deployment-automator)",
    )
    group.add_argument("--no-cache", action="store_true", help="do not read or write the registry cache")
    group.add_argument(
        "--insecure-registry",
        metavar="HOST",
        action="append",
        default=[],
        help="reach HOST over plain HTTP (loopback registries always are); repeatable",
    )
    group.add_argument(
        "--platform",
        default="linux/amd64",
        help="platform whose image is read in multi-platform indexes (default: %(default)s)",
    )
    group.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="concurrent requests per registry host (default: %(default)s)",
    )


def tag_source_from_args(args: argparse.Namespace, ctx: Context) -> TagSource:
    if args.tags_from is not None:
        from automator.tagfile import FileTagSource

        return FileTagSource.load(args.tags_from)
    from automator.registry import RegistryTagSource

    return RegistryTagSource.from_options(
        ctx,
        cache_dir=None if args.no_cache else (args.cache_dir or ctx.cache_dir),
        insecure_registries=tuple(args.insecure_registry),
        platform=args.platform,
        concurrency=args.concurrency,
    )


def add_rules_options(parser: argparse.ArgumentParser) -> None:
    """``--rules FILE``: environment rules (default: .automator.yaml found for PATH)."""
    group = parser.add_argument_group("environment rules")
    group.add_argument(
        "--rules",
        metavar="FILE",
        type=Path,
        help="rules file (default: .automator.yaml in PATH or above it, up to the repository root); "
        "see docs/rules.md",
    )


def rules_from_args(args: argparse.Namespace, ctx: Context, root: Path, scan_path: Path):
    """The rules of a run: ``--rules FILE`` or the rules file found for ``scan_path``."""
    from automator.rules import RulesRuntime

    cache_dir = None if getattr(args, "no_cache", False) else (getattr(args, "cache_dir", None) or ctx.cache_dir)
    return RulesRuntime.load(root, scan_path=scan_path, rules_file=getattr(args, "rules", None), cache_dir=cache_dir)


# --- reports (scan, update, run) --------------------------------------------------------------


def add_report_options(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    """``--json``, ``--markdown FILE`` and ``--dotenv FILE``; see :func:`write_reports`."""
    group = parser.add_argument_group("reports")
    if json_flag:
        group.add_argument("--json", action="store_true", help="print the plan as JSON on stdout instead of text")
    group.add_argument(
        "--markdown",
        metavar="FILE",
        help="also write the plan as Markdown to FILE ('-': stdout), e.g. a CI artifact or PR body",
    )
    group.add_argument(
        "--dotenv",
        metavar="FILE",
        help="also write AUTOMATOR_UPDATED, AUTOMATOR_UPDATES (JSON), AUTOMATOR_COMMIT, AUTOMATOR_PR_URL "
        "... to FILE, a GitLab dotenv report for downstream jobs",
    )


def write_reports(args: argparse.Namespace, ctx: Context, plan, change=None, *, root: Path | None = None) -> None:
    """Write the report files asked for, and publish to the CI system (GitHub: annotations,
    step summary, outputs). Call once per run, after the plan was written (or not)."""
    import sys

    from automator import ci
    from automator.report import dotenv, markdown, records
    from automator.report.files import ReportError, write_report

    failed: list[ReportError] = []  # one report that cannot be written stops no other
    target = getattr(args, "markdown", None)
    if target == "-":
        sys.stdout.write(markdown.render_markdown(plan, change))
    elif target:
        try:
            write_report(target, markdown.render_markdown(plan, change))
        except ReportError as error:
            failed.append(error)
    if getattr(args, "dotenv", None):
        try:
            dotenv.write_dotenv(args.dotenv, records.run_outputs(plan, change))
        except ReportError as error:
            failed.append(error)
    # workflow commands go to stderr when stdout carries JSON (the runner reads both streams)
    ci.publish(ctx, plan, change, root=root, stream=sys.stderr if getattr(args, "json", False) else sys.stdout)
    if failed:
        raise ReportError("; ".join(str(error) for error in failed))


def planning_progress(args: argparse.Namespace, ctx: Context):
    """``with planning_progress(args, ctx) as progress: make_plan(..., progress=progress)``:
    drawn in place on a terminal, one INFO line per message (``-v``) in CI or when piped."""
    from automator.log import progress

    return progress(ci=ctx.ci, quiet=getattr(args, "quiet", False))
