"""The table of dialects. A further dialect is one more entry here (see ``locate.Locator``)."""

from __future__ import annotations

from automator.manifest.fluxv1 import FluxV1Locator
from automator.manifest.fluxv2.locate import FluxV2Locator, KustomizeImagesLocator
from automator.manifest.locate import Locator
from automator.manifest.native import NativeLocator

LOCATORS: dict[str, Locator] = {
    "fluxv1": FluxV1Locator(),
    "native": NativeLocator(),
    "fluxv2": FluxV2Locator(),
    "kustomize": KustomizeImagesLocator(),
}
