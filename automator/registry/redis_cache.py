"""The registry cache in Redis: one listing per image repository for a whole fleet.

Same interface as the disk cache (:class:`automator.registry.cache.RegistryCache`) and the
same tag TTL: tag lists and tag digests live for it; build times by digest as long as Redis
keeps them (they are content-addressed, never stale: its ``maxmemory`` policy bounds them,
where the disk cache drops those unread for 30 days). A tag list or digest carries the wall-clock time
it was fetched (``{"tags": [...], "fetched_at": ...}``), and a reader takes it only while it is
younger than the READER's tag TTL (``AUTOMATOR_CACHE_TTL=0``: always ask); the key's expiry in
Redis is the writer's TTL. A value without that time (a bare list or digest, the format before
it) is a miss, listed again and replaced.

Single-flight: the first process to miss a tag list takes a short lock (``SET NX PX``) and
lists the repository; the others wait for the entry instead of listing too (``claim_tags``
tells them at once, so they can list their other repositories first). A lock whose
holder died expires after ``lock_seconds``, and a holder whose listing failed gives it up at
once (``abandon_tags``), so nobody waits on a dead registry longer than one listing. A key under
the lock's name without an expiry (a manual ``SET``, an older tool, a ``PERSIST``) is given
``lock_seconds`` by the first claim that finds it, so it holds up one lock time, once.

A key of another type (a hash...) under one of our keys is a miss for that key, as an unreadable
value is; the next put replaces it.

Redis unreachable or failing: one warning, and the rest of the run uses the local fallback
cache (the disk cache, or none). The cache never fails a run.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from urllib.parse import unquote, urlsplit, urlunsplit

from automator.errors import (
    SLASH_IN_USERINFO,
    SLASH_IN_USERINFO_HINT,
    ConfigError,
    register_secret,
    slash_in_userinfo,
)
from automator.imageref import is_digest
from automator.interrupts import stop_point
from automator.registry.cache import (
    DEFAULT_TAG_TTL,
    LISTING_ELSEWHERE,
    VERSION,
    ListingElsewhere,
    RegistryCache,
)
from automator.registry.formats import parse_time

log = logging.getLogger("automator.registry")

PREFIX = f"automator:{VERSION}"
_MAX_PX = 2**62  # Redis refuses an expiry whose time in ms would not fit in 63 bits
# DEL only our own lock; a key of another type put there meanwhile is not ours (no WRONGTYPE),
# any other error is one
_RELEASE = (
    "local held = redis.pcall('get', KEYS[1]) "
    "if type(held) == 'table' and held.err then "
    "if string.sub(held.err, 1, 9) == 'WRONGTYPE' then return 0 end return redis.error_reply(held.err) end "
    "if held == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
# SET NX PX; when taken by a key that never expires (not one of ours), give it the lock time
_CLAIM = (
    "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "if redis.call('pttl', KEYS[1]) == -1 then redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


def check_cache_url(url: str) -> str:
    """``redis://`` or ``rediss://`` with a host; a usage error naming the option otherwise.
    A password holding an unencoded ``/`` is refused without repeating the URL: no parser reads
    it as a password, so it would be shown as the host and path."""
    if slash_in_userinfo(url):
        raise ConfigError(f"--cache-url: {SLASH_IN_USERINFO}", hint=SLASH_IN_USERINFO_HINT)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number from 0 to 65535 raises, as in redis.from_url
        usable = parts.scheme in ("redis", "rediss") and bool(parts.hostname) and re.fullmatch(r"/?\d*", parts.path) is not None
    except ValueError:  # that, or a broken [IPv6] host
        usable = False
    if not usable:
        raise ConfigError(f"--cache-url {_without_password(url)!r}: expected redis://HOST:PORT/DB or rediss://HOST:PORT/DB")
    problem = _query_problem(url)
    if problem:
        raise ConfigError(f"--cache-url {_without_password(url)!r}: {problem}",
                          hint="options after ? are those of redis-py's from_url, e.g. ?socket_timeout=5")
    return url


def _query_problem(url: str) -> str:
    """What the ``redis`` client would refuse in the URL's query (``?db=zz``, ``?foo=bar``) only
    at its first command, deep in the run: '' when nothing."""
    if not urlsplit(url).query:
        return ""
    import redis

    try:
        redis.ConnectionPool.from_url(url).make_connection()  # builds the connection; connects later
    except ValueError as error:  # Invalid value for 'db' in connection URL.
        return str(error).rstrip(".")
    except TypeError as error:  # ... got an unexpected keyword argument 'foo'
        unknown = re.search(r"argument '([^']+)'", str(error))
        return f"unknown option {unknown.group(1)!r} in the query" if unknown else str(error)
    return ""


def split_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password as the client reads it: percent-decoded),
    so that the password can travel apart (``REDIS_PASSWORD``); a URL without one is kept whole.
    The user name stays: ``redis://user:pw@host`` -> ``redis://user@host``."""
    parts = urlsplit(url)
    if not parts.password:  # none, or empty: the client then takes REDIS_PASSWORD
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host)), unquote(parts.password)


