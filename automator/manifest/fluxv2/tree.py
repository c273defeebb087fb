"""The cheap first pass: collect the tree's ImagePolicy/ImageRepository objects.

Every manifest is read as bytes and screened for the kind names; only the few documents that
can be Flux image objects are composed. Nothing but the small objects is kept, so memory
stays flat however large the tree. Markers are located afterwards, by the locators bound to
the catalog this pass returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from automator.errors import ManifestError
from automator.manifest.discover import manifest_paths, names_under, read_each
from automator.manifest.fluxv2.catalog import (
    API_GROUP,
    AUTOMATION_KIND,
    KINDS,
    CatalogBuilder,
    FluxCatalog,
)
from automator.manifest.fluxv2.namespaces import (
    KUSTOMIZATION_FILES,
    ReadKustomization,
    applied_namespace,
)
from automator.manifest.fluxv2.sites import to_data
from automator.manifest.treefiles import TreeFiles
from automator.manifest.yamldoc import (
    Node,
    compose,
    is_mapping,
    is_scalar,
    is_sequence,
    split_documents,
)
from automator.model import Problem
from automator.values import value_type

READ_KINDS = (*KINDS, AUTOMATION_KIND)
_SCREEN = tuple(kind.encode() for kind in READ_KINDS)
_GROUP = API_GROUP.encode()


TEMPLATE = "{{"  # Go template syntax: a Helm chart's template, not an object Flux reads


@value_type
class HelmTemplate:
    """A document that is a Helm template of a Flux image object: not read (its values exist
    only once the chart is rendered), and never an error."""

    file: str
    line: int


def objects_of(file: str, text: str) -> Iterator[tuple[Any, int] | Problem | HelmTemplate]:
    """``(data, first line)`` of each document that may be a Flux image object, or a Problem;
    a Helm template of one is a :class:`HelmTemplate`: a document with Go template syntax
    that does not parse, or that parses as one (:func:`is_helm_template`)."""
    for chunk in split_documents(text):
        if API_GROUP not in chunk.text or not any(kind in chunk.text for kind in READ_KINDS):
            continue
        try:
            root = compose(chunk, chunk.first_line)
        except ManifestError as error:
            if _template_syntax(chunk.text):
                yield HelmTemplate(file, chunk.first_line)
            else:
                yield Problem(f"{file}:{chunk.first_line}: cannot read this Flux image object: {error.message}",
                              file=file, line=chunk.first_line)
            continue
        data = to_data(root)
        yield HelmTemplate(file, chunk.first_line) if is_helm_template(chunk.text, root, data) else (data, chunk.first_line)


MESSAGE_TEMPLATE = ("spec", "git", "commit", "messageTemplate")  # a Go template Flux itself evaluates


def is_helm_template(text: str, root: Node, data: Any) -> bool:
    """Whether a parsed document is a chart's template: unquoted, ``{{ .Release.Name }}`` reads
    as a mapping whose key is a mapping (no Kubernetes object has one); quoted, as a string
    holding ``{{`` (an ImageUpdateAutomation's commit message template aside)."""
    return _template_syntax(text) and (_complex_keys(root) or _holds_template(data, ()))


def _template_syntax(text: str) -> bool:
    """Whether ``{{`` stands in the text before any comment on its line."""
    at = text.find(TEMPLATE)
    while at >= 0:
        if "#" not in text[text.rfind("\n", 0, at) + 1 : at]:
            return True
        at = text.find(TEMPLATE, at + len(TEMPLATE))
    return False


def _complex_keys(node: Node) -> bool:
    if is_mapping(node):
        return any(not is_scalar(key) or _complex_keys(value) for key, value in node.value)
    if is_sequence(node):
        return any(_complex_keys(item) for item in node.value)
    return False


def _holds_template(data: Any, path: tuple[str, ...]) -> bool:
    if isinstance(data, str):
        return TEMPLATE in data and path != MESSAGE_TEMPLATE
    if isinstance(data, Mapping):
        return any(TEMPLATE in key or _holds_template(value, (*path, key)) for key, value in data.items())
    if isinstance(data, list):
        return any(_holds_template(item, (*path, "-")) for item in data)
    return False


def catalog_of(texts: Iterable[tuple[str, str]], read_kustomization: ReadKustomization | None = None) -> FluxCatalog:
    """The catalog of ``(file name, text)`` pairs (pure; :func:`read_catalog` feeds it files);
    ``read_kustomization``: the kustomization of a directory, for objects without a namespace."""
    builder = CatalogBuilder((lambda file: applied_namespace(file, read_kustomization)) if read_kustomization else None)
    for file, text in texts:
        for found in objects_of(file, text):
            if isinstance(found, Problem):
                builder.add_problem(found)
            elif isinstance(found, HelmTemplate):
                builder.add_template(found.file)
            else:
                builder.add(file, *found)
    return builder.build()


def _candidates(root: Path, read: Iterable[tuple[Path | str, bytes | OSError]], problems: list[Problem]) -> Iterator[tuple[str, str]]:
    name_of = names_under(root)
    for path, data in read:
        name = name_of(path)
        if isinstance(data, OSError):
            problems.append(Problem(f"{name}: cannot read ({data.strerror})", file=name))
            continue
        if _GROUP not in data or not any(kind in data for kind in _SCREEN):
            continue
        try:
            yield name, data.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(f"{name}: not UTF-8 text ({error.reason} at byte {error.start})", file=name))


def kustomization_data(text: str) -> Any:
    """The first document of a kustomization file (None when it does not parse)."""
    for chunk in split_documents(text):
        try:
            return to_data(compose(chunk, chunk.first_line))
        except ManifestError:
            return None
    return None


def kustomizations_under(root: Path) -> ReadKustomization:
    """Reads the kustomization of a directory under ``root`` (each directory once)."""
    read: dict[str, Any] = {}

    def kustomization(directory: str) -> Any:
        if directory not in read:
            read[directory] = None
            for name in KUSTOMIZATION_FILES:
                try:
                    data = kustomization_data((root / directory / name).read_text(encoding="utf-8-sig"))
                except (OSError, UnicodeDecodeError):
                    continue
                read[directory] = data if isinstance(data, Mapping) else None
                break
        return read[directory]

    return kustomization


SCREENS = (API_GROUP,)  # what a shared read of the tree must keep for this pass


def read_catalog(root: Path, paths: Iterable[Path] | None = None, files: TreeFiles | None = None) -> FluxCatalog:
    """Read the Flux image objects of ``root`` (every manifest under it unless ``paths``);
    ``files``: the tree as read once for the whole plan (kept with :data:`SCREENS`)."""
    root = Path(root)
    unread: list[Problem] = []
    read = files.items() if files is not None else read_each(manifest_paths(root) if paths is None else paths)
    catalog = catalog_of(_candidates(root, read, unread), kustomizations_under(root))
    if not unread:
        return catalog
    return replace(catalog, problems=(*unread, *catalog.problems))
