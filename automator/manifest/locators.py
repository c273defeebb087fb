"""The table of dialects. A further dialect is one more entry here (see ``locate.Locator``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from automator.manifest import locate
from automator.manifest.argocd.locate import ArgoLocator
from automator.manifest.fluxv1 import FluxV1Locator
from automator.manifest.fluxv2.locate import FluxV2Locator, KustomizeImagesLocator
from automator.manifest.locate import Located, Locator
from automator.manifest.native import NativeLocator

LOCATORS: dict[str, Locator] = {
    "fluxv1": FluxV1Locator(),
    "native": NativeLocator(),
    "fluxv2": FluxV2Locator(),
    "kustomize": KustomizeImagesLocator(),
    "argocd": ArgoLocator(),  # bound to the tree's Applications by make_plan (argocd.tree)
}


def locate_text(file: str, text: str, locators: Mapping[str, Locator] = LOCATORS) -> Located:
    """:func:`automator.manifest.locate.locate_text` with the table of dialects as default."""
    return locate.locate_text(file, text, locators)


def resolve(located: Sequence[Located], locators: Mapping[str, Locator] = LOCATORS):
    """:func:`automator.manifest.locate.resolve` with the table of dialects as default."""
    return locate.resolve(located, locators)
