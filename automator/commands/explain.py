"""``automator explain PATH``: for each automated image, why it moves or stays."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from automator.commands._manifests import plan_with_rules
from automator.commands.options import add_rules_options, add_source_options
from automator.context import Context
from automator.errors import ExitCode
from automator.report import text as text_report

DESCRIPTION = """\
Say for every automated image under PATH why it moves or stays: the policy, how many tags
were considered, and which candidates were excluded and why (not admitted by the policy,
too new for the minimum age, held, a freeze window, a change-size limit, or a promotion
whose soak time is not reached). Changes nothing.
"""
EPILOG = """\
JSON (--json): {"images": [{"file", "line", "image", "container", "workload", "dialect",
"policy", "current", "verdict": "moves"|"stays"|"error", "to", "reason", "write",
"considered", "excluded": [{"tag", "reason"}], "excluded_count"}], "errors": [{"file",
"image", "message"}]}

examples:
  automator explain envs/production --tags-from tags.yaml
  automator explain envs/ --rules policies/examples/staging-production.yaml --json

exit codes: 0 everything processed, 1 some file or image could not be processed, 2 invalid
arguments or rules.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", type=Path, help="a directory of manifests or one manifest file")
    add_source_options(parser)
    add_rules_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, ctx: Context) -> int:
    from automator.rules.explain import explanations, render_text

    root, plan, rules = plan_with_rules(args, ctx)
    entries = explanations(plan, rules.decisions, lambda update: rules.write_settings(root, update).mode)
    if args.json:
        errors = [{"file": p.file, "image": p.image, "message": p.message} for p in plan.problems]
        sys.stdout.write(json.dumps({"images": entries, "errors": errors}, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(entries))
        sys.stderr.write(text_report.problems(plan.problems))
    return int(ExitCode.PARTIAL if plan.errors else ExitCode.OK)
