"""A plugin table: name -> object, each written ``module:attribute`` and imported when first
asked for, so a run loads only the plugins it uses (``semver`` never pays for ``numerical``'s
``decimal``; a run without ``--pr`` never imports PyGithub or python-gitlab)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

TYPE_CHECKING = False  # `typing` stays unloaded at run time: `automator select` never needs it
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")
else:
    T = "T"  # Mapping[str, "T"] is a plain generic alias at run time


class LazyTable(Mapping[str, T]):
    def __init__(self, paths: Mapping[str, str]) -> None:
        self.paths: dict[str, str] = dict(paths)

    def __getitem__(self, name: str) -> T:
        module, _, attribute = self.paths[name].partition(":")
        return getattr(import_module(module), attribute)

    def __contains__(self, name: object) -> bool:  # Mapping's would import the plugin
        return name in self.paths

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)
