"""``automator select``: choose one tag from a list by policy, offline (no registry)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import ExitCode, UsageError
from automator.frozen import Frozen, set_field
from automator.policy import make_policy
from automator.settings import Settings
from automator.tags import PolicySpec, TagInfo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

DESCRIPTION = """\
Choose a tag from a list of tags by policy and print it alone on stdout.

Tags come from the TAG arguments or, when there are none, from stdin (one per line; blank
lines are ignored). A stdin line may add the image build time after the tag, separated by
whitespace (ISO 8601, e.g. 2024-05-01T12:00:00Z), for the glob:/regex: policies.

Policies:
  semver:RANGE           highest version in a Masterminds/semver range (as Flux and Argo CD
                         Image Updater): >=1.2 <2, ~1.4, ^2, 1.x, 1.2 - 1.4, >=1 || ^0.9 ...
                         Tags: optional lowercase v, 1-3 numeric parts, -prerelease, +build.
                         Prereleases only through an OR-group with a prerelease comparator
                         (>=1.0.0-0). Equal versions: the lexically greatest tag (1.10.0 over
                         1.10). The tag is printed as listed (v kept).
  alphabetical[:asc|desc]  last (asc, default) or first (desc) tag in character order
  numerical[:asc|desc]   greatest (asc, default) or smallest (desc) number; tags that are not
                         numbers are ignored
  glob:PATTERN           Flux v1: tags matching the glob (only * is special), newest build
  regex:PATTERN          Flux v1: tags the regex is found in (regexp: also works), newest build

Build time (glob:/regex:): tags with a known build time always rank above tags without
one; among equal or unknown build times the lexically greatest tag wins. Without any build
times (plain tag lists) the choice is therefore the lexically greatest matching tag.

--filter/--extract (Flux v2 filterTags) work with every policy: only tags in which the
regex is found take part, and the policy compares the extracted text ($1, $name, ${name})
while the original tag is printed.

Regexes are Go's regexp syntax (RE2, as in Flux and Argo CD), matched in linear time:
[[:digit:]], \\pL, \\z, (?P<name>...) work; lookarounds and backreferences do not exist.

Never downgrade: with --current, a current tag that qualifies and orders at or above the
best candidate is printed instead.

exit codes: 0 a tag was chosen, 1 no tag qualifies, 2 invalid policy or arguments.
"""

EPILOG = """\
examples:
  automator select 'semver:>=1.2.0 <2.0.0' 1.1.0 v1.4.2 1.10 2.0.0 latest    # -> 1.10
  automator select 'semver:^1' 1.9.0 1.10 1.10.0                             # -> 1.10.0
  automator select 'semver:>=1.0.0-0' 1.0.0 1.1.0-rc.1                       # -> 1.1.0-rc.1
  automator select 'semver:>=1.0.0-0' --filter '^(?P<v>[0-9.]+)-rc(?P<n>[0-9]+)$' \\
      --extract '$v-rc.$n' 1.0.0-rc9 1.0.0-rc10                              # -> 1.0.0-rc10
  automator select alphabetical RELEASE.2024-04-30 RELEASE.2024-05-01        # -> ...05-01
  automator select numerical:desc 3 20 100 latest                            # -> 3
  automator select numerical --filter '^main-[a-f0-9]+-(?P<ts>[0-9]+)$' --extract '$ts' \\
      main-3f2a1b-1714550000 main-9c8d7e-1714560000                          # -> main-9c8d7e-...
  automator select 'glob:main-*' main-1 main-2 dev-3                         # -> main-2
  printf 'main-a 2024-05-02T00:00:00Z\\nmain-b 2024-05-01T00:00:00Z\\n' \\
      | automator select 'regex:^main-'                                      # -> main-a
  skopeo list-tags docker://nginx | jq -r '.Tags[]' | automator select 'semver:~1.25' --explain
  automator select 'semver:^1' --current 1.4.0 1.3.9 1.4.0                   # -> 1.4.0 (kept)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policy", metavar="POLICY", help="the tag policy, e.g. 'semver:>=1.2 <2'")
    parser.add_argument("tags", metavar="TAG", nargs="*", default=[], help="candidate tags (default: read stdin)")
    parser.required_hint = "the tags come from TAG arguments or, without any, from stdin (one per line)"  # type: ignore[attr-defined]
    parser.add_argument("--filter", metavar="REGEX", help="only tags in which REGEX is found (Flux v2 filterTags.pattern)")
    parser.add_argument(
        "--extract", metavar="TEMPLATE", help="compare this expansion of the filter's groups: $1, $name, ${name}"
    )
    parser.add_argument("--current", metavar="TAG", help="the tag in use now: kept unless a better tag qualifies")
    parser.add_argument(
        "--explain", action="store_true", help="also print why (the reason and excluded tags) on stderr"
    )


class SelectSettings(Frozen):
    __slots__ = ("policy", "tags", "current", "explain")
    policy: PolicySpec
    tags: tuple[str, ...]
    current: str | None
    explain: bool

    def __init__(self, policy: PolicySpec, tags: tuple[str, ...] = (), current: str | None = None, explain: bool = False) -> None:
        set_field(self, "policy", policy)
        set_field(self, "tags", tags)
        set_field(self, "current", current)
        set_field(self, "explain", explain)


def settings(args: argparse.Namespace, ctx: Context) -> SelectSettings:
    return SelectSettings(
        PolicySpec(args.policy, filter=args.filter, extract=args.extract),
        tuple(args.tags),
        current=args.current,
        explain=args.explain,
    )


OPTIONS = (OptionGroup("select", add_arguments, settings),)
LOGS = False  # the choice goes to stdout, errors and --explain to stderr: nothing is logged


def run(settings: Settings, ctx: Context) -> int:
    wanted = settings.select
    policy = make_policy(wanted.policy)
    if wanted.tags:
        tags = [TagInfo(tag) for tag in wanted.tags]
    else:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no tags given: pass TAG arguments or pipe tags on stdin, one per line")
        tags = read_tag_lines(sys.stdin)
    selection = policy.select(tags, current=wanted.current)
    if wanted.explain:
        print(selection.reason, file=sys.stderr)
        for tag, why in selection.excluded[:20]:
            print(f"  excluded {tag}: {why}", file=sys.stderr)
        if selection.excluded_count > 20:
            print(f"  ... and {selection.excluded_count - 20} more excluded", file=sys.stderr)
    if selection.chosen is None:
        if not wanted.explain:
            print(f"automator select: {selection.reason}", file=sys.stderr)
        return int(ExitCode.PARTIAL)
    print(selection.chosen)
    return int(ExitCode.OK)


def read_tag_lines(lines: Iterable[str]) -> list[TagInfo]:
    """``TAG`` or ``TAG BUILD-TIME`` per line; blank lines skipped; bad lines are usage errors."""
    tags = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) > 2:
            raise UsageError(f"stdin line {number}: expected 'TAG' or 'TAG BUILD-TIME', got {line.strip()!r}")
        created = _parse_time(fields[1], number) if len(fields) == 2 else None
        tags.append(TagInfo(fields[0], created=created))
    return tags


def _parse_time(text: str, number: int) -> datetime:
    from automator.policy.buildtime import (  # loads datetime: only for a time column
        TimeOutOfRange,
        parse_rfc3339,
    )

    try:
        return parse_rfc3339(text)
    except TimeOutOfRange as error:
        raise UsageError(f"stdin line {number}: {error}") from None
    except ValueError:
        raise UsageError(
            f"stdin line {number}: {text!r} is not an ISO 8601 build time (e.g. 2024-05-01T12:00:00Z)"
        ) from None
