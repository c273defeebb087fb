"""YAML documents with positions: split a file into documents, compose the screened ones.

Only documents that carry automation are composed (parsed to nodes with marks). The fast
path uses libyaml through PyYAML (about thirty times faster than a pure-Python parser);
without it, ruamel.yaml composes the same node shapes. Node marks are made absolute offsets
into the file text here, so locators and the patcher never deal with BOMs or document
offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from automator.errors import ManifestError
from automator.model import Span
from automator.values import value_type

try:  # pragma: no cover - depends on the installation
    import yaml as _pyyaml
    from yaml import nodes as _nodes

    FAST = bool(getattr(_pyyaml, "__with_libyaml__", False))
except ImportError:  # pragma: no cover
    _pyyaml = None
    FAST = False

if FAST:

    from yaml._yaml import CParser as _CParser
    from yaml._yaml import get_version as _libyaml_version

    class _TextLoader(_CParser):  # type: ignore[misc,name-defined]
        """libyaml's composer with no tag resolution at all: every scalar stays text.

        The composer calls back into Python for every node to resolve implicit tags; these
        constant answers keep that callback trivial (positions are all the locators need).
        """

        _TAGS = {
            _nodes.ScalarNode: "tag:yaml.org,2002:str",
            _nodes.SequenceNode: "tag:yaml.org,2002:seq",
            _nodes.MappingNode: "tag:yaml.org,2002:map",
        }

        def resolve(self, kind, value, implicit):  # noqa: ARG002 - libyaml's callback signature
            return self._TAGS[kind]

        def descend_resolver(self, current_node, current_index):
            pass

        def ascend_resolver(self):
            pass

# libyaml 0.2.5 and later read ``a:b`` as one plain scalar in flow context too (the patcher's
# proof without a parse relies on it: automator.manifest.sameshape)
COLONS_IN_FLOW = FAST and _libyaml_version() >= (0, 2, 5)

BOM = "\ufeff"
_MARKER_END = frozenset(("", " ", "\t", "\r", "\n"))  # what may follow ``---`` on a document marker line
_BEFORE_ALIAS = " \t\n[{,"  # an alias ``*name`` starts a line or follows one of these
_NOT_ALIAS_NAME = frozenset(("", " ", "\t", "\r", "\n", ",", "]", "}"))  # ... and a name follows
MAX_ALIASED_NODES = 1_000_000  # nodes that aliases may add to a document (a "billion laughs" bound)

Node = Any  # a composed node of PyYAML or ruamel.yaml: .tag, .value, .start_mark, .end_mark


@value_type
class Chunk:
    """One YAML document's text and where it starts in the file."""

    index: int
    start: int
    text: str
    first_line: int = 1


def split_documents(text: str) -> list[Chunk]:
    """Split at ``---`` lines (document markers can only occur at column 0); the directive
    lines (``%YAML``, ``%TAG``) just before a marker go with the document it starts."""
    start = 1 if text.startswith(BOM) else 0
    bounds = [start]
    for at in document_starts(text, start):
        at = directives_before(text, at, bounds[-1])
        if at != bounds[-1]:
            bounds.append(at)
    bounds.append(len(text))
    chunks, line = [], 1
    for i in range(len(bounds) - 1):
        piece = text[bounds[i] : bounds[i + 1]]
        chunks.append(Chunk(i, bounds[i], piece, line))
        line += piece.count("\n")
    return chunks


def document_starts(text: str, start: int = 0) -> Iterator[int]:
    """Offsets of the ``---`` marker lines at or after ``start`` (found with ``str.find``)."""
    at = start if text.startswith("---", start) else text.find("\n---", start)
    while at != -1:
        if text[at] == "\n":
            at += 1
        if text[at + 3 : at + 4] in _MARKER_END:
            yield at
        at = text.find("\n---", at + 3)


def directives_before(text: str, marker: int, floor: int) -> int:
    """Where the directive lines right before the ``---`` line at ``marker`` begin (comment
    and blank lines may sit among them); ``marker`` itself when there are none. Lines are
    looked at backwards from the marker, never before ``floor``."""
    begin = cursor = marker
    while cursor > floor:
        previous = max(text.rfind("\n", floor, cursor - 1) + 1, floor)
        line = text[previous:cursor].strip()
        if text.startswith("%", previous):  # a directive starts at column 0
            begin = previous
        elif line and not line.startswith("#"):
            break
        cursor = previous
    return begin


_UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")  # line breaks to YAML 1.1, not to git, grep or an editor


def text_line(text: str, mark: Any) -> int:
    """The 0-based line of a parser mark in ``text`` as git, grep and editors count it: the
    parser also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which a quoted
    value may hold."""
    line = mark.line
    if any(c in text for c in _UNICODE_BREAKS):
        before = text[: mark.index]
        line -= sum(before.count(c) for c in _UNICODE_BREAKS)
    return line


def compose(chunk: Chunk, first_line: int = 1, backend: str | None = None) -> Node | None:
    """Compose one document; raise :class:`ManifestError` (with the line) when it does not parse."""
    use_fast = FAST if backend is None else backend == "libyaml"
    try:
        if use_fast:
            root = _TextLoader(chunk.text).get_single_node()
        else:
            from ruamel.yaml import YAML

            root = YAML(typ="rt", pure=True).compose(chunk.text)
    except Exception as error:  # both libraries raise their own MarkedYAMLError trees
        mark = getattr(error, "problem_mark", None)
        where = f" at line {first_line + text_line(chunk.text, mark)}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ManifestError(f"YAML does not parse{where}: {problem}") from None
    aliased = has_alias(chunk.text)
    if root is not None and aliased:
        try:
            paths = alias_paths(root)
        except ManifestError as error:
            raise ManifestError(f"YAML cannot be read at line {first_line}: {error.message}") from None
        if sum(paths.values()) - len(paths) > MAX_ALIASED_NODES:
            raise ManifestError(
                f"YAML cannot be read at line {first_line}: its aliases expand it beyond "
                f"{MAX_ALIASED_NODES:,} nodes; write the values out"
            )
    from automator.manifest.bounds import check_depth  # the nesting bound (a hook into bounds.py)

    check_depth(root, first_line, chunk.text, aliased=aliased)
    return root


@dataclass
class Document:
    """A composed document of a file. Node offsets are made absolute by :meth:`offset`/:meth:`scalar`."""

    file: str
    text: str  # the whole file text
    chunk: Chunk
    root: Node
    # span starts of the one-line scalars handed out whole by :meth:`scalar` (no anchor or tag
    # before them): the values a patch may prove without a parse (automator.manifest.sameshape)
    whole: set[int] = field(default_factory=set)

    @property
    def first_line(self) -> int:
        return self.chunk.first_line

    def offset(self, mark: Any) -> int:
        return self.chunk.start + mark.index

    def line_of(self, node: Node) -> int:
        return self.first_line + text_line(self.chunk.text, node.start_mark)

    def where(self, node: Node) -> str:
        return f"{self.file}:{self.line_of(node)}"

    def scalar(self, node: Node) -> tuple[Span, str]:
        """The span of a scalar's text (quotes excluded) and its quote character ('' if plain).

        Raise :class:`ManifestError` for scalars that cannot be patched in place: block
        scalars, multi-line values, escapes. The message does not name the place; callers
        prefix it with :meth:`where` and what the value is.
        """
        if not is_scalar(node):
            raise ManifestError(f"expected a single value, found a {kind_name(node)}")
        start, end = value_bounds(self.text, node, self.chunk.start)
        raw = self.text[start:end]
        style = node.style or ""
        if style in ("|", ">"):
            raise ManifestError("image values in block scalars ('|', '>') are not supported; write the value on one line")
        if style in ('"', "'"):
            start, end, raw = start + 1, end - 1, raw[1:-1]
        elif raw == "":
            raise ManifestError("empty value; write a value or '' to let automation fill it")
        if raw != node.value or "\n" in raw or "\r" in raw:
            raise ManifestError(
                f"the value {node.value!r} is written with escapes or across lines; "
                "write it on one line without escapes"
            )
        if start - (1 if style else 0) == self.chunk.start + node.start_mark.index:
            self.whole.add(start)
        return Span(start, end), style


# an anchor or tag and what separates it from its value: blanks, and a comment and line breaks
# when the value starts on a later line (``image: &img # shared`` then the value)
_PROPERTIES = re.compile(r"(?:[&!][^ \t\r\n]*(?:[ \t]+(?:#[^\r\n]*)?|\r\n|\r|\n)+)+")


def load_strings(text: str) -> Any:
    """Load YAML data with every scalar as a string (no 1.10 -> 1.1, no dates)."""
    if FAST:
        return _pyyaml.load(text, Loader=_pyyaml.CBaseLoader)
    from ruamel.yaml import YAML

    return YAML(typ="base", pure=True).load(text)


