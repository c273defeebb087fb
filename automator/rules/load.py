"""Read rule files (YAML) into a :class:`RuleSet`; the first mistake stops with file:line.

Positions come from ruamel.yaml's round-trip loader, so every :class:`ConfigError` names the
file and the line of the offending key or value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from automator.errors import ConfigError, ManifestError
from automator.manifest.typos import did_you_mean
from automator.rules.model import CHANGE_SIZES, Follow, FreezeWindow, Match, Rule, RuleSet, Settings
from automator.rules.values import (
    follow_path_parts,
    normalise_image_glob,
    parse_duration,
    parse_week_time,
)

RULE_KEYS = {
    "name", "match", "policy", "write", "pr", "min-age", "max-change", "freeze", "hold",
    "follow", "soak", "digest", "platform",
}
MATCH_KEYS = {"paths", "images", "change"}
# what decides which images are automated: chosen before any candidate (or its size) exists
BEFORE_CANDIDATES = ("policy", "follow")
# IANA names as the time-zone database spells them (each part capitalised): no paths, no 'utc'
ZONE_NAME = re.compile(r"[A-Z][A-Za-z0-9_+-]*(/[A-Z][A-Za-z0-9_+-]*)*\Z")
PLATFORM = re.compile(r"[a-z0-9_.-]+/[a-z0-9_.-]+(/[a-z0-9_.-]+)?\Z")


class _At:
    """A value with the place it was written, for error messages."""

    def __init__(self, source: str, line: int | None) -> None:
        self.source, self.line = source, line

    def fail(self, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, source=self.source, line=self.line, hint=hint)


def _line_of_key(node: Any, key: Any, source: str) -> _At:
    try:
        return _At(source, node.lc.key(key)[0] + 1)
    except (AttributeError, KeyError, TypeError):
        return _At(source, getattr(getattr(node, "lc", None), "line", -1) + 1 or None)


def _line_of_item(node: CommentedSeq, index: int, source: str) -> _At:
    try:
        return _At(source, node.lc.item(index)[0] + 1)
    except (AttributeError, KeyError, IndexError):
        return _At(source, node.lc.line + 1)


def parse_rules(text: str, source: str) -> RuleSet:
    """Parse the text of a rules file; raise :class:`ConfigError` with file:line."""
    from automator.manifest.bounds import MAX_DEPTH, may_be_deep
    from automator.manifest.yamldoc import Chunk, compose

    if may_be_deep(text):  # aliases or deep nesting: bounded before the recursive loader runs
        try:
            compose(Chunk(0, 0, text, 1))
        except ManifestError as error:
            raise ConfigError(f"not valid YAML: {error.message}", source=source) from None
    try:
        data = YAML(typ="rt").load(text)
    except RecursionError:
        raise ConfigError(f"not valid YAML: it nests deeper than {MAX_DEPTH} levels", source=source) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"not valid YAML: {error.problem or error}", source=source, line=line) from None
    if data is None:
        return RuleSet(sources=(source,))
    if not isinstance(data, CommentedMap):
        raise ConfigError("a rules file is a mapping with a 'rules:' list", source=source, line=1)
    for key in data:
        if key not in ("version", "rules"):
            raise _line_of_key(data, key, source).fail(f"unknown key {key!r}{did_you_mean(str(key), ('version', 'rules'))}", hint="expected 'version' and 'rules'")
    version = data.get("version", 1)
    if isinstance(version, bool) or version != 1:
        raise _line_of_key(data, "version", source).fail(f"unsupported version {data['version']!r}", hint="use version: 1")
    if "rules" not in data:  # a file that only says its version
        return RuleSet(sources=(source,))
    rules = data["rules"]
    if not isinstance(rules, CommentedSeq):
        raise _line_of_key(data, "rules", source).fail("'rules' must be a list of rules")
    return RuleSet(tuple(_rule(rules, i, source) for i in range(len(rules))), (source,))


def load_rules_file(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error  # the path is the source
        raise ConfigError(f"cannot read rules file: {reason}", source=str(path)) from None
    return parse_rules(text, str(path))


def named_in(error: ConfigError, root: Path, repository: str) -> ConfigError:
    """``error`` about a file of the tool's own clone at ``root`` (deleted by the time anyone
    reads the message) as ``FILE:LINE in REPOSITORY: ...``, the file named by its path in the
    repository; an error about any other file is returned as it is."""
    source = error.source
    if not source or not os.path.isabs(source):
        return error
    rel = os.path.relpath(os.path.realpath(source), os.path.realpath(root))
    if rel == os.curdir or rel.split(os.sep, 1)[0] == os.pardir:
        return error
    rel = Path(rel).as_posix()
    where = source if error.line is None else f"{source}:{error.line}"
    message = error.message.removeprefix(f"{where}: ").replace(source, rel)
    renamed = ConfigError(f"{rel if error.line is None else f'{rel}:{error.line}'} in {repository}: {message}", hint=error.hint)
    renamed.source, renamed.line = rel, error.line
    return renamed


def _rule(rules: CommentedSeq, index: int, source: str) -> Rule:
    node, at = rules[index], _line_of_item(rules, index, source)
    if not isinstance(node, CommentedMap):
        raise at.fail("each rule is a mapping (match:, and what to set)")
    for key in node:
        if key not in RULE_KEYS:
            raise _line_of_key(node, key, source).fail(f"unknown rule key {key!r}{did_you_mean(str(key), RULE_KEYS)}", hint="see docs/rules.md")
    values: dict[str, Any] = {}
    for key, convert in _SETTINGS.items():
        if key in node:
            values.update(convert(node[key], _line_of_key(node, key, source)))
    name = node.get("name", "")
    if not isinstance(name, str):
        raise _line_of_key(node, "name", source).fail("'name' must be a string")
    match = _match(node, at, source)
    _check_sizes_choose_no_images(match, node, source)
    return Rule(match=match, settings=Settings(**values), name=name, source=source, line=at.line)


def _strings(value: Any, at: _At, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise at.fail(f"'{what}' must be a string or a list of strings")
    return tuple(items)


def _match(rule: CommentedMap, at: _At, source: str) -> Match:
    if "match" not in rule:
        return Match()
    node, at = rule["match"], _line_of_key(rule, "match", source)
    if node is None:
        raise at.fail("an empty match: remove `match:` to apply the rule everywhere",
                      hint="or give it paths:, images: and/or change:")
    if not isinstance(node, CommentedMap):
        raise at.fail("'match' must be a mapping with paths:, images: and/or change:")
    for key in node:
        if key not in MATCH_KEYS:
            raise _line_of_key(node, key, source).fail(f"unknown match key {key!r}{did_you_mean(str(key), MATCH_KEYS)}", hint="expected paths, images, change")
    paths_at = _line_of_key(node, "paths", source)
    paths = tuple(_path_glob(g, paths_at) for g in _strings(node.get("paths", []), paths_at, "paths"))
    images_at = _line_of_key(node, "images", source)
    try:
        images = tuple(normalise_image_glob(g) for g in _strings(node.get("images", []), images_at, "images"))
    except ValueError as error:
        raise images_at.fail(str(error)) from None
    change = _strings(node.get("change", []), _line_of_key(node, "change", source), "change")
    for size in change:
        if size not in CHANGE_SIZES:
            raise _line_of_key(node, "change", source).fail(f"unknown change size {size!r}", hint="patch, minor or major")
    return Match(paths=paths, images=images, change=change)  # type: ignore[arg-type]


def _check_sizes_choose_no_images(match: Match, rule: CommentedMap, source: str) -> None:
    """A rule that matches change sizes applies only to a candidate move: it cannot say which
    images are automated or what they follow, which is decided before there is a candidate."""
    for key in BEFORE_CANDIDATES:
        if match.change and key in rule:
            raise _line_of_key(rule, key, source).fail(
                f"a rule with `change:` in its match cannot set {key}: (it is chosen before a move has a size)",
                hint=f"set {key}: in a rule without change:")


def _path_glob(glob: str, at: _At) -> str:
    """A ``paths`` glob as manifests' paths are matched: relative to the rules file's directory,
    so a leading ``./`` is dropped, and an absolute glob (which no such path can match, so the
    rule would silently never apply) is refused."""
    if glob.startswith("/"):
        raise at.fail(f"paths glob {glob!r} is absolute: it can never match",
                      hint="write it relative to the rules file's directory, e.g. production/**")
    while glob.startswith("./"):
        glob = glob[2:].lstrip("/")
    if glob.endswith("/"):  # a directory: everything below it
        glob += "**"
    return glob or "**"


def _choice(name: str, options: tuple[str, ...]) -> Callable[[Any, _At], dict[str, Any]]:
    def convert(value: Any, at: _At) -> dict[str, Any]:
        if value not in options:
            raise at.fail(f"{value!r} is not one of {', '.join(options)}")
        return {name: value}

    return convert


def _duration(name: str) -> Callable[[Any, _At], dict[str, Any]]:
    def convert(value: Any, at: _At) -> dict[str, Any]:
        if not isinstance(value, str):
            raise at.fail(f"a duration must be a string such as '24h', not {value!r}")
        try:
            return {name: parse_duration(value)}
        except ValueError as error:
            raise at.fail(str(error)) from None

    return convert


def _flag(name: str) -> Callable[[Any, _At], dict[str, Any]]:
    def convert(value: Any, at: _At) -> dict[str, Any]:
        if not isinstance(value, bool):
            raise at.fail(f"expected true or false, not {value!r}")
        return {name: value}

    return convert


def _platform(value: Any, at: _At) -> dict[str, Any]:
    """``os/arch[/variant]`` as the registry client reads it (case and surrounding spaces aside)."""
    from automator.registry.formats import split_platform

    if not isinstance(value, str) or not PLATFORM.match(value.strip().lower()):
        raise at.fail(f"invalid platform {value!r} (expected os/arch[/variant], e.g. linux/arm64)")
    try:
        split_platform(value)
    except ValueError as error:
        raise at.fail(str(error)) from None
    return {"platform": value}


def _policy(value: Any, at: _At) -> dict[str, Any]:
    if not isinstance(value, str) or not value.strip():
        raise at.fail("'policy' must be a tag policy string such as 'semver:^1' or 'glob:v*'")
    try:
        from automator.model import PolicySpec
        from automator.policy import make_policy
    except ImportError:  # policies not installed in this build: checked when first used
        return {"policy": value}
    make_policy(PolicySpec(spec=value, source=at.source, line=at.line))
    return {"policy": value}


def _pr(value: Any, at: _At) -> dict[str, Any]:
    if not isinstance(value, CommentedMap):
        raise at.fail("'pr' must be a mapping with group: and/or labels:")
    out: dict[str, Any] = {}
    for key in value:
        key_at = _line_of_key(value, key, at.source)
        if key == "group":
            out.update(_choice("pr_group", ("run", "image"))(value[key], key_at))
        elif key == "labels":
            out["pr_labels"] = _strings(value[key], key_at, "labels")
        else:
            raise key_at.fail(f"unknown pr key {key!r}", hint="expected group, labels")
    return out


def _freeze(value: Any, at: _At) -> dict[str, Any]:
    if not isinstance(value, CommentedSeq):
        raise at.fail("'freeze' must be a list of windows (from:, to:, timezone:)")
    return {"freeze": tuple(_window(value, i, at.source) for i in range(len(value)))}


def _window(seq: CommentedSeq, index: int, source: str) -> FreezeWindow:
    node, at = seq[index], _line_of_item(seq, index, source)
    if not isinstance(node, CommentedMap) or "from" not in node or "to" not in node:
        raise at.fail("a freeze window needs from: and to: (e.g. from: Fri 16:00, to: Mon 08:00)")
    for key in node:
        if key not in ("from", "to", "timezone"):
            raise _line_of_key(node, key, source).fail(f"unknown freeze key {key!r}", hint="expected from, to, timezone")
    bounds = []
    for key in ("from", "to"):
        try:
            bounds.append(parse_week_time(str(node[key])))
        except ValueError as error:
            raise _line_of_key(node, key, source).fail(str(error)) from None
    zone = node.get("timezone", "UTC")
    if not _is_zone(zone):
        raise _line_of_key(node, "timezone", source).fail(f"unknown time zone {zone!r}", hint="use an IANA name such as Europe/Berlin")
    if bounds[0] == bounds[1]:
        raise at.fail("a freeze window must not start and end at the same time")
    return FreezeWindow(bounds[0], bounds[1], str(zone), f"{node['from']} -> {node['to']} {zone}")


def _is_zone(name: Any) -> bool:
    if not isinstance(name, str) or not ZONE_NAME.match(name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _follow(value: Any, at: _At) -> dict[str, Any]:
    path_at = at
    if isinstance(value, str):
        value = CommentedMap(path=value)
    elif isinstance(value, CommentedMap) and "path" in value:
        path_at = _line_of_key(value, "path", at.source)
    if not isinstance(value, CommentedMap) or "path" not in value:
        raise at.fail("'follow' needs path: (the other environment's file, e.g. staging/{name})")
    for key in value:
        if key not in ("path", "container"):
            raise _line_of_key(value, key, at.source).fail(f"unknown follow key {key!r}", hint="expected path, container")
    if not isinstance(value["path"], str) or not value["path"].strip():
        raise path_at.fail("'path' must be a non-empty string")
    try:
        follow_path_parts(value["path"])
    except ValueError as error:
        raise path_at.fail(str(error)) from None
    container = value.get("container")
    if "container" in value and (not isinstance(container, str) or not container.strip()):
        raise _line_of_key(value, "container", at.source).fail(
            "'container' must be a container name (a string)", hint="remove container: to follow every container")
    return {"follow": Follow(path=value["path"], container=container)}


_SETTINGS: dict[str, Callable[[Any, _At], dict[str, Any]]] = {
    "policy": _policy,
    "write": _choice("write", ("commit", "pr")),
    "pr": _pr,
    "min-age": _duration("min_age"),
    "max-change": _choice("max_change", CHANGE_SIZES),
    "freeze": _freeze,
    "hold": _flag("hold"),
    "follow": _follow,
    "soak": _duration("soak"),
    "digest": _flag("digest"),
    "platform": _platform,
}
