"""Deterministic branch names and grouping of a plan's updates into pull requests (pure).

The default branch template is ``automator/{env}/{image}``:

* ``{env}`` is the environment path relative to the repository top, slugified
  (``clusters/prod`` -> ``clusters-prod``); empty when the whole repository is scanned, and
  empty path segments collapse (``automator/{env}/{image}`` -> ``automator/podinfo``).
* ``{image}`` is the image's short name (``ghcr.io/acme/podinfo`` -> ``podinfo``) with
  ``--pr-per image``; with one pull request per run it is ``all``, so the branch (and its pull
  request) stays the same while images come and go.
* ``{images}`` joins the short names of all images in the group (sorted, ``+``-separated).
"""

from __future__ import annotations

import hashlib
import os
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Literal

from automator.errors import ConfigError
from automator.model import Plan, Update
from automator.values import value_type

DEFAULT_TEMPLATE = "automator/{env}/{image}"
Grouping = Literal["run", "image"]
ALL_IMAGES = "all"
_FIELDS = {"env", "image", "images"}
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
LOCK = ".lock"
MAX_COMPONENT = 250  # a file name may have 255 bytes, and git writes "<ref>.lock" beside a ref
HASH_LENGTH = 10


@value_type
class Group:
    """The updates that go into one branch and one pull request."""

    branch: str
    image: str
    updates: tuple[Update, ...]

    @property
    def repositories(self) -> tuple[str, ...]:
        return tuple(sorted({u.use.image.repository for u in self.updates}))


def slugify(text: str) -> str:
    slug = _UNSAFE.sub("-", text.strip().lower()).strip("-.")
    return re.sub(r"-{2,}", "-", slug)


def env_slug(env_path: str) -> str:
    parts = [p for p in env_path.replace("\\", "/").split("/") if p not in ("", ".")]
    return slugify("-".join(parts))


def image_slug(repository: str) -> str:
    return slugify(repository.rsplit("/", 1)[-1])


