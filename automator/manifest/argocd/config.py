"""Argo CD Image Updater settings of one image, from either form its users write (pure).

Legacy Application annotations (``argocd-image-updater.argoproj.io/...``)::

    image-list: web=ghcr.io/acme/web:~1.2, worker=ghcr.io/acme/worker
    web.update-strategy: semver | newest-build (latest) | alphabetical (name) | digest
    web.allow-tags: regexp:^v[0-9.]+$ | any
    web.ignore-tags: "*-debug, sha-*"  (Go's filepath.Match patterns: see ``globs``)
    web.helm.image-name / web.helm.image-tag / web.helm.image-spec: Helm parameter names
    web.kustomize.image-name: the name the Kustomize images entry overrides
    update-strategy / allow-tags / ignore-tags / force-update: for every image without its own

(an alias holding ``/`` is written with ``_`` in its annotations: ``acme/web`` -> ``acme_web.``),
or the ``ImageUpdater`` resource (``argocd-image-updater.argoproj.io/v1alpha1``), whose
``images[]`` carry ``alias``, ``imageName``, ``commonUpdateSettings`` and
``manifestTargets``. Strategies become this project's policies: ``semver`` keeps
Masterminds' loose reading (as Argo does), ``newest-build`` orders by build time like the
Flux v1 ``glob:`` policy, ``alphabetical`` is ``alphabetical:asc``, and ``digest`` follows the
digest of one mutable tag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field

from automator.errors import ImageRefError
from automator.imageref import normalise_repository
from automator.manifest.argocd.globs import BadPattern, match_regex
from automator.model import PolicySpec
from automator.values import value_type

PREFIX = "argocd-image-updater.argoproj.io/"
IMAGE_LIST = PREFIX + "image-list"
# Argo's strategy names (and their old names), read whatever their case, as Argo reads them
STRATEGIES = {"semver": "semver", "newest-build": "newest-build", "latest": "newest-build",
              "alphabetical": "alphabetical", "name": "alphabetical", "digest": "digest"}
DEFAULT_HELM_NAME, DEFAULT_HELM_TAG = "image.name", "image.tag"


@value_type
class ImageSettings:
    """One image of an Application as Argo CD Image Updater would update it."""

    alias: str
    image: str  # as written, without constraint
    repository: str
    constraint: str
    strategy: str
    policy: PolicySpec
    helm_name: str = ""
    helm_tag: str = ""
    helm_spec: str = ""
    kustomize_name: str = ""
    platforms: tuple[str, ...] = ()
    force_update: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)  # warnings about its settings

    @property
    def label(self) -> str:
        return self.alias or self.image


@value_type
class UpdateSettings:
    """``commonUpdateSettings`` (or the per-alias annotations), all optional."""

    strategy: str | None = None
    allow_tags: str | None = None
    ignore_tags: tuple[str, ...] | None = None
    platforms: tuple[str, ...] | None = None
    force_update: bool | None = None

    def over(self, base: UpdateSettings) -> UpdateSettings:
        """These settings where given, ``base`` elsewhere."""
        pick = lambda mine, theirs: theirs if mine is None else mine  # noqa: E731
        return UpdateSettings(
            pick(self.strategy, base.strategy), pick(self.allow_tags, base.allow_tags),
            pick(self.ignore_tags, base.ignore_tags), pick(self.platforms, base.platforms),
            pick(self.force_update, base.force_update),
        )


@value_type
class Targets:
    """``manifestTargets`` (or the helm./kustomize. annotations)."""

    helm_name: str = ""
    helm_tag: str = ""
    helm_spec: str = ""
    kustomize_name: str = ""


def split_image(text: str) -> tuple[str, str, str]:
    """``alias=image[:constraint]`` -> (alias, image, constraint); raises ValueError.

    As in Argo, the alias ends at the first ``=`` (a constraint may hold more: ``>=1.2``) and
    may hold ``/`` (its annotations then write it with ``_``)."""
    text = text.strip()
    alias, sep, rest = text.partition("=")
    if not sep:
        alias, rest = "", text
    elif not alias.strip() or ":" in alias:
        raise ValueError(f"{text!r}: what comes before the first '=' is the alias, which is not empty and has no ':' "
                         "(give an image whose constraint holds '=' an alias: web=ghcr.io/acme/web:>=1.2)")
    image, constraint = split_reference(rest)
    if not image:
        raise ValueError(f"{text!r}: no image name")
    return alias.strip(), image, constraint


def split_reference(text: str) -> tuple[str, str]:
    """``image[:constraint]`` -> (image, constraint), the constraint after the first ``:`` of the
    last path part (it may hold ``=``, ``<``, spaces); raises ValueError for a digest."""
    text = text.strip()
    colon = text.find(":", text.rfind("/") + 1)
    image, constraint = (text, "") if colon < 0 else (text[:colon], text[colon + 1 :])
    if "@" in image:
        raise ValueError(f"{text!r}: write the image without a digest")
    return image, constraint.strip()


def ignore_patterns(patterns: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The regexes of the ``ignore-tags`` patterns, and a note for each malformed one (it
    ignores nothing, as Go's ``filepath.Match`` matches nothing with it)."""
    regexes, notes = [], []
    for pattern in patterns:
        try:
            regexes.append(match_regex(pattern))
        except BadPattern as error:
            notes.append(f"ignore-tags {pattern!r} is not a valid pattern ({error}); it ignores no tag, as in Argo")
    return tuple(regexes), tuple(notes)


