"""The fleet file: which environment repositories to run, and how.

    version: 1
    defaults: {mode: commit, ref: main}
    repositories:
      - url: https://github.com/acme/env-prod.git
        path: clusters/production
        mode: pr
      - url: https://gitlab.example.com/acme/env-eu.git
        paths: [eu-west, eu-central]

Every key of ``defaults`` may be set per repository (the repository's value wins). Errors name
the file and line; the JSON Schema is ``policies/fleet.schema.json``.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from automator.errors import AutomatorError, ConfigError, UsageError
from automator.values import value_type

MODES = ("commit", "pr", "mr")
# per-repository keys (also allowed under defaults) -> the kind of value they take
KEYS: dict[str, str] = {
    "path": "string",
    "paths": "list of strings",
    "mode": "one of " + ", ".join(MODES),
    "ref": "string",
    "branch": "string",
    "rules": "string",
    "author": "string",
    "message-template": "string",
    "labels": "list of strings",
    "reviewers": "list of strings",
    "assignees": "list of strings",
    "draft": "boolean",
    "pr-base": "string",
    "forge-url": "string",
    "branch-template": "string",
}
_LISTS = {key for key, kind in KEYS.items() if kind.startswith("list")}
_STR, _BOOL, _INT = ("tag:yaml.org,2002:" + kind for kind in ("str", "bool", "int"))


@value_type
class FleetRepository:
    """One environment repository of the fleet, with its settings merged over the defaults."""

    url: str
    paths: tuple[str, ...] = (".",)
    mode: str | None = None  # None: the command line decides (--pr, else a commit)
    ref: str | None = None
    branch: str | None = None
    rules: str | None = None
    author: str | None = None
    message_template: str | None = None
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool | None = None  # None: the command line decides (--draft)
    pr_base: str | None = None
    forge_url: str | None = None
    branch_template: str | None = None  # of its pull requests' branches (--branch-template)
    # listed once per branch (ref), with the branch template of another entry: its pull
    # requests' branches name the ref, so two bases never share one (pull_request_template)
    ref_in_branch: bool = False
    source: str = field(default="", compare=False)  # file:line where it was declared

    @property
    def name(self) -> str:
        """A short name for reports: the URL without scheme, credentials and ``.git``."""
        scheme, has_scheme, rest = self.url.partition("://")
        text = (rest if has_scheme else scheme).rsplit("@", 1)[-1].rstrip("/")
        if not has_scheme and ":" in text.split("/", 1)[0]:  # scp-like git@host:org/repo: host/org/repo
            text = text.replace(":", "/", 1)
        return text[:-4] if text.endswith(".git") else text

    @property
    def label(self) -> str:
        """The name, and the branch cloned when the entry names one (``github.com/acme/env@staging``):
        one repository may stand twice in a fleet, once per branch."""
        return f"{self.name}@{self.ref}" if self.ref else self.name

    def pull_request_template(self, given: str) -> str:
        """The branch template of its pull requests: its own ``branch-template``, else the
        command line's (``given``), with the ref after the literal prefix when another entry of
        the repository (another branch) has the same template (``automator/staging/{env}/{image}``)."""
        template = self.branch_template or given
        if not (self.ref_in_branch and self.ref):
            return template
        from automator.forge.naming import owned_prefix, slugify

        prefix = owned_prefix(template)
        return f"{prefix}{slugify(self.ref)}/{template[len(prefix):]}"


@value_type
class FleetSpec:
    repositories: tuple[FleetRepository, ...]
    defaults: Mapping[str, object] = field(default_factory=dict)
    source: str = ""


def select(repositories: Sequence[FleetRepository], patterns: Sequence[str], *, complete: bool = True) -> list[FleetRepository]:
    """The repositories whose name or label (``name@ref``) matches one of the glob ``patterns``
    (``--only``, case-insensitive), in their order; all of them without patterns. A pattern that
    matches none of a ``complete`` fleet (discovery did not fail) is a usage error: a typo would
    otherwise run nothing and succeed."""
    if not patterns:
        return list(repositories)
    names = [(r, r.name.lower(), r.label.lower()) for r in repositories]  # as hosts and forges: without case
    matches = {pattern: [r for r, name, label in names if fnmatchcase(name, pattern.lower()) or fnmatchcase(label, pattern.lower())]
               for pattern in patterns}
    unmatched = [pattern for pattern, found in matches.items() if not found]
    if unmatched and complete:
        raise UsageError(f"--only {', '.join(map(repr, unmatched))} matches none of the fleet's {len(repositories)} repositories",
                         hint="patterns match names such as github.com/acme/env-prod (or github.com/acme/env-prod@staging); "
                              "--list shows them")
    chosen = {id(r) for found in matches.values() for r in found}
    return [r for r in repositories if id(r) in chosen]


def load_fleet(path: Path | str) -> FleetSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the fleet file: {getattr(error, 'strerror', None) or error}", source=str(path)) from None
    return parse_fleet(text, str(path))


def parse_fleet(text: str, source: str = "fleet.yaml") -> FleetSpec:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        lines = text.splitlines()
        tabs = mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]
        raise ConfigError(f"invalid YAML: {getattr(error, 'problem', None) or error}", source=source, line=mark.line + 1 if mark else None,
                          hint="indent with spaces, not tabs" if tabs else None) from None
    except RecursionError:
        raise ConfigError("the fleet file nests too deeply", source=source) from None
    if root is None:  # nothing but comments, or nothing at all
        raise ConfigError("the fleet file is empty: it needs version: 1 and repositories:", source=source, line=1,
                          hint="see examples/fleet/fleet.yaml")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("a fleet file is a mapping with version: 1 and repositories:", source=source, line=_line(root))
    top = _mapping(root, source, ("version", "defaults", "repositories"))
    version = top.get("version")
    if version is None or not _is_one(version[1]):
        raise ConfigError("version: 1 is required (the only fleet file version)", source=source, line=_line(version[1] if version else root))
    defaults = _settings(top["defaults"][1], source, allow_url=False, what="defaults: is a mapping of per-repository keys, such as {mode: pr}") if "defaults" in top else {}
    if "repositories" not in top:
        raise ConfigError("repositories: is missing (a list of {url: ...} entries)", source=source, line=_line(root))
    entries = top["repositories"][1]
    if not isinstance(entries, yaml.SequenceNode):
        raise ConfigError("repositories: must be a list", source=source, line=_line(entries))
    repositories: list[FleetRepository] = []
    seen: dict[tuple[str, str | None], str] = {}
    for node in entries.value:
        own = _settings(node, source, allow_url=True, what="each repository is a mapping such as {url: https://...}")
        # a repository's path: or paths: replaces either of the defaults
        inherited = {k: v for k, v in defaults.items() if not (k in ("path", "paths") and ("path" in own or "paths" in own))}
        settings = {**inherited, **own}
        where = f"{source}:{_line(node)}"
        if "url" not in settings:
            raise ConfigError("each repository needs url:", source=source, line=_line(node))
        repository = repository_from(settings, where)
        key = (repository_key(repository.url), repository.ref)  # a branch per environment: one entry per ref
        if key in seen:
            raise ConfigError(f"{repository.label} is listed twice (first at {seen[key]})", source=source, line=_line(node),
                              hint="keep one entry; several directories of one repository take paths: [a, b], another branch its own ref:")
        seen[key] = where
        repositories.append(repository)
    return FleetSpec(tuple(_branches_per_ref(repositories)), defaults, source)


def _branches_per_ref(repositories: list[FleetRepository]) -> list[FleetRepository]:
    """The entries of one repository (one per branch) whose pull requests would take branches
    of one template: their branches name the ref, so two bases never share a branch."""
    keys = [(repository_key(r.url), r.branch_template) for r in repositories]
    alike = Counter(keys)
    return [replace(r, ref_in_branch=True) if alike[key] > 1 else r for r, key in zip(repositories, keys, strict=True)]


def repository_key(url: str) -> str:
    """The repository a URL names, however it is spelled: a network URL (``https://``,
    ``ssh://``, ``git@host:org/repo``) as ``host/path``, without transport, credentials, port,
    trailing ``/`` or ``.git``, host in lower case: a forge's repository is one repository
    whichever way it is cloned. A local path (or ``file://``) only loses its trailing ``/``
    (``env`` and ``env.git`` are two directories)."""
    from automator.forge.detect import parse_remote
    from automator.git.clone import is_scp_like

    try:
        parts = urlsplit(url)
    except ValueError:  # a broken [host] (refused in a fleet file; a discovered URL is kept as it is)
        return url.rstrip("/") or url
    network = parts.scheme.lower() != "file" and bool(parts.netloc) if "://" in url else is_scp_like(url)
    if network:
        try:
            remote = parse_remote(url)
            return f"{remote.host}/{remote.slug}"
        except ConfigError:  # one path segment (https://host/repo): below, as it was written
            pass
    if not parts.scheme or not parts.netloc:
        return url.rstrip("/") or url
    path = parts.path.rstrip("/")
    path = path[:-4] if path.endswith(".git") else path
    host = parts.netloc.rpartition("@")[2].lower()
    return urlunsplit((parts.scheme.lower(), host, path.rstrip("/"), parts.query, ""))


# --- helpers ----------------------------------------------------------------------------------


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _mapping(node: yaml.Node, source: str, known: tuple[str, ...], what: str = "expected a mapping") -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(what, source=source, line=_line(node))
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node)
        if key is None:
            raise ConfigError("keys must be plain strings", source=source, line=_line(key_node))
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise ConfigError(f"unknown key {key!r}", source=source, line=_line(key_node), hint=hint)
        if key in found:
            raise ConfigError(f"{key!r} is written twice (first at line {_line(found[key][0])})", source=source, line=_line(key_node))
        found[key] = (key_node, value_node)
    return found


def _settings(node: yaml.Node, source: str, *, allow_url: bool, what: str) -> dict[str, object]:
    known = (("url",) if allow_url else ()) + tuple(KEYS)
    settings: dict[str, object] = {}
    for key, (_, value) in _mapping(node, source, known, what).items():
        settings[key] = _value(key, value, source)
    if "path" in settings and "paths" in settings:
        raise ConfigError("give path: or paths:, not both", source=source, line=_line(node))
    return settings


def _value(key: str, node: yaml.Node, source: str) -> object:
    kind = "string" if key == "url" else KEYS[key]
    line = _line(node)
    if key in _LISTS:  # a string, or a list of at least one string (as the schema says)
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        values = [_string(item) for item in items]
        if not values or any(not v for v in values):
            raise ConfigError(f"{key}: expected a {kind}, at least one{_quote(items)}", source=source, line=line)
        return tuple(values)
    if key == "draft":
        if node.tag != _BOOL:
            raise ConfigError("draft: expected true or false (unquoted)", source=source, line=line)
        return node.value.lower() in ("true", "yes", "on")
    value = _string(node)
    if not value:
        several = " (several directories take paths:)" if key == "path" and isinstance(node, yaml.SequenceNode) else ""
        expected = f"one of {', '.join(MODES)}" if key == "mode" else f"a {kind}"
        raise ConfigError(f"{key}: expected {expected}{several}{_quote([node])}", source=source, line=line)
    if key == "mode" and value not in MODES:
        raise ConfigError(f"mode: {value!r} is not one of {', '.join(MODES)}", source=source, line=line)
    if key == "url":
        _refuse_url(value, source, line)
    if key in _CHECKED:  # as the command line's --author and --message-template: before any clone
        try:
            _CHECKED[key](value)
        except AutomatorError as error:
            raise ConfigError(f"{key}: {error.message}", source=source, line=line, hint=error.hint) from None
    return value


def _check_author(text: str) -> None:
    from automator.git.identity import parse_identity

    parse_identity(text)


def _check_template(text: str) -> None:
    from automator.git.message import check_template

    check_template(text)


def _check_branch_template(text: str) -> None:
    from automator.forge.naming import check_template

    check_template(text)


_CHECKED = {"author": _check_author, "message-template": _check_template, "branch-template": _check_branch_template}


def _refuse_url(url: str, source: str, line: int | None) -> None:
    """A URL git could not clone, or one that would show its password (``?query``, a ``/`` in
    the password, a broken ``[host]``): refused with its line, never repeated."""
    from automator.git.clone import clone_url_problem

    problem = clone_url_problem(url)
    if problem:
        raise ConfigError(f"url: {problem[0]}", source=source, line=line, hint=problem[1])


def _is_one(node: yaml.Node) -> bool:
    """The number 1 as YAML reads it (``1``, ``1.0``, ``0x1``), as the schema's ``const: 1``."""
    if not isinstance(node, yaml.ScalarNode) or node.tag not in (_INT, "tag:yaml.org,2002:float"):
        return False
    try:
        return yaml.constructor.SafeConstructor().construct_object(node) == 1
    except ValueError:  # a tag the value does not fit (!!int abc, 0b_): not the number 1
        return False


def _string(node: yaml.Node) -> str | None:
    """A scalar that YAML reads as a string (``2024``, ``1.0``, ``yes`` and ``~`` are not)."""
    return node.value if isinstance(node, yaml.ScalarNode) and node.tag == _STR else None


def _quote(nodes: list) -> str:
    """The hint for a number or boolean written where a string belongs."""
    plain = next((n.value for n in nodes if isinstance(n, yaml.ScalarNode) and n.tag not in (_STR, "tag:yaml.org,2002:null")), None)
    return f" (quote it: '{plain}')" if plain is not None else ""


def repository_from(settings: Mapping[str, object], where: str) -> FleetRepository:
    paths = settings.get("paths") or ((settings["path"],) if "path" in settings else (".",))
    return FleetRepository(
        url=str(settings["url"]),
        paths=tuple(str(p) for p in paths),  # type: ignore[union-attr]
        mode=_opt(settings, "mode"),
        ref=_opt(settings, "ref"),
        branch=_opt(settings, "branch"),
        rules=_opt(settings, "rules"),
        author=_opt(settings, "author"),
        message_template=_opt(settings, "message-template"),
        labels=tuple(settings.get("labels", ())),  # type: ignore[arg-type]
        reviewers=tuple(settings.get("reviewers", ())),  # type: ignore[arg-type]
        assignees=tuple(settings.get("assignees", ())),  # type: ignore[arg-type]
        draft=bool(settings["draft"]) if "draft" in settings else None,
        pr_base=_opt(settings, "pr-base"),
        forge_url=_opt(settings, "forge-url"),
        branch_template=_opt(settings, "branch-template"),
        source=where,
    )


def _opt(settings: Mapping[str, object], key: str) -> str | None:
    value = settings.get(key)
    return str(value) if value is not None else None
