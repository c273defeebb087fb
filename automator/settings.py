"""The settings of one command run: one frozen value per option group, built once at the edge.

``automator/commands/`` turns the command line into these values (validated there, see
``automator/commands/options/``); everything below takes the values, never an
``argparse.Namespace``. Each value type lives beside the code that consumes it
(``SourceSettings`` in :mod:`automator.tagsource`, ``WriteOptions`` in
:mod:`automator.git.writer`, ``PullRequestSettings`` in :mod:`automator.forge.settings`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Settings:
    """The settings values of one command run, one read-only attribute per option group.

    ``Settings(source=SourceSettings(...), write=WriteOptions(...))``; ``settings.source``.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] = (), /, **named: Any) -> None:
        object.__setattr__(self, "_values", {**dict(values), **named})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no settings named {name!r} (known: {', '.join(self._values)})") from None

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"settings are frozen: cannot set {name!r}")

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values replaced (the original is unchanged)."""
        return Settings(self._values, **changes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and other._values == self._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values)))

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"
