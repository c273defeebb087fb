"""The JSON report of ``scan``/``update``:

``{"updates": [{"file", "image", "container", "from", "to", "policy", "reason"}],
"errors": [{"file", "image", "message"}]}`` — ``image`` is the normalised repository and
``from`` is ``""`` for an image written without a tag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from automator.model import Plan, PolicySpec, Problem


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
