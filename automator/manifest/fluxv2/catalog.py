r"""Flux ``ImagePolicy`` and ``ImageRepository`` objects found in the scanned tree.

The catalog maps ``namespace:name`` of every ImagePolicy to the repository its
ImageRepository scans and the tag policy it applies, in this project's terms:

* ``spec.policy.semver.range``      -> ``semver:<range>``
* ``spec.policy.alphabetical.order`` -> ``alphabetical:asc|desc`` (Flux's default: ``asc``)
* ``spec.policy.numerical.order``   -> ``numerical:asc|desc`` (Flux's default: ``asc``)
* ``spec.filterTags.pattern`` / ``.extract`` -> ``PolicySpec.filter`` / ``.extract``
* ``spec.digestReflectionPolicy`` (``Always``, ``IfNotPresent``, ``Never``) ->
  ``PolicySpec.digest_reflection``
* the ImageRepository's ``spec.exclusionList`` (Flux's default when absent: ``^.*\.sig$``)
  -> ``PolicySpec.exclude``

Semver policies read tags as Flux does (``PolicySpec.strict_versions``, see
:mod:`automator.policy.fluxsemver`).

Namespaces follow what Flux applies: an object without ``metadata.namespace`` is applied to
the ``default`` namespace; ``spec.imageRepositoryRef.namespace`` defaults to the ImagePolicy's
own namespace.

Objects are fed one by one (:meth:`CatalogBuilder.add`) while the tree is streamed; only
the few small objects are kept. A bad object becomes a :class:`Problem` naming the file and
the object; it never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from typing import Any, TypeVar

from automator.errors import ImageRefError
from automator.imageref import parse_image_ref
from automator.manifest.fluxv2.namespaces import AppliedNamespace
from automator.manifest.fluxv2.scope import AutomationScope, left_alone_by, scope_of
from automator.model import PolicySpec, Problem
from automator.policy.pattern import compile_go_regex
from automator.values import value_type

API_GROUP = "image.toolkit.fluxcd.io/"
API_VERSIONS = ("v1beta1", "v1beta2", "v1")
KINDS = ("ImagePolicy", "ImageRepository")
AUTOMATION_KIND = "ImageUpdateAutomation"  # read too: which policies apply to which files
DEFAULT_NAMESPACE = "default"
ORDERS = ("asc", "desc")
DIGEST_REFLECTION = ("Always", "IfNotPresent", "Never")
DEFAULT_EXCLUSIONS = ("^.*\\.sig$",)
_T = TypeVar("_T")


def screen(text: str) -> bool:
    """Cheap test: could this text hold an ImagePolicy or ImageRepository object?"""
    return "ImagePolicy" in text or "ImageRepository" in text


def is_flux_image_object(data: Any) -> bool:
    """True for a mapping of kind ImagePolicy/ImageRepository in the Flux image API group."""
    if not isinstance(data, Mapping) or data.get("kind") not in KINDS:
        return False
    api = data.get("apiVersion")
    return isinstance(api, str) and api.startswith(API_GROUP)


def is_automation(data: Any) -> bool:
    """True for an ImageUpdateAutomation in the Flux image API group."""
    if not isinstance(data, Mapping) or data.get("kind") != AUTOMATION_KIND:
        return False
    api = data.get("apiVersion")
    return isinstance(api, str) and api.startswith(API_GROUP)


@value_type
class FluxPolicy:
    """One usable ImagePolicy: what it scans and how it chooses (``spec.source`` is its file)."""

    key: str
    repository: str
    image_name: str
    spec: PolicySpec
    labels: Mapping[str, str] = field(default_factory=dict)  # metadata.labels, for policySelectors

    @property
    def reflects_digest(self) -> bool:
        """Whether Flux writes ``name:tag@digest`` for a whole-reference marker."""
        return self.spec.digest_reflection in ("Always", "IfNotPresent")


def nearness(a: str, b: str) -> int:
    """How many leading directories two relative file names share."""
    shared = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        shared += 1
    return shared


def nearest(candidates: Sequence[_T], file: str, where: Callable[[_T], str]) -> _T:
    """The candidate defined closest to ``file`` (the last one among equals)."""
    return max(reversed(candidates), key=lambda c: nearness(where(c), file))


@value_type
class FluxCatalog:
    """``namespace:name`` -> the ImagePolicies of that name; ``broken`` keys name failed ones.

    A repository holding several clusters often defines the same ``flux-system:app`` once per
    cluster; a marker then uses the definition nearest to its own file.
    """

    policies: Mapping[str, tuple[FluxPolicy, ...]] = field(default_factory=dict)
    broken: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    scopes: tuple[AutomationScope, ...] = ()  # the ImageUpdateAutomations of the tree
    unsure: frozenset[str] = frozenset()  # keys in 'default' although a kustomization around them sets a namespace
    templates: tuple[str, ...] = ()  # files holding Helm templates of Flux image objects (not read)

    def get(self, key: str, near: str = "") -> FluxPolicy | None:
        found = self.policies.get(key)
        return nearest(found, near, lambda p: p.spec.source or "") if found else None

    def left_alone(self, policy: FluxPolicy, file: str) -> str:
        """Why Flux would not apply ``policy`` to a marker in ``file`` ('' when it would): the
        ImageUpdateAutomations covering the file do not list it."""
        return left_alone_by(self.scopes, file, policy.key, policy.labels)

    def __len__(self) -> int:
        return len(self.policies)


@value_type
class _Object:
    kind: str
    namespace: str
    name: str
    spec: Mapping[str, Any]
    file: str
    line: int | None
    labels: Mapping[str, str] = field(default_factory=dict)


@value_type
class _Scanned:
    """What a usable ImageRepository scans: the repository, as written, and its exclusions."""

    repository: str
    image: str
    exclude: tuple[str, ...]


def _label(obj: _Object) -> str:
    return f"{obj.kind} {obj.namespace}:{obj.name}"


def policy_spec_of(
    spec: Mapping[str, Any], *, source: str, line: int | None, exclude: tuple[str, ...] = DEFAULT_EXCLUSIONS
) -> PolicySpec:
    """Translate an ImagePolicy ``spec`` into a :class:`PolicySpec`; raise ValueError if bad.

    ``exclude`` is the exclusion list of the ImageRepository it scans.
    """
    choice = spec.get("policy")
    if not isinstance(choice, Mapping) or len(choice) != 1:
        raise ValueError("spec.policy must hold exactly one of semver, alphabetical, numerical")
    (kind, body), = choice.items()
    body = body if body is not None else {}
    if not isinstance(body, Mapping):
        raise ValueError(f"spec.policy.{kind} must be a mapping")
    if kind == "semver":
        constraint = body.get("range")
        if not isinstance(constraint, str) or not constraint.strip():
            raise ValueError("spec.policy.semver.range is missing")
        text = f"semver:{constraint.strip()}"
    elif kind in ("alphabetical", "numerical"):
        order = body.get("order") or "asc"
        if order not in ORDERS:
            raise ValueError(f"spec.policy.{kind}.order must be asc or desc, not {order!r}")
        text = f"{kind}:{order}"
    else:
        raise ValueError(f"unknown policy kind spec.policy.{kind} (expected semver, alphabetical or numerical)")
    tags = spec.get("filterTags") or {}
    if not isinstance(tags, Mapping):
        raise ValueError("spec.filterTags must be a mapping")
    pattern, extract = tags.get("pattern") or None, tags.get("extract") or None
    for label, value in (("pattern", pattern), ("extract", extract)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"spec.filterTags.{label} must be a string")
    reflection = spec.get("digestReflectionPolicy") or ""
    if reflection and reflection not in DIGEST_REFLECTION:
        raise ValueError(f"spec.digestReflectionPolicy must be Always, IfNotPresent or Never, not {reflection!r}")
    return PolicySpec(
        spec=text,
        filter=pattern,
        extract=extract,
        source=source,
        line=line,
        exclude=exclude,
        strict_versions=kind == "semver",
        digest_reflection=reflection,
    )


def exclusions_of(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """An ImageRepository's ``spec.exclusionList`` (Flux's default when absent); ValueError if bad."""
    listed = spec.get("exclusionList")
    if listed is None:
        return DEFAULT_EXCLUSIONS
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise ValueError("spec.exclusionList must be a list of regular expressions")
    for item in listed:
        try:
            compile_go_regex(item)
        except ValueError as error:  # PatternSyntaxError: Go refuses it
            raise ValueError(f"spec.exclusionList: {item!r} is not a regular expression: {error}") from None
    return tuple(listed)


class CatalogBuilder:
    """Collects Flux image objects file by file; :meth:`build` resolves the references."""

    def __init__(self, applied: Callable[[str], AppliedNamespace] | None = None) -> None:
        """``applied``: the namespace the kustomizations around a file give its objects."""
        self._objects: list[_Object] = []
        self._problems: list[Problem] = []
        self._templates: list[str] = []
        self._applied = applied or (lambda file: AppliedNamespace())
        self._applied_to: dict[str, AppliedNamespace] = {}

    def add_documents(self, file: str, documents: Iterable[tuple[Any, int | None]]) -> None:
        """Add the loaded documents ``(data, first line)`` of one file; others are ignored."""
        for data, line in documents:
            self.add(file, data, line)

    def add(self, file: str, data: Any, line: int | None = None) -> None:
        """Add one loaded object; anything but a Flux ImagePolicy/ImageRepository/ImageUpdateAutomation is ignored."""
        if not is_flux_image_object(data) and not is_automation(data):
            return
        api = data["apiVersion"]
        where = f"{data['kind']} in {file}"
        if api[len(API_GROUP) :] not in API_VERSIONS:
            self._problem(file, line, f"{where}: unsupported apiVersion {api!r} (expected {API_GROUP}v1beta1, v1beta2 or v1)")
            return
        meta = data.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        if not isinstance(name, str) or not name:
            self._problem(file, line, f"{where}: metadata.name is missing; the object is ignored")
            return
        namespace = meta.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            namespace = None
        spec = data.get("spec")
        if not isinstance(spec, Mapping):
            spec = {}
        labels = meta.get("labels")
        labels = {str(k): "" if v is None else str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
        self._objects.append(_Object(data["kind"], namespace or "", name, spec, file, line, labels))

    def add_problem(self, problem: Problem) -> None:
        """Keep a problem met while reading objects (e.g. a document that does not parse)."""
        self._problems.append(problem)

    def add_template(self, file: str) -> None:
        """Note a file holding a Helm template of a Flux image object (not read, not an error)."""
        if file not in self._templates:
            self._templates.append(file)

    def _problem(self, file: str, line: int | None, message: str, image: str = "") -> None:
        self._problems.append(Problem(message=message, file=file, line=line, image=image))

    def _namespace(self, obj: _Object) -> str:
        return obj.namespace or self._applied_namespace(obj.file).namespace or DEFAULT_NAMESPACE

    def _applied_namespace(self, file: str) -> AppliedNamespace:
        if file not in self._applied_to:
            self._applied_to[file] = self._applied(file)
        return self._applied_to[file]

    def _unsure_keys(self) -> frozenset[str]:
        return frozenset(self._key(obj) for obj in self._objects if not obj.namespace and self._applied_namespace(obj.file).unsure)

    def build(self) -> FluxCatalog:
        self._warn_duplicates()
        repositories: dict[str, list[tuple[_Object, _Scanned | None]]] = {}
        for obj in self._objects:
            if obj.kind == "ImageRepository":
                repositories.setdefault(self._key(obj), []).append((obj, self._repository(obj)))
        policies: dict[str, list[FluxPolicy]] = {}
        broken: dict[str, str] = {}
        for obj in self._objects:
            if obj.kind != "ImagePolicy":
                continue
            key = self._key(obj)
            try:
                policies.setdefault(key, []).append(self._policy(obj, key, repositories))
            except ValueError as error:
                message = f"ImagePolicy {key} in {obj.file}: {error}"
                broken[key] = message
                self._problem(obj.file, obj.line, message)
        frozen = {key: tuple(found) for key, found in policies.items() if found}
        scopes = tuple(scope_of(obj.file, self._namespace(obj), obj.name, obj.spec) for obj in self._objects if obj.kind == AUTOMATION_KIND)
        return FluxCatalog(frozen, broken, tuple(self._problems), scopes, self._unsure_keys(), tuple(self._templates))

    def _key(self, obj: _Object) -> str:
        return f"{self._namespace(obj)}:{obj.name}"

    def _warn_duplicates(self) -> None:
        """Two objects of one kind and name in one directory: the last one counts."""
        seen: dict[tuple[str, str, str], _Object] = {}
        for obj in self._objects:
            key = (obj.kind, self._key(obj), obj.file.rpartition("/")[0])
            if key in seen:
                self._problems.append(
                    Problem(
                        message=f"{obj.kind} {key[1]} is defined in {seen[key].file} and again in {obj.file}; using the one in {obj.file}",
                        file=obj.file,
                        line=obj.line,
                        severity="warning",
                    )
                )
            seen[key] = obj

    def _repository(self, obj: _Object) -> _Scanned | None:
        image = obj.spec.get("image")
        label = f"{_label(obj)} in {obj.file}"
        if not isinstance(image, str) or not image.strip():
            self._problem(obj.file, obj.line, f"{label}: spec.image is missing")
            return None
        try:
            exclude = exclusions_of(obj.spec)
        except ValueError as error:
            self._problem(obj.file, obj.line, f"{label}: {error}", image=image)
            return None
        try:
            ref = parse_image_ref(image.strip())
        except ImageRefError as error:
            self._problem(obj.file, obj.line, f"{label}: spec.image {image!r} is not an image name: {error}", image=image)
            return None
        if ref.tag or ref.digest:  # Flux stalls it: ".spec.image value should not contain a tag"
            self._problem(obj.file, obj.line, f"{label}: spec.image {image.strip()!r} must name a repository without a tag "
                          "or digest (Flux stalls it)", image=image)
            return None
        return _Scanned(ref.repository, image.strip(), exclude)

    def _policy(self, obj: _Object, key: str, repositories: Mapping[str, list[tuple[_Object, _Scanned | None]]]) -> FluxPolicy:
        ref = obj.spec.get("imageRepositoryRef")
        if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
            raise ValueError("spec.imageRepositoryRef.name is missing")
        namespace = ref.get("namespace") or key.partition(":")[0]
        target = f"{namespace}:{ref['name']}"
        if target not in repositories:
            raise ValueError(f"its ImageRepository {target} is not in the scanned tree")
        _, repository = nearest(repositories[target], obj.file, lambda pair: pair[0].file)
        if repository is None:
            raise ValueError(f"its ImageRepository {target} is unusable (see the problem reported for it)")
        spec = policy_spec_of(obj.spec, source=obj.file, line=obj.line, exclude=repository.exclude)
        return FluxPolicy(key=key, repository=repository.repository, image_name=repository.image, spec=spec, labels=obj.labels)
