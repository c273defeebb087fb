"""Command-line entry point: one table of subcommands, one error handler.

Each subcommand lives in ``automator/commands/<name>.py`` and exposes ``OPTIONS`` (its option
groups, see :mod:`automator.commands.options`) and ``run(settings, ctx) -> int``. The arguments
are parsed here and turned into frozen settings values once, validated, before the command
runs; nothing below ``automator/commands/`` sees them. Only the module of the command being
run is imported, so ``automator select`` never pays for the git or forge libraries.

A new command is one module in ``automator/commands/`` and one row in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from automator import __version__
from automator.commands.options import OptionGroup, add_groups, build_settings
from automator.commands.options import logging as logging_options
from automator.context import Context, terminal_columns
from automator.errors import AutomatorError, ExitCode, one_line, scrub
from automator.log import LogSettings

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "select": ("automator.commands.select", "choose a tag from a list of tags by policy"),
    "scan": ("automator.commands.scan", "report which automated images would change (changes nothing)"),
    "update": ("automator.commands.update", "patch the manifests in place (or show the diff with --dry-run)"),
    "run": ("automator.commands.run", "update, commit and push (or open a pull/merge request)"),
    "explain": ("automator.commands.explain", "say for every automated image why it moves or stays"),
    "serve": ("automator.commands.serve", "receive registry push events over HTTP and run for them (a webhook receiver)"),
    "fleet": ("automator.commands.fleet", "run every environment repository of a fleet file, or this worker's share"),
    "validate": ("automator.commands.validate", "check the manifests and rules as the tool reads them (no registry)"),
    "health": ("automator.commands.health", "exit 0 when the health file of a scheduled run is fresh (a liveness probe)"),
    "recover": ("automator.commands.recover", "show (or --apply) what recovery does after an interrupted run"),
}

DESCRIPTION = """\
Keeps a GitOps environment repository on the newest allowed image tags.

It finds the automated images in your manifests (Flux v1 annotations, Flux v2 $imagepolicy
markers, Kustomization images:, HelmRelease values, or automator.dev/ annotations), lists the
tags in the registries, chooses per policy, patches only the bytes of the image values and
writes back with one commit or a pull/merge request.

exit codes: 0 done (with or without updates), 1 some file/image/registry failed (the rest was
done) or no tag qualified, 2 invalid arguments/policy/configuration, 3 write-back failed,
70 internal error (a bug; reported with a scrubbed traceback), 130 interrupted.
"""


class _TerminalWidth:
    """argparse's width (the terminal's columns, ``$COLUMNS`` first, less 2) read without
    loading ``shutil``, which ``HelpFormatter`` imports for it and every parser builds one."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, terminal_columns() - 2 if width is None else width)  # type: ignore[call-arg]


class HelpFormatter(_TerminalWidth, argparse.HelpFormatter):
    pass


class RawDescriptionHelpFormatter(_TerminalWidth, argparse.RawDescriptionHelpFormatter):
    pass


class _SubcommandParser(argparse.ArgumentParser):
    """A subcommand parser that lets options and positionals mix, e.g.
    ``automator select POLICY --explain TAG TAG`` (plain argparse stops at the option).

    Options are never abbreviated (``--ever`` is not ``--every``): whatever reads a command
    line afterwards, such as the container's health check, sees each option by its full name.
    """

    _plain = False
    # said after "the following arguments are required: ..." (a command's add_arguments sets it)
    required_hint = ""

    def __init__(self, *args, formatter_class: type = HelpFormatter, allow_abbrev: bool = False, **kwargs) -> None:
        super().__init__(*args, formatter_class=formatter_class, allow_abbrev=allow_abbrev, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        if self.required_hint and message.startswith("the following arguments are required"):
            message = f"{message}; {self.required_hint}"
        super().error(message)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._plain:
            return super().parse_known_args(args, namespace)
        if args is not None and not any(arg.startswith(tuple(self.prefix_chars)) for arg in args):
            # no option to mix in: the plain parse reads the same, without formatting the usage
            # text up front as the intermixed one does
            namespace, extras = super().parse_known_args(args, namespace)
        else:
            self._plain = True  # the intermixed parse calls back into the plain one
            try:
                namespace, extras = self.parse_known_intermixed_args(args, namespace)
            except TypeError:  # a subcommand using argparse.REMAINDER cannot intermix
                namespace, extras = super().parse_known_args(args, namespace)
            finally:
                self._plain = False
        if extras:  # this command's usage, not the top level's, and the option probably meant
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._suggestion(extras)}")
        return namespace, extras

    def _suggestion(self, extras: Sequence[str]) -> str:
        import difflib

        options = [o for o in self._option_string_actions if o.startswith("--")]
        for token in extras:
            if token.startswith("--"):
                close = difflib.get_close_matches(token.split("=", 1)[0], options, n=1, cutoff=0.75)
                if close:
                    return f"; did you mean {close[0]}?"
        return ""


def _command_named_in(argv: Sequence[str]) -> str | None:
    for token in argv:
        if token in COMMANDS:
            return token
        if not token.startswith("-"):
            return None
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automator",
        description=DESCRIPTION,
        formatter_class=RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubcommandParser)
    chosen = _command_named_in(argv)
    # With the command first, no message of the top-level parser can show the other commands
    # (``automator -h select`` names them, so they are built whenever something comes first).
    alone = bool(argv) and argv[0] == chosen
    for name, (module_name, help_text) in COMMANDS.items():
        if name != chosen:
            if not alone:
                subparsers.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=getattr(module, "DESCRIPTION", help_text),
            epilog=getattr(module, "EPILOG", None),
            formatter_class=RawDescriptionHelpFormatter,
        )
        groups = option_groups(module)
        add_groups(sub, groups)
        # a command that logs nothing says LOGS = False: logging is then neither set up nor loaded
        sub.set_defaults(handler=module.run, option_groups=groups, logs=getattr(module, "LOGS", True))
    return parser


def option_groups(module: object) -> tuple[OptionGroup, ...]:
    """The option groups of a command: logging (every command has it), then the command's own."""
    return (logging_options.GROUP, *getattr(module, "OPTIONS", ()))


def configure_logging(settings: LogSettings) -> None:
    from automator.log import configure

    configure(settings.verbose, settings.quiet)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    installed = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if installed:
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # a signal that arrived outside the command itself
        return int(ExitCode.INTERRUPTED)
    finally:
        if installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _main(argv: list[str]) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr if args.command is None and argv else sys.stdout)
        return ExitCode.USAGE if argv else ExitCode.OK
    ctx = Context.from_environ()
    try:
        settings = build_settings(args.option_groups, args, ctx)
        if args.logs:
            configure_logging(settings.log)
        return int(args.handler(settings, ctx))
    except AutomatorError as error:
        print(f"automator {args.command}: error: {one_line(str(error))}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print(f"automator {args.command}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as error:  # a bug: say so, with a traceback that holds no secret
        print(crash_report(args.command, error), file=sys.stderr)
        return int(ExitCode.INTERNAL)


def crash_report(command: str, error: BaseException) -> str:
    """An unexpected error as the user sees it: scrubbed of secrets like every other message."""
    import traceback

    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return scrub(
        f"{trace}automator {command}: internal error: {type(error).__name__}: {error}\n"
        "This is a bug in Deployment Automator; please report it with the lines above "
        "(they are scrubbed of tokens and passwords). Nothing was left half-written: "
        "files are replaced atomically and git writes are undone on failure."
    )
