"""Promotion: take the tag that runs in another environment once it has run there long enough.

The age of a tag upstream comes from the git history of the upstream file: the oldest commit
of the unbroken run of commits (from HEAD backwards) in which the file carries that tag. The
pure part reads texts; :func:`file_history` (GitPython) is the I/O edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from automator.errors import AutomatorError, ImageRefError
from automator.imageref import parse_image_ref
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
    """What runs upstream: ``tag`` since ``commit`` (committed at ``since``)."""

    path: str
    tag: str
    commit: str
    since: datetime
    known: bool = True  # False when a shallow history hides when the tag arrived

    def soaked(self, soak: timedelta, now: datetime) -> bool:
        return now - self.since >= soak

    def describe(self, now: datetime) -> str:
        return f"{self.tag} runs in {self.path} since {self.commit[:12]} ({format_duration(now - self.since)} ago)"


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


def tags_in_text(text: str, repository: str, container: str | None = None) -> set[str]:
    """Tags of ``repository`` (normalised) written in a manifest's image fields: with
    ``container``, those of the container of that name (and of name-less fields such as a
    Kustomization's ``images:``) when there is one, else those of every container."""
    from ruamel.yaml import YAML  # only when a promotion reads history
    from ruamel.yaml.error import YAMLError

    try:
        documents = list(YAML(typ="rt").load_all(text))
    except YAMLError:
        return set()
    found: list[tuple[str | None, str]] = []  # (container name, tag) of every field of the repository
    for document in documents:
        for name, value in _walk(document):
            try:
                ref = parse_image_ref(value)
            except ImageRefError:
                continue
            if ref.repository == repository and ref.tag:
                found.append((name, ref.tag))
    every = {tag for _, tag in found}
    if container is None:
        return every
    return {tag for name, tag in found if name in (container, None)} or every


def running_upstream(
    path: str, history: Iterable[Revision], repository: str, container: str | None = None
) -> Upstream | None:
    """The tag at the newest revision and the oldest revision of its unbroken run."""
    tag: str | None = None
    first: Revision | None = None
    for revision in history:
        tags = tags_in_text(revision.text or "", repository, container)
        if tag is None:
            if len(tags) != 1:
                return None
            tag = next(iter(tags))
        elif tag not in tags:
            break
        first = revision
    else:
        if first is not None and first.shallow:
            return Upstream(path=path, tag=tag or "", commit=first.commit, since=first.committed, known=False)
    if tag is None or first is None:
        return None
    return Upstream(path=path, tag=tag, commit=first.commit, since=first.committed)


class PromotionError(AutomatorError):
    """The upstream file of a promotion cannot be read from git."""


def file_history(repo_root: Path, path: str, *, max_count: int = 500) -> Iterator[Revision]:
    """Revisions of ``path`` (relative to the repository root), newest first, lazily."""
    import git

    try:
        repo = git.Repo(repo_root)
        shallow_file = Path(repo.git_dir) / "shallow"
        cut = set(shallow_file.read_text().split()) if shallow_file.exists() else set()
        commits = repo.iter_commits("HEAD", paths=path, max_count=max_count)
        for commit in commits:
            try:
                blob = commit.tree / path
                text = blob.data_stream.read().decode("utf-8", errors="replace")
            except KeyError:
                text = None
            yield Revision(commit.hexsha, commit.committed_datetime, text, commit.hexsha in cut)
    except (git.exc.GitError, ValueError) as error:
        raise PromotionError(f"cannot read the git history of {path}: {error}") from None
