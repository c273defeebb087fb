"""The settings of ``automator fleet``: which repositories, which share of them, how many at once."""

from __future__ import annotations

from pathlib import Path

from automator.fleet.discover import Discovery
from automator.fleet.shard import ALL, Shard
from automator.values import value_type


@value_type
class FleetSettings:
    file: Path | None = None
    discovery: Discovery | None = None
    shard: Shard = ALL
    parallel_repos: int = 4
    list_only: bool = False  # --list: print this shard's repositories, run none
    only: tuple[str, ...] = ()  # --only GLOB: the repositories whose name matches, else all


@value_type
class FleetReports:
    """Where ``automator fleet`` reports: ``--json`` on stdout, ``--markdown FILE`` ('-':
    stdout), ``--dotenv FILE`` (a GitLab dotenv report)."""

    json: bool = False
    markdown: str | None = None
    dotenv: str | None = None
