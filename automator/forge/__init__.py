"""Pull requests on GitHub and merge requests on GitLab: one per change set, always current.

``FORGES`` maps a forge name to its implementation of :class:`automator.forge.base.Forge`;
``ensure_pull_requests`` is the verb the ``run`` command uses (see ``automator.forge.cli``).
"""

from __future__ import annotations

from automator.forge.base import Forge, PullRequest
from automator.forge.ensure import Outcome, Settings, ensure_pull_request, ensure_pull_requests
from automator.forge.github import GitHubForge
from automator.forge.gitlab import GitLabForge

FORGES: dict[str, type] = {"github": GitHubForge, "gitlab": GitLabForge}

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
]
