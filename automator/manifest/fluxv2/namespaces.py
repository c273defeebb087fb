"""The namespace a ``kustomization.yaml`` gives the objects it lists (pure).

Flux applies a directory through kustomize, whose ``namespace:`` field puts every object the
kustomization lists (under ``resources:``, files or directories with their own kustomization)
in that namespace. So an ImagePolicy without ``metadata.namespace`` in a file that a
kustomization with ``namespace: podinfo`` lists is ``podinfo:<name>``, not ``default:<name>``.
An outer kustomization's namespace wins over an inner one's, as kustomize applies it last.

Only the kustomizations of the file's own directory and of the directories above it are
read; an overlay elsewhere that names the directory as a base is not looked for. When one of
them sets a namespace but the chain of ``resources:`` from the file does not reach it, the
namespace is *unsure*: the object keeps ``default`` but no hint ever suggests that name.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from automator.values import value_type

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # kustomize's order
LISTS = ("resources", "bases")

Kustomization = Mapping[str, Any]
ReadKustomization = Callable[[str], Kustomization | None]  # directory ('' the root) -> its kustomization


@value_type
class AppliedNamespace:
    """What the kustomizations around a file say of its objects' namespace."""

    namespace: str | None = None  # set by a kustomization listing the file (directly or through its directory)
    unsure: bool = False  # a kustomization around the file sets a namespace that could not be tied to it


def ancestors(file: str) -> Iterator[str]:
    """The directories holding ``file``, nearest first, ending with the root ('')."""
    directory = posixpath.dirname(file)
    while True:
        yield directory
        if not directory:
            return
        directory = posixpath.dirname(directory)


def lists(kustomization: Kustomization, directory: str, target: str) -> bool:
    """Whether the kustomization of ``directory`` lists ``target`` (a file or a directory)."""
    for key in LISTS:
        entries = kustomization.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, str) and posixpath.normpath(posixpath.join(directory, entry.strip())) == target:
                return True
    return False


def namespace_of(kustomization: Kustomization) -> str | None:
    value = kustomization.get("namespace")
    return value.strip() if isinstance(value, str) and value.strip() else None


def applied_namespace(file: str, read: ReadKustomization) -> AppliedNamespace:
    """The namespace kustomize gives the objects of ``file`` that do not set one."""
    target, found, around = file, None, False
    for directory in ancestors(file):
        kustomization = read(directory)
        if kustomization is None:
            continue
        if lists(kustomization, directory, target):
            found = namespace_of(kustomization) or found  # the outer kustomization wins
            target = directory or "."
        elif namespace_of(kustomization):
            around = True
    return AppliedNamespace(found, unsure=found is None and around)
