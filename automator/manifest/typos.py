"""Typos in automation: warnings with file:line and the closest valid name (pure).

* an annotation that names no container of its workload (``fluxcd.io/tag.podnifo`` on a
  workload whose container is ``podinfo``, ``automator.dev/policy.ap``);
* an ``automator.dev/`` key this tool does not know (``automator.dev/polcy``);
* a Flux v2 marker that names no ImagePolicy (reported by the Flux v2 dialect with
  :func:`did_you_mean`).

They are warnings (a typo never changes the exit code by itself); ``--strict`` and
``automator validate`` make exactly these errors (:func:`strict`). Each carries a ``code``
from :data:`STRICT_CODES` so nothing else (a slow registry, a cache) is ever promoted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import replace

from automator.model import Problem

TYPO = "typo"  # a name that matches nothing it should (a container, an ImagePolicy)
UNKNOWN_KEY = "unknown-key"  # an automator.dev/ key this tool does not know
UNRESOLVED_MARKER = "unresolved-marker"  # a $imagepolicy marker naming no ImagePolicy
STRICT_CODES = frozenset({TYPO, UNKNOWN_KEY, UNRESOLVED_MARKER})

NATIVE_PREFIX = "automator.dev/"
# automator.dev/<key> and automator.dev/<key>.<container>
NATIVE_PLAIN = ("policy", "filter", "extract", "locked", "hold", "soak")
NATIVE_PER_CONTAINER = ("policy", "filter", "extract", "skip", "image", "repository", "tag", "registry", "follow", "hold", "soak")
# keys with a container part that may name a container not in the pod spec: they define one
NATIVE_DEFINING = ("image", "repository", "tag", "registry")


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest candidate, or ``""`` when none is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def unknown_container(file: str, line: int, key: str, container: str, workload: str, containers: Sequence[str], effect: str) -> Problem:
    known = ", ".join(sorted(set(containers))) or "none"
    return Problem(
        f"{file}:{line}: annotation {key} names no container of {workload} (its containers: {known})"
        f"{did_you_mean(container, containers)}; {effect}",
        file=file,
        line=line,
        severity="warning",
        code=TYPO,
    )


def native_key_problem(file: str, line: int, key: str, workload: str, containers: Sequence[str]) -> Problem | None:
    """A warning for an ``automator.dev/`` key that is unknown or names no container, else None."""
    rest = key[len(NATIVE_PREFIX) :]
    head, dot, container = rest.partition(".")
    if not dot:
        if head in NATIVE_PLAIN:
            return None
        return _unknown_key(file, line, key, [NATIVE_PREFIX + k for k in NATIVE_PLAIN])
    if head not in NATIVE_PER_CONTAINER:
        return _unknown_key(file, line, key, [f"{NATIVE_PREFIX}{k}.{container}" for k in NATIVE_PER_CONTAINER])
    if head in NATIVE_DEFINING or container in containers:
        return None
    return unknown_container(file, line, key, container, workload, containers, "it has no effect")


def _unknown_key(file: str, line: int, key: str, valid: Sequence[str]) -> Problem:
    return Problem(
        f"{file}:{line}: unknown annotation {key}{did_you_mean(key, valid)}; it has no effect "
        "(docs/manifests.md lists the automator.dev/ annotations)",
        file=file,
        line=line,
        severity="warning",
        code=UNKNOWN_KEY,
    )


def strict(problems: Iterable[Problem]) -> list[Problem]:
    """The problems with every typo warning made an error (``--strict``, ``validate``)."""
    return [replace(p, severity="error") if p.code in STRICT_CODES and p.severity == "warning" else p for p in problems]
