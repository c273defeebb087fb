"""``automator scan PATH``: report which automated images would change; change nothing."""

from __future__ import annotations

import sys
from dataclasses import replace

from automator.commands._manifests import PLAN_OPTIONS, plan_for
from automator.commands.options import reports
from automator.context import Context
from automator.errors import ExitCode
from automator.report import json as json_report
from automator.report import text as text_report
from automator.report.publish import write_reports
from automator.settings import Settings

DESCRIPTION = """\
Report which automated images would change, and to what, without changing anything.

PATH is a directory (walked, .git skipped) or one manifest file. Automated images are found
in Flux v1 annotations (incl. HelmRelease values), Flux v2 $imagepolicy markers (with the
ImagePolicy/ImageRepository objects under PATH), Kustomization images: and automator.dev/
annotations; see docs/manifests.md and docs/fluxv2.md.
"""
EPILOG = """\
examples:
  automator scan clusters/prod                                # tags from the registries
  automator scan clusters/prod --tags-from tags.yaml          # offline: tags from a file
  automator scan clusters/prod --tags-from tags.yaml --json
  automator scan clusters/prod --strict                       # typo warnings are errors (exit 1)

JSON (--json): {"updates": [{"file", "image", "container", "from", "to", "policy", "reason"}],
"errors": [{"file", "image", "message"}]}; file is relative to the repository root (PATH outside git), image the normalised
repository, from "" for an image without a tag.

exit codes: 0 everything processed (updates or not), 1 some automated file or image could not
be processed (the rest was), 2 invalid arguments or configuration.
"""


OPTIONS = (*PLAN_OPTIONS, reports.group(json_help="print the JSON report instead of a table"))


def run(settings: Settings, ctx: Context) -> int:
    root, plan = plan_for(settings, ctx)
    report = replace(settings.report, dry_run=True)  # scan writes nothing: its updates would change
    write_reports(report, ctx, plan, root=root)
    quiet = settings.log.quiet
    if report.json:
        sys.stdout.write(json_report.render(plan))
        sys.stderr.write(text_report.problems([p for p in plan.problems if p.severity != "error"], errors_only=quiet))
    else:  # stdout is the report's alone when one goes there (--markdown -, --dotenv -)
        (sys.stderr if report.on_stdout else sys.stdout).write(text_report.table(plan))
        sys.stderr.write(text_report.problems(plan.problems, errors_only=quiet))
    return int(ExitCode.PARTIAL if plan.errors else ExitCode.OK)
