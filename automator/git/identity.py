"""Who commits: the author (``--author``, a bot by default) and the committer.

Decision: the author is ``--author`` or :data:`DEFAULT_AUTHOR`. The committer is the identity
git is configured with (``user.name``/``user.email``, so a signing key that belongs to that
identity still matches); when git has no identity configured, the committer is the author.
"""

from __future__ import annotations

import re

from automator.errors import UsageError
from automator.values import value_type

_IDENTITY = re.compile(r"\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s]+)>\s*\Z")


@value_type
class Identity:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def author_env(self) -> dict[str, str]:
        return {"GIT_AUTHOR_NAME": self.name, "GIT_AUTHOR_EMAIL": self.email}

    def committer_env(self) -> dict[str, str]:
        return {"GIT_COMMITTER_NAME": self.name, "GIT_COMMITTER_EMAIL": self.email}


DEFAULT_AUTHOR = Identity("Deployment Automator", "automator@users.noreply.github.com")


def parse_identity(text: str) -> Identity:
    """Parse ``"Name <email>"``; raise :class:`UsageError` saying the expected shape."""
    match = _IDENTITY.match(text)
    if not match or not match.group("name") or "@" not in match.group("email"):
        raise UsageError(
            f"invalid identity {text!r}",
            hint='write it as "Name <email@example.com>"',
        )
    return Identity(match.group("name"), match.group("email"))
