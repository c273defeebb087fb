"""The first pass for the ``argocd`` dialect (I/O): Applications and ImageUpdaters of the tree
(and of ``--argocd-apps`` directories), the origin remote, and each Application's target file.

Files are screened as bytes for ``argoproj.io`` before anything is parsed. The result binds
the locator (:func:`automator.manifest.argocd.locate.bind_apps`). A target file that locating
would never read (it mentions none of the locator's markers, or holds only comments; an
override file that does not exist yet) is read here with the same locator: its fields to add
(a file to create, a list or keys to add) and its problems come from this pass.

Every path and target must resolve (``..``, symlinks) inside the repository and be a regular
file where it exists; otherwise the Application is a problem and left alone.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import field, replace
from pathlib import Path

from automator.errors import ManifestError
from automator.manifest.argocd.catalog import AppsBuilder, ArgoApp
from automator.manifest.argocd.config import DEFAULT_HELM_TAG
from automator.manifest.argocd.locate import (
    HELMVALUES,
    KUSTOMIZATION,
    OVERRIDE,
    ArgoLocator,
    Target,
    _ref,
    markers_for,
    split_index,
)
from automator.manifest.discover import manifest_paths, names_under, read_each, read_text
from automator.manifest.fluxv2.sites import to_data
from automator.manifest.treefiles import TreeFiles
from automator.manifest.yamldoc import Document, compose, load_strings, split_documents
from automator.model import ImageUse, Problem
from automator.values import value_type

SCREEN = b"argoproj.io"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@value_type
class ArgoSettings:
    """``--argocd-apps``: directories of Application/ImageUpdater manifests outside the scan."""

    apps_dirs: tuple[Path, ...] = ()


@value_type
class ArgoTree:
    """What the first pass found: target file -> Applications, fields to create, problems."""

    apps: tuple[ArgoApp, ...] = ()
    targets: dict[str, tuple[Target, ...]] = field(default_factory=dict)
    insertions: tuple[ImageUse, ...] = ()
    problems: tuple[Problem, ...] = ()


def origin_url(root: Path) -> str | None:
    """The checkout's ``remote.origin.url`` (None outside a git checkout or without origin)."""
    try:
        done = subprocess.run(["git", "-C", str(root), "config", "--get", "remote.origin.url"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _objects(root: Path, read: Iterable[tuple[Path | str, bytes | OSError]], builder: AppsBuilder,
             seen: set[str]) -> None:
    """Add the Argo CD objects of the files ``read`` under ``root``; a file whose real path is
    in ``seen`` was read already (an ``--argocd-apps`` directory inside the repository), and
    the real paths of the files read are added to it."""
    name_of = names_under(root)
    for path, data in read:
        if isinstance(data, OSError):
            builder.problems.append(Problem(f"{name_of(path)}: cannot read ({data.strerror})", file=name_of(path)))
            continue
        if SCREEN not in data:
            continue
        real = os.path.realpath(root / path)  # only files that may hold Argo CD objects: few
        if real in seen:
            continue
        seen.add(real)
        name = name_of(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        for chunk in split_documents(text):
            if "argoproj.io" not in chunk.text or ("Application" not in chunk.text and "ImageUpdater" not in chunk.text):
                continue
            try:
                builder.add(name, to_data(compose(chunk, chunk.first_line)), chunk.first_line)
            except ManifestError as error:
                builder.problems.append(Problem(f"{name}:{chunk.first_line}: cannot read this Argo CD object: {error.message}",
                                                file=name, line=chunk.first_line))


SCREENS = (SCREEN.decode(),)  # what a shared read of the tree must keep for this pass


def read_tree(root: Path, apps_dirs: Sequence[Path] = (), origin: str | None = None, files: TreeFiles | None = None) -> ArgoTree:
    """Read the Argo CD objects under ``root`` and ``apps_dirs``; decide every target file.
    ``files``: the tree under ``root`` as read once for the whole plan (kept with :data:`SCREENS`)."""
    root = Path(root)
    _APPS_DIRS[str(root.resolve())] = tuple(apps_dirs)
    builder = AppsBuilder(origin)
    seen: set[str] = set()  # an Application read twice would be planned twice
    _objects(root, files.items() if files is not None else read_each(manifest_paths(root)), builder, seen)
    for directory in apps_dirs:
        _objects(Path(directory), read_each(manifest_paths(Path(directory))), builder, seen)
    if origin is None and builder.has_apps:  # asked of git only when there are Applications
        builder.set_origin(origin_url(root))
    apps, problems = builder.build()
    targets: dict[str, list[Target]] = {}
    for app in apps:
        found = _target(root, app, problems)
        if found is None:
            continue
        file, target = found
        targets.setdefault(file, []).append(target)
    markers = markers_for(targets)
    insertions: list[ImageUse] = []
    for file, found in targets.items():
        insertions.extend(_unread_target(root, file, tuple(found), markers, problems))
    return ArgoTree(tuple(apps), {f: tuple(t) for f, t in targets.items()}, tuple(insertions), tuple(problems))


def _notice(app: ArgoApp, message: str) -> Problem:
    return Problem(f"{app.file}: {app.label}: {message}", file=app.file, line=app.line, severity="warning")


def _target(root: Path, app: ArgoApp, problems: list[Problem]) -> tuple[str, Target] | None:
    write_back = app.write_back
    if not write_back.method.startswith("git"):
        problems.append(_notice(app, f"write-back-method {write_back.method} needs a cluster; written to git "
                                     "as the git method would"))
    if ":" in write_back.branch:
        problems.append(_notice(app, f"git-branch {write_back.branch!r} pushes to another branch, which is not "
                                     "supported; the change is committed where the run commits"))
    if any(image.platforms for image in app.images):
        problems.append(_notice(app, "platforms are not checked: tags are chosen whatever platforms they were built for"))
    base = root / app.path if app.path else root
    where = f"{app.file}: {app.label}"
    if _outside(root, app.path):
        problems.append(Problem(f"{where}: its path {app.path!r} resolves outside the repository; left alone",
                                file=app.file, line=app.line))
        return None
    if not base.is_dir():
        problems.append(Problem(f"{where}: its path {app.path or '.'!r} is not in this repository; left alone",
                                file=app.file, line=app.line))
        return None
    found = _written_target(root, app, problems)
    return None if found is None or _unsafe(root, app, found[0], problems) else found


def _written_target(root: Path, app: ArgoApp, problems: list[Problem]) -> tuple[str, Target] | None:
    """The file the Application's updates go to (None, with a problem, when there is none)."""
    write_back, kind = app.write_back, app.kind
    base = root / app.path if app.path else root
    kind = kind or ("kustomize" if any((base / n).is_file() for n in KUSTOMIZATION_FILES)
                    else "helm" if (base / "Chart.yaml").is_file() else "")
    where = f"{app.file}: {app.label}"
    if write_back.target_kind == "kustomization":
        if _outside(root, app.target_file()):
            return app.target_file(), Target(app, KUSTOMIZATION, "kustomize")  # refused by the caller
        directory = root / app.target_file()
        name = next((n for n in KUSTOMIZATION_FILES if (directory / n).is_file()), None)
        if name is None:
            problems.append(Problem(f"{where}: no kustomization in {directory.relative_to(root).as_posix() or '.'}; left alone",
                                    file=app.file, line=app.line))
            return None
        file = (directory / name).relative_to(root).as_posix()
        return file, Target(app, KUSTOMIZATION, "kustomize")
    if write_back.target_kind == "helmvalues":
        file = app.target_file("values.yaml")
        if not (root / file).is_file() and not _outside(root, file):
            problems.append(Problem(f"{where}: the values file {file} does not exist; left alone", file=app.file, line=app.line))
            return None
        return file, Target(app, HELMVALUES, "helm")
    if kind not in ("helm", "kustomize"):
        problems.append(Problem(f"{where}: neither a Helm nor a Kustomize application (Argo CD Image Updater "
                                "updates only those); left alone", file=app.file, line=app.line))
        return None
    if kind == "helm" and any(image.strategy == "digest" for image in app.images):
        problems.append(Problem(f"{where}: the digest strategy is supported for Kustomize applications only; left alone",
                                file=app.file, line=app.line))
        return None
    file = override_file(root, app, problems)
    return None if file is None else (file, Target(app, OVERRIDE, kind))


def override_file(root: Path, app: ArgoApp, problems: list[Problem]) -> str | None:
    """The override file Argo CD reads for ``app``: ``.argocd-source-<namespace>_<name>.yaml``
    when the Application's namespace is not the control plane's, else ``.argocd-source-<name>.yaml``.
    The repository does not say where the control plane runs, so the file that exists is the one
    written; with neither, ``<name>`` (as Argo CD Image Updater names it when not told its own
    namespace), with a warning for an Application outside ``argocd``; both: a problem."""
    plain, namespaced = app.target_file(), app.namespaced_override_file
    found = [file for file in (namespaced, plain) if file and (root / file).is_file()]
    if len(found) == 2:
        problems.append(Problem(f"{app.file}: {app.label}: both {namespaced} and {plain} exist, and Argo CD reads only "
                                "one of them; remove the other; left alone", file=app.file, line=app.line))
        return None
    if found:
        return found[0]
    if namespaced and app.namespace != "argocd":
        problems.append(_notice(app, f"{plain} is created; if Argo CD does not run in namespace {app.namespace}, it reads "
                                     f"{namespaced} instead: create that file empty and run again"))
    return plain


def _outside(root: Path, file: str) -> bool:
    """Whether ``root/file`` resolves (``..``, symlinks) to a place outside the repository."""
    real, top = os.path.realpath(root / file), os.path.realpath(root)
    return not (real == top or real.startswith(top.rstrip(os.sep) + os.sep))


def _unsafe(root: Path, app: ArgoApp, file: str, problems: list[Problem]) -> bool:
    """A target file that resolves outside the repository, or exists and is no regular file
    (a device, a directory, a dangling link): never read or written; a problem says so."""
    path = root / file
    if _outside(root, file):
        why = "resolves outside the repository"
    elif os.path.lexists(path) and not path.is_file():
        why = "exists and is not a regular file"
    else:
        return False
    problems.append(Problem(f"{app.file}: {app.label}: its write-back target {file} {why}; left alone",
                            file=app.file, line=app.line))
    return True


def _unread_target(root: Path, file: str, targets: tuple[Target, ...], markers: tuple[str, ...],
                   problems: list[Problem]) -> list[ImageUse]:
    """What locating would miss in a target file it never reads (no document mentions a marker
    or holds more than comments; an override file that does not exist yet): the fields to add
    (a file to create, a list or keys to add) and the problems (a kustomization without the
    image's entry), as the locator finds them."""
    path = root / file
    try:
        text = read_text(path) if path.exists() else ""  # as written: offsets count CRLFs
    except ManifestError:  # not UTF-8 or unreadable: reading the tree reports it
        return []
    documents = []
    for chunk in split_documents(text):
        content = _has_content(chunk.text)
        if content and any(marker in chunk.text for marker in markers):
            return []  # located (and a document that does not parse is reported there)
        try:
            node = compose(chunk, chunk.first_line) if content else None
        except ManifestError as error:
            problems.append(Problem(f"{file}: {error.message}", file=file, line=chunk.first_line))
            return []
        documents.append(Document(file, text, chunk, node))
    doc = next((d for d in documents if d.root is not None), documents[0])
    found: list[ImageUse] = []
    for item in ArgoLocator(targets={file: targets}, markers=markers).locate(doc):
        if isinstance(item, Problem):
            problems.append(item)
        elif item.insert and item.span.start == item.span.end:
            target = next(t for t in targets if f"Application/{t.app.name}" == item.workload)
            image = next(i for i in target.app.images if i.label == item.container)
            new_file = target.kind == OVERRIDE and not text.strip()
            found.append(replace(item, image=_ref(image, _source_tag(root, target, image))) if new_file else item)
    return found


def _has_content(text: str) -> bool:
    """Whether a document holds more than blank lines, comments, directives and markers."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "%")) and line not in ("---", "..."):
            return True
    return False


def _source_tag(root: Path, target: Target, image) -> str | None:
    """The tag the Application's source deploys before any override: the chart's values.yaml
    at the image's tag key, or the kustomization's images entry (None when not found)."""
    base = root / target.app.path if target.app.path else root
    try:
        if target.app_kind == "helm":
            data = load_strings((base / "values.yaml").read_text(encoding="utf-8"))
            key = image.helm_tag or DEFAULT_HELM_TAG
            if image.helm_spec or not isinstance(data, dict):
                return None
            value = data.get(key)
            for part in key.split(".") if value is None else ():
                name, index = split_index(part)
                data = data.get(name) if isinstance(data, dict) else None
                if index is not None:
                    data = data[index] if isinstance(data, list) and index < len(data) else None
            value = data if value is None else value
        else:
            name = next((n for n in KUSTOMIZATION_FILES if (base / n).is_file()), None)
            data = load_strings((base / name).read_text(encoding="utf-8")) if name else None
            wanted = image.kustomize_name or image.image
            entries = data.get("images") if isinstance(data, dict) else None
            value = next((e.get("newTag") for e in entries or () if isinstance(e, dict) and e.get("name") == wanted), None)
    except Exception:  # noqa: BLE001 - a source that cannot be read or parsed has no tag to report
        return None
    return value if isinstance(value, str) and value else None


def within(root: Path, scan_path: Path | None, uses: Iterable[ImageUse]) -> list[ImageUse]:
    """The uses whose file lies under ``scan_path`` (all of them without one)."""
    if scan_path is None:
        return list(uses)
    try:
        prefix = Path(scan_path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return []
    if prefix in ("", "."):
        return list(uses)
    return [u for u in uses if u.file == prefix or u.file.startswith(prefix + "/")]



# The --argocd-apps directories a checkout was read with in this process: re-locating a
# patched file (run.locators_for) reads the same Applications as planning did.
_APPS_DIRS: dict[str, tuple[Path, ...]] = {}


def apps_dirs_of(root: Path) -> tuple[Path, ...]:
    return _APPS_DIRS.get(str(Path(root).resolve()), ())
