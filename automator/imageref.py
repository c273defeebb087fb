"""Image references with the semantics of distribution/reference (what docker itself does).

``parse_image_ref("nginx:1.25")`` gives an :class:`ImageRef` whose ``repository`` is the
normalised identity ``docker.io/library/nginx``. Normalisation is for identity only (dedupe,
lookups, cache keys); :meth:`ImageRef.with_tag` writes back using the spelling the user wrote.
"""

from __future__ import annotations

import re
from functools import lru_cache

from automator.errors import ImageRefError
from automator.values import value_type

DEFAULT_REGISTRY = "docker.io"
LEGACY_DEFAULT_REGISTRY = "index.docker.io"
OFFICIAL_NAMESPACE = "library"

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = re.compile(rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*\Z")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?\Z"
)
TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}\Z")
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}\Z")
_NAME_TOTAL_LENGTH_MAX = 255


@value_type
class ImageRef:
    """A parsed image reference.

    ``registry`` and ``path`` are normalised (``docker.io``, ``library/nginx``);
    ``written_name`` is the name part exactly as written (``nginx``).
    """

    registry: str
    path: str
    tag: str | None
    digest: str | None
    written_name: str

    @property
    def repository(self) -> str:
        """The normalised identity of the repository, e.g. ``docker.io/library/nginx``."""
        return f"{self.registry}/{self.path}"

    @property
    def written(self) -> str:
        """The whole reference in the user's spelling."""
        return self.with_tag(self.tag, self.digest)

    def with_tag(self, tag: str | None, digest: str | None = None) -> str:
        """Render ``written_name[:tag][@digest]`` keeping the user's spelling of the name."""
        text = self.written_name
        if tag:
            text += f":{tag}"
        if digest:
            text += f"@{digest}"
        return text


def is_digest(text: str) -> bool:
    """``algorithm:hex`` as the OCI image spec writes a digest (``sha256:`` and 32 or more hex digits)."""
    return _DIGEST.match(text) is not None


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_PATTERN.match(tag))


def _looks_like_domain(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def split_name(name: str) -> tuple[str, str]:
    """Split a repository name into (normalised registry, normalised path); raise on invalid."""
    if not name:
        raise ImageRefError("empty image name")
    first, sep, rest = name.partition("/")
    if sep and _looks_like_domain(first):
        if not _DOMAIN.match(first):
            raise ImageRefError(f"invalid registry host {first!r} in image {name!r}")
        registry, path = first.lower(), rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry == LEGACY_DEFAULT_REGISTRY:
        registry = DEFAULT_REGISTRY
    for component in path.split("/"):
        if not _PATH_COMPONENT.match(component):
            hint = "repository names must be lowercase" if component.lower() != component else None
            raise ImageRefError(f"invalid repository path component {component!r} in image {name!r}", hint=hint)
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"{OFFICIAL_NAMESPACE}/{path}"
    if len(name) > _NAME_TOTAL_LENGTH_MAX:
        raise ImageRefError(f"image name longer than {_NAME_TOTAL_LENGTH_MAX} characters: {name[:40]}...")
    return registry, path


@lru_cache(maxsize=4096)  # a tree names the same few images again and again; an ImageRef is immutable
def parse_image_ref(text: str) -> ImageRef:
    """Parse ``[registry/]path[:tag][@digest]``; raise :class:`ImageRefError` when invalid."""
    if not text:
        raise ImageRefError("invalid image reference '': it is empty", hint="write the image as [registry/]repository[:tag]")
    if text != text.strip():
        raise ImageRefError(f"invalid image reference {text!r}", hint="remove surrounding whitespace")
    rest, at, digest = text.partition("@")
    if at and not is_digest(digest):
        raise ImageRefError(f"invalid digest {digest!r} in image {text!r}", hint="expected sha256:<64 hex digits>")
    if digest.startswith("sha256:") and not _SHA256.match(digest):
        raise ImageRefError(f"invalid sha256 digest in image {text!r}", hint="expected sha256:<64 lowercase hex digits>")
    name, tag = rest, None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        name, tag = rest[:colon], rest[colon + 1 :]
        if not TAG_PATTERN.match(tag):
            raise ImageRefError(f"invalid tag {tag!r} in image {text!r}")
    registry, path = split_name(name)
    return ImageRef(registry=registry, path=path, tag=tag, digest=digest or None, written_name=name)


def normalise_repository(name: str) -> str:
    """``nginx`` -> ``docker.io/library/nginx``; a tag or digest on ``name`` is dropped."""
    return parse_image_ref(name).repository
