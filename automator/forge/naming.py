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

import re
import string
from collections.abc import Sequence
from typing import Literal

from automator.errors import ConfigError
from automator.model import Plan, Update
from automator.values import value_type

DEFAULT_TEMPLATE = "automator/{env}/{image}"
Grouping = Literal["run", "image"]
ALL_IMAGES = "all"
_FIELDS = {"env", "image", "images"}
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


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


def render_branch(template: str, *, env: str, image: str, images: Sequence[str]) -> str:
    raw = check_template(template).format(env=env, image=image, images="+".join(images))
    parts = [p.strip(".") for p in raw.split("/")]
    branch = "/".join(p for p in parts if p)
    branch = re.sub(r"[^A-Za-z0-9._/+-]+", "-", branch).replace("..", ".")
    if not branch or branch.endswith(".lock"):
        raise ConfigError(f"--branch-template {template!r} renders an invalid branch name {raw!r}")
    return branch


def group_updates(
    plan: Plan, *, env_path: str, template: str = DEFAULT_TEMPLATE, per: Grouping = "run"
) -> tuple[Group, ...]:
    """Split the plan into groups, one per rendered branch name (sorted by branch)."""
    env = env_slug(env_path)
    if per == "run":
        if not plan.updates:
            return ()
        images = sorted({image_slug(u.use.image.repository) for u in plan.updates})
        branch = render_branch(template, env=env, image=ALL_IMAGES, images=images)
        return (Group(branch, ALL_IMAGES, plan.updates),)
    by_branch: dict[str, list[Update]] = {}
    names: dict[str, str] = {}
    for update in plan.updates:
        name = image_slug(update.use.image.repository)
        branch = render_branch(template, env=env, image=name, images=[name])
        by_branch.setdefault(branch, []).append(update)
        names.setdefault(branch, name)
    return tuple(Group(b, names[b], tuple(by_branch[b])) for b in sorted(by_branch))
