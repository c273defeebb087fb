"""Webhook payloads -> pushed images: one reader per event source, in one table.

Supported sources (``READERS``):

* ``distribution``: the CNCF distribution notification envelope (``events[]`` with
  ``action: push``, ``target.repository``, ``target.tag``, ``target.digest``, ``request.host``);
* ``harbor``: Harbor's ``PUSH_ARTIFACT`` webhook (default and CloudEvents formats);
* ``dockerhub``: Docker Hub's repository webhook (``push_data.tag``, ``repository.repo_name``);
* ``github``: GitHub's ``registry_package`` / ``package`` event with ``action: published``;
* ``generic``: ``{"image": "…"}`` or ``{"images": ["…"]}``, also inside a
  ``client_payload`` (GitHub ``repository_dispatch``) or as a GitLab trigger sends it.

A reader returns the pushed images of a payload (none for a payload that is valid but not a
push, such as a pull notification) or raises :class:`EventError` naming what was expected.
Everything here is pure: bytes or parsed JSON in, values out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from automator.errors import UsageError
from automator.events.pushed import PushedImage, distinct, parse_pushed

MAX_EVENT_BYTES = 1024 * 1024  # a webhook body larger than this is refused (413 in serve)


class EventError(UsageError):
    """A payload that is not one of the supported event shapes, or is malformed."""


Reader = Callable[[Mapping[str, object]], tuple[PushedImage, ...]]


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise EventError(f"{what} must be an object, not {type(value).__name__}")
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise EventError(f"{what} must be a list, not {type(value).__name__}")
    return value


def _text(value: object, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise EventError(f"{what} must be a non-empty string")
    return value.strip()


def _pushed(reference: str, what: str) -> PushedImage:
    try:
        return parse_pushed(reference, origin=what)
    except UsageError as error:
        raise EventError(error.message, hint=error.hint) from None


def _with_digest(reference: str, digest: str) -> str:
    return f"{reference}@{digest}" if digest and "@" not in reference else reference


# --- the readers --------------------------------------------------------------------------------


def read_distribution(data: Mapping[str, object]) -> tuple[PushedImage, ...]:
    found = []
    for index, item in enumerate(_list(data.get("events"), "events")):
        where = f"events[{index}]"
        event = _mapping(item, where)
        if event.get("action") != "push":
            continue  # pulls, deletes and mounts move nothing
        target = _mapping(event.get("target"), f"{where}.target")
        tag = _text(target.get("tag"), f"{where}.target.tag", required=False)
        if not tag:
            continue  # a blob or a manifest pushed by digest only: no tag to judge
        repository = _text(target.get("repository"), f"{where}.target.repository")
        request = _mapping(event.get("request") or {}, f"{where}.request")
        host = _text(request.get("host"), f"{where}.request.host")
        digest = _text(target.get("digest"), f"{where}.target.digest", required=False)
        found.append(_pushed(_with_digest(f"{host}/{repository}:{tag}", digest), where))
    return distinct(found)


_HARBOR_PUSH_TYPES = ("PUSH_ARTIFACT", "harbor.artifact.pushed")


def read_harbor(data: Mapping[str, object]) -> tuple[PushedImage, ...]:
    kind = data.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise EventError(f"not a Harbor event: it has no type (expected one such as {_HARBOR_PUSH_TYPES[0]})")
    if kind not in _HARBOR_PUSH_TYPES:
        return ()  # scans, pulls, deletions, quota events
    body = _mapping(data.get("event_data", data.get("data")), "event_data")
    found = []
    for index, item in enumerate(_list(body.get("resources"), "event_data.resources")):
        where = f"event_data.resources[{index}]"
        resource = _mapping(item, where)
        url = _text(resource.get("resource_url"), f"{where}.resource_url")
        tag = _text(resource.get("tag"), f"{where}.tag", required=False)
        digest = _text(resource.get("digest"), f"{where}.digest", required=False)
        name = url.split("@", 1)[0]
        if ":" in name.rsplit("/", 1)[-1]:
            name, _, url_tag = name.rpartition(":")
            tag = tag or url_tag
        if not tag:
            continue  # pushed by digest only
        found.append(_pushed(_with_digest(f"{name}:{tag}", digest), where))
    return distinct(found)


def read_dockerhub(data: Mapping[str, object]) -> tuple[PushedImage, ...]:
    push = _mapping(data.get("push_data"), "push_data")
    repository = _mapping(data.get("repository"), "repository")
    name = _text(repository.get("repo_name"), "repository.repo_name")
    tag = _text(push.get("tag"), "push_data.tag")
    return (_pushed(f"docker.io/{name}:{tag}", "push_data"),)


def read_github(data: Mapping[str, object]) -> tuple[PushedImage, ...]:
    if data.get("action") not in ("published", "updated"):
        return ()
    package = _mapping(data.get("registry_package", data.get("package")), "registry_package")
    kind = str(package.get("package_type") or package.get("ecosystem") or "").lower()
    if kind not in ("container", "docker"):
        return ()  # npm, maven, ... packages
    version = _mapping(package.get("package_version"), "registry_package.package_version")
    metadata = _mapping(version.get("container_metadata") or {}, "package_version.container_metadata")
    tag_info = _mapping(metadata.get("tag") or {}, "container_metadata.tag")
    tag = _text(tag_info.get("name"), "container_metadata.tag.name", required=False)
    if not tag:
        return ()  # an untagged version (a platform manifest, a signature)
    digest = _text(tag_info.get("digest"), "container_metadata.tag.digest", required=False)
    url = version.get("package_url")
    if isinstance(url, str) and url.strip():
        name = url.strip().split("@", 1)[0]
        if ":" in name.rsplit("/", 1)[-1]:
            name = name.rpartition(":")[0]
        name = name.lower()  # GitHub spells the owner as its login (Acme); the image is ghcr.io/acme/...
    else:
        registry = package.get("registry")
        host = _host_of(registry.get("url", "")) if isinstance(registry, Mapping) else ""
        namespace = _text(package.get("namespace"), "registry_package.namespace")
        name = f"{host or 'ghcr.io'}/{namespace}/{_text(package.get('name'), 'registry_package.name')}".lower()
    return (_pushed(_with_digest(f"{name}:{tag}", digest), "registry_package"),)


def _host_of(url: object) -> str:
    try:
        return urlsplit(str(url)).netloc
    except ValueError:  # https://[ghcr.io: not a URL
        raise EventError(f"registry_package.registry.url {str(url)[:100]!r} is not a URL") from None


def read_generic(data: Mapping[str, object]) -> tuple[PushedImage, ...]:
    body = data.get("client_payload", data)
    body = _mapping(body, "client_payload")
    if "image" in body:
        images: list[object] = [body["image"]]
    else:
        images = _list(body.get("images"), "images")
    if not images:
        raise EventError("images is empty: name at least one pushed image")
    return distinct(_pushed(_text(image, f"images[{i}]"), f"images[{i}]") for i, image in enumerate(images))


READERS: dict[str, Reader] = {
    "distribution": read_distribution,
    "harbor": read_harbor,
    "dockerhub": read_dockerhub,
    "github": read_github,
    "generic": read_generic,
}

EXPECTED = (
    "a distribution notification ({\"events\": [...]}), a Harbor webhook ({\"type\": \"PUSH_ARTIFACT\", ...}), "
    "a Docker Hub webhook ({\"push_data\": ..., \"repository\": ...}), a GitHub registry_package event, "
    "or {\"image\": \"REGISTRY/REPOSITORY:TAG\"} / {\"images\": [...]}"
)


def detect(data: object) -> str:
    """The name of the reader whose shape ``data`` has; :class:`EventError` when none has."""
    if isinstance(data, Mapping):
        if "events" in data:
            return "distribution"
        if "event_data" in data or str(data.get("type", "")).startswith("harbor."):
            return "harbor"
        if "push_data" in data:
            return "dockerhub"
        if "registry_package" in data or "package" in data:
            return "github"
        body = data.get("client_payload", data)
        if isinstance(body, Mapping) and ("image" in body or "images" in body):
            return "generic"
    raise EventError(f"not a supported push event; expected {EXPECTED}")


def decode(body: bytes | str) -> object:
    """Parse a payload's JSON with the size and nesting limits a webhook receiver needs."""
    if len(body) > MAX_EVENT_BYTES:
        raise EventError(f"the event is larger than {MAX_EVENT_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
        return json.loads(text)
    except UnicodeDecodeError:
        raise EventError("the event is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise EventError(f"the event is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise EventError("the event nests too deeply to be a webhook payload") from None
    except ValueError as error:  # a number of more digits than Python reads (4300)
        raise EventError(f"the event is not JSON this tool can read: {error}") from None


def read_event(body: bytes | str | object, source: str | None = None) -> tuple[PushedImage, ...]:
    """The pushed images in a payload (bytes, text or parsed JSON) from ``source``, or from
    whichever supported source its shape matches when ``source`` is None."""
    data = decode(body) if isinstance(body, (bytes, str)) else body
    name = source or detect(data)
    reader = READERS.get(name)
    if reader is None:
        raise EventError(f"unknown event source {name!r}; known: {', '.join(READERS)}")
    if not isinstance(data, Mapping):
        raise EventError(f"a {name} event is a JSON object, not {type(data).__name__}")
    try:
        return reader(data)
    except EventError as error:
        raise EventError(f"{name} event: {error.message}", hint=error.hint) from None
