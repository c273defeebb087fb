"""A proof without a parse: an edit that provably leaves a document's node tree as it was.

The patcher's general proof composes the new text of each edited document and compares its
tree and its located fields with the ones kept from locating (:mod:`automator.manifest.patch`).
For the common edit -- one tag for another inside a value that locating took whole -- the
outcome of that parse is known in advance, and this module decides when:

* **Scanning.** libyaml decides where a plain scalar ends from each character and the one after
  it (``: `` and `` #`` end it; in flow context also ``,[]{}``; a ``:`` before ``,?[]{}`` is an
  error there), and where a quoted scalar ends from its closing quote (and ``\\`` escapes). A
  new value made only of letters, digits and ``._/:+-``, starting with a letter or digit and
  not ending with ``:`` (so every ``:`` is followed by one of those characters), with no quote
  or backslash, is scanned exactly like the old one in any context: the same tokens, the same
  events, the same tree, apart from this scalar's value, which is now the new text (the old
  value was one line, written without escapes, from its first character: locating took it
  whole, see ``Document.whole``). Documents that may hold aliases are left to the parse.
* **Reading.** A new plain value must read as a string under every YAML reader
  (:func:`automator.manifest.scalars.needs_quotes`); quoted values always do.
* **Re-locating.** With the tree unchanged but for the edited scalars, the locators find the
  same fields; an edited field's state is what its own scalar says: a whole reference
  (``image``) parses to the planned repository and tag, a ``tag`` field holds the planned tag.
  This reading is checked against the old value too (the kept state must be what the old text
  says), and no other field of the document may have taken its repository from an edited
  value. Fields that locating assembled otherwise (names, digests, inserted keys, values that
  rules opted in) are left to the parse.

Anything else returns False, and the patcher parses (nothing is ever refused here).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence

from automator.errors import AutomatorError
from automator.imageref import parse_image_ref
from automator.manifest.scalars import needs_quotes
from automator.model import ImageUse, Update

SAFE = frozenset(string.ascii_letters + string.digits + "._/:+-")
FIRST = frozenset(string.ascii_letters + string.digits)
FIELDS = ("image", "tag")  # fields whose state is read from their own scalar alone
OPT_IN_DIALECTS = ("rules",)
MAX_LENGTH = 1000  # well under libyaml's 1024-character bound on a simple key


def eligible(use: ImageUse) -> bool:
    """Whether a located field may be patched with this proof (its new text decides the rest)."""
    return (
        use.field in FIELDS
        and not use.insert
        and use.current is None
        and use.image.digest is None
        and use.dialect not in OPT_IN_DIALECTS
    )


def safe_text(text: str, quote: str) -> bool:
    """Whether ``text`` scans as the same one scalar in the place of another safe value."""
    if not text or len(text) > MAX_LENGTH or text[0] not in FIRST or text[-1] == ":":
        return False
    if not SAFE.issuperset(text):
        return False
    return bool(quote) or not needs_quotes(text)


def _reads(use: ImageUse, text: str) -> tuple[str, str | None] | None:
    """The state (repository, tag) a field of ``use``'s kind holds when its scalar is ``text``."""
    if use.field == "tag":
        return use.image.repository, text
    try:
        ref = parse_image_ref(text)
    except AutomatorError:
        return None
    if ref.digest is not None:
        return None
    return ref.repository, ref.tag


def provable(
    old: str,
    whole: frozenset[int],
    aliases: bool,
    edits: Iterable[tuple[int, int, str, str]],
    updates: Mapping[int, Sequence[Update]],
    other_repositories: Iterable[str],
    opted_in: bool,
) -> bool:
    """Whether every edit of one document is proven without parsing it.

    ``old``: the file's text as located (the document's text digest was checked); ``whole`` and
    ``aliases``: what locating kept of the document; ``edits``: ``(start, end, new text, quote)``;
    ``updates``: the planned updates by span start; ``other_repositories``: repositories of the
    document's located fields that no edit touches; ``opted_in``: whether a locator that opts
    values in from outside the file (rules) reads this document.
    """
    if aliases or opted_in:
        return False
    olds = []
    for start, end, text, quote in edits:
        if start not in whole or not safe_text(text, quote):
            return False
        was = old[start:end]
        for update in updates.get(start, ()):
            use = update.use
            if use.quote != quote or not eligible(use):
                return False
            if _reads(use, was) != (use.image.repository, use.image.tag):
                return False  # the kept state is not what the old text says: parse
            if _reads(use, text) != (use.image.repository, update.to_tag):
                return False
        if not updates.get(start):
            return False
        olds.append(was)
    return not any(was in repository for was in olds for repository in other_repositories)
