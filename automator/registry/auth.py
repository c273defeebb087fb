"""Registry authentication: anonymous first, then what the registry's challenge asks for.

:class:`RegistryAuth` holds the state for one registry (the challenge it answered with, the
credentials found for it, bearer tokens per realm+service+scope); :meth:`RegistryAuth.for_scope`
gives the ``requests`` auth object for one request. It only ever adds a header to requests
for the registry's own host, so a redirect to blob storage never carries a token, and being an
``AuthBase`` it keeps ``~/.netrc`` out of the way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth, _basic_auth_str

from automator.errors import RegistryError, register_secret
from automator.registry.challenge import Challenge, parse_www_authenticate
from automator.registry.credentials import Credentials
from automator.registry.transport import Transport

DEFAULT_EXPIRES_IN = 60
EXPIRY_MARGIN = 5.0
CLIENT_ID = "deployment-automator"
MAX_TOKEN_ANSWER = 1024 * 1024


class _ScopedAuth(AuthBase):
    def __init__(self, owner: RegistryAuth, scope: str) -> None:
        self.owner = owner
        self.scope = scope

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if urlsplit(request.url).netloc.lower() == self.owner.api_host:
            header = self.owner.header(self.scope)
            if header:
                request.headers["Authorization"] = header
        return request


class RegistryAuth:
    def __init__(
        self,
        registry: str,
        api_host: str,
        transport: Transport,
        credentials: Callable[[], Credentials | None],
        realm_allowed: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.api_host = api_host.lower()
        self._transport = transport
        self._lookup = credentials
        self._realm_allowed = realm_allowed
        self._clock = clock
        self._challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._settled = threading.Event()
        self._probing = False
        self.tokens_fetched = 0

    @property
    def credentials(self) -> Credentials | None:
        return self._lookup()

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
            return _basic_auth_str(creds.username, creds.password)
        return None

    def on_unauthorized(self, response: requests.Response, scope: str) -> bool:
        """Learn from a 401; True when sending the request again can succeed."""
        challenges = parse_www_authenticate(response.headers.get("WWW-Authenticate", ""))
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.get("realm")), None)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        sent = response.request.headers.get("Authorization") if response.request else None
        if bearer is not None:
            if sent and sent.startswith("Bearer "):
                if bearer.get("error") != "invalid_token":
                    return False  # the token was good, just not good enough
                self._forget(bearer, scope, sent[len("Bearer ") :])
            self._challenge = bearer
            return True
        if basic is not None:
            self._challenge = basic
            creds = self.credentials
            return not sent and bool(creds and creds.has_basic)
        return False

    # --- bearer tokens -------------------------------------------------------------------------

    def _key(self, challenge: Challenge, scope: str) -> tuple[str, str, str]:
        return (challenge.get("realm") or "", challenge.get("service") or "", scope)

    def _forget(self, challenge: Challenge, scope: str, token: str) -> None:
        key = self._key(challenge, scope)
        with self._lock:
            cached = self._tokens.get(key)
            if cached and cached[0] == token:
                del self._tokens[key]

    def _token(self, challenge: Challenge, scope: str) -> str:
        key = self._key(challenge, scope)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one fetch per key even when many threads want it at once
            cached = self._tokens.get(key)
            if cached and cached[1] > self._clock():
                return cached[0]
            token, expires_in = self._fetch_token(challenge, scope)
            with self._lock:
                self._tokens[key] = (token, self._clock() + max(1.0, expires_in - EXPIRY_MARGIN))
            return token

    def _fetch_token(self, challenge: Challenge, scope: str) -> tuple[str, float]:
        realm = challenge.get("realm") or ""
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(f"{self.registry} announced an invalid token realm {realm!r}")
        if parts.scheme == "http" and not self._realm_allowed(parts.netloc.lower()):
            raise RegistryError(
                f"{self.registry} announced a token realm over plain HTTP ({parts.netloc}); refusing to use it",
                hint=f"pass --insecure-registry {parts.netloc} if this is intended",
            )
        creds = self.credentials
        params: dict[str, str] = {}
        if challenge.get("service"):
            params["service"] = challenge.get("service") or ""
        what = f"token service {parts.netloc} for {self.registry}"
        if creds and creds.identity_token:
            data = {**params, "grant_type": "refresh_token", "refresh_token": creds.identity_token,
                    "client_id": CLIENT_ID, "scope": scope}
            # not followed: a 307/308 would re-send the refresh token in the body to wherever it points
            response = self._transport.send("POST", realm, data=data, what=what, allow_redirects=False,
                                            limit=MAX_TOKEN_ANSWER)
        else:
            if scope:
                params["scope"] = scope
            if creds and creds.has_basic:
                params["account"] = creds.username or ""
            auth = HTTPBasicAuth(creds.username, creds.password) if creds and creds.has_basic else None
            response = self._transport.send("GET", realm, params=params, auth=auth, what=what, limit=MAX_TOKEN_ANSWER)
        self.tokens_fetched += 1
        if response.status_code in (401, 403):
            found = f"the credentials from {creds.origin}" if creds else "no credentials (anonymous)"
            raise RegistryError(
                f"{what} refused a token for {scope or 'the registry'} (HTTP {response.status_code}) with {found}",
                hint="check the login for this registry" if creds else f"log in with: docker login {self.registry}",
            )
        if response.status_code != 200:
            raise RegistryError(f"{what} answered HTTP {response.status_code}")
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
        return token, expires_in
