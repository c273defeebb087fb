"""``--pushed REF`` and ``--event FILE``: an event-driven run -> :class:`EventSettings`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import UsageError
from automator.events.payloads import MAX_EVENT_BYTES, READERS, read_event
from automator.events.pushed import distinct, parse_pushed
from automator.events.settings import EventSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("push events (docs/events.md)")
    group.add_argument(
        "--pushed",
        metavar="REF",
        action="append",
        default=[],
        help="an image that was just pushed, REGISTRY/REPOSITORY:TAG[@sha256:DIGEST]: only its "
        "repository's images are considered, each choosing between its current tag and this one "
        "(semver and other policies without build times list no tags); repeatable",
    )
    group.add_argument(
        "--event",
        metavar="FILE",
        help="read the pushed images from a webhook payload ('-': stdin): a distribution notification, "
        "Harbor, Docker Hub, GitHub registry_package, or {\"image\": ...} / {\"images\": [...]}",
    )
    group.add_argument(
        "--event-source",
        choices=tuple(READERS),
        help="the payload's source (default: recognised by its shape)",
    )


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read(MAX_EVENT_BYTES + 1)
    try:
        with Path(name).open("rb") as handle:
            return handle.read(MAX_EVENT_BYTES + 1)
    except OSError as error:
        raise UsageError(f"--event {name}: cannot read it ({error.strerror})") from None


def settings(args: argparse.Namespace, ctx: Context) -> EventSettings:
    if args.event_source and not args.event:
        raise UsageError("--event-source goes with --event FILE")
    if not args.pushed and not args.event:
        return EventSettings()
    pushed = [parse_pushed(text) for text in args.pushed]
    if args.event:
        try:
            pushed += read_event(_read(args.event), args.event_source)
        except UsageError as error:
            raise UsageError(f"--event {args.event}: {error.message}", hint=error.hint) from None
    return EventSettings(distinct(pushed))


GROUP = OptionGroup("events", add_arguments, settings)
