"""Argo CD Image Updater settings of one image, from either form its users write (pure).

Legacy Application annotations (``argocd-image-updater.argoproj.io/...``)::

    image-list: web=ghcr.io/acme/web:~1.2, worker=ghcr.io/acme/worker
    web.update-strategy: semver | newest-build (latest) | alphabetical (name) | digest
    web.allow-tags: regexp:^v[0-9.]+$ | any
    web.ignore-tags: "*-debug, sha-*"
    web.helm.image-name / web.helm.image-tag / web.helm.image-spec: Helm parameter names
    web.kustomize.image-name: the name the Kustomize images entry overrides

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
from automator.model import PolicySpec
from automator.values import value_type

PREFIX = "argocd-image-updater.argoproj.io/"
IMAGE_LIST = PREFIX + "image-list"
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
    """``alias=image[:constraint]`` -> (alias, image, constraint); raises ValueError."""
    text = text.strip()
    alias, sep, rest = text.partition("=")
    if not sep:
        alias, rest = "", text
    elif not alias.strip() or "/" in alias or ":" in alias:
        raise ValueError(f"{text!r}: an alias is letters, digits, '-', '.' or '_' before '='")
    rest = rest.strip()
    slash = rest.rfind("/")
    colon = rest.find(":", slash + 1)
    image, constraint = (rest, "") if colon < 0 else (rest[:colon], rest[colon + 1 :])
    if "@" in image:
        raise ValueError(f"{text!r}: write the image without a digest")
    if not image:
        raise ValueError(f"{text!r}: no image name")
    return alias.strip(), image, constraint.strip()


_GLOB_NESTING = 100  # {...} groups inside one another; Argo's tags never need more


def glob_regex(glob: str) -> str:
    """An ``ignore-tags`` glob as an anchored Go/RE2 regex, read as Argo CD Image Updater reads it
    (argo-cd's ``glob.Match``: github.com/gobwas/glob without separators): ``*`` and ``**`` any
    run of characters, ``?`` one, ``[abc]``, ``[a-z]``, ``[!abc]`` and ``[!a-z]`` one character
    of (or not of) a set or range, ``{a,b}`` either alternative (they nest) and ``\\`` makes the
    next character literal. Raises ValueError naming the glob when gobwas would refuse it (an
    unclosed ``[`` or ``{``, an empty ``[]``, a range written high to low, a lone final ``\\``):
    Argo would then ignore nothing with it."""
    try:
        body, _ = _glob_sequence(glob, 0, 0)
    except ValueError as error:
        raise ValueError(f"ignore-tags {glob!r}: {error}") from None
    return "^" + body + "$"


def _glob_sequence(glob: str, i: int, depth: int) -> tuple[str, int]:
    """The regex of the glob from ``i`` up to its end, or (inside ``{...}``) up to ``,`` or ``}``."""
    out, n = [], len(glob)
    while i < n:
        c = glob[i]
        if depth and c in ",}":
            break
        if c == "*":
            out.append(".*")
            i += 2 if glob.startswith("**", i) else 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            piece, i = _glob_class(glob, i)
            out.append(piece)
        elif c == "{":
            piece, i = _glob_alternatives(glob, i, depth + 1)
            out.append(piece)
        elif c == "\\":
            if i + 1 == n:
                raise ValueError("it ends with a lone '\\' (write '\\\\' for a backslash)")
            out.append(_literal(glob[i + 1]))
            i += 2
        else:
            out.append(_literal(c))
            i += 1
    return "".join(out), i


def _glob_alternatives(glob: str, i: int, depth: int) -> tuple[str, int]:
    """``{a,b,...}`` opening at ``i`` as ``(?:a|b|...)``, and the index after its ``}``."""
    if depth > _GLOB_NESTING:
        raise ValueError(f"'{{' groups are nested more than {_GLOB_NESTING} deep")
    start, alternatives = i, []
    while True:
        body, i = _glob_sequence(glob, i + 1, depth)
        alternatives.append(body)
        if i == len(glob):
            raise ValueError(f"the '{{' at character {start + 1} is never closed by '}}' (an ignore-tags "
                             "annotation is split at every comma: write one glob per alternative there)")
        if glob[i] == "}":
            return "(?:" + "|".join(alternatives) + ")", i + 1


def _glob_class(glob: str, i: int) -> tuple[str, int]:
    """``[...]`` opening at ``i`` as a regex class, and the index after its ``]``: a range
    (``a-z``, one character on each side) or a set of characters, after an optional ``!``."""
    start, n = i, len(glob)
    i += 1
    negated = glob.startswith("!", i)
    i += negated
    if i + 1 < n and glob[i + 1] == "-":
        if i + 3 >= n:
            raise ValueError(f"the '[' at character {start + 1} is never closed by ']'")
        if glob[i + 3] != "]":
            raise ValueError(f"the '[' at character {start + 1} holds more than a range: write one range "
                             "such as [a-z] or a set of characters such as [abc] (use {[a-z],[0-9]} for both)")
        low, high = glob[i], glob[i + 2]
        if high < low:
            raise ValueError(f"the range '{low}-{high}' at character {start + 1} runs from high to low")
        body, i = f"{_literal(low)}-{_literal(high)}", i + 4
    else:
        chars = []
        while i < n and glob[i] != "]":
            escaped = glob[i] == "\\" and i + 1 < n
            chars.append(glob[i + escaped])
            i += 1 + escaped
        if i == n:
            raise ValueError(f"the '[' at character {start + 1} is never closed by ']'")
        if not chars:
            raise ValueError(f"the '[' at character {start + 1} holds no character")
        body, i = "".join(map(_literal, chars)), i + 1
    return ("[^" if negated else "[") + body + "]", i


def _literal(c: str) -> str:
    """One character, literal in a Go/RE2 pattern, in or out of a class."""
    punctuation = c.isascii() and c.isprintable() and not c.isalnum() and c not in "_ "
    return "\\" + c if punctuation else c


def policy_for(image: str, constraint: str, settings: UpdateSettings, *, source: str, line: int | None) -> tuple[str, PolicySpec]:
    """The strategy name and the policy that chooses like Argo CD Image Updater; ValueError if bad."""
    given = settings.strategy or "semver"
    strategy = STRATEGIES.get(given)
    if strategy is None:
        raise ValueError(f"update strategy {given!r} is not one of semver, newest-build (latest), alphabetical (name), digest")
    allow = settings.allow_tags or None
    if allow is not None:
        if allow == "any":
            allow = None
        elif allow.startswith("regexp:"):
            allow = allow[len("regexp:") :]
        else:
            raise ValueError(f"allow-tags {allow!r} must be 'regexp:<expression>' or 'any'")
    exclude = tuple(glob_regex(g) for g in settings.ignore_tags or ())
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
    _, image, constraint = split_image(written)
    try:
        repository = normalise_repository(image)
    except ImageRefError as error:
        raise ValueError(f"{image!r} is not an image name: {error}") from None
    strategy, policy = policy_for(image, constraint, settings, source=source, line=line)
    return ImageSettings(
        alias=alias, image=image, repository=repository, constraint=constraint, strategy=strategy, policy=policy,
        helm_name=targets.helm_name, helm_tag=targets.helm_tag, helm_spec=targets.helm_spec,
        kustomize_name=targets.kustomize_name, platforms=settings.platforms or (),
        force_update=bool(settings.force_update),
    )


def _words(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(w.strip() for w in text.split(",") if w.strip())


def _flag(text: str | None) -> bool | None:
    return None if text is None else text.strip().lower() == "true"


def annotation_settings(annotations: Mapping[str, str], alias: str) -> tuple[UpdateSettings, Targets]:
    """The per-alias annotations of an Application."""
    def get(name: str) -> str | None:
        value = annotations.get(f"{PREFIX}{alias}.{name}") if alias else None
        return value.strip() if isinstance(value, str) else None

    settings = UpdateSettings(
        strategy=get("update-strategy"), allow_tags=get("allow-tags"), ignore_tags=_words(get("ignore-tags")),
        platforms=_words(get("platforms")), force_update=_flag(get("force-update")),
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
    """Where updates go: Argo's method, the branch, and the target (``kind[:path]``)."""

    method: str = "argocd"
    branch: str = ""
    target: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def target_kind(self) -> str:
        """``''`` (the .argocd-source file), ``kustomization`` or ``helmvalues``."""
        return self.target.partition(":")[0]

    @property
    def target_path(self) -> str:
        return self.target.partition(":")[2]


def write_back_of(method: str | None, branch: str | None, target: str | None) -> WriteBack:
    """A write-back config; raises ValueError for a target kind Argo does not know."""
    kind = (target or "").partition(":")[0]
    if kind not in ("", "kustomization", "helmvalues"):
        raise ValueError(f"write-back-target {target!r} must be kustomization[:path] or helmvalues[:path]")
    return WriteBack(method=(method or "argocd").strip(), branch=(branch or "").strip(), target=(target or "").strip())
