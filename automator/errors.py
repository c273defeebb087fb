"""One error tree for the whole tool, its exit codes, and secret scrubbing.

Every error the tool raises on purpose derives from :class:`AutomatorError`. The CLI has one
handler (``automator.cli.main``) that prints ``str(error)`` scrubbed of secrets and exits with
``error.exit_code``.

Exit codes (documented in the README):

* 0 ``OK``: everything was processed (with or without updates).
* 1 ``PARTIAL``: some file, image or registry could not be processed, or no tag qualified;
  everything else was still done.
* 2 ``USAGE``: invalid arguments, policy or configuration; nothing was done.
* 3 ``WRITE_FAILED``: the plan was made but could not be written back (push or forge refused).
* 70 ``INTERNAL``: an unexpected error, a bug (sysexits' EX_SOFTWARE); the traceback shown
  is scrubbed of secrets.
* 130 ``INTERRUPTED``: stopped by SIGINT/SIGTERM.
"""

from __future__ import annotations

import re
from _thread import allocate_lock  # threading.Lock itself, without loading threading at start-up
from enum import IntEnum
from functools import cache


class ExitCode(IntEnum):
    OK = 0
    PARTIAL = 1
    USAGE = 2
    WRITE_FAILED = 3
    INTERNAL = 70
    INTERRUPTED = 130


class AutomatorError(Exception):
    """Base of every deliberate error. ``hint`` says what the user can do about it."""

    exit_code: ExitCode = ExitCode.PARTIAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = self.message if not self.hint else f"{self.message} ({self.hint})"
        return scrub(text)


class UsageError(AutomatorError):
    """Bad command-line arguments."""

    exit_code = ExitCode.USAGE


class ConfigError(AutomatorError):
    """A bad policy, rule file or option value; carries where it was found when known."""

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.source = source
        self.line = line


class PolicyError(ConfigError):
    """A tag policy that cannot be constructed (bad constraint, bad regex, ...)."""


class ImageRefError(AutomatorError):
    """A string that is not a valid image reference."""


class ManifestError(AutomatorError):
    """A manifest that cannot be read, parsed or patched safely."""


class RegistryError(AutomatorError):
    """A registry that cannot be reached, refuses us, or answers nonsense."""


class MetadataDeferred(RegistryError):
    """A tag's metadata that this run chose not to read (its per-registry budget was spent):
    a later run reads it. Not a failure: an image waiting on it stays where it is."""


class GitError(AutomatorError):
    """A git operation that failed; the checkout is left as it was."""

    exit_code = ExitCode.WRITE_FAILED


class ForgeError(AutomatorError):
    """GitHub or GitLab refused or failed a request."""

    exit_code = ExitCode.WRITE_FAILED


# --- secret scrubbing -------------------------------------------------------------------------

_secrets: set[str] = set()
_secrets_lock = allocate_lock()
_MIN_SECRET_LENGTH = 4
REDACTED = "***"


@cache
def _shapes() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """URL credentials, auth headers, well-known token shapes, credentials in a URL's query:
    compiled when first scrubbed (a run that shows no message, such as a successful
    ``automator select``, never is)."""
    return (
        # up to the last "@" before the path, as git and requests split it (a password may hold
        # "@"); and "user:password@" whose password holds an unencoded "/", which no URL parser
        # reads as credentials (up to the last "@" of the URL: rather too much hidden than a secret shown)
        re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^\s@'\"/]*:[^\s'\"]*|[^/\s]+)@"),
        re.compile(r"(?i)\b(authorization|private-token|job-token|x-auth-token)(\s*[:=]\s*)(\S+(\s+\S+)?)"),
        re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|gl(?:pat|dt|rt|cbt|ptt|oas|ft)-[A-Za-z0-9_-]{20,})\b"),
        # ?access_token=, &private_token=, a signed URL's X-Amz-Signature= / X-Amz-Credential=, sig=, ...
        re.compile(r"(?i)([?&][\w.-]*(?:token|secret|passw(?:or)?d|signature|credential|sig|key)=)[^&#\s'\":,;)>\]]+"),
    )


# the refusal of a URL whose user information holds an unencoded "/" (--repo, a fleet file's
# url:, --cache-url), which never repeats it
SLASH_IN_USERINFO = "the URL's user name or password holds a '/' (the part before '@'), which ends the host in a URL"
SLASH_IN_USERINFO_HINT = "percent-encode / as %2F in the password; @ as %40 and : as %3A"


def slash_in_userinfo(url: str) -> bool:
    """``scheme://user:pass/word@host/...``: an ``@`` after the first ``/`` that follows
    ``scheme://``. Every URL parser (and git) ends the host at that ``/``, so the password
    would be read as the host and the path, shown in full wherever the URL is."""
    scheme, sep, rest = url.partition("://")
    if not sep or not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*", scheme) or scheme.lower() == "file":
        return False  # a file URL has no user information: an "@" in it is a path's (workspace@2)
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    return "@" in rest.partition("/")[2]


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`scrub` removes it from any text shown to anyone."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def registered_secrets() -> frozenset[str]:
    with _secrets_lock:
        return frozenset(_secrets)


def one_line(text: str) -> str:
    """``text`` on one line, its line breaks shown as `` | ``: no text a repository or registry
    controls (a file name, an annotation quoted in a message) may start a line of the tool's
    output, where a CI runner would read ``::command::`` as a workflow command."""
    if "\n" not in text and "\r" not in text and not any(c in text for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        return text
    return " | ".join(part for part in text.splitlines() if part.strip())


def scrub(text: str) -> str:
    """Remove registered secrets, URL credentials, auth headers, well-known token shapes and
    credentials in a URL's query string."""
    for secret in sorted(registered_secrets(), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    url_userinfo, auth_header, known_token, query_credential = _shapes()
    text = url_userinfo.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    text = auth_header.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = query_credential.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return known_token.sub(REDACTED, text)
