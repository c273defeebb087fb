"""``--argocd-apps DIR``: Argo CD Application and ImageUpdater manifests kept outside PATH ->
:class:`automator.manifest.argocd.tree.ArgoSettings`."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import UsageError
from automator.manifest.argocd.tree import ArgoSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Argo CD Image Updater")
    group.add_argument(
        "--argocd-apps", action="append", default=[], type=Path, metavar="DIR",
        help="also read Argo CD Application and ImageUpdater manifests from DIR (App-of-apps kept in "
        "another repository); repeatable (docs/argocd.md)",
    )


def settings(args: argparse.Namespace, ctx: Context) -> ArgoSettings:
    for directory in args.argocd_apps:
        if not directory.is_dir():
            raise UsageError(f"--argocd-apps {directory}: not a directory")
    return ArgoSettings(apps_dirs=tuple(d.resolve() for d in args.argocd_apps))


GROUP = OptionGroup("argocd", add_arguments, settings)
