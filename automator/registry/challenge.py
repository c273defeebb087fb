"""Parse ``WWW-Authenticate`` headers (RFC 7235) into challenges.

One header may carry several challenges (``Bearer realm="…",scope="a,b", Basic realm="x"``);
quoted values may contain commas and escaped quotes. Scheme names are case-insensitive and
returned in lower case; parameter names are lower-cased too, values are kept as written.
"""

from __future__ import annotations

import re
from dataclasses import field

from automator.values import value_type

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_SPACE = re.compile(r"[ \t]*")


@value_type
class Challenge:
    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def skip_commas(self) -> None:
        while True:
            self.skip_space()
            if self.peek() != ",":
                return
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def token(self) -> str | None:
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group()

    def quoted(self) -> str:
        """Read a quoted string (the opening quote is at ``pos``); backslash escapes one char."""
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == '"':
                return "".join(out)
            out.append(char)
        return "".join(out)  # unterminated: take what is there

    def looks_like_param(self) -> bool:
        """True when a ``name =`` follows (a parameter), false for a new scheme or token68."""
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            return False
        rest = _SPACE.match(self.text, match.end()).end()  # type: ignore[union-attr]
        if rest >= len(self.text) or self.text[rest] != "=":
            return False
        # "abc==" is a token68, "name=value" is a parameter
        after = rest + 1
        return after >= len(self.text) or self.text[after] not in "=,"


def parse_www_authenticate(header: str) -> list[Challenge]:
    """All challenges in one header value; unparseable garbage is skipped, never raised."""
    scanner = _Scanner(header or "")
    challenges: list[Challenge] = []
    while True:
        scanner.skip_commas()
        if scanner.at_end():
            return challenges
        scheme = scanner.token()
        if scheme is None:  # garbage: skip one character and carry on
            scanner.pos += 1
            continue
        params: dict[str, str] = {}
        token68: str | None = None
        scanner.skip_space()
        if not scanner.looks_like_param():
            match = _TOKEN68.match(scanner.text, scanner.pos)
            if match and not scanner.looks_like_param():
                following = scanner.text[match.end() : match.end() + 1]
                if following in ("", ",", " ", "\t"):
                    token68 = match.group()
                    scanner.pos = match.end()
        while token68 is None:
            scanner.skip_commas()
            if not scanner.looks_like_param():
                break
            name = (scanner.token() or "").lower()
            scanner.skip_space()
            scanner.pos += 1  # "="
            scanner.skip_space()
            value = scanner.quoted() if scanner.peek() == '"' else (scanner.token() or "")
            params.setdefault(name, value)
        challenges.append(Challenge(scheme=scheme.lower(), params=params, token68=token68))


def find_challenge(challenges: list[Challenge], scheme: str) -> Challenge | None:
    return next((c for c in challenges if c.scheme == scheme), None)
