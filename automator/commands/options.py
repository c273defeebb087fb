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
