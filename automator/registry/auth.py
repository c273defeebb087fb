"""Registry authentication: anonymous first, then what the registry's challenge asks for.

Bearer tokens are asked for once per registry and run: :meth:`RegistryAuth.want` names the
scopes of every repository the run will read, and the first token request asks for all of
them at once (the token protocol allows ``scope`` repeated). A token service may grant less
than asked without saying so; the registry then answers ``error="insufficient_scope"`` and
this registry falls back to one token per repository, as it does when the token service refuses
the batch (HTTP 401/403: some services refuse it all for one repository the login may not pull).

:class:`RegistryAuth` holds the state for one registry (the challenge it answered with, the
credentials found for it, bearer tokens per realm+service+scope); :meth:`RegistryAuth.for_scope`
gives the ``requests`` auth object for one request. It only ever adds a header to requests
for the registry's own host, so a redirect to blob storage never carries a token, and being an
``AuthBase`` it keeps ``~/.netrc`` out of the way.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from automator.errors import RegistryError, register_secret
from automator.registry.challenge import Challenge, parse_www_authenticate
from automator.registry.credentials import Credentials
from automator.registry.formats import same_origin
from automator.registry.transport import Transport, wait_asked

DEFAULT_EXPIRES_IN = 60
EXPIRY_MARGIN = 5.0
CLIENT_ID = "deployment-automator"
BATCH_QUERY_LENGTH = 3000  # characters of scope parameters in one token request, at most
MAX_TOKEN_ANSWER = 1024 * 1024


class _TokenRefused(RegistryError):
    """The token service refused the request (HTTP 401/403)."""


def basic_header(username: str | None, password: str | None) -> str:
    """The Basic header docker sends (Go's ``SetBasicAuth``): base64 of the UTF-8 bytes of
    ``user:password`` (``requests`` would encode them Latin-1, and fail past it)."""
    pair = f"{username or ''}:{password or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def sendable(token: str) -> bool:
    """Whether a token can be written in an ``Authorization`` header as it is: printable
    ASCII, no line break, no surrounding space."""
    return token.isascii() and token.isprintable() and token == token.strip()


class _BasicLogin(AuthBase):
    """Basic credentials for a token service, encoded as :func:`basic_header` says."""

    def __init__(self, username: str | None, password: str | None) -> None:
        self.header = basic_header(username, password)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.header
        return request


class _ScopedAuth(AuthBase):
    def __init__(self, owner: RegistryAuth, scope: str) -> None:
        self.owner = owner
        self.scope = scope

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if same_origin(request.url or "", self.owner.base_url):  # ":80" spelled out or not
            header = self.owner.header(self.scope)
            if header:
                request.headers["Authorization"] = header
        return request


class RegistryAuth:
    def __init__(
        self,
        registry: str,
        base_url: str,
        transport: Transport,
        credentials: Callable[[], Credentials | None],
        realm_allowed: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
        problem: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.registry = registry
        self.base_url = base_url  # scheme://host[:port] of the registry's API
        self._transport = transport
        self._lookup = credentials
        self._problem = problem
        self._realm_allowed = realm_allowed
        self._clock = clock
        self._challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._settled = threading.Event()
        self._probing = False
        self._batches: dict[str, int] = {}  # scope -> its group in the run's token requests
        self._groups: list[list[str]] = []
        self._batch_tokens: set[str] = set()
        self.batch_refused = False  # insufficient_scope seen: one token per repository now
        self.tokens_fetched = 0

    def want(self, scopes: list[str]) -> None:
        """The scopes this run will need from this registry, asked for together."""
        with self._lock:
            group = None  # a new group per call: a token already fetched never covers new scopes
            for scope in scopes:
                if scope in self._batches:
                    continue
                if group is None or sum(len(s) + 7 for s in group) + len(scope) > BATCH_QUERY_LENGTH:
                    group = []
                    self._groups.append(group)
                group.append(scope)
                self._batches[scope] = len(self._groups) - 1

    @property
    def credentials(self) -> Credentials | None:
        return self._lookup()

    @property
    def credentials_problem(self) -> str | None:
        """Why no credentials could be read (a credential helper missing or failing), if so."""
        return self._problem()

    def begin(self) -> bool:
        """Called before each request. The first request to a registry goes alone (True: the
        caller must call :meth:`settle` afterwards); the others wait until it has shown what
        the registry wants, so a concurrent first wave does not collect one 401 per request.
        They wait one exchange deadline at most: a registry that does not answer the first
        request holds no other for longer than that."""
        if self._settled.is_set():
            return False
        with self._lock:
            if not self._probing:
                self._probing = True
                return True
        self._settled.wait(self._transport.retry.timeout)
        return False

    def settle(self) -> None:
        self._settled.set()

    def for_scope(self, scope: str) -> AuthBase:
        return _ScopedAuth(self, scope)

    def prepare(self, scope: str) -> None:
        """Fetch the bearer token for ``scope`` now if one is needed and not cached, so that
        the request it is for spends its deadline on the registry alone."""
        challenge = self._challenge
        if challenge is not None and challenge.scheme == "bearer":
            self._token(challenge, scope)

    # --- the header for a request -------------------------------------------------------------

    def header(self, scope: str) -> str | None:
        challenge = self._challenge
        if challenge is None:
            return None
        if challenge.scheme == "bearer":
            return f"Bearer {self._token(challenge, scope)}"
        creds = self.credentials
        if challenge.scheme == "basic" and creds and creds.has_basic:
            return basic_header(creds.username, creds.password)
        return None

    def on_unauthorized(self, response: requests.Response, scope: str) -> bool:
        """Learn from a 401; True when sending the request again can succeed."""
        challenges = parse_www_authenticate(response.headers.get("WWW-Authenticate", ""))
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.get("realm")), None)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        sent = response.request.headers.get("Authorization") if response.request else None
        if bearer is not None:
            if sent and sent.startswith("Bearer "):
                token = sent[len("Bearer ") :]
                if bearer.get("error") == "insufficient_scope" and token in self._batch_tokens:
                    self.batch_refused = True  # granted less than asked: one token per repository
                    return True
                if bearer.get("error") != "invalid_token":
                    return False  # the token was good, just not good enough
                self._forget(bearer, scope, token)
            self._challenge = bearer
            return True
        if basic is not None:
            self._challenge = basic
            creds = self.credentials
            return not sent and bool(creds and creds.has_basic)
        return False

    # --- bearer tokens -------------------------------------------------------------------------

    def _scopes(self, scope: str) -> tuple[str, list[str]]:
        """The cache key and the scopes to ask for: the scope's whole group while batching."""
        group = self._batches.get(scope)
        if group is None or self.batch_refused:
            return scope, [scope] if scope else []
        return f"batch:{group}", list(self._groups[group])

    def _key(self, challenge: Challenge, scope: str) -> tuple[str, str, str]:
        return (challenge.get("realm") or "", challenge.get("service") or "", self._scopes(scope)[0])

    def _forget(self, challenge: Challenge, scope: str, token: str) -> None:
        key = self._key(challenge, scope)
        with self._lock:
            cached = self._tokens.get(key)
            if cached and cached[0] == token:
                del self._tokens[key]

    def _token(self, challenge: Challenge, scope: str) -> str:
        while True:  # again, for this scope alone, when a batch is refused (by us or another thread)
            key = self._key(challenge, scope)
            with self._lock:
                key_lock = self._key_locks.setdefault(key, threading.Lock())
            with key_lock:  # one fetch per key even when many threads want it at once
                cached = self._tokens.get(key)
                if cached and cached[1] > self._clock():
                    return cached[0]
                if key != self._key(challenge, scope):
                    continue  # batching was given up while this thread waited
                scopes = self._scopes(scope)[1]
                try:
                    token, expires_in = self._fetch_token(challenge, scopes)
                except _TokenRefused:
                    if len(scopes) < 2:
                        raise
                    self.batch_refused = True  # maybe one repository of the batch: one token per repository now
                    continue
                with self._lock:
                    self._tokens[key] = (token, self._clock() + max(1.0, expires_in - EXPIRY_MARGIN))
                    if key[2].startswith("batch:"):
                        self._batch_tokens.add(token)
                return token

    def _fetch_token(self, challenge: Challenge, scopes: list[str]) -> tuple[str, float]:
        realm = challenge.get("realm") or ""
        try:
            parts = urlsplit(realm)
        except ValueError:
            raise RegistryError(f"{self.registry} announced a malformed realm URL for its token service") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(f"{self.registry} announced an invalid token realm {realm!r}")
        if parts.scheme == "http" and not self._realm_allowed(parts.netloc.lower()):
            raise RegistryError(
                f"{self.registry} announced a token realm over plain HTTP ({parts.netloc}); refusing to use it",
                hint=f"pass --insecure-registry {parts.netloc} if this is intended",
            )
        creds = self.credentials
        params: list[tuple[str, str]] = []
        if challenge.get("service"):
            params.append(("service", challenge.get("service") or ""))
        what = f"token service {parts.netloc} for {self.registry}"
        if creds and creds.identity_token:
            data = [*params, ("grant_type", "refresh_token"), ("refresh_token", creds.identity_token),
                    ("client_id", CLIENT_ID), ("scope", " ".join(scopes))]  # OAuth2: space-separated
            # not followed: a 307/308 would re-send the refresh token in the body to wherever it points
            response = self._transport.send("POST", realm, data=data, what=what, allow_redirects=False,
                                            limit=MAX_TOKEN_ANSWER)
        else:
            params += [("scope", scope) for scope in scopes]  # the token protocol repeats it
            if creds and creds.has_basic:
                params.append(("account", creds.username or ""))
            auth = _BasicLogin(creds.username, creds.password) if creds and creds.has_basic else None
            response = self._transport.send("GET", realm, params=params, auth=auth, what=what, limit=MAX_TOKEN_ANSWER)
        self.tokens_fetched += 1
        self._check_answer(response, what, creds, scopes)
        try:
            body = response.json()
            token = body.get("token") or body.get("access_token")
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (ValueError, AttributeError, TypeError):
            raise RegistryError(f"{what} answered a malformed token response") from None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{what} answered without a token")
        register_secret(token)
        if isinstance(body.get("refresh_token"), str):
            register_secret(body["refresh_token"])
        if not sendable(token):
            raise RegistryError(f"{what} returned a token that cannot be sent in an HTTP header "
                                "(a line break, a control character or a character outside ASCII)",
                                hint="report it to the operators of the token service")
        return token, expires_in

    def _check_answer(self, response: requests.Response, what: str, creds: Credentials | None,
                      scopes: list[str]) -> None:
        """A token service's refusal (:class:`_TokenRefused`), rate limit or failure, said as such."""
        if response.status_code in (401, 403):
            found = f"the credentials from {creds.origin}" if creds else "no credentials (anonymous)"
            if not creds and self.credentials_problem:
                found += f"; {self.credentials_problem}"
            raise _TokenRefused(
                f"{what} refused a token for {_shown(scopes)} (HTTP {response.status_code}) with {found}",
                hint="check the login for this registry" if creds else f"log in with: docker login {self.registry}",
            )
        if response.status_code == 429:
            raise RegistryError(f"{what}: rate limited while asking for a token{wait_asked(response, 'the token service')}",
                                hint="run again later or log in")
        if response.status_code != 200:
            raise RegistryError(f"{what} answered HTTP {response.status_code}{wait_asked(response, 'the token service')}")


def _shown(scopes: list[str]) -> str:
    if not scopes:
        return "the registry"
    return scopes[0] if len(scopes) == 1 else f"{len(scopes)} repositories ({scopes[0]}, ...)"
