"""The one table of policy kinds and the validating factory.

A policy is written ``KIND`` or ``KIND:ARGUMENT``:

=====================  ==========================================================
``semver:<range>``     highest version in a Masterminds/semver range
``alphabetical[:o]``   last (``asc``, default) or first (``desc``) by characters
``numerical[:o]``      greatest (``asc``, default) or smallest (``desc``) number
``glob:<pattern>``     newest build among tags matching a ``*`` glob (Flux v1)
``regex:<pattern>``    newest build among tags the pattern is found in (Flux v1);
                       ``regexp:`` is the same
=====================  ==========================================================

``PolicySpec.filter`` (a regex searched in the tag) and ``PolicySpec.extract`` (a template
over its groups) work with every kind, as Flux v2 ``filterTags``. Regexes are Go's (RE2, see
:mod:`automator.policy.pattern`); policy text is trimmed only of what Go's ``\\s`` matches (space, tab, CR, LF, FF).
"""

from __future__ import annotations

from automator.errors import PolicyError
from automator.plugins import LazyTable
from automator.policy.base import Policy
from automator.policy.constraint_scan import GO_SPACE
from automator.policy.pattern import (
    GoRegex,
    PatternSyntaxError,
    Template,
    compile_go_regex,
    parse_template,
)
from automator.tags import PolicySpec

# Kind -> policy class, imported when a run first uses the kind.
POLICIES: LazyTable[type[Policy]] = LazyTable({
    "semver": "automator.policy.semver:SemverPolicy",
    "alphabetical": "automator.policy.alphabetical:AlphabeticalPolicy",
    "numerical": "automator.policy.numerical:NumericalPolicy",
    "glob": "automator.policy.glob:GlobPolicy",
    "regex": "automator.policy.regex:RegexPolicy",
    "regexp": "automator.policy.regex:RegexPolicy",
})
# an ImagePolicy (PolicySpec.strict_versions) reads tags as Flux does
STRICT_POLICIES: LazyTable[type[Policy]] = LazyTable({"semver": "automator.policy.fluxsemver:FluxSemverPolicy"})

_NEEDS_ARGUMENT = {"semver": "semver:>=1.0.0 <2.0.0", "glob": "glob:main-*", "regex": "regex:^v[0-9]+$", "regexp": "regexp:^v[0-9]+$"}
_EXAMPLES = "semver:~1.4, alphabetical:asc, numerical:desc, glob:main-*, regex:^v[0-9]+$"


def _fail(spec: PolicySpec, message: str) -> PolicyError:
    return PolicyError(f"policy {spec.spec!r}: {message}", source=spec.source, line=spec.line)


def make_policy(spec: PolicySpec) -> Policy:
    """Build the policy a spec describes, or raise :class:`PolicyError` saying what is wrong.

    The message names the policy text, the part at fault and, when the spec carries them,
    the file and line it came from.
    """
    kind, sep, argument = spec.spec.partition(":")
    kind = kind.strip(GO_SPACE)
    if kind not in POLICIES:
        hint = f"known kinds: {', '.join(POLICIES)} (e.g. {_EXAMPLES})"
        if kind.lower() in POLICIES:
            hint = f"kinds are lowercase: {kind.lower()}{sep}{argument}"
        raise _fail(spec, f"unknown policy kind {kind!r}; {hint}")
    if kind in _NEEDS_ARGUMENT and not argument.strip(GO_SPACE):
        raise _fail(spec, f"{kind} needs an argument after the colon, e.g. {_NEEDS_ARGUMENT[kind]}")
    cls = STRICT_POLICIES[kind] if spec.strict_versions and kind in STRICT_POLICIES else POLICIES[kind]
    filter_regex, template = _filter_and_template(spec)
    for pattern in spec.exclude:
        try:
            compile_go_regex(pattern)
        except PatternSyntaxError as error:
            raise _fail(spec, f"invalid exclusion regex {pattern!r}: {error}") from None
    try:
        return cls(spec, argument.strip(GO_SPACE) if kind != "glob" else argument, filter_regex, template)
    except PatternSyntaxError as error:
        raise _fail(spec, f"invalid regular expression {argument.strip(GO_SPACE)!r}: {error}") from None
    except ValueError as error:  # includes ConstraintSyntaxError
        what = "invalid semver constraint" if kind == "semver" else "invalid argument"
        raise _fail(spec, f"{what} {argument!r}: {error}") from None


def _filter_and_template(spec: PolicySpec) -> tuple[GoRegex | None, Template | None]:
    if spec.filter is None:
        if spec.extract is not None:
            raise _fail(spec, f"extract {spec.extract!r} needs a filter regex whose groups it uses")
        return None, None
    try:
        regex = compile_go_regex(spec.filter)
    except PatternSyntaxError as error:
        raise _fail(spec, f"invalid filter regex {spec.filter!r}: {error}") from None
    if spec.extract is None:
        return regex, None
    if not spec.extract:
        raise _fail(spec, "extract is empty; use e.g. '$1', '$version' or '${version}'")
    try:
        return regex, parse_template(spec.extract, regex)
    except ValueError as error:
        raise _fail(spec, f"invalid extract {spec.extract!r}: {error}") from None
