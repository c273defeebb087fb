"""Pure readers of what registries answer: tag pages, Link headers, manifests, image configs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from automator.imageref import TAG_PATTERN
from automator.policy.buildtime import parse_rfc3339

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
ACCEPT_MANIFESTS = ", ".join(MANIFEST_TYPES)
CREATED_LABEL = "org.opencontainers.image.created"

_LINK = re.compile(r"<([^>]*)>([^,]*)")  # one link of a Link header: <url> and its ;-parameters
_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^;\s]*))', re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class FormatError(ValueError):
    """A body that does not have the documented shape; the message says what is wrong."""


def parse_tag_page(body: bytes) -> list[str]:
    """Tags of one ``tags/list`` page; ``"tags": null`` (or missing) means none."""
    try:
        data = json.loads(body)
    except ValueError:
        raise FormatError("tag list is not JSON") from None
    if not isinstance(data, dict):
        raise FormatError("tag list is not a JSON object")
    tags = data.get("tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FormatError('"tags" is not a list of strings')
    return tags


def oci_tags(tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """The tags that are valid OCI tags, and the others (``9.0.0+evil``: never in a reference)."""
    valid, invalid = [], []
    for tag in tags:
        (valid if TAG_PATTERN.match(tag) else invalid).append(tag)
    return valid, invalid


def _relations(parameters: str) -> list[str]:
    """The relation types of one link (RFC 8288: ``rel`` is a space-separated list)."""
    match = _REL.search(parameters)
    if match is None:
        return []
    return (match.group(1) if match.group(1) is not None else match.group(2)).lower().split()


def next_page(current_url: str, link_header: str | None) -> str | None:
    """The absolute URL of the next page from a ``Link`` header (relative links resolved);
    :class:`FormatError` when it cannot be parsed as a URL."""
    if not link_header:
        return None
    target = next((m.group(1) for m in _LINK.finditer(link_header) if "next" in _relations(m.group(2))), None)
    if target is None:
        return None
    try:
        following = urljoin(current_url, target)
        urlsplit(following).port  # noqa: B018 - a port that is not a number raises
    except ValueError:
        raise FormatError("malformed Link URL") from None
    return following


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, lower-cased host and port, the scheme's default port when none is written."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs have one origin (``http://h:80/`` is ``http://h/``); URLs that cannot
    be parsed raise ValueError."""
    return _origin(a) == _origin(b)


def parse_json_object(body: bytes, what: str) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        raise FormatError(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise FormatError(f"{what} is not a JSON object")
    return data


def manifest_kind(data: dict, content_type: str | None) -> str:
    """``index`` or ``manifest`` from the body's mediaType or the Content-Type."""
    media = data.get("mediaType") or (content_type or "").split(";")[0].strip()
    if media in INDEX_TYPES or ("manifests" in data and "config" not in data):
        return "index"
    if "config" in data:
        return "manifest"
    raise FormatError(f"unsupported manifest type {media or 'unknown'!r}")


def split_platform(platform: str) -> tuple[str, str, str | None]:
    parts = platform.strip().lower().split("/")
    if len(parts) < 2 or not all(parts[:2]):
        raise ValueError(f"invalid platform {platform!r} (expected os/arch[/variant])")
    return parts[0], parts[1], parts[2] if len(parts) > 2 else None


def pick_platform(index: dict, platform: str) -> dict | None:
    """The descriptor in an index for ``os/arch[/variant]`` (arm64 means v8 when unsaid)."""
    want_os, want_arch, want_variant = split_platform(platform)
    entries = index.get("manifests") or []
    if not isinstance(entries, list):
        raise FormatError('image index: "manifests" is not a list')
    candidates = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            continue
        plat = entry.get("platform") or {}
        if not isinstance(plat, dict):  # malformed ("platform": "linux/amd64"): not a candidate
            continue
        if plat.get("os") != want_os or plat.get("architecture") != want_arch:
            continue
        variant = plat.get("variant")
        if want_variant and variant and variant != want_variant:
            continue
        if want_variant and not variant and not (want_arch == "arm64" and want_variant == "v8"):
            continue
        candidates.append(entry)
    return candidates[0] if candidates else None


def config_digest(manifest: dict) -> str:
    config = manifest.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("digest"), str):
        raise FormatError("manifest has no config descriptor")
    return config["digest"]


def parse_time(text: object) -> datetime | None:
    """RFC 3339 with up to nanoseconds and ``Z``; ``None`` when absent, unreadable, in 1970 or
    before (the epoch of reproducible builds) or outside years 1-9999 in UTC (which
    :func:`parse_rfc3339` refuses)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = parse_rfc3339(text)
    except ValueError:
        return None
    if parsed.year <= 1970:  # reproducible builds stamp the epoch: no real build time
        return None
    return parsed


def created_from_config(config: dict) -> datetime | None:
    """Build time: the config's ``created``, else the ``org.opencontainers.image.created`` label."""
    created = parse_time(config.get("created"))
    if created is not None:
        return created
    inner = config.get("config")
    labels = (inner.get("Labels") if isinstance(inner, dict) else None) or {}
    return parse_time(labels.get(CREATED_LABEL)) if isinstance(labels, dict) else None
