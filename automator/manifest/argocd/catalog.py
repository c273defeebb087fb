"""The Argo CD Applications of a tree and how Argo CD Image Updater would update each (pure).

Applications (``argoproj.io/v1alpha1``) and ImageUpdater resources
(``argocd-image-updater.argoproj.io/v1alpha1``) are fed one by one (:meth:`AppsBuilder.add`);
:meth:`AppsBuilder.build` gives every Application that some configuration governs: by its
legacy annotations (``image-list``), or by an ImageUpdater whose ``applicationRefs[]`` select
it (``namePattern`` glob, ``labelSelectors.matchLabels`` on the manifest's labels; with
``useAnnotations: true`` the Application's annotations configure its images, as in Argo).

The source written for is ``spec.source`` or, of ``spec.sources``, the one Argo picks
(:func:`application_source`). ApplicationSets are not expanded: one whose template carries
Argo CD Image Updater annotations is a warning.

Only Applications whose source's ``repoURL`` is the repository being run are written
(compared with its origin remote, normalised; with no origin known, every Application is
taken as this repository's); ``git-repository`` (``gitConfig.repository``) names the
repository written to instead, as for a chart from a Helm repository. Another repository's
Application is a notice, not an error.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from automator.manifest.argocd.config import (
    IMAGE_LIST,
    PREFIX,
    ImageSettings,
    WriteBack,
    annotation_settings,
    images_from_annotations,
    make_image,
    settings_of,
    targets_of,
    write_back_of,
)
from automator.model import Problem
from automator.values import value_type

APP_API = "argoproj.io/"
UPDATER_API = "argocd-image-updater.argoproj.io/v1alpha1"
OVERRIDE_FILE = ".argocd-source-{name}.yaml"
NAMESPACED_OVERRIDE_FILE = ".argocd-source-{namespace}_{name}.yaml"


@value_type
class ArgoApp:
    """One Application the Automator updates, with the configuration that governs it."""

    name: str
    namespace: str
    file: str
    line: int | None
    origin: str  # "annotations" or "ImageUpdater <ns>/<name>"
    repo_url: str
    path: str
    kind: str  # "helm", "kustomize" or "" (decided from the files under path)
    images: tuple[ImageSettings, ...]
    write_back: WriteBack
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"Application {self.name}"

    def target_file(self, default: str = "") -> str:
        """The file its updates go to (a kustomization directory's file is found by the tree;
        of the override files, the tree picks the one that exists)."""
        kind, given = self.write_back.target_kind, self.write_back.target_path
        if kind == "":
            return _join(self.path, OVERRIDE_FILE.format(name=self.name))
        return _join(self.path, given or default)

    @property
    def namespaced_override_file(self) -> str | None:
        """``.argocd-source-<namespace>_<name>.yaml``: what Argo CD reads for an Application in a
        namespace other than its control plane's (None without a namespace)."""
        if not self.namespace:
            return None
        return _join(self.path, NAMESPACED_OVERRIDE_FILE.format(namespace=self.namespace, name=self.name))


def _join(base: str, path: str) -> str:
    if path.startswith("/"):
        return posixpath.normpath(path.lstrip("/")) or "."
    joined = posixpath.normpath(posixpath.join(base or ".", path or "."))
    return "" if joined == "." else joined


def normalise_url(url: str) -> str:
    """A repository URL reduced to ``host/path`` (scheme, user, ``.git`` and case of host dropped)."""
    url = url.strip()
    scp = re.fullmatch(r"(?:[^@/]+@)?([^:/]+):(?!//)(.+)", url)
    if scp and "://" not in url:
        host, path = scp.groups()
    else:
        rest = url.split("://", 1)[-1]
        rest = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
        host, _, path = rest.partition("/")
        host = host.rsplit(":", 1)[0] if host.rsplit(":", 1)[-1].isdigit() and "ssh" in url.split("://")[0] else host
    path = path.strip("/").removesuffix(".git").strip("/")
    return f"{host.lower()}/{path}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass
class _App:
    data: Mapping[str, Any]
    file: str
    line: int | None


