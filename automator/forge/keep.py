"""When an open pull request of ours must stay as it is (pure).

A run only judges what it has seen. An open PR holds updates that this run could not judge
when they concern an image or a file that could not be checked (a registry error, a file that
could not be read), or an image outside the scope of an event-driven run (``--pushed``,
``--event``: the run is about the pushed images only). Such a PR is neither closed nor
rewritten without those updates: it is reported as ``kept``, and a later run that sees
everything brings it up to date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from automator.forge.body import Marker
from automator.model import Plan, Update


def _concerns(problem_image: str, repository: str) -> bool:
    """Whether a problem's image names ``repository``: the same name, with a tag or digest,
    or a short spelling of it (``nginx`` for ``docker.io/library/nginx``); whole names only,
    so ``ghcr.io/acme/podinfo-worker`` is not ``ghcr.io/acme/podinfo``."""
    name = problem_image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:  # a tag, not a registry port
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name == repository or repository.endswith("/" + name)


def blocked_by_problems(repositories: Collection[str], files: Collection[str], plan: Plan) -> str | None:
    """The message of the first error of ``plan`` about one of ``repositories`` or ``files``
    (an error about neither a file nor an image concerns everything)."""
    for problem in plan.errors:
        if not problem.file and not problem.image:
            return problem.message
        if problem.file and problem.file in files:
            return problem.message
        if problem.image and any(_concerns(problem.image, r) for r in repositories):
            return problem.message
    return None


def outside_scope(repositories: Iterable[str], scope: Collection[str] | None) -> str | None:
    """Why an event run must not judge these repositories (None: it may)."""
    if scope is None:
        return None
    outside = sorted(set(repositories) - set(scope))
    if not outside:
        return None
    return f"it holds updates of {', '.join(outside)}, which this event-driven run is not about"


def why_keep_stale(marker: Marker, plan: Plan, scope: Collection[str] | None) -> str | None:
    """Why a PR that this run no longer needs stays open (None: it may be closed)."""
    if scope is not None and not marker.repositories:
        return "its description does not list its images, and this event-driven run is not about every image"
    return outside_scope(marker.repositories, scope) or blocked_by_problems(marker.repositories, marker.files, plan)


def why_keep_as_is(marker: Marker, updates: Sequence[Update], plan: Plan, scope: Collection[str] | None) -> str | None:
    """Why a PR must not be rewritten to carry exactly ``updates``: it holds updates that
    ``updates`` drop and that this run could not judge (None: it may be rewritten)."""
    ours = {(u.use.file, u.use.image.repository) for u in updates}
    listed = {(str(u.get("file", "")), str(u.get("image", ""))) for u in marker.updates}
    if not listed:  # a compact marker lists nothing: judge the PR as a whole
        return why_keep_stale(marker, plan, scope) if scope is not None or plan.errors else None
    dropped = listed - ours
    if not dropped:
        return None
    repositories = {image for _, image in dropped}
    files = {file for file, _ in dropped}
    return outside_scope(repositories, scope) or blocked_by_problems(repositories, files, plan)