def value_bounds(text: str, node: Node, base: int) -> tuple[int, int]:
    """Offsets of a scalar's text including quotes, after its anchor or tag (``&a``, ``!!str``)."""
    start, end = base + node.start_mark.index, base + node.end_mark.index
    if text[start : start + 1] in ("&", "!"):
        found = _PROPERTIES.match(text, start, end)
        if found:
            start = found.end()
    return start, end


def alias_paths(root: Node) -> dict[int, int]:
    """How many paths from the root reach each node (more than one only through aliases).

    Raise :class:`ManifestError` when a node contains itself (an alias inside its own anchor).
    """
    children: dict[int, list[Node]] = {}
    incoming: dict[int, int] = {id(root): 0}
    stack = [root]
    while stack:
        node = stack.pop()
        kids = [n for pair in node.value for n in pair] if is_mapping(node) else list(node.value) if is_sequence(node) else []
        children[id(node)] = kids
        for kid in kids:
            if id(kid) not in incoming:
                incoming[id(kid)] = 0
                stack.append(kid)
            incoming[id(kid)] += 1
    paths = {id(root): 1}
    ready = [root]
    while ready:  # in topological order, so each node's count is final before it is passed on
        node = ready.pop()
        for kid in children[id(node)]:
            paths[id(kid)] = paths.get(id(kid), 0) + paths[id(node)]
            incoming[id(kid)] -= 1
            if incoming[id(kid)] == 0:
                ready.append(kid)
    if len(paths) < len(children):
        raise ManifestError("a value contains itself through an alias, which Kubernetes cannot read either; remove that alias")
    return paths


def has_alias(text: str) -> bool:
    """Whether the text may hold an alias (``*name`` where a node can start).

    A search for ``*`` with :meth:`str.find` and a look at its neighbours: a regular
    expression that starts with an alternation cannot skip ahead and costs ten times more.
    """
    at = text.find("*")
    while at != -1:
        if (at == 0 or text[at - 1] in _BEFORE_ALIAS) and text[at + 1 : at + 2] not in _NOT_ALIAS_NAME:
            return True
        at = text.find("*", at + 1)
    return False


def shared_scalars(text: str, root: Node, base: int) -> dict[int, int]:
    """Scalars reached by more than one path through aliases: value start offset -> paths.

    Offsets are those of :meth:`Document.scalar` spans (after anchor, tag and opening quote).
    """
    found = {}
    for node, count in _shared(root, alias_paths(root)):
        if is_scalar(node):
            found[value_bounds(text, node, base)[0] + (1 if node.style in ('"', "'") else 0)] = count
    return found


def _shared(root: Node, paths: dict[int, int]) -> Iterator[tuple[Node, int]]:
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        if paths[id(node)] > 1:
            yield node, paths[id(node)]
        for kid in [n for pair in node.value for n in pair] if is_mapping(node) else node.value if is_sequence(node) else ():
            if id(kid) not in seen:
                seen.add(id(kid))
                stack.append(kid)


def is_scalar(node: Node) -> bool:
    return type(node).__name__ == "ScalarNode"


def is_mapping(node: Node) -> bool:
    return type(node).__name__ == "MappingNode"


def is_sequence(node: Node) -> bool:
    return type(node).__name__ == "SequenceNode"


def kind_name(node: Node) -> str:
    return {"MappingNode": "mapping", "SequenceNode": "list", "ScalarNode": "value"}.get(
        type(node).__name__, "node"
    )


def items(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping, following ``<<`` merge keys after own keys."""
    if not is_mapping(node):
        return
    merged = []
    for key, value in node.value:
        if not is_scalar(key):
            continue
        if key.value == "<<" and not key.style:
            merged.extend(value.value if is_sequence(value) else [value])
            continue
        yield key.value, key, value
    for other in merged:
        yield from items(other)


def get(node: Node, key: str) -> Node | None:
    for name, _, value in items(node):
        if name == key:
            return value
    return None


def get_path(node: Node, *keys: str) -> Node | None:
    for key in keys:
        if node is None:
            return None
        node = get(node, key)
    return node


def text_of(node: Node | None) -> str | None:
    """The string value of a scalar node (None for anything else or a null)."""
    if node is None or not is_scalar(node):
        return None
    if not node.style and node.value in ("", "~", "null", "Null", "NULL"):
        return None
    return node.value