class AppsBuilder:
    """Collects Applications and ImageUpdaters; :meth:`build` gives the governed Applications."""

    def __init__(self, origin: str | None = None) -> None:
        self.origin = normalise_url(origin) if origin else None
        self._apps: list[_App] = []
        self._updaters: list[_App] = []
        self.problems: list[Problem] = []

    def set_origin(self, origin: str | None) -> None:
        self.origin = normalise_url(origin) if origin else None

    @property
    def has_apps(self) -> bool:
        return bool(self._apps)

    def add(self, file: str, data: Any, line: int | None = None) -> None:
        if not isinstance(data, Mapping):
            return
        api, kind = _text(data.get("apiVersion")), data.get("kind")
        if kind == "Application" and api.startswith(APP_API):
            self._apps.append(_App(data, file, line))
        elif kind == "ApplicationSet" and api.startswith(APP_API) and _configures_images(data):
            name = _text(_mapping(data.get("metadata")).get("name"))
            self._problem(file, line, f"{file}: ApplicationSet {name}: its template carries {PREFIX} annotations, but "
                          "ApplicationSets are not expanded here, so the Applications it generates are not updated; "
                          "render them into a directory and give it with --argocd-apps DIR", "warning")
        elif kind == "ImageUpdater" and api.startswith("argocd-image-updater.argoproj.io/"):
            if api != UPDATER_API:
                self._problem(file, line, f"ImageUpdater in {file}: unsupported apiVersion {api!r} (expected {UPDATER_API})")
            else:
                self._updaters.append(_App(data, file, line))

    def _problem(self, file: str, line: int | None, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(message, file=file, line=line, severity=severity))  # type: ignore[arg-type]

    def build(self) -> tuple[list[ArgoApp], list[Problem]]:
        apps: list[ArgoApp] = []
        for app in self._apps:
            found = self._governed(app)
            if found is not None and self._ours(found):
                apps.append(found)
        return apps, self.problems

    # --- one Application -------------------------------------------------------------------

    def _governed(self, app: _App) -> ArgoApp | None:
        meta = _mapping(app.data.get("metadata"))
        name, annotations = _text(meta.get("name")), _mapping(meta.get("annotations"))
        labels = {k: v for k, v in _mapping(meta.get("labels")).items() if isinstance(v, str)}
        if not name:
            return None
        where = f"{app.file}: Application {name}"
        images: list[ImageSettings] = []
        origin, write_back = "", None
        if IMAGE_LIST in annotations:
            found, errors = images_from_annotations(annotations, source=app.file, line=app.line)
            for error in errors:
                self._problem(app.file, app.line, f"{where}: {error}")
            images, origin = found, "annotations"
            write_back = self._annotation_write_back(annotations, where, app)
        for updater, ref in self._refs_for(name, _text(meta.get("namespace")), labels):
            found, write_back = self._updater_images(updater, ref, annotations, app, where)
            if found:
                umeta = _mapping(updater.data.get("metadata"))
                images, origin = found, f"ImageUpdater {_text(umeta.get('namespace')) or 'default'}/{_text(umeta.get('name'))}"
        if not images or write_back is None:
            return None
        for image in images:
            for note in image.notes:
                self._problem(app.file, app.line, f"{where}: image {image.label}: {note}", "warning")
        source = application_source(_mapping(app.data.get("spec")), write_back.target_kind)
        if source is None:
            self._problem(app.file, app.line, f"{where}: none of its spec.sources has helm or kustomize, so Argo CD Image "
                          "Updater has no source to write to; left alone")
            return None
        kind = "helm" if "helm" in source or "chart" in source else "kustomize" if "kustomize" in source else ""
        return ArgoApp(
            name=name, namespace=_text(meta.get("namespace")), file=app.file, line=app.line, origin=origin,
            repo_url=_text(source.get("repoURL")), path=_text(source.get("path")).strip("/"), kind=kind,
            images=tuple(images), write_back=write_back, labels=labels,
        )

    def _annotation_write_back(self, annotations: Mapping[str, Any], where: str, app: _App) -> WriteBack | None:
        get = lambda key: annotations.get(PREFIX + key) if isinstance(annotations.get(PREFIX + key), str) else None  # noqa: E731
        try:
            return write_back_of(get("write-back-method"), get("git-branch"), get("write-back-target"), get("git-repository"))
        except ValueError as error:
            self._problem(app.file, app.line, f"{where}: {error}; the Application is left alone")
            return None

    def _refs_for(self, name: str, namespace: str, labels: Mapping[str, str]):
        for updater in self._updaters:
            spec = _mapping(updater.data.get("spec"))
            wanted_ns = _text(spec.get("namespace"))
            if wanted_ns and namespace and wanted_ns != namespace:
                continue
            refs = spec.get("applicationRefs")
            for ref in refs if isinstance(refs, list) else []:
                ref = _mapping(ref)
                pattern = _text(ref.get("namePattern"))
                if pattern and fnmatch.fnmatchcase(name, pattern) and _labels_match(_mapping(ref.get("labelSelectors")), labels):
                    yield updater, ref
                    break

    def _updater_images(self, updater: _App, ref: Mapping[str, Any], annotations: Mapping[str, Any], app: _App, where: str):
        spec = _mapping(updater.data.get("spec"))
        uwhere = f"{updater.file}: ImageUpdater {_text(_mapping(updater.data.get('metadata')).get('name'))}"
        base = settings_of(ref.get("commonUpdateSettings")).over(settings_of(spec.get("commonUpdateSettings")))
        wb_ref, wb_spec = _mapping(ref.get("writeBackConfig")), _mapping(spec.get("writeBackConfig"))
        git_ref, git_spec = _mapping(wb_ref.get("gitConfig")), _mapping(wb_spec.get("gitConfig"))
        try:
            write_back = write_back_of(
                _text(wb_ref.get("method")) or _text(wb_spec.get("method")) or None,
                _text(git_ref.get("branch")) or _text(git_spec.get("branch")) or None,
                _text(git_ref.get("writeBackTarget")) or _text(git_spec.get("writeBackTarget")) or None,
                _text(git_ref.get("repository")) or _text(git_spec.get("repository")) or None,
            )
        except ValueError as error:
            self._problem(updater.file, updater.line, f"{uwhere}: {error}")
            return [], None
        images: list[ImageSettings] = []
        if ref.get("useAnnotations") is True or str(ref.get("useAnnotations")).lower() == "true":
            found, errors = images_from_annotations(annotations, source=app.file, line=app.line)
            for error in errors:
                self._problem(app.file, app.line, f"{where}: {error}")
            return found, write_back
        listed = ref.get("images")
        for entry in listed if isinstance(listed, list) else []:
            entry = _mapping(entry)
            alias, written = _text(entry.get("alias")), _text(entry.get("imageName"))
            try:
                if not alias or not written:
                    raise ValueError("images[] needs alias and imageName")
                settings = settings_of(entry.get("commonUpdateSettings")).over(base)
                targets = targets_of(entry.get("manifestTargets"))
                if not any((targets.helm_name, targets.helm_tag, targets.helm_spec, targets.kustomize_name)):
                    _, targets = annotation_settings({}, alias)
                images.append(make_image(alias, written, settings, targets, source=updater.file, line=updater.line))
            except ValueError as error:
                self._problem(updater.file, updater.line, f"{uwhere}: image {alias or written!r}: {error}")
        return images, write_back

    def _ours(self, app: ArgoApp) -> bool:
        """Whether Argo would write to this repository: the one ``git-repository`` (or
        ``gitConfig.repository``) names, else the source's ``repoURL``."""
        written = app.write_back.repository or app.repo_url
        if self.origin is None or not written or normalise_url(written) == self.origin:
            return True
        how = "writes back to {}, not to" if app.write_back.repository else "deploys from {}, not from"
        self._problem(app.file, app.line, f"{app.file}: {app.label} {how.format(written)} this repository; "
                      "left alone (run the Automator on that repository)", "warning")
        return False