def allow_filter(allow: str | None) -> str | None:
    """The regex of ``allow-tags`` (``regexp:<re>``; ``any`` or nothing: None); ValueError if neither.
    Both words are read whatever their case, as Argo reads them."""
    if not allow or allow.lower() == "any":
        return None
    kind, sep, expression = allow.partition(":")
    if sep and kind.lower() == "regexp":
        return expression
    raise ValueError(f"allow-tags {allow!r} must be 'regexp:<expression>' or 'any'")


def policy_for(image: str, constraint: str, settings: UpdateSettings, *, source: str, line: int | None) -> tuple[str, PolicySpec]:
    """The strategy name and the policy that chooses like Argo CD Image Updater; ValueError if bad."""
    given = settings.strategy or "semver"
    strategy = STRATEGIES.get(given.lower())
    if strategy is None:
        raise ValueError(f"update strategy {given!r} is not one of semver, newest-build (latest), alphabetical (name), digest")
    allow = allow_filter(settings.allow_tags)
    exclude, _ = ignore_patterns(settings.ignore_tags or ())
    if strategy == "semver":
        spec = f"semver:{constraint}" if constraint else "semver:>=0.0.0-0"
    elif strategy == "newest-build":
        spec = "glob:*"
    elif strategy == "alphabetical":
        spec = "alphabetical:asc"
    else:
        if not constraint:
            raise ValueError(f"the digest strategy needs the tag to follow, e.g. {image}:latest")
        spec, allow = f"regex:^{re.escape(constraint)}$", None
    return strategy, PolicySpec(spec, filter=allow, source=source, line=line, exclude=exclude,
                                digest_reflection="Always" if strategy == "digest" else "")


def make_image(alias: str, written: str, settings: UpdateSettings, targets: Targets, *, source: str, line: int | None) -> ImageSettings:
    """One image's settings; raises ValueError naming what is wrong."""
    image, constraint = split_reference(written)
    if not image:
        raise ValueError(f"{written!r}: no image name")
    try:
        repository = normalise_repository(image)
    except ImageRefError as error:
        raise ValueError(f"{image!r} is not an image name: {error}") from None
    strategy, policy = policy_for(image, constraint, settings, source=source, line=line)
    return ImageSettings(
        alias=alias, image=image, repository=repository, constraint=constraint, strategy=strategy, policy=policy,
        helm_name=targets.helm_name, helm_tag=targets.helm_tag, helm_spec=targets.helm_spec,
        kustomize_name=targets.kustomize_name, platforms=settings.platforms or (),
        force_update=bool(settings.force_update), notes=ignore_patterns(settings.ignore_tags or ())[1],
    )


