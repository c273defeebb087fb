"""Tags from a file (``--tags-from``): the offline / air-gapped source, and how tests pin the world.

JSON or YAML, a mapping of repository to a list of tags, or to a list of
``{tag, created, digest}`` objects (``created`` as RFC 3339 / ISO 8601)::

    nginx: ["1.25.0", "1.25.3"]
    ghcr.io/acme/app:
      - {tag: v1.2.0, created: "2024-03-01T10:00:00Z", digest: "sha256:..."}

Keys are normalised like image references, so ``nginx`` and ``docker.io/library/nginx`` are
one repository.

A mistake in one repository's entries (a tag that is not a tag, a bad ``created``) makes that
repository's listing an error and leaves the others usable; a file that cannot be read as such
a mapping at all is a configuration error.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from automator.errors import AutomatorError, ConfigError, ManifestError, RegistryError
from automator.imageref import is_valid_tag, normalise_repository
from automator.model import TagInfo
from automator.policy.buildtime import TimeOutOfRange, as_utc, parse_rfc3339
from automator.values import value_type


@value_type
class FileTagSource:
    """A :class:`automator.tagsource.TagSource` over a fixed table of tags."""

    path: str
    tags: Mapping[str, tuple[TagInfo, ...] | ConfigError]

    @classmethod
    def load(cls, path: Path | str) -> FileTagSource:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the tags file: {getattr(error, 'strerror', None) or error}", source=str(path)) from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str) -> FileTagSource:
        data = _load_data(text, source)
        if not isinstance(data, dict):
            raise ConfigError("a tags file maps repositories to lists of tags", source=source)
        table: dict[str, tuple[TagInfo, ...] | ConfigError] = {}
        for key, entries in data.items():
            try:
                repository = normalise_repository(str(key))
            except AutomatorError as error:
                reason = str(error).replace(str(key), f"{str(key)[:SHOWN]}...") if len(str(key)) > SHOWN else error
                raise ConfigError(f"key {_shown(str(key))} is not a repository: {reason}", source=source) from None
            if repository in table:
                raise ConfigError(f"repository {repository} is listed twice (as {key!r} and another spelling)", source=source)
            try:
                table[repository] = _entries(entries, key, source)
            except ConfigError as error:
                error.hint = "fix this entry; the other repositories are still used"
                table[repository] = error
        return cls(source, table)

    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        result: dict[str, Sequence[TagInfo] | AutomatorError] = {}
        for repository in repositories:
            found = self.tags.get(repository)
            result[repository] = (
                found
                if found is not None
                else RegistryError(f"{repository}: not listed in the tags file {self.path}", hint="add it to the file")
            )
        return result

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        listed = self.tags.get(repository, ())
        known = {info.tag: info for info in listed} if isinstance(listed, tuple) else {}
        return {
            tag: known.get(tag) or RegistryError(f"{repository}:{tag}: not listed in the tags file {self.path}")
            for tag in tags
        }


_brief = reprlib.Repr()
_brief.maxlevel, _brief.maxstring, _brief.maxother = 3, 60, 60
SHOWN = 60  # characters of a value a message quotes; a longer one is cut, with its length


def _shown(text: str) -> str:
    """``text`` as a message quotes it: whole up to :data:`SHOWN` characters, else its start
    and how long it is (a tag of 100,000 characters is not printed 100,000 characters long)."""
    return repr(text) if len(text) <= SHOWN else f"{text[:SHOWN]!r}... ({len(text):,} characters)"


def _load_data(text: str, source: str) -> object:
    json_error = None
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text, parse_float=str, parse_int=str)  # 1.10 stays "1.10"
        except json.JSONDecodeError as error:  # maybe YAML in flow style ({nginx: [1.25]})
            json_error = ConfigError(f"invalid JSON: {error.msg}", source=source, line=error.lineno)
        except RecursionError:
            raise ConfigError("invalid JSON: nested too deeply to be a tags file", source=source) from None
    from automator.manifest.bounds import may_be_deep
    from automator.manifest.yamldoc import Chunk, compose, load_strings

    if json_error is None and may_be_deep(text):  # aliases or deep nesting: bound them first
        try:
            compose(Chunk(0, 0, text, 1))
        except ManifestError as error:
            raise ConfigError(f"invalid YAML: {error.message}", source=source) from None

    try:
        return load_strings(text)  # every scalar a string: 1.10 stays "1.10"
    except Exception as error:  # the YAML libraries' MarkedYAMLError trees
        if json_error is not None:
            raise json_error from None
        mark = getattr(error, "problem_mark", None)
        raise ConfigError(
            f"invalid YAML: {getattr(error, 'problem', None) or error}", source=source, line=mark.line + 1 if mark else None
        ) from None


def _entries(entries: object, key: object, source: str) -> tuple[TagInfo, ...]:
    if not isinstance(entries, list):
        raise ConfigError(f"{key}: expected a list of tags", source=source)
    return tuple(_tag_info(entry, key, source) for entry in entries)


def _tag_info(entry: object, key: object, source: str) -> TagInfo:
    if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
        tag, created, digest = str(entry), None, None
    elif isinstance(entry, dict) and "tag" in entry:
        tag, created, digest = _text(entry["tag"], key, source), entry.get("created"), entry.get("digest")
        created = None if created is None or isinstance(created, datetime) else _text(created, key, source)
        digest = None if digest is None else _text(digest, key, source)
    else:
        raise ConfigError(f"{key}: each entry is a tag or a mapping with 'tag' (got {_brief.repr(entry)})", source=source)
    if not is_valid_tag(tag):
        raise ConfigError(f"{key}: {_shown(tag)} is not a valid tag", source=source)
    return TagInfo(tag, _created(created, key, tag, source), str(digest) if digest else None)


def _text(value: object, key: object, source: str) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{key}: expected a single value, got {_brief.repr(value)}", source=source)


def _created(value: object, key: object, tag: str, source: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = _moment(value)
    except TimeOutOfRange:
        raise ConfigError(f"{key}:{tag}: 'created' {_brief.repr(str(value))} falls outside years 1-9999 in UTC", source=source) from None
    except ValueError:
        raise ConfigError(f"{key}:{tag}: 'created' is not an ISO 8601 time: {_brief.repr(value)}", source=source) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _moment(value: object) -> datetime:
    """The time ``created`` gives; ValueError when it is none, :class:`TimeOutOfRange` when it
    is one that falls outside years 1-9999 in UTC (a build time no policy could order)."""
    if not isinstance(value, datetime):
        return parse_rfc3339(str(value))
    if as_utc(value) is None:
        raise TimeOutOfRange(str(value))
    return value
