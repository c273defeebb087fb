"""Option groups: the command-line options of one concern and the settings value built from them.

An :class:`OptionGroup` adds its arguments to a subcommand's parser and turns the parsed
arguments into one small frozen settings value, validated there with the error messages the
user sees. A command lists its groups in ``OPTIONS``; ``automator/cli.py`` adds them to the
parser, builds every value once (:func:`build_settings`) and calls ``run(settings, ctx)``.
Nothing below ``automator/commands/`` ever sees the ``argparse.Namespace``.

A new option group is one module here (``add_arguments`` + a settings builder + ``GROUP``)
and one row in the ``OPTIONS`` of each command that takes it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable

from automator.context import Context
from automator.frozen import Frozen, set_field
from automator.settings import Settings

AddArguments = Callable[[argparse.ArgumentParser], None]
BuildSettings = Callable[[argparse.Namespace, Context], object]


class OptionGroup(Frozen):
    """``name`` is the attribute of :class:`Settings` that holds the value ``settings`` builds."""

    __slots__ = ("name", "add_arguments", "settings")
    name: str
    add_arguments: AddArguments
    settings: BuildSettings

    def __init__(self, name: str, add_arguments: AddArguments, settings: BuildSettings) -> None:
        set_field(self, "name", name)
        set_field(self, "add_arguments", add_arguments)
        set_field(self, "settings", settings)


def add_groups(parser: argparse.ArgumentParser, groups: Iterable[OptionGroup]) -> None:
    for group in groups:
        group.add_arguments(parser)


def build_settings(groups: Iterable[OptionGroup], args: argparse.Namespace, ctx: Context) -> Settings:
    """Every group's value, built once and validated (a bad value raises a UsageError/ConfigError)."""
    return Settings({group.name: group.settings(args, ctx) for group in groups})



def finite_number(text: str) -> float:
    """An argparse ``type`` for a number of seconds, a timeout or a ratio: ``nan`` and ``inf``
    are refused (a timeout of ``nan`` would never expire), as argparse refuses ``abc``."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value
