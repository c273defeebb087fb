"""Where tags come from: ``--tags-from FILE`` (offline) or the registries -> :class:`SourceSettings`."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import UsageError
from automator.tagsource import SourceSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
        "--cache-url",
        metavar="URL",
        help="also share the registry cache in Redis (redis://HOST:PORT/DB or rediss://; password in the URL "
        "or REDIS_PASSWORD): one tag listing per image repository for every process and machine; "
        "Redis failing is a warning, the run goes on with the disk cache",
    )
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
        "--max-metadata",
        type=int,
        metavar="N",
        help="read the build time of at most N tags per registry in one run (default: 200); images "
        "whose candidates are not all read yet stay, and later runs read the rest (metadata of a "
        "digest is cached for good)",
    )
    group.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="concurrent requests per registry host (default: %(default)s)",
    )
    group.add_argument(
        "--registry-timeout",
        metavar="SECONDS",
        help="total deadline of one registry or token-service exchange (connect, headers, whole body); "
        "retries of a request stop at 3x it (default: $AUTOMATOR_REGISTRY_TIMEOUT, else 30)",
    )
    group.add_argument(
        "--max-tags",
        metavar="N",
        help="a repository with more tags than this is an error, not a choice from a partial list "
        "(default: 100000)",
    )


def cache_dir(args: argparse.Namespace, ctx: Context) -> Path | None:
    """``--cache-dir``, else the default cache directory; None with ``--no-cache``."""
    return None if args.no_cache else (args.cache_dir or ctx.cache_dir)


def registry_timeout(args: argparse.Namespace, ctx: Context) -> float:
    """``--registry-timeout``, else ``AUTOMATOR_REGISTRY_TIMEOUT``, else 30: a positive, finite
    number of seconds (``nan``, ``inf``, 0 and negatives are refused)."""
    value, origin = args.registry_timeout, "--registry-timeout"
    if value is None:
        value, origin = ctx.registry_timeout, "AUTOMATOR_REGISTRY_TIMEOUT"
    if value is None:
        return 30.0
    from automator.registry.settings import MAX_TIMEOUT, positive_seconds

    seconds = positive_seconds(value)
    if seconds is None:
        raise UsageError(f"{origin} must be a positive number of seconds up to {MAX_TIMEOUT:g} (one day), not {value!r}",
                         hint="e.g. --registry-timeout 30")
    return seconds



def max_tags(args: argparse.Namespace) -> int:
    if args.max_tags is None:
        return 100_000
    text = str(args.max_tags).strip().replace("_", "")
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise UsageError(f"--max-tags must be a whole number of at least 1, not {args.max_tags!r}")
    return int(text)


def settings(args: argparse.Namespace, ctx: Context) -> SourceSettings:
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, not {args.concurrency}")
    ctx.cache_ttl  # noqa: B018 -- AUTOMATOR_CACHE_TTL checked here: exit 2 before the run, not an error per image
    return SourceSettings(
        tags_file=args.tags_from,
        cache_dir=cache_dir(args, ctx),
        insecure_registries=tuple(args.insecure_registry),
        platform=args.platform,
        concurrency=args.concurrency,
        cache_url=_cache_url(args.cache_url),
        max_metadata=_max_metadata(args.max_metadata),
        timeout=registry_timeout(args, ctx),
        max_tags=max_tags(args),
    )


def _cache_url(url: str | None) -> str | None:
    if not url:
        return None
    from automator.registry.redis_cache import check_cache_url

    return check_cache_url(url)


GROUP = OptionGroup("source", add_arguments, settings)


def _max_metadata(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise UsageError(f"--max-metadata {value}: must be at least 1")
    return value
