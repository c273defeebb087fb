"""Rendered branch names always satisfy git's rules, whatever the fields bring in.

An environment directory or an image name may hold what git refuses in a ref (``..``, a path
component ending with ``.lock``), and ``{images}`` over many images may make a component longer
than a file name may be. Such parts are made safe; the names that were valid stay unchanged.
"""

from __future__ import annotations

import subprocess

import pytest

from automator.forge.naming import env_slug, render_branch

MAX_COMPONENT = 250  # bytes: a file name may have 255, and git writes '<ref>.lock' beside a ref
MANY = [f"service-number-{i:02d}-backend" for i in range(12)]


def git_accepts(branch: str) -> bool:
    return subprocess.run(["git", "check-ref-format", f"refs/heads/{branch}"], capture_output=True).returncode == 0


@pytest.mark.parametrize(
    ("template", "env_path", "images"),
    [
        ("automator/{env}/{image}", "clusters/a...b", ["podinfo"]),
        ("automator/{env}/{image}", "clusters/prod.lock", ["podinfo"]),
        ("automator/{env}/{images}", "clusters/prod", MANY),
        ("automator/{images}.{env}", "clusters/a..", MANY),
    ],
)
def test_what_the_fields_bring_in_never_makes_a_name_git_refuses(template, env_path, images):
    branch = render_branch(template, env=env_slug(env_path), image="all", images=images)

    assert git_accepts(branch), branch
    assert all(len(part.encode()) <= MAX_COMPONENT for part in branch.split("/"))


def test_a_shortened_component_is_stable_and_tells_different_image_sets_apart():
    """A component cut to length ends with a hash of the whole: the same images always give the
    same branch (so its PR keeps being found), and other images another one."""
    first = render_branch("automator/{env}/{images}", env="prod", image="all", images=MANY)
    again = render_branch("automator/{env}/{images}", env="prod", image="all", images=list(MANY))
    other = render_branch("automator/{env}/{images}", env="prod", image="all", images=[*MANY[:-1], "service-number-99-backend"])

    assert len(first.rsplit("/", 1)[-1]) <= MAX_COMPONENT
    assert first == again != other
    assert first.startswith("automator/prod/service-number-00-backend+")
