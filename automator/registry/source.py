"""The registry as a :class:`automator.tagsource.TagSource`: concurrent, cached, per-repo errors.

Each registry host has its own workers, so a slow registry never delays another. The workers
are daemon threads and every exchange has a deadline: an interrupted run (SIGINT/SIGTERM)
abandons the requests in flight (:meth:`RegistryTagSource.cancel`) instead of waiting for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from automator.context import Context
from automator.errors import AutomatorError, MetadataDeferred, RegistryError
from automator.imageref import split_name
from automator.model import TagInfo
from automator.registry.auth import RegistryAuth
from automator.registry.cache import (
    DEFAULT_TAG_TTL,
    LISTING_ELSEWHERE,
    ListingElsewhere,
    RegistryCache,
)
from automator.registry.client import RegistryClient
from automator.registry.credentials import DOCKER_HUB, CredentialStore
from automator.registry.formats import (
    config_digest,
    created_from_config,
    manifest_kind,
    pick_platform,
)
from automator.registry.settings import DEFAULT_PLATFORM, RegistrySettings
from automator.registry.transport import RetryPolicy, Transport, is_loopback
from automator.workers import Workers, results

log = logging.getLogger("automator.registry")

API_HOSTS = {DOCKER_HUB: "registry-1.docker.io"}


class _Registry:
    """One registry host: its client and its bounded pool of workers."""

    def __init__(self, client: RegistryClient, concurrency: int) -> None:
        self.client = client
        self.pool = Workers(concurrency, f"registry-{client.registry}")


def retry_policy(settings: RegistrySettings) -> RetryPolicy:
    """Four attempts per request, each one exchange within ``settings.timeout``, all within 3x it."""
    return RetryPolicy(timeout=settings.timeout, connect_timeout=min(10.0, settings.timeout),
                       read_timeout=settings.timeout)


class RegistryTagSource:
    def __init__(
        self,
        ctx: Context,
        *,
        settings: RegistrySettings | None = None,
        cache: RegistryCache | None = None,
        insecure_registries: Iterable[str] = (),
        platform: str = DEFAULT_PLATFORM,
        concurrency: int = 8,
        transport: Transport | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        if settings is None:
            settings = RegistrySettings(concurrency=concurrency, platform=platform,
                                        insecure_registries=tuple(insecure_registries))
        self.settings = settings
        self.platform = settings.platform
        self.concurrency = settings.concurrency
        self.cache = cache
        self.insecure = set(settings.insecure_registries)
        self.transport = transport or Transport(proxies=ctx.proxies, ca_bundle=ctx.ca_bundle,
                                                retry=retry_policy(settings), pool_size=max(16, settings.concurrency * 2))
        self.credentials = CredentialStore(ctx)
        self.progress = progress  # "listing tags: 12/40 repositories, 3 registries"
        self._registries: dict[str, _Registry] = {}
        self._listed: dict[str, Sequence[TagInfo] | AutomatorError] = {}
        self._lock = threading.Lock()
        self._digest_locks: dict[tuple[str, str], threading.Lock] = {}
        self._known: dict[tuple[str, str], tuple[bool, datetime | None]] = {}
        self._read: dict[tuple[str, str], TagInfo | AutomatorError] = {}  # (repository, tag), per run
        self._metadata_spent: dict[str, int] = {}  # registry host -> tags read from it this run
        if self.credentials.config_error:
            log.warning("%s", self.credentials.config_error)

    @classmethod
    def from_settings(cls, ctx: Context, settings: RegistrySettings, *, cache_dir: Path | None = None,
                      tag_ttl: float | None = None, progress: Callable[[str], None] | None = None) -> RegistryTagSource:
        """What the command edge builds: ``cache_dir=None`` disables the cache; tag lists stay
        fresh for ``tag_ttl`` seconds (default ``AUTOMATOR_CACHE_TTL``, else 5 minutes)."""
        ttl = tag_ttl if tag_ttl is not None else (ctx.cache_ttl if ctx.cache_ttl is not None else DEFAULT_TAG_TTL)
        cache = RegistryCache(cache_dir, tag_ttl=ttl) if cache_dir is not None else None
        return cls(ctx, settings=settings, cache=cache, progress=progress)

    @classmethod
    def from_options(
        cls,
        ctx: Context,
        *,
        cache_dir: Path | None = None,
        insecure_registries: Iterable[str] = (),
        platform: str = DEFAULT_PLATFORM,
        concurrency: int = 8,
        tag_ttl: float | None = None,
        retry: RetryPolicy | None = None,
        max_tags: int | None = None,
        max_metadata: int | None = None,
    ) -> RegistryTagSource:
        """:meth:`from_settings` from loose options (``retry`` replaces the one the settings imply)."""
        settings = RegistrySettings(concurrency=concurrency, platform=platform,
                                    insecure_registries=tuple(insecure_registries),
                                    **({"timeout": retry.timeout} if retry else {}),
                                    **({"max_tags": max_tags} if max_tags is not None else {}),
                                    **({"max_metadata": max_metadata} if max_metadata is not None else {}))
        source = cls.from_settings(ctx, settings, cache_dir=cache_dir, tag_ttl=tag_ttl)
        if retry is not None:
            source.transport = Transport(proxies=ctx.proxies, ca_bundle=ctx.ca_bundle, retry=retry,
                                         pool_size=max(16, concurrency * 2))
        return source

    # --- registries ----------------------------------------------------------------------------

    def _plain_http_allowed(self, netloc: str) -> bool:
        hostname = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
        return is_loopback(hostname) or netloc in self.insecure or hostname in self.insecure

    def _registry(self, host: str) -> _Registry:
        with self._lock:
            found = self._registries.get(host)
            if found is None:
                api_host = API_HOSTS.get(host, host)
                scheme = "http" if self._plain_http_allowed(api_host) else "https"
                base_url = f"{scheme}://{api_host}"
                auth = RegistryAuth(host, base_url, self.transport, lambda: self.credentials.lookup(host),
                                    self._plain_http_allowed, problem=lambda: self.credentials.problem(host))
                client = RegistryClient(host, base_url, auth, self.transport,
                                        max_tags=self.settings.max_tags)
                found = self._registries[host] = _Registry(client, self.concurrency)
            return found

    def base_url(self, host: str) -> str:
        """Where the API of ``host`` is reached (plain HTTP only for loopback or insecure hosts)."""
        return self._registry(host.lower()).client.base_url

    def close(self) -> None:
        for registry in self._registries.values():
            registry.pool.shutdown()
        self.transport.watchdog.close()
        if not self.transport.cancelled:  # cancelled: threads may still hold the session
            self.transport.session.close()
        close_cache = getattr(self.cache, "close", None)  # a shared cache's connections (Redis)
        if close_cache is not None:
            close_cache()

    def cancel(self) -> None:
        """Abandon the requests in flight and refuse new ones (SIGINT/SIGTERM): their sockets
        are shut down, so no worker keeps the process waiting for a registry."""
        self.transport.cancel()

    def _wait(self, futures: Mapping[str, Future], done: Callable[[Future], None] | None = None) -> dict[str, object]:
        try:
            return results(futures, done)
        except BaseException:  # KeyboardInterrupt (SIGINT, or SIGTERM as the CLI maps it)
            self.cancel()
            raise

    def __enter__(self) -> RegistryTagSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- TagSource -----------------------------------------------------------------------------

    def _list_one(self, repository: str, claim: bool) -> Sequence[TagInfo] | AutomatorError | ListingElsewhere:
        """The repository's tags: from the cache (``claim``: ``LISTING_ELSEWHERE`` when a
        shared cache says another process is listing it now), else from the registry."""
        try:
            host, path = split_name(repository)
            key = f"{host}/{path}"
            tags = self.cache.claim_tags(key) if self.cache and claim else None
            if tags is LISTING_ELSEWHERE:
                return LISTING_ELSEWHERE
            if tags is None:  # a shared cache now expects this process to list it (single-flight)
                try:
                    tags, _pages = self._registry(host).client.list_tags(path)
                except BaseException:
                    if self.cache:
                        self.cache.abandon_tags(key)  # let the other workers list it at once
                    raise
                if self.cache:
                    self.cache.put_tags(key, tags)
            return tuple(TagInfo(tag=t) for t in tags)
        except AutomatorError as error:
            return error
        except Exception as error:  # a bug must not take the other repositories down
            log.debug("unexpected error listing %s", repository, exc_info=True)
            return RegistryError(f"{repository}: unexpected error while listing tags ({type(error).__name__})")

    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        """Tags per repository; each distinct repository is listed once per run."""
        todo: dict[str, tuple[str, str]] = {}
        for repository in dict.fromkeys(repositories):
            if repository in self._listed:
                continue
            try:
                todo[repository] = split_name(repository)
            except AutomatorError as error:
                self._listed[repository] = error
        hosts = {host for host, _ in todo.values()}
        for host in hosts:  # every scope first: the first token request asks for all of them
            scopes = [f"repository:{path}:pull" for h, path in todo.values() if h == host]
            self._registry(host).client.auth.want(scopes)
        progress = self.progress
        registries = f"{len(hosts)} {'registry' if len(hosts) == 1 else 'registries'}"
        settled = 0

        def settle(result: object) -> None:
            nonlocal settled
            if result is LISTING_ELSEWHERE:
                return  # not settled yet: waited for below
            settled += 1
            if progress is not None:
                progress(f"listing tags: {settled}/{len(todo)} repositories, {registries}")

        def done(future: Future) -> None:
            settle(future.result() if future.exception() is None else None)

        # Our own listings first. A repository that another process of the fleet is listing
        # right now is waited for afterwards: a worker waiting for it would hold the slot that
        # one of our listings could use.
        found = self._wait({repository: self._registry(host).pool.submit(self._list_one, repository, True)
                            for repository, (host, _) in todo.items()}, done)
        elsewhere = [repository for repository, result in found.items() if result is LISTING_ELSEWHERE]
        if elsewhere:
            found.update(self._listed_elsewhere({r: todo[r] for r in elsewhere}, settle, done))
        self._listed.update(found)  # type: ignore[arg-type]
        return {r: self._listed[r] for r in dict.fromkeys(repositories)}

    def _listed_elsewhere(self, todo: Mapping[str, tuple[str, str]], settle: Callable[[object], None],
                          done: Callable[[Future], None]) -> dict[str, object]:
        """Wait for the listings other processes are doing, all polled together; list here
        the ones whose holder died or gave up."""
        log.debug("waiting for %d repositories listed by another process", len(todo))
        assert self.cache is not None
        keys = {repository: f"{host}/{path}" for repository, (host, path) in todo.items()}
        landed = self.cache.wait_tags(list(keys.values()))
        found: dict[str, object] = {}
        for repository, key in keys.items():
            tags = landed.get(key)
            if tags is not None:
                found[repository] = tuple(TagInfo(tag=t) for t in tags)
                settle(found[repository])
        rest = {repository: self._registry(host).pool.submit(self._list_one, repository, False)
                for repository, (host, _) in todo.items() if repository not in found}
        found.update(self._wait(rest, done))
        return found

    def _metadata_one(self, client: RegistryClient, path: str, tag: str) -> TagInfo | AutomatorError:
        try:
            digest = self._digest(client, path, tag)
            key = (client.registry, digest)
            with self._lock:
                key_lock = self._digest_locks.setdefault(key, threading.Lock())
            with key_lock:  # tags sharing a digest ("latest", "1.2.3") read its config once
                found, created = self._known.get(key, (False, None))
                if not found and self.cache:
                    found, created = self.cache.get_created(digest, self.platform)
                if not found:
                    created = self._created(client, path, digest)
                    if self.cache:
                        self.cache.put_created(digest, self.platform, created)
                self._known[key] = (True, created)
            return TagInfo(tag=tag, created=created, digest=digest)
        except AutomatorError as error:
            return error
        except Exception as error:
            log.debug("unexpected error reading %s:%s", path, tag, exc_info=True)
            return RegistryError(f"{client.registry}/{path}:{tag}: unexpected error ({type(error).__name__})")

    def _digest(self, client: RegistryClient, path: str, tag: str) -> str:
        """The tag's digest: a HEAD, unless the cache saw it within the tag-list TTL."""
        repository = f"{client.registry}/{path}"
        digest = self.cache.get_digest(repository, tag) if self.cache else None
        if digest is None:
            digest = client.digest(path, tag)
            if self.cache:
                self.cache.put_digest(repository, tag, digest)
        return digest

    def _created(self, client: RegistryClient, path: str, digest: str):
        where = f"{client.registry}/{path}@{digest[:19]}"
        manifest = client.manifest(path, digest)
        with _malformed_answers(where):
            if manifest_kind(manifest.data, manifest.media_type) == "index":
                child = pick_platform(manifest.data, self.platform)
                if child is None:
                    raise RegistryError(f"{where}: no {self.platform} image in the index",
                                        hint="choose another platform with --platform")
                manifest = client.manifest(path, child["digest"])
            config = client.blob_json(path, config_digest(manifest.data))
            return created_from_config(config)

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        """Digest and build time of the given tags (a HEAD each, once per run; manifests and
        configs only for digests not seen before)."""
        try:
            host, path = split_name(repository)
        except AutomatorError as error:
            return {tag: error for tag in tags}
        registry = self._registry(host)
        futures = {}
        for tag in dict.fromkeys(tags):
            if (repository, tag) in self._read:
                continue
            if not self._within_budget(host, repository, tag):
                self._read[(repository, tag)] = self._over_budget(host, repository, tag)
                continue
            futures[tag] = registry.pool.submit(self._metadata_one, registry.client, path, tag)
        for tag, result in self._wait(futures).items():
            self._read[(repository, tag)] = result  # type: ignore[assignment]
        return {tag: self._read[(repository, tag)] for tag in dict.fromkeys(tags)}

    def _over_budget(self, host: str, repository: str, tag: str) -> AutomatorError:
        """Why ``tag``'s metadata is not read: left for a later run, which finds what this one
        read in the cache; without a cache no later run gets further, which is an error."""
        spent = f"the --max-metadata budget of {self.settings.max_metadata} tags for {host} is spent"
        if self.cache is not None:
            return MetadataDeferred(f"{repository}:{tag}: build time not read in this run ({spent})")
        return RegistryError(f"{repository}:{tag}: build time not read: {spent}, and without a cache nothing "
                             "read carries over to a later run", hint="raise --max-metadata or enable the cache")

    def _within_budget(self, host: str, repository: str, tag: str) -> bool:
        """Whether ``tag``'s metadata may be read now: cached metadata is free (a digest's build
        time never changes); a read from the registry spends one of the run's budget for ``host``."""
        if self._cached(repository, tag):
            return True
        with self._lock:
            spent = self._metadata_spent.get(host, 0)
            if spent >= self.settings.max_metadata:
                return False
            self._metadata_spent[host] = spent + 1
            return True

    def _cached(self, repository: str, tag: str) -> bool:
        if self.cache is None:
            return False
        digest = self.cache.get_digest(repository, tag)
        if digest is None:
            return False
        host = repository.split("/", 1)[0]
        return (host, digest) in self._known or self.cache.get_created(digest, self.platform)[0]

    def platform_digest(self, repository: str, tag: str, platform: str) -> str:
        """The digest of ``platform``'s image behind ``tag`` (the tag's own digest when it is
        a single-platform manifest). Raises :class:`RegistryError` when the index lacks it."""
        host, path = split_name(repository)
        client = self._registry(host).client
        manifest = client.manifest(path, tag)
        with _malformed_answers(f"{repository}:{tag}"):
            if manifest_kind(manifest.data, manifest.media_type) != "index":
                return manifest.digest
            child = pick_platform(manifest.data, platform)
        if child is None:
            raise RegistryError(f"{repository}:{tag}: no {platform} image in the index",
                                hint="check the platform: setting of the rule")
        return child["digest"]


@contextmanager
def _malformed_answers(where: str) -> Iterator[None]:
    """Errors from reading a registry answer of an unexpected shape, as a :class:`RegistryError`
    naming ``where``: a message that says what is wrong (ValueError, FormatError), or that the
    answer was malformed (TypeError, AttributeError: a field of an unexpected type)."""
    try:
        yield
    except ValueError as error:
        raise RegistryError(f"{where}: {error}") from None
    except (TypeError, AttributeError) as error:
        log.debug("malformed answer for %s", where, exc_info=True)
        raise RegistryError(f"{where}: malformed answer from the registry ({type(error).__name__}: {error})") from None