def _words(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(w.strip() for w in text.split(",") if w.strip())


def _flag(text: str | None) -> bool | None:
    return None if text is None else text.strip().lower() == "true"


def annotation_settings(annotations: Mapping[str, str], alias: str) -> tuple[UpdateSettings, Targets]:
    """The annotations of one image: ``<alias>.<key>`` (``/`` in the alias written ``_``), and for
    the update settings the Application-wide ``<key>`` where the alias has none (as Argo)."""
    own = f"{PREFIX}{alias.replace('/', '_')}." if alias else None

    def get(name: str, application_wide: bool = False) -> str | None:
        keys = ([own + name] if own else []) + ([PREFIX + name] if application_wide else [])
        value = next((annotations[key] for key in keys if key in annotations), None)
        return value.strip() if isinstance(value, str) else None

    settings = UpdateSettings(
        strategy=get("update-strategy", True), allow_tags=get("allow-tags", True),
        ignore_tags=_words(get("ignore-tags", True)), platforms=_words(get("platforms")),
        force_update=_flag(get("force-update", True)),
    )
    targets = Targets(get("helm.image-name") or "", get("helm.image-tag") or "", get("helm.image-spec") or "",
                      get("kustomize.image-name") or "")
    return settings, targets


def images_from_annotations(annotations: Mapping[str, str], *, source: str, line: int | None) -> tuple[list[ImageSettings], list[str]]:
    """The images of ``image-list`` with their per-alias settings, and an error per bad entry."""
    images, errors = [], []
    for entry in (annotations.get(IMAGE_LIST) or "").split(","):
        if not entry.strip():
            continue
        try:
            alias, image, constraint = split_image(entry)
            settings, targets = annotation_settings(annotations, alias)
            images.append(make_image(alias, f"{image}:{constraint}" if constraint else image, settings, targets, source=source, line=line))
        except ValueError as error:
            errors.append(f"image-list entry {entry.strip()!r}: {error}")
    return images, errors


def settings_of(data: object) -> UpdateSettings:
    """``commonUpdateSettings`` of an ImageUpdater level (absent: nothing set)."""
    if not isinstance(data, Mapping):
        return UpdateSettings()
    strategy, allow = data.get("updateStrategy"), data.get("allowTags")
    ignore, platforms, force = data.get("ignoreTags"), data.get("platforms"), data.get("forceUpdate")
    return UpdateSettings(
        strategy=str(strategy) if strategy is not None else None,
        allow_tags=str(allow) if allow is not None else None,
        ignore_tags=tuple(map(str, ignore)) if isinstance(ignore, Sequence) and not isinstance(ignore, str) else None,
        platforms=tuple(map(str, platforms)) if isinstance(platforms, Sequence) and not isinstance(platforms, str) else None,
        force_update=str(force).lower() == "true" if force is not None else None,
    )


def targets_of(data: object) -> Targets:
    """``manifestTargets`` of an ImageUpdater image."""
    if not isinstance(data, Mapping):
        return Targets()
    helm, kustomize = data.get("helm"), data.get("kustomize")
    helm = helm if isinstance(helm, Mapping) else {}
    kustomize = kustomize if isinstance(kustomize, Mapping) else {}
    text = lambda v: str(v) if v else ""  # noqa: E731
    return Targets(text(helm.get("name")), text(helm.get("tag")), text(helm.get("spec")), text(kustomize.get("name")))


@value_type
class WriteBack:
    """Where updates go: Argo's method, the branch, the target (``kind[:path]``) and the git
    repository written to when it is not the source's ``repoURL`` (``git-repository``)."""

    method: str = "argocd"
    branch: str = ""
    target: str = ""
    repository: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def target_kind(self) -> str:
        """``''`` (the .argocd-source file), ``kustomization`` or ``helmvalues``."""
        return self.target.partition(":")[0]

    @property
    def target_path(self) -> str:
        return self.target.partition(":")[2]


def write_back_of(method: str | None, branch: str | None, target: str | None, repository: str | None = None) -> WriteBack:
    """A write-back config; raises ValueError for a target kind Argo does not know."""
    kind = (target or "").partition(":")[0]
    if kind not in ("", "kustomization", "helmvalues"):
        raise ValueError(f"write-back-target {target!r} must be kustomization[:path] or helmvalues[:path]")
    return WriteBack(method=(method or "argocd").strip(), branch=(branch or "").strip(), target=(target or "").strip(),
                     repository=(repository or "").strip())