def _without_password(url: str) -> str:
    try:
        password = urlsplit(url).password
    except ValueError:  # not even a URL: keep none of its user information
        return re.sub(r"(?<=//)[^/]*@", "***@", url)
    if password:
        return url.replace(f":{password}@", ":***@")
    return url


class RedisCache:
    """A shared registry cache; every method degrades to ``fallback`` when Redis fails."""

    def __init__(
        self,
        url: str,
        *,
        tag_ttl: float = DEFAULT_TAG_TTL,
        fallback: RegistryCache | None = None,
        password: str | None = None,
        lock_seconds: float = 30.0,
        poll_seconds: float = 0.05,
        socket_timeout: float = 2.0,
        client=None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        import redis  # only a run with --cache-url pays for it

        check_cache_url(url)
        parts = urlsplit(url)
        register_secret(parts.password)
        register_secret(password)
        self.url = _without_password(url)
        self.tag_ttl = tag_ttl
        self.fallback = fallback
        self.lock_seconds = lock_seconds
        self.poll_seconds = poll_seconds
        self._clock = clock  # lock waits
        self._wall_clock = wall_clock  # the age of entries, shared by every process of a fleet
        self._errors = (redis.RedisError, OSError)
        self._response_error = redis.ResponseError
        self.client = client or redis.Redis.from_url(
            url,
            password=parts.password or password,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            health_check_interval=30,
        )
        self._release = self.client.register_script(_RELEASE)
        self._claim = self.client.register_script(_CLAIM)
        self._held: dict[str, str] = {}  # lock key -> our token
        self._held_lock = threading.Lock()
        self.degraded = False

    def close(self) -> None:
        """Disconnect the client's connections: a loop or ``serve`` makes a cache per run, and
        the sockets of the runs before would otherwise stay open until a garbage collection."""
        try:
            self.client.close()
        except self._errors:
            pass

    # --- plumbing --------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        if not self.degraded:
            self.degraded = True
            where = "the disk cache" if self.fallback is not None else "no cache"
            log.warning("the shared cache %s failed (%s); this run goes on with %s", self.url, type(error).__name__, where)

    def _call(self, action: Callable[[], object], fallback: Callable[[], object]) -> object:
        if self.degraded:
            return fallback()
        try:
            return action()
        except self._errors as error:
            self._fail(error)
            return fallback()

    def _fallback(self, name: str, *args: object) -> Callable[[], object]:
        return lambda: getattr(self.fallback, name)(*args) if self.fallback is not None else None

    def _tag_px(self) -> int | None:
        """The tag TTL in milliseconds; None (no expiry) for one longer than Redis can count
        (``AUTOMATOR_CACHE_TTL=inf``), which the disk cache keeps for ever too."""
        px = self.tag_ttl * 1000
        return max(1, int(px)) if px < _MAX_PX else None

    def _stamped(self, **fields: object) -> str:
        """A tag list or digest value, with the time it was fetched."""
        return json.dumps({**fields, "fetched_at": self._wall_clock()})

    def _fresh(self, value: bytes | None, field: str) -> object:
        """``field`` of a stamped value younger than this reader's tag TTL; None otherwise
        (absent, unreadable, older, or without a fetch time: the format before it had one)."""
        data = _json_of(value)
        fetched = data.get("fetched_at") if isinstance(data, dict) else None
        if not isinstance(fetched, (int, float)) or isinstance(fetched, bool):
            return None
        if self._wall_clock() - fetched > self.tag_ttl:  # a clock slightly behind the writer's: fresh
            return None
        return data.get(field)  # type: ignore[union-attr]

    def _fresh_tags(self, value: bytes | None) -> list[str] | None:
        tags = self._fresh(value, "tags")
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else None

    @staticmethod
    def _key(kind: str, key: str) -> str:
        return f"{PREFIX}:{kind}:{key}"

    def _get(self, key: str) -> bytes | None:
        """GET; None (a miss) for a key of another type, which the next put (a SET) replaces."""
        try:
            return self.client.get(key)
        except self._response_error as error:
            if str(error).startswith("WRONGTYPE"):
                return None
            raise

    # --- tag lists, single-flight -----------------------------------------------------------

    def get_tags(self, repository: str) -> list[str] | None:
        """The cached tags, or None: then this caller holds the listing lock and must list
        the repository and ``put_tags`` (or ``abandon_tags`` when the listing fails)."""
        found = self.claim_tags(repository)
        return self.wait_tags([repository])[repository] if found is LISTING_ELSEWHERE else found  # type: ignore[return-value]

    def wait_tags(self, repositories: Sequence[str]) -> dict[str, list[str] | None]:
        """For repositories other workers are listing: their tags once they land, all polled
        together; None for each one this caller must list after all (it now holds the lock,
        or the holder neither finished nor let go within the lock's time)."""
        return self._call(lambda: self._wait_tags(repositories),  # type: ignore[return-value]
                          lambda: {r: self.fallback.get_tags(r) if self.fallback else None for r in repositories})

    def claim_tags(self, repository: str) -> list[str] | None | ListingElsewhere:
        """Without waiting: the cached tags; None when this caller now holds the listing lock
        (list, then ``put_tags`` or ``abandon_tags``); ``LISTING_ELSEWHERE`` while another
        worker holds it."""
        return self._call(lambda: self._claim_tags(repository), self._fallback("get_tags", repository))  # type: ignore[return-value]

    def _claim_tags(self, repository: str) -> list[str] | None | ListingElsewhere:
        cached = self._fresh_tags(self._get(self._key("tags", repository)))
        return cached if cached is not None else self._take_lock(repository)

    def _take_lock(self, repository: str) -> list[str] | None | ListingElsewhere:
        """After a miss: None when this caller now holds the listing lock; the tags when they
        landed meanwhile; ``LISTING_ELSEWHERE`` while another worker holds the lock."""
        key, lock = self._key("tags", repository), self._key("lock:tags", repository)
        token = secrets.token_hex(8)
        if not self._claim(keys=[lock], args=[token, int(self.lock_seconds * 1000)]):
            return LISTING_ELSEWHERE
        cached = self._fresh_tags(self._get(key))  # it may have landed between the two calls
        if cached is not None:
            self._release(keys=[lock], args=[token])
            return cached
        with self._held_lock:
            self._held[lock] = token
        return None

    def _wait_tags(self, repositories: Sequence[str]) -> dict[str, list[str] | None]:
        found: dict[str, list[str] | None] = {}
        pending = list(dict.fromkeys(repositories))
        deadline = self._clock() + self.lock_seconds + 5
        while pending:
            values = self.client.mget([self._key("tags", r) for r in pending])  # nil for a key of another type
            missing = []
            for repository, value in zip(pending, values, strict=True):
                tags = self._fresh_tags(value)
                if tags is None:
                    missing.append(repository)
                else:
                    found[repository] = tags
            pending = []
            for repository in missing:  # a holder that died or let go: the lock is free again
                claimed = self._take_lock(repository)
                if claimed is LISTING_ELSEWHERE:
                    pending.append(repository)
                else:
                    found[repository] = claimed  # type: ignore[assignment]
            if pending and self._clock() > deadline:  # holders that neither finished nor let go
                log.debug("waited %ss for other workers' listings of %s; listing them here", self.lock_seconds, ", ".join(pending))
                found.update(dict.fromkeys(pending))
                break
            if pending:
                time.sleep(self.poll_seconds)
                stop_point()  # a stopping fleet does not wait for other processes' listings
        return found

    def put_tags(self, repository: str, tags: list[str]) -> None:
        def action() -> None:
            self.client.set(self._key("tags", repository), self._stamped(tags=tags), px=self._tag_px())
            self._let_go(repository)

        self._call(action, self._fallback("put_tags", repository, tags))
        if self.fallback is not None and not self.degraded:
            self.fallback.put_tags(repository, tags)

    def abandon_tags(self, repository: str) -> None:
        """The listing failed: let the others try at once instead of waiting for the lock to expire."""
        self._call(lambda: self._let_go(repository), lambda: None)

    def _let_go(self, repository: str) -> None:
        lock = self._key("lock:tags", repository)
        with self._held_lock:
            token = self._held.pop(lock, None)
        if token is not None:
            self._release(keys=[lock], args=[token])

    # --- tag digests (age like the tag list) and build times by digest (never stale) ----------

    def get_digest(self, repository: str, tag: str) -> str | None:
        def action() -> str | None:
            digest = self._fresh(self._get(self._key("digest", f"{repository}:{tag}")), "digest")
            return digest if isinstance(digest, str) and is_digest(digest) else None  # unreadable: a miss

        return self._call(action, self._fallback("get_digest", repository, tag))  # type: ignore[return-value]

    def put_digest(self, repository: str, tag: str, digest: str) -> None:
        self._call(
            lambda: self.client.set(self._key("digest", f"{repository}:{tag}"), self._stamped(digest=digest),
                                    px=self._tag_px()),
            self._fallback("put_digest", repository, tag, digest),
        )

    def get_created(self, digest: str, platform: str) -> tuple[bool, datetime | None]:
        def action() -> tuple[bool, datetime | None]:
            value = _json_of(self._get(self._key("meta", f"{digest} {platform}")))
            if not isinstance(value, dict):  # absent or unreadable: a miss
                return False, None
            return True, parse_time(value.get("created"))

        found = self._call(action, self._fallback("get_created", digest, platform))
        return found if found is not None else (False, None)  # type: ignore[return-value]

    def put_created(self, digest: str, platform: str, created: datetime | None) -> None:
        value = json.dumps({"created": created.isoformat() if created else None})
        self._call(lambda: self.client.set(self._key("meta", f"{digest} {platform}"), value), self._fallback("put_created", digest, platform, created))


def _json_of(value: bytes | None) -> object:
    """The JSON in a value; None when absent or unreadable (corrupted, foreign)."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:  # also a value that is not UTF-8
        return None
