"""Split a YAML stream into documents and load only those that may be Flux image objects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from automator.model import Problem

_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_GROUP = "image.toolkit.fluxcd.io"
_KINDS = ("ImagePolicy", "ImageRepository")


def _chunks(text: str) -> Iterator[tuple[str, int]]:
    """``(document text, first line number)`` for each ``---``-separated document."""
    start, line = 0, 1
    for match in _DOCUMENT_START.finditer(text):
        yield text[start : match.start()], line
        line += text.count("\n", start, match.start())
        start = match.start()
    yield text[start:], line


def flux_documents(text: str, file: str) -> tuple[list[tuple[Any, int]], list[Problem]]:
    """Load the documents of ``text`` that mention a Flux image kind; report unreadable ones."""
    loader = YAML(typ="safe", pure=True)
    documents: list[tuple[Any, int]] = []
    problems: list[Problem] = []
    for chunk, line in _chunks(text.lstrip("\ufeff")):
        if _GROUP not in chunk or not any(kind in chunk for kind in _KINDS):
            continue
        try:
            data = loader.load(chunk)
        except YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            at = line + mark.line if mark is not None else line
            problems.append(
                Problem(
                    message=f"{file}:{at}: cannot read this Flux image object: {getattr(error, 'problem', None) or error}",
                    file=file,
                    line=at,
                )
            )
            continue
        documents.append((data, line))
    return documents, problems