def check_template(template: str) -> str:
    """Reject templates with unknown fields or no image/images field under per-image grouping."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ConfigError(f"--branch-template {template!r}: {error}") from None
    unknown = names - _FIELDS
    if unknown:
        raise ConfigError(
            f"--branch-template {template!r} uses unknown field(s) {', '.join(sorted(unknown))}",
            hint="available: {env}, {image}, {images}",
        )
    return template


def owned_prefix(template: str) -> str:
    """The literal text before the first field: branches under it belong to the tool."""
    literal = template.split("{", 1)[0]
    return literal if "/" in literal else ""


def _shorten(component: str) -> str:
    """A component cut to :data:`MAX_COMPONENT` bytes, ending with a short hash of the whole
    (stable: the same long name always gives the same short one)."""
    digest = hashlib.sha256(component.encode()).hexdigest()[:HASH_LENGTH]
    head = component[: MAX_COMPONENT - HASH_LENGTH - 1].rstrip(".-")
    return f"{head}-{digest}"


def _git_safe(component: str) -> str:
    """A path component git accepts: no ``..``, not starting or ending with ``.``, not ending
    with ``.lock``, at most :data:`MAX_COMPONENT` bytes. A component that already is one is
    returned unchanged."""
    while ".." in component:
        component = component.replace("..", ".")
    component = component.strip(".")
    while component.endswith(LOCK):
        component = (component[: -len(LOCK)] + "-lock").strip(".")
    if len(component.encode()) > MAX_COMPONENT:
        component = _shorten(component)
    return component


def _rendered(template: str, *, env: str, image: str, images: Sequence[str]) -> tuple[str, str]:
    """The template filled in, and the branch name made of it (before git's rules)."""
    raw = template.format(env=env, image=image, images="+".join(images))
    parts = [p.strip(".") for p in raw.split("/")]
    branch = "/".join(p for p in parts if p)
    return raw, re.sub(r"[^A-Za-z0-9._/+-]+", "-", branch).replace("..", ".")


def render_branch(template: str, *, env: str, image: str, images: Sequence[str]) -> str:
    """The branch name for a group. What the fields bring in is made safe (``..``, a
    component ending with ``.lock``, one longer than a file name may be); a template whose own
    text renders an invalid name is refused."""
    check_template(template)
    raw, branch = _rendered(template, env=env, image=image, images=images)
    _, plain = _rendered(template, env="x", image="x", images=["x"])
    if not plain or any(_git_safe(part) != part for part in plain.split("/")):
        raise ConfigError(f"--branch-template {template!r} renders an invalid branch name {raw!r}")
    branch = "/".join(c for c in (_git_safe(part) for part in branch.split("/")) if c)
    if not branch:
        raise ConfigError(f"--branch-template {template!r} renders an invalid branch name {raw!r}")
    return branch


def branch_prefix(template: str, env_path: str) -> str:
    """What every branch of an environment's pull requests starts with
    (``automator/clusters-prod/``): the branches of two images differ only after it. Empty
    when the template starts with the image."""
    env = env_slug(env_path)
    first, second = (render_branch(template, env=env, image=name, images=[name]) for name in ("a", "b"))
    return os.path.commonprefix([first, second])


def _without_registry(repository: str) -> str:
    """``ghcr.io/acme/web`` -> ``acme/web``: the path after a registry host."""
    first, _, rest = repository.partition("/")
    return rest if rest and ("." in first or ":" in first or first == "localhost") else repository


def image_names(repositories: Iterable[str]) -> dict[str, str]:
    """The ``{image}`` name of each repository: its short name (:func:`image_slug`), unless
    two of the repositories share it; those are told apart by their path without the registry
    (``acme-web``, ``other-web``), and by the whole repository if that is not enough."""
    repositories = sorted(set(repositories))
    names = {r: image_slug(r) for r in repositories}
    for fallback in (lambda r: slugify(_without_registry(r)), slugify):
        counts = Counter(names.values())
        names = {r: fallback(r) if counts[n] > 1 else n for r, n in names.items()}
    return names


def group_updates(
    plan: Plan, *, env_path: str, template: str = DEFAULT_TEMPLATE, per: Grouping = "run", apart: frozenset[str] = frozenset()
) -> tuple[Group, ...]:
    """Split the plan into groups, one per rendered branch name (sorted by branch). With one
    group per run, the updates of the repositories in ``apart`` (a rule's ``pr: {group:
    image}``) still get a group each, and the others stay together on the run's branch."""
    env = env_slug(env_path)
    if per == "run":
        together = tuple(u for u in plan.updates if u.use.image.repository not in apart)
        alone = tuple(u for u in plan.updates if u.use.image.repository in apart)
        groups = _per_image(replace(plan, updates=alone), env, template) if alone else ()
        if not together:
            return groups
        images = sorted({image_slug(u.use.image.repository) for u in together})
        branch = render_branch(template, env=env, image=ALL_IMAGES, images=images)
        return tuple(sorted((*groups, Group(branch, ALL_IMAGES, together)), key=lambda g: g.branch))
    return _per_image(plan, env, template)


def _per_image(plan: Plan, env: str, template: str) -> tuple[Group, ...]:
    # told apart among every image of the environment, not only the updated ones, so that a
    # name does not change with the images that happen to have an update
    names = image_names(u.image.repository for u in (*plan.uses, *(u.use for u in plan.updates)))
    by_branch: dict[str, list[Update]] = {}
    images: dict[str, str] = {}
    for update in plan.updates:
        name = names[update.use.image.repository]
        branch = render_branch(template, env=env, image=name, images=[name])
        by_branch.setdefault(branch, []).append(update)
        images.setdefault(branch, name)
    return tuple(Group(b, images[b], tuple(by_branch[b])) for b in sorted(by_branch))
