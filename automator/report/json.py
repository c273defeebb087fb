"""The JSON report of ``scan``/``update``:

``{"updates": [{"file", "image", "container", "from", "to", "policy", "reason"}],
"errors": [{"file", "image", "message"}]}`` — ``image`` is the normalised repository and
``from`` is ``""`` for an image written without a tag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from automator.model import Plan, PolicySpec, Problem
from automator.result import Committed, Preview, PullRequests, RunResult

if TYPE_CHECKING:
    from automator.forge.ensure import Outcome as RequestOutcome


def policy_text(spec: PolicySpec) -> str:
    text = spec.spec
    if spec.filter:
        text += f" filter={spec.filter}"
    if spec.extract:
        text += f" extract={spec.extract}"
    return text


def plan_dict(plan: Plan, extra_errors: Sequence[Problem] = ()) -> dict:
    return {
        "updates": [
            {
                "file": u.use.file,
                "image": u.use.image.repository,
                "container": u.use.container,
                "from": u.from_tag,
                "to": u.to_tag,
                "policy": policy_text(u.use.policy),
                "reason": u.reason,
            }
            for u in plan.updates
        ],
        "errors": [
            {"file": p.file, "image": p.image, "message": p.message}
            for p in (*plan.errors, *(e for e in extra_errors if e.severity == "error"))
        ],
    }


def render(plan: Plan, extra_errors: Sequence[Problem] = ()) -> str:
    return json.dumps(plan_dict(plan, extra_errors), indent=2, ensure_ascii=False) + "\n"


# --- the result of a run ----------------------------------------------------------------------


def request_dict(request: RequestOutcome) -> dict[str, Any]:
    return {
        "action": request.action,
        "branch": request.branch,
        "number": request.pr.number if request.pr else None,
        "url": request.pr.url if request.pr else None,
        "commit": request.commit,
        "warnings": list(request.warnings),
        "error": request.error,
    }


def preview_fields(outcome: Preview) -> dict[str, Any]:
    """``message``: of the updates that would be committed; ``pull_request_updates``: those that
    would go to pull requests, each with ``write_reason``."""
    routed = [
        {"file": u.use.file, "image": u.use.image.repository, "from": u.from_tag, "to": u.to_tag, "write_reason": reason}
        for u, reason in outcome.to_pull_requests
    ]
    return {"dry_run": True, "message": outcome.message, "pull_request_updates": routed}


def committed_fields(outcome: Committed) -> dict[str, Any]:
    change = outcome.change
    return {
        "commit": change.commit if change else None,
        "branch": change.branch if change else None,
        "pushed": outcome.pushed,
        "attempts": change.attempts if change else 0,
        "replans": outcome.replans,
        "files": list(outcome.files),
    }


def pull_requests_fields(outcome: PullRequests) -> dict[str, Any]:
    return {"pull_requests": [request_dict(r) for r in outcome.requests]}


FIELDS = {Preview: preview_fields, Committed: committed_fields, PullRequests: pull_requests_fields}


def result_document(result: RunResult) -> dict[str, Any]:
    """The JSON report of ``automator run``: the updates written (committed, in pull requests or
    previewed), the errors, and each write strategy's fields."""
    document = plan_dict(Plan(result.written, result.problems))
    for outcome in result.outcomes:
        document.update(FIELDS[type(outcome)](outcome))
    return document


def failure_document(message: str, exit_code: int) -> dict[str, Any]:
    """The JSON report of a run that failed before it had a result (a push refused, a clone
    that failed): no updates, the error, the exit code."""
    return {**plan_dict(Plan(problems=(Problem(message),))), "exit_code": exit_code}


def render_result(result: RunResult) -> str:
    return json.dumps(result_document(result), indent=2, ensure_ascii=False) + "\n"
