"""Where and how the commit goes: ``--remote``, ``--branch``, ``--no-push``, retries, message,
author -> :class:`automator.git.writer.WriteOptions` (validated here)."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import OptionGroup, finite_number
from automator.context import Context
from automator.errors import UsageError
from automator.git.backoff import RetryPolicy
from automator.git.identity import DEFAULT_AUTHOR, parse_identity
from automator.git.message import check_template
from automator.git.writer import WriteOptions


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("push")
    group.add_argument("--remote", metavar="R", help="remote to push to (default: the upstream of the current branch)")
    group.add_argument("--branch", metavar="B", help="branch to push to: a branch per environment (default: the upstream branch)")
    group.add_argument("--no-push", action="store_true", help="commit on the current branch, do not push")
    group.add_argument("--max-attempts", type=int, default=RetryPolicy.max_attempts, metavar="N", help="give up after N pushes (default: %(default)s)")
    group.add_argument("--retry-timeout", type=finite_number, default=RetryPolicy.max_seconds, metavar="SECONDS", help="give up retrying after this long (default: %(default)s)")


def add_commit_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("commit")
    group.add_argument("--message-template", metavar="T", help="commit message template, or @FILE to read it from a file (placeholders below)")
    group.add_argument("--author", metavar='"NAME <EMAIL>"', help=f"commit author (default: {DEFAULT_AUTHOR}); the committer is git's user.name/user.email, or the author when unset")


def message_template(text: str | None) -> str | None:
    """``--message-template``: the text, or the contents of ``@FILE``; checked for placeholders."""
    template = text
    if template and template.startswith("@"):
        try:
            template = Path(template[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read the message template {template[1:]}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise UsageError(f"the message template {text[1:]} is not UTF-8 text (byte {error.start})", hint="save it as UTF-8") from None
    if template and "\x00" in template:
        raise UsageError("the message template holds a NUL character, which git cannot store in a commit message")
    if template:
        check_template(template)
    return template


def settings(args: argparse.Namespace, ctx: Context) -> WriteOptions:
    template = message_template(args.message_template)
    if args.max_attempts < 1 or args.retry_timeout <= 0:
        raise UsageError("--max-attempts must be at least 1 and --retry-timeout positive")
    return WriteOptions(
        remote=args.remote,
        branch=args.branch,
        push=not args.no_push,
        message_template=template,
        author=parse_identity(args.author) if args.author else DEFAULT_AUTHOR,
        retry=RetryPolicy(max_attempts=args.max_attempts, max_seconds=args.retry_timeout),
        own_files=own_files(args, ctx),
    )


def own_files(args: argparse.Namespace, ctx: Context) -> tuple[Path, ...]:
    """What the run writes into the checkout itself: report files, health file, registry cache."""
    from automator.commands.options.source import cache_dir

    written = [getattr(args, "markdown", None), getattr(args, "dotenv", None), getattr(args, "health_file", None)]
    if hasattr(args, "no_cache"):
        written.append(cache_dir(args, ctx))
    return tuple(Path(path) for path in written if path and str(path) != "-")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_push_arguments(parser)
    add_commit_arguments(parser)


GROUP = OptionGroup("write", add_arguments, settings)
