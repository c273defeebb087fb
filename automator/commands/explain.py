"""``automator explain PATH``: for each automated image, why it moves or stays."""

from __future__ import annotations

import json
import sys

from automator.commands._manifests import PLAN_OPTIONS, plan_with_rules
from automator.commands.options import reports
from automator.context import Context
from automator.errors import ExitCode, scrub
from automator.report import text as text_report
from automator.settings import Settings

DESCRIPTION = """\
Say for every automated image under PATH why it moves or stays: the policy, how many tags
were considered, and which candidates were excluded and why (not admitted by the policy,
too new for the minimum age, held, a freeze window, a change-size limit, or a promotion
whose soak time is not reached). Changes nothing.
"""
EPILOG = """\
JSON (--json): {"images": [{"file", "line", "image", "container", "workload", "dialect",
"policy", "current", "field", "holds", "verdict": "moves"|"stays"|"error", "to", "reason",
"write", "writes", "considered", "excluded": [{"tag", "reason"}], "excluded_count"}],
"errors": [{"file", "image", "message"}]}: every entry has every field (null, 0 or [] when it
does not apply); errors holds the errors, warnings go to stderr.

examples:
  automator explain envs/production --tags-from tags.yaml
  automator explain envs/ --rules policies/examples/staging-production.yaml --json

exit codes: 0 everything processed, 1 some file or image could not be processed, 2 invalid
arguments or rules.
"""


OPTIONS = (*PLAN_OPTIONS, reports.group(json_help="print JSON instead of text", files=False))


def run(settings: Settings, ctx: Context) -> int:
    from automator.rules.explain import explanations, render_text

    root, plan, rules = plan_with_rules(settings, ctx)
    entries = explanations(plan, rules.decisions, lambda update: rules.write_settings(root, update).mode)
    quiet = settings.log.quiet
    if settings.report.json:
        errors = [{"file": p.file, "image": p.image, "message": scrub(p.message)} for p in plan.errors]
        sys.stdout.write(json.dumps({"images": entries, "errors": errors}, indent=2, ensure_ascii=False) + "\n")
        sys.stderr.write(text_report.problems([p for p in plan.problems if p.severity != "error"], errors_only=quiet))
    else:
        sys.stdout.write(render_text(entries))
        shown = {(e["file"], e["line"]) for e in entries if e["verdict"] == "error"}  # printed once, above
        unshown = [p for p in plan.problems if p.severity != "error" or (p.file, p.line) not in shown]
        sys.stderr.write(text_report.problems(unshown, errors_only=quiet))
    return int(ExitCode.PARTIAL if plan.errors else ExitCode.OK)
