"""Regular expressions as users write them for Flux (Go RE2 syntax), and extract templates.

Go and Python agree on the syntax people use in tag filters; the one common difference,
named groups spelled ``(?<name>...)``, is accepted here too. An extract template follows Go's
``Regexp.Expand``: ``$1``, ``$name`` or ``${name}`` insert a group (a name is the longest
run of letters, digits and ``_``; a group number has no leading zero), ``$$`` is a literal
``$``, and a ``$`` not followed by a name is kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GO_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<(?=[A-Za-z_])")
_LEADING_DIGITS = re.compile(r"[0-9]*")
_TEMPLATE_REF = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+)|(\$))")


def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Go-style regular expression; raises ``re.error`` when it is invalid."""
    return re.compile(_GO_NAMED_GROUP.sub("(?P<", pattern))


@dataclass(frozen=True)
class Template:
    """A parsed extract template: literal text and group references, in order."""

    text: str
    pieces: tuple[str | int, ...]  # str: literal text; int: group number

    def expand(self, match: re.Match[str]) -> str:
        out = []
        for piece in self.pieces:
            if isinstance(piece, int):
                out.append(match.group(piece) or "")
            else:
                out.append(piece)
        return "".join(out)


def parse_template(text: str, regex: re.Pattern[str]) -> Template:
    """Resolve ``$1``/``$name``/``${name}`` against ``regex``; unknown groups are errors."""
    pieces: list[str | int] = []
    pos = 0
    for m in _TEMPLATE_REF.finditer(text):
        if m.start() > pos:
            pieces.append(text[pos : m.start()])
        pos = m.end()
        if m.group(3):
            pieces.append("$")
            continue
        name = m.group(1) or m.group(2)
        if name.isdigit() and (name == "0" or name[0] != "0"):  # Go: a number has no leading zero
            number = int(name)
            if number > regex.groups:
                raise ValueError(
                    f"${name} refers to group {number}, but the filter has "
                    f"{regex.groups} group{'s' if regex.groups != 1 else ''}"
                )
            pieces.append(number)
        elif name in regex.groupindex:
            pieces.append(regex.groupindex[name])
        else:
            known = ", ".join(sorted(regex.groupindex)) or "none"
            lead = _LEADING_DIGITS.match(name).group()
            hint = f"; write ${{{int(lead)}}}{name[len(lead):]} for group {int(lead)}" if lead else ""
            raise ValueError(f"${name} is not a named group of the filter (named groups: {known}){hint}")
    if pos < len(text):
        pieces.append(text[pos:])
    return Template(text, tuple(pieces))
