"""The tag source of an event-driven run: each use's current tag and the pushed tags.

A push event says which tag is new; nothing else in the repository changed. So an
event-driven run considers only the uses of the pushed repositories, and each use chooses
between its current tag and the pushed ones, with its policy and every rule as in a full run.
The listing is made from the event itself: policies that need no build time make no registry
request at all. Build times and digests (for build-time policies, minimum age, digest fields)
are asked of the real tag source for the few tags that need them, and that source is only
created when something asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from automator.errors import AutomatorError, RegistryError
from automator.events.pushed import PushedImage, distinct
from automator.model import ImageUse, TagInfo
from automator.tagsource import TagSource
from automator.values import value_type

# dialects whose automated fields need not spell the image: a Flux v2 marker names a policy,
# an Argo CD Image Updater configuration names an alias
INDIRECT_MARKERS = ("$imagepolicy", "argocd-image-updater")


@value_type
class PushedScope:
    """The pushed images of one run, by repository."""

    pushed: tuple[PushedImage, ...]
    _tags: Mapping[str, tuple[TagInfo, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_repository: dict[str, list[TagInfo]] = {}
        for image in distinct(self.pushed):
            by_repository.setdefault(image.repository, []).append(TagInfo(image.tag, digest=image.digest))
        object.__setattr__(self, "_tags", {repo: tuple(tags) for repo, tags in by_repository.items()})

    @property
    def repositories(self) -> frozenset[str]:
        return frozenset(self._tags)

    @property
    def screen(self) -> tuple[str, ...]:
        """Substrings of which a file must hold one to concern the pushed repositories: the
        last path component of each (every spelling of a reference ends with it), and the
        markers of dialects that name an image elsewhere (Flux v2 policies, Argo CD)."""
        names = sorted({repository.rsplit("/", 1)[-1] for repository in self._tags})
        return (*names, *INDIRECT_MARKERS)

    def uses(self, uses: Iterable[ImageUse]) -> list[ImageUse]:
        """The uses a push concerns: those whose repository (normalised identity) was pushed."""
        return [use for use in uses if use.image.repository in self._tags]

    def tag_lists(self, uses: Iterable[ImageUse]) -> dict[str, tuple[TagInfo, ...]]:
        """Per pushed repository: the pushed tags, then the current tags of its uses."""
        lists = {repo: list(tags) for repo, tags in self._tags.items()}
        for use in uses:
            listed = lists.get(use.image.repository)
            if listed is not None and use.image.tag and all(info.tag != use.image.tag for info in listed):
                listed.append(TagInfo(use.image.tag))
        return {repo: tuple(tags) for repo, tags in lists.items()}

    def narrow(self, use: ImageUse, listed: Sequence[TagInfo]) -> Sequence[TagInfo]:
        """The candidates of one use: its current tag and the tags pushed to its repository."""
        pushed = {info.tag for info in self._tags.get(use.image.repository, ())}
        return tuple(info for info in listed if info.tag in pushed or info.tag == use.image.tag)


class PushedTagSource:
    """A :class:`TagSource` answering listings from the event and metadata from ``metadata_source``.

    ``metadata_source`` is asked only when a policy or rule needs a build time or a digest that
    the event did not carry; the command edge hands over a
    :class:`~automator.tagsource.LazyTagSource`, so the registries are not even opened otherwise.
    """

    def __init__(self, scope: PushedScope, uses: Iterable[ImageUse], metadata_source: TagSource | None) -> None:
        self.scope = scope
        self._lists = scope.tag_lists(uses)
        self._source = metadata_source

    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        return {
            repo: self._lists.get(repo) or RegistryError(f"{repo}: no tag of it was pushed")
            for repo in repositories
        }

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        if self._source is None:
            return {tag: RegistryError(f"{repository}:{tag}: no registry to read its metadata from") for tag in tags}
        return self._source.metadata(repository, tags)

    def platform_digest(self, repository: str, tag: str, platform: str) -> str:
        """The digest of one platform's image (for rules that pin a platform), from the registry."""
        lookup = getattr(self._source, "platform_digest", None)
        if lookup is None:
            raise RegistryError(f"{repository}:{tag}: no registry to read the {platform} digest from")
        return lookup(repository, tag, platform)
