"""The settings of ``automator fleet``: which repositories, which share of them, how many at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from automator.fleet.discover import Discovery
from automator.fleet.shard import ALL, Shard


@dataclass(frozen=True)
class FleetSettings:
    file: Path | None = None
    discovery: Discovery | None = None
    shard: Shard = ALL
    parallel_repos: int = 4