def _configures_images(appset: Mapping[str, Any]) -> bool:
    """An ApplicationSet whose template gives its Applications Argo CD Image Updater annotations."""
    template = _mapping(_mapping(appset.get("spec")).get("template"))
    annotations = _mapping(_mapping(template.get("metadata")).get("annotations"))
    return any(isinstance(key, str) and key.startswith(PREFIX) for key in annotations)


def application_source(spec: Mapping[str, Any], target_kind: str) -> Mapping[str, Any] | None:
    """The source Argo CD Image Updater writes for: ``spec.source``; of ``spec.sources``, as Argo's
    ``getApplicationSource``, the first with ``kustomize`` (``helm``) when the write-back target
    is a kustomization (Helm values), else the first with either; None when none has either."""
    if "source" in spec or not isinstance(spec.get("sources"), list):
        return _mapping(spec.get("source"))
    sources = [_mapping(source) for source in spec["sources"]]
    wanted = {"kustomization": ("kustomize",), "helmvalues": ("helm",)}.get(target_kind, ())
    for keys in (wanted, ("helm", "kustomize")):
        found = next((source for source in sources if any(key in source for key in keys)), None)
        if found is not None:
            return found
    return None


def _labels_match(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    wanted = _mapping(selector.get("matchLabels"))
    if any(labels.get(k) != str(v) for k, v in wanted.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        expression = _mapping(expression)
        key, op, values = _text(expression.get("key")), _text(expression.get("operator")), expression.get("values") or []
        has, value = key in labels, labels.get(key)
        if (op == "In" and value not in values) or (op == "NotIn" and value in values) \
                or (op == "Exists" and not has) or (op == "DoesNotExist" and has):
            return False
    return True
