"""The registry as a :class:`automator.tagsource.TagSource`: concurrent, cached, per-repo errors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from automator.context import Context
from automator.errors import AutomatorError, ConfigError, RegistryError
from automator.imageref import split_name
from automator.model import TagInfo
from automator.registry.auth import RegistryAuth
from automator.registry.cache import DEFAULT_TAG_TTL, RegistryCache
from automator.registry.client import RegistryClient
from automator.registry.credentials import DOCKER_HUB, CredentialStore
from automator.registry.formats import (
    config_digest,
    created_from_config,
    manifest_kind,
    pick_platform,
    split_platform,
)
from automator.registry.transport import RetryPolicy, Transport, is_loopback

log = logging.getLogger("automator.registry")

API_HOSTS = {DOCKER_HUB: "registry-1.docker.io"}
DEFAULT_PLATFORM = "linux/amd64"


class _Registry:
    """One registry host: its client and its bounded pool of workers."""

    def __init__(self, client: RegistryClient, concurrency: int) -> None:
        self.client = client
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"registry-{client.registry}")


class RegistryTagSource:
    def __init__(
        self,
        ctx: Context,
        *,
        cache: RegistryCache | None = None,
        insecure_registries: Iterable[str] = (),
        platform: str = DEFAULT_PLATFORM,
        concurrency: int = 8,
        transport: Transport | None = None,
    ) -> None:
        try:
            split_platform(platform)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        if concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, not {concurrency}")
        self.platform = platform.lower()
        self.concurrency = concurrency
        self.cache = cache
        self.insecure = {h.strip().lower() for h in insecure_registries if h.strip()}
        self.transport = transport or Transport(proxies=ctx.proxies, pool_size=max(16, concurrency * 2))
        self.credentials = CredentialStore(ctx)
        self._registries: dict[str, _Registry] = {}
        self._listed: dict[str, Sequence[TagInfo] | AutomatorError] = {}
        self._lock = threading.Lock()
        self._digest_locks: dict[tuple[str, str], threading.Lock] = {}
        self._known: dict[tuple[str, str], tuple[bool, datetime | None]] = {}
        self._read: dict[tuple[str, str], TagInfo | AutomatorError] = {}  # (repository, tag), per run
        if self.credentials.config_error:
            log.warning("%s", self.credentials.config_error)

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
    ) -> RegistryTagSource:
        """What the CLI builds: ``cache_dir=None`` disables the cache; tag lists stay fresh for
        ``tag_ttl`` seconds (default ``AUTOMATOR_CACHE_TTL``, else 5 minutes)."""
        ttl = tag_ttl if tag_ttl is not None else (ctx.cache_ttl if ctx.cache_ttl is not None else DEFAULT_TAG_TTL)
        cache = RegistryCache(cache_dir, tag_ttl=ttl) if cache_dir is not None else None
        transport = Transport(proxies=ctx.proxies, retry=retry, pool_size=max(16, concurrency * 2))
        return cls(ctx, cache=cache, insecure_registries=insecure_registries, platform=platform,
                   concurrency=concurrency, transport=transport)

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
                auth = RegistryAuth(host, api_host, self.transport, lambda: self.credentials.lookup(host),
                                    self._plain_http_allowed)
                client = RegistryClient(host, f"{scheme}://{api_host}", auth, self.transport)
                found = self._registries[host] = _Registry(client, self.concurrency)
            return found

    def base_url(self, host: str) -> str:
        """Where the API of ``host`` is reached (plain HTTP only for loopback or insecure hosts)."""
        return self._registry(host.lower()).client.base_url

    def close(self) -> None:
        for registry in self._registries.values():
            registry.pool.shutdown(wait=True)
        self.transport.session.close()

    def __enter__(self) -> RegistryTagSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- TagSource -----------------------------------------------------------------------------

    def _list_one(self, repository: str) -> Sequence[TagInfo] | AutomatorError:
        try:
            host, path = split_name(repository)
            tags = self.cache.get_tags(f"{host}/{path}") if self.cache else None
            if tags is None:
                tags, _pages = self._registry(host).client.list_tags(path)
                if self.cache:
                    self.cache.put_tags(f"{host}/{path}", tags)
            return tuple(TagInfo(tag=t) for t in tags)
        except AutomatorError as error:
            return error
        except Exception as error:  # a bug must not take the other repositories down
            log.debug("unexpected error listing %s", repository, exc_info=True)
            return RegistryError(f"{repository}: unexpected error while listing tags ({type(error).__name__})")

    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        """Tags per repository; each distinct repository is listed once per run."""
        futures: dict[str, Future] = {}
        for repository in dict.fromkeys(repositories):
            if repository in self._listed:
                continue
            try:
                host, _ = split_name(repository)
            except AutomatorError as error:
                self._listed[repository] = error
                continue
            futures[repository] = self._registry(host).pool.submit(self._list_one, repository)
        for repository, future in futures.items():
            self._listed[repository] = future.result()
        return {r: self._listed[r] for r in dict.fromkeys(repositories)}

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
        manifest = client.manifest(path, digest)
        try:
            if manifest_kind(manifest.data, manifest.media_type) == "index":
                child = pick_platform(manifest.data, self.platform)
                if child is None:
                    raise RegistryError(
                        f"{client.registry}/{path}@{digest[:19]}: no {self.platform} image in the index",
                        hint="choose another platform with --platform",
                    )
                manifest = client.manifest(path, child["digest"])
            config = client.blob_json(path, config_digest(manifest.data))
        except ValueError as error:
            raise RegistryError(f"{client.registry}/{path}@{digest[:19]}: {error}") from None
        return created_from_config(config)

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        """Digest and build time of the given tags (a HEAD each, once per run; manifests and
        configs only for digests not seen before)."""
        try:
            host, path = split_name(repository)
        except AutomatorError as error:
            return {tag: error for tag in tags}
        registry = self._registry(host)
        futures = {t: registry.pool.submit(self._metadata_one, registry.client, path, t)
                   for t in dict.fromkeys(tags) if (repository, t) not in self._read}
        for tag, future in futures.items():
            self._read[(repository, tag)] = future.result()
        return {tag: self._read[(repository, tag)] for tag in dict.fromkeys(tags)}

    def platform_digest(self, repository: str, tag: str, platform: str) -> str:
        """The digest of ``platform``'s image behind ``tag`` (the tag's own digest when it is
        a single-platform manifest). Raises :class:`RegistryError` when the index lacks it."""
        host, path = split_name(repository)
        client = self._registry(host).client
        manifest = client.manifest(path, tag)
        try:
            if manifest_kind(manifest.data, manifest.media_type) != "index":
                return manifest.digest
        except ValueError as error:
            raise RegistryError(f"{repository}:{tag}: {error}") from None
        child = pick_platform(manifest.data, platform)
        if child is None:
            raise RegistryError(f"{repository}:{tag}: no {platform} image in the index",
                                hint="check the platform: setting of the rule")
        return child["digest"]

