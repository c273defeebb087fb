"""A plan as plain records: the shared data behind JSON outputs, dotenv and step outputs.

One record per update with stable keys (``file``, ``line``, ``image``, ``container``,
``from``, ``to``, ``policy``, ``reason``); one per problem (``severity``, ``file``, ``line``,
``image``, ``message``). Every string is scrubbed of secrets.
"""

from __future__ import annotations

import json
from typing import Any

from automator.errors import scrub
from automator.model import Change, Plan, Problem, Update
from automator.report.json import policy_text


def update_record(update: Update) -> dict[str, Any]:
    use = update.use
    return {
        "file": use.file,
        "line": use.line,
        "image": use.image.written_name,
        "repository": use.image.repository,
        "container": use.container,
        "from": update.from_tag,
        "to": update.to_tag,
        "policy": policy_text(use.policy),
        "reason": scrub(update.reason),
    }


def problem_record(problem: Problem) -> dict[str, Any]:
    return {
        "severity": problem.severity,
        "file": problem.file,
        "line": problem.line,
        "image": problem.image,
        "message": scrub(problem.message),
    }


def run_outputs(plan: Plan, change: Change | None = None) -> dict[str, str]:
    """The step outputs of a run (names as in ``action.yml``), all strings, single JSON lines."""
    updates = [update_record(u) for u in plan.updates]
    return {
        "updated": str(len(updates)),
        "updates": json.dumps(updates, separators=(",", ":"), sort_keys=True),
        "problems": str(len(plan.problems)),
        "commit": (change.commit or "") if change else "",
        "branch": (change.branch or "") if change else "",
        "pr-url": (change.pr_url or "") if change else "",
    }
