"""``automator validate PATH``: check everything the tool reads, without any registry access."""

from __future__ import annotations

import json
import sys

from automator.commands._manifests import root_of
from automator.commands.options import OptionGroup, paths, reports, rules
from automator.context import Context
from automator.errors import ExitCode
from automator.manifest.discover import check_scan_path
from automator.report import text as text_report
from automator.rules.settings import RulesSettings
from automator.settings import Settings
from automator.validate import Validation, validate

DESCRIPTION = """\
Check the manifests under PATH as the tool reads them, without contacting any registry.

Checked: annotations and the containers they name, policies (parsed), $imagepolicy markers
resolved to the ImagePolicy/ImageRepository objects of the whole repository, the rules file
against its schema, duplicate keys, SOPS-encrypted files, aliases, and files that carry
automation but do not parse. Strict by design: a typo (an annotation naming no container, an
unknown automator.dev/ key, a marker naming no ImagePolicy) is an error here. Meant for pull
requests to the environment repository (docs/ci.md).
"""
EPILOG = """\
examples:
  automator validate .                                 # the whole repository
  automator validate clusters/prod                     # one environment
  automator validate clusters/prod --json              # for tools
  automator validate . --rules ci/strict-rules.yaml    # with a rules file from elsewhere

-v lists every automated image with where it is configured (an Argo CD image: its alias and
Application).

JSON (--json): {"valid": bool, "path", "images": [{"file", "line", "container", "workload", "image",
"policy", "dialect"}], "problems": [{"file", "line", "severity", "code", "message"}]}; file is
relative to the repository root.

exit codes: 0 clean (warnings allowed), 1 problems found (each printed with file:line),
2 invalid arguments (PATH missing, outside the repository, or holding no YAML).
"""

# the rules file only: validate keeps no first-seen times and has no registry cache
RULES_FILE = OptionGroup(
    "rules", rules.add_arguments, lambda args, ctx: RulesSettings(file=args.rules, cache_dir=None)
)
OPTIONS = (paths.GROUP, RULES_FILE, reports.group(json_help="print the result as JSON", files=False))


def document(result: Validation) -> dict:
    return {
        "valid": result.ok,
        "path": result.path,
        "images": [
            {"file": u.file, "line": u.line, "container": u.container, "workload": u.workload,
             "image": u.image.repository, "policy": u.policy.spec, "dialect": u.dialect}
            for u in result.uses
        ],
        "problems": [
            {"file": p.file, "line": p.line, "severity": p.severity, "code": p.code or None, "message": p.message}
            for p in result.problems
        ],
    }


def image_lines(images: list[dict]) -> str:
    """``-v``: one line per automated image, with where it is configured (an Argo CD image names
    its alias and Application)."""
    from automator.rules.explain import origin

    return "".join(f"{i['file']}:{i['line']}  {i['image']}  {i['policy']}  ({origin(i)}, {i['dialect']})\n" for i in images)


def summary(result: Validation) -> str:
    images = f"{len(result.uses)} automated image{'s' if len(result.uses) != 1 else ''}"
    if result.ok:
        return f"{result.path}: valid ({images})\n"
    count = len(result.errors)
    return f"{result.path}: {count} problem{'s' if count != 1 else ''} ({images})\n"


def run(settings: Settings, ctx: Context) -> int:
    root = root_of(settings.path)
    path = check_scan_path(settings.path, root)
    result = validate(root, path, rules_file=settings.rules.file)
    if settings.report.json:
        sys.stdout.write(json.dumps(document(result), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(text_report.problems(result.problems))
        if settings.log.verbose:
            sys.stdout.write(image_lines(document(result)["images"]))
        sys.stdout.write(summary(result))
    return int(ExitCode.OK if result.ok else ExitCode.PARTIAL)
