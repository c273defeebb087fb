"""Pull requests on GitHub and merge requests on GitLab: one per change set, always current.

``FORGES`` maps a forge name to the import path of its :class:`automator.forge.base.Forge`
implementation (``forge_class`` loads it), so that ``automator run`` without ``--pr`` never
imports PyGithub or python-gitlab. ``ensure_pull_requests`` is the verb; the ``run`` command
reaches it through the pull-request strategy, :mod:`automator.writeback.pull_requests`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from automator.forge.base import Forge, PullRequest
from automator.forge.ensure import Outcome, Settings, ensure_pull_request, ensure_pull_requests

FORGES: dict[str, str] = {
    "github": "automator.forge.github:GitHubForge",
    "gitlab": "automator.forge.gitlab:GitLabForge",
}


def forge_class(kind: str) -> type:
    module, _, name = FORGES[kind].partition(":")
    return getattr(import_module(module), name)


def __getattr__(name: str) -> Any:
    for path in FORGES.values():
        if path.endswith(f":{name}"):
            return forge_class(next(k for k, v in FORGES.items() if v == path))
    raise AttributeError(name)


__all__ = [
    "FORGES",
    "Forge",
    "GitHubForge",
    "GitLabForge",
    "Outcome",
    "PullRequest",
    "Settings",
    "ensure_pull_request",
    "ensure_pull_requests",
    "forge_class",
]
