"""Promotion: take the tag that runs in another environment once it has run there long enough.

The age of a tag upstream comes from the git history of the upstream file: the oldest commit
of the unbroken run of commits (from HEAD backwards, along the first parents: when a branch was
merged, the merge brought the tag) in which the file carries that tag, and that digest when it
is written with one. Every image field the scan reads is read upstream too: ``image:`` fields,
Kustomize ``images:`` and the fields that the dialects locate (Helm values written as separate
repository and tag keys, ``automator.dev/`` paths, ...). The pure part reads texts;
:func:`file_history` (GitPython) is the I/O edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from automator.errors import AutomatorError, ImageRefError
from automator.imageref import ImageRef, parse_image_ref
from automator.rules.values import format_duration
from automator.values import value_type


@value_type
class Revision:
    commit: str
    committed: datetime
    text: str | None
    shallow: bool = False  # the history is cut here (a shallow clone): older commits unknown


@value_type
class Upstream:
    """What runs upstream: ``tag`` (with ``digest`` when written with one) since ``commit``
    (committed at ``since``)."""

    path: str
    tag: str
    commit: str
    since: datetime
    known: bool = True  # False when a shallow history hides when the tag arrived
    digest: str | None = None

    def soaked(self, soak: timedelta, now: datetime) -> bool:
        return now - self.since >= soak

    def describe(self, now: datetime) -> str:
        image = f"{self.tag}@{self.digest[:19]}" if self.digest else self.tag  # sha256: and 12 digits
        return f"{image} runs in {self.path} since {self.commit[:12]} ({format_duration(now - self.since)} ago)"


def _walk(node: Any, parent_name: str | None = None) -> Iterator[tuple[str | None, str]]:
    if isinstance(node, dict):  # ruamel.yaml's CommentedMap
        name = node.get("name") if isinstance(node.get("name"), str) else None
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield name, value
            elif key == "newName" and isinstance(value, str):
                tag = node.get("newTag")
                yield None, f"{value}:{tag}" if tag else value
            else:
                yield from _walk(value, name)
        if "newTag" in node and "newName" not in node and isinstance(node.get("name"), str):
            yield None, f"{node['name']}:{node['newTag']}"
    elif isinstance(node, list):  # CommentedSeq
        for item in node:
            yield from _walk(item, parent_name)


Running = tuple[str, str | None]  # (tag, digest) of an image field


def _plain_fields(text: str) -> Iterator[tuple[str | None, ImageRef]]:
    """(container name, reference) of every ``image:`` field and Kustomize image of the text."""
    from ruamel.yaml import YAML  # only when a promotion reads history
    from ruamel.yaml.error import YAMLError

    try:
        documents = list(YAML(typ="rt").load_all(text))
    except YAMLError:
        return
    for document in documents:
        for name, value in _walk(document):
            try:
                yield name, parse_image_ref(value)
            except ImageRefError:
                continue


def _located_fields(text: str) -> Iterator[tuple[str | None, ImageRef]]:
    """(container name, reference) of every field that the scan's dialects locate."""
    from automator.manifest.locators import locate_text

    for use in locate_text("upstream.yaml", text).uses:
        yield use.container, use.image


def images_in_text(text: str, repository: str, container: str | None = None) -> set[Running]:
    """(tag, digest) of ``repository`` (normalised) in a manifest's image fields: with
    ``container``, those of the container of that name (and of name-less fields such as a
    Kustomization's ``images:``) when there is one, else those of every container."""
    found = {(name, (ref.tag, ref.digest)) for name, ref in (*_plain_fields(text), *_located_fields(text))
             if ref.repository == repository and ref.tag}
    every = {running for _, running in found}
    if container is None:
        return every
    return {running for name, running in found if name in (container, None)} or every


def tags_in_text(text: str, repository: str, container: str | None = None) -> set[str]:
    """The tags of :func:`images_in_text`."""
    return {tag for tag, _digest in images_in_text(text, repository, container)}


def running_upstream(
    path: str, history: Iterable[Revision], repository: str, container: str | None = None
) -> Upstream | None:
    """The tag (and digest) at the newest revision and the oldest revision of its unbroken run."""
    running: Running | None = None
    first: Revision | None = None
    for revision in history:
        found = images_in_text(revision.text or "", repository, container)
        if running is None:
            if len(found) != 1:
                return None
            running = next(iter(found))
        elif running not in found:
            break
        first = revision
    else:
        if running is not None and first is not None and first.shallow:
            return Upstream(path, running[0], first.commit, first.committed, known=False, digest=running[1])
    if running is None or first is None:
        return None
    return Upstream(path, running[0], first.commit, first.committed, digest=running[1])


class PromotionError(AutomatorError):
    """The upstream file of a promotion cannot be read from git."""


def file_history(repo_root: Path, path: str, *, max_count: int = 500) -> Iterator[Revision]:
    """Revisions of ``path`` (relative to the repository root), newest first, lazily, along
    the first parents of HEAD (the history of the branch, not of the branches merged into it)."""
    import git

    try:
        repo = git.Repo(repo_root)
        shallow_file = Path(repo.git_dir) / "shallow"
        cut = set(shallow_file.read_text().split()) if shallow_file.exists() else set()
        commits = repo.iter_commits("HEAD", paths=path, max_count=max_count, first_parent=True)
        for commit in commits:
            try:
                blob = commit.tree / path
                text = blob.data_stream.read().decode("utf-8", errors="replace")
            except KeyError:
                text = None
            yield Revision(commit.hexsha, commit.committed_datetime, text, commit.hexsha in cut)
    except (git.exc.GitError, ValueError) as error:
        raise PromotionError(f"cannot read the git history of {path}: {error}") from None
