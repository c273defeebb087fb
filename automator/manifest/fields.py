"""Turn located value nodes into :class:`ImageUse` values (shared by every dialect)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from automator.errors import AutomatorError, ManifestError
from automator.imageref import parse_image_ref
from automator.manifest.yamldoc import Document, Node, text_of
from automator.model import ImageUse, PolicySpec, Problem, Span
from automator.values import value_type


@value_type
class ImageField:
    """Where one container's image lives: a whole reference, or repository + tag (+ registry)."""

    container: str
    image: Node  # the whole reference, or the repository when ``tag`` is given
    tag: Node | None = None
    registry: Node | None = None
    split: bool = False  # repository and tag are separate keys
    digest: Node | None = None  # a ``digest:`` key beside the tag key (Bitnami charts' values)


def make_uses(doc: Document, found: ImageField, policy: PolicySpec, dialect: str, workload: str) -> Iterator[ImageUse | Problem]:
    """The ImageUses of one image: its tag or whole reference and, when a ``digest:`` key
    beside the tag holds a digest (Bitnami charts render ``repository@digest`` then), that
    digest too, which an update moves to the new tag's (a ``digest`` field: plan.py); or
    Problems saying why not (a digest that does not read as one leaves the tag alone too)."""
    node = found.digest
    digest = (text_of(node) or "") if node is not None else ""
    use = make_use(doc, replace(found, digest=None), policy, dialect, workload)
    if node is None or not digest.strip() or not isinstance(use, ImageUse) or use.field != "tag":
        yield use
        return
    try:
        span, quote = _scalar(doc, node, f"container {found.container!r}: ")
        image = replace(use.image, digest=parse_image_ref(f"{use.image.repository}@{digest.strip()}").digest)
    except AutomatorError as error:
        yield Problem(f"{doc.where(node)}: the digest beside the tag of container {found.container!r}: {error}; "
                      "left alone", file=doc.file, image=use.image.repository, line=doc.line_of(node))
        return
    yield use
    yield replace(use, line=doc.line_of(node), span=span, field="digest", image=image, quote=quote, current=digest)


def make_use(doc: Document, found: ImageField, policy: PolicySpec, dialect: str, workload: str) -> ImageUse | Problem:
    """An ImageUse for the field that an update rewrites, or a Problem saying why not (for an
    image with a digest beside its tag: :func:`make_uses`)."""
    repo_text = text_of(found.image)
    if found.digest is not None and (text_of(found.digest) or "").strip():
        return Problem(
            f"{doc.where(found.digest)}: container {found.container!r} has a digest beside its tag, which this "
            "dialect does not move with the tag (it would still deploy the old image); left alone",
            file=doc.file, image=_repo_or_text(_joined(found.registry, repo_text)), line=doc.line_of(found.digest),
        )
    where = doc.where(found.image)
    try:
        if repo_text is None:
            raise AutomatorError(f"the image of container {found.container!r} is not a plain value")
        what = f"container {found.container!r}: "
        name = _joined(found.registry, repo_text)
        if found.tag is not None:
            span, quote = _scalar(doc, found.tag, what)
            tag = text_of(found.tag)
            ref = parse_image_ref(f"{name}:{tag}" if tag else name)
            node, kind = found.tag, "tag"
        else:
            # no tag key: the value itself carries the tag (Flux v1 writes repo:newtag back into it)
            span, quote = _scalar(doc, found.image, what)
            written = parse_image_ref(repo_text)
            if found.split and not (written.tag or written.digest):
                raise AutomatorError(
                    f"container {found.container!r} has a repository ({repo_text}) but no tag key to update",
                    hint="add a tag key next to the repository",
                )
            ref = replace(parse_image_ref(name), written_name=written.written_name)
            node, kind = found.image, "image"
        if ref.digest and not ref.tag and dialect == "fluxv1":  # Flux v1 skipped these: so do we
            return Problem(
                f"{where}: image {ref.written} of container {found.container!r} is pinned by digest only; "
                "skipped, as Flux v1 did (write repo:tag@digest to automate it)",
                file=doc.file,
                image=ref.repository,
                line=doc.line_of(found.image),
                severity="warning",
            )
        if ref.digest and not ref.tag:  # repo:tag@digest is kept consistent (docs/rules.md)
            raise AutomatorError(
                f"image {ref.written} of container {found.container!r} is pinned by digest only; left alone",
                hint="write repo:tag@digest to let the digest move with the tag",
            )
    except AutomatorError as error:
        return Problem(f"{where}: {error}", file=doc.file, image=_repo_or_text(repo_text), line=doc.line_of(found.image))
    written = doc.text[span.start : span.end]
    return ImageUse(
        file=doc.file,
        line=doc.line_of(node),
        span=span,
        field=kind,
        image=ref,
        container=found.container,
        policy=policy,
        dialect=dialect,
        workload=workload,
        quote=quote,
        current=written if kind == "tag" and ref.digest else None,  # a tag key written tag@digest
    )


def _joined(registry: Node | None, repository: str | None) -> str | None:
    """The repository with the registry of a registry key before it."""
    prefix = text_of(registry) if registry is not None else None
    return f"{prefix.rstrip('/')}/{repository}" if prefix and repository is not None else repository


def _scalar(doc: Document, node: Node, what: str) -> tuple[Span, str]:
    try:
        return doc.scalar(node)
    except ManifestError as error:
        raise ManifestError(what + error.message, hint=error.hint) from None


def _repo_or_text(text: str | None) -> str:
    if not text:
        return ""
    try:
        return parse_image_ref(text).repository
    except AutomatorError:
        return text.strip()
