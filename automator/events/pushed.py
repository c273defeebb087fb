"""A pushed image reference: the unit every event source is reduced to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from automator.errors import AutomatorError, UsageError
from automator.imageref import ImageRef, parse_image_ref
from automator.values import value_type


@value_type
class PushedImage:
    """One tag that was pushed to a repository (``digest`` when the event carried it)."""

    ref: ImageRef

    @property
    def repository(self) -> str:
        """The normalised identity, e.g. ``ghcr.io/acme/app``."""
        return self.ref.repository

    @property
    def tag(self) -> str:
        return self.ref.tag or ""

    @property
    def digest(self) -> str | None:
        return self.ref.digest

    def __str__(self) -> str:
        return self.ref.written


def parse_pushed(text: str, *, origin: str = "--pushed") -> PushedImage:
    """``registry/repository:tag[@sha256:…]`` as a :class:`PushedImage`; a usage error otherwise."""
    try:
        ref = parse_image_ref(text.strip())
    except AutomatorError as error:
        raise UsageError(f"{origin}: {error}", hint="write REGISTRY/REPOSITORY:TAG[@sha256:DIGEST]") from None
    if not ref.tag:
        raise UsageError(
            f"{origin}: {text.strip()!r} names no tag",
            hint="a push event is about a tag: write REGISTRY/REPOSITORY:TAG[@sha256:DIGEST]",
        )
    return PushedImage(ref)


def distinct(pushed: Iterable[PushedImage]) -> tuple[PushedImage, ...]:
    """The pushed images without repeats (same repository and tag), in the order first seen.

    A repeat that carries a digest replaces one without it."""
    found: dict[tuple[str, str], PushedImage] = {}
    for image in pushed:
        key = (image.repository, image.tag)
        if key not in found or (image.digest and not found[key].digest):
            found[key] = image
    return tuple(found.values())


def repositories(pushed: Sequence[PushedImage]) -> frozenset[str]:
    return frozenset(image.repository for image in pushed)
