"""Which share of the fleet this worker runs: ``--shard I/N`` or the scheduler's index.

Rendezvous (highest random weight) hashing on the repository URL: every worker computes the
same owner for every repository without talking to the others, and adding or removing a
repository moves only that repository's work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from automator.errors import UsageError
from automator.values import value_type

T = TypeVar("T")


@value_type
class Shard:
    index: int  # counted from 0
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


ALL = Shard(0, 1)
MAX_SHARDS = 10_000


def parse_shard(text: str, *, origin: str = "--shard") -> Shard:
    """``I/N`` with ``0 <= I < N``."""
    index, sep, total = text.strip().partition("/")
    if not sep or not index.strip().isdecimal() or not total.strip().isdecimal():
        raise UsageError(f"{origin} {text!r}: expected I/N, for example 0/4 (I counts from 0 to N-1)")
    shard = Shard(_bounded(index), _bounded(total))
    if shard.total > MAX_SHARDS:  # each repository's owner is chosen among all N: N is bounded
        raise UsageError(f"{origin} {text!r}: at most {MAX_SHARDS} shards", hint="run fewer workers; each takes a share of the fleet")
    if shard.total < 1 or not 0 <= shard.index < shard.total:
        raise UsageError(f"{origin} {text!r}: I must be 0 to N-1 and N at least 1")
    return shard


def _bounded(digits: str) -> int:
    """A decimal number, or one past any shard count when it has too many digits to be one
    (Python refuses to read numbers of over 4300 digits, and none of them is a shard)."""
    digits = digits.strip().lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(MAX_SHARDS)) else MAX_SHARDS + 1


def shard_from_scheduler(environ: Mapping[str, str], total: int | None = None) -> Shard | None:
    """The shard a scheduler assigned: a Kubernetes Indexed Job (``JOB_COMPLETION_INDEX``, with
    ``JOB_COMPLETIONS`` or ``total``) or GitLab ``parallel:`` (``CI_NODE_INDEX`` counts from 1)."""
    k8s = environ.get("JOB_COMPLETION_INDEX")
    if k8s:
        count = environ.get("JOB_COMPLETIONS") or (str(total) if total else "")
        if not count:
            raise UsageError(
                "JOB_COMPLETION_INDEX is set but the number of shards is not known",
                hint="set JOB_COMPLETIONS in the Job's env (the Job's spec.completions) or pass --shard I/N",
            )
        return parse_shard(f"{k8s}/{count}", origin="JOB_COMPLETION_INDEX/JOB_COMPLETIONS")
    gitlab, count = environ.get("CI_NODE_INDEX"), environ.get("CI_NODE_TOTAL")
    if gitlab and count:
        if not (gitlab.isdecimal() and count.isdecimal() and 1 <= _bounded(gitlab) <= _bounded(count)):
            raise UsageError(f"CI_NODE_INDEX {gitlab!r} with CI_NODE_TOTAL {count!r}: expected CI_NODE_INDEX from 1 to CI_NODE_TOTAL",
                             hint="as GitLab parallel: sets them, or pass --shard I/N")
        return parse_shard(f"{_bounded(gitlab) - 1}/{count}", origin="CI_NODE_INDEX/CI_NODE_TOTAL (from 1)")
    return None


def _weight(key: str, index: int) -> int:
    digest = hashlib.sha256(f"{index}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def owner(key: str, total: int) -> int:
    """The shard (0 to total-1) that owns ``key``."""
    return max(range(total), key=lambda index: _weight(key, index))


def share(items: Iterable[T], shard: Shard, key=lambda item: str(item)) -> list[T]:
    """The items that ``shard`` owns, in their original order."""
    if shard.total == 1:
        return list(items)
    return [item for item in items if owner(key(item), shard.total) == shard.index]


def split(items: Sequence[T], total: int, key=lambda item: str(item)) -> list[list[T]]:
    """Every shard's share (for reports and tests)."""
    return [share(items, Shard(index, total), key) for index in range(total)]
