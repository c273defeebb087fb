"""Which ImagePolicies an ImageUpdateAutomation applies, and to which files (pure).

Flux lists the ImagePolicies of the automation's own namespace only, filtered by its
``spec.policySelector`` (a Kubernetes label selector: ``matchLabels`` and ``matchExpressions``
with ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``), and updates the files under its
``spec.update.path``. So when automations in the tree cover a file, a marker there naming a
policy that none of them lists is left alone, as Flux leaves it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from automator.values import value_type


def normalise_path(path: str | None) -> str:
    """``spec.update.path`` relative to the repository root ('' is the root)."""
    cleaned = posixpath.normpath((path or ".").strip().lstrip("/"))
    return "" if cleaned == "." else cleaned


def within(path: str, parent: str) -> bool:
    """Whether ``path`` is ``parent`` or below it ('' holds everything)."""
    return parent == "" or path == parent or path.startswith(parent + "/")


@value_type
class Requirement:
    """One ``matchExpressions`` entry."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        return False  # Kubernetes refuses an unknown operator: the selector selects nothing


@value_type
class AutomationScope:
    """An ImageUpdateAutomation as far as markers are concerned."""

    key: str  # namespace:name
    file: str
    path: str  # spec.update.path, normalised
    match_labels: Mapping[str, str] = field(default_factory=dict)
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def namespace(self) -> str:
        return self.key.partition(":")[0]

    def covers(self, file: str) -> bool:
        return within(file, self.path)

    def selects(self, policy_key: str, labels: Mapping[str, str]) -> bool:
        """Whether Flux would apply the ImagePolicy ``policy_key`` (``namespace:name``) with ``labels``."""
        if policy_key.partition(":")[0] != self.namespace:
            return False
        if any(labels.get(key) != value for key, value in self.match_labels.items()):
            return False
        return all(requirement.matches(labels) for requirement in self.match_expressions)


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _requirements(value: Any) -> tuple[Requirement, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, Mapping):
            listed = item.get("values")
            values = tuple(str(v) for v in listed) if isinstance(listed, list) else ()
            found.append(Requirement(str(item.get("key") or ""), str(item.get("operator") or ""), values))
    return tuple(found)


def scope_of(file: str, namespace: str, name: str, spec: Mapping[str, Any]) -> AutomationScope:
    """The scope of an ImageUpdateAutomation's ``spec``."""
    update = spec.get("update")
    path = update.get("path") if isinstance(update, Mapping) else None
    selector = spec.get("policySelector")
    selector = selector if isinstance(selector, Mapping) else {}
    return AutomationScope(
        key=f"{namespace}:{name}",
        file=file,
        path=normalise_path(path if isinstance(path, str) else None),
        match_labels=_strings(selector.get("matchLabels")),
        match_expressions=_requirements(selector.get("matchExpressions")),
    )


def left_alone_by(scopes: Sequence[AutomationScope], file: str, policy_key: str, labels: Mapping[str, str]) -> str:
    """Why no automation covering ``file`` applies the policy ('' when one does, or none covers it)."""
    covering = [scope for scope in scopes if scope.covers(file)]
    if not covering or any(scope.selects(policy_key, labels) for scope in covering):
        return ""
    names = ", ".join(f"{scope.key} ({scope.file})" for scope in covering)
    plural = "s" if len(covering) > 1 else ""
    verb, their = ("apply", "their") if plural else ("applies", "its")
    return (f"the ImageUpdateAutomation{plural} covering it ({names}) {verb} only the ImagePolicies of "
            f"{their} own namespace that {their} policySelector selects")
