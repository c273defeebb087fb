"""HTTP for registries: timeouts, retries with backoff and jitter, Retry-After, rate budgets.

One :class:`Transport` per run, shared by all registries (its session pools connections per
host). ``trust_env`` is off so that neither ``~/.netrc`` nor stray environment variables steer
requests; proxies come from :class:`automator.context.Context` instead.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timezone
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from automator.errors import RegistryError, scrub

log = logging.getLogger("automator.registry")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RATELIMIT = re.compile(r"\s*(\d+)")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # first wait, doubled each time, with full jitter
    max_wait: float = 30.0  # Retry-After above this gives up instead of sleeping
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


def is_loopback(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 and ::1 (docker's rule for plain HTTP)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bypasses_proxy(host: str, no_proxy: str) -> bool:
    if is_loopback(host):
        return True
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")))):
            return True
    return False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true too
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, not the machine's local time
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_ratelimit_remaining(value: str | None) -> int | None:
    """``ratelimit-remaining: 76;w=21600`` -> 76."""
    match = _RATELIMIT.match(value or "")
    return int(match.group(1)) if match else None


class Transport:
    def __init__(
        self,
        *,
        proxies: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        rate_limit_reserve: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.rate_limit_reserve = rate_limit_reserve
        self._sleep = sleep
        self._proxies = dict(proxies or {})
        self._exhausted: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.session = requests.Session()
        self.session.trust_env = False  # no ~/.netrc, no environment: Context decides
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "deployment-automator"

    def _proxies_for(self, host: str) -> dict[str, str]:
        if not self._proxies or bypasses_proxy(host, self._proxies.get("no", "")):
            return {}
        chosen = {}
        for scheme in ("http", "https"):
            value = self._proxies.get(scheme) or self._proxies.get("all")
            if value:
                chosen[scheme] = value
        return chosen

    def _check_budget(self, host: str, label: str) -> None:
        with self._lock:
            remaining = self._exhausted.get(host)
        if remaining is not None:
            raise RegistryError(
                f"{label}: stopped before exhausting the rate limit of {host}: {remaining} requests left",
                hint="run again later, log in for a higher limit, or keep the cache between runs",
            )

    def _note_budget(self, host: str, response: requests.Response) -> None:
        remaining = parse_ratelimit_remaining(response.headers.get("ratelimit-remaining"))
        if remaining is not None and remaining <= self.rate_limit_reserve:
            with self._lock:
                self._exhausted[host] = remaining

    def send(self, method: str, url: str, *, auth=None, what: str = "", **kwargs) -> requests.Response:
        """One logical request: retried on connection errors, 429 and 5xx; never raises
        ``requests`` exceptions (they become :class:`RegistryError` naming ``what``)."""
        host = urlsplit(url).netloc.lower()
        hostname = urlsplit(url).hostname or host
        kwargs.setdefault("timeout", (self.retry.connect_timeout, self.retry.read_timeout))
        kwargs.setdefault("allow_redirects", True)
        label = what or host
        for attempt in range(1, self.retry.attempts + 1):
            self._check_budget(host, label)
            started = time.monotonic()
            with self._lock:
                self.requests_sent += 1
            try:
                response = self.session.request(
                    method, url, auth=auth, proxies=self._proxies_for(hostname), **kwargs
                )
            except requests.RequestException as error:
                kind = "timed out" if isinstance(error, requests.Timeout) else "connection failed"
                log.debug("%s %s -> %s (attempt %d)", method, scrub(url), kind, attempt)
                if attempt == self.retry.attempts:
                    raise RegistryError(
                        f"{label}: {kind} after {attempt} attempts ({type(error).__name__})",
                        hint="check the registry address, the network and any proxy settings",
                    ) from None
                self._sleep(self._backoff(attempt))
                continue
            elapsed = (time.monotonic() - started) * 1000
            log.debug("%s %s -> %d (%.0f ms)", method, scrub(url), response.status_code, elapsed)
            self._note_budget(host, response)
            if response.status_code not in RETRY_STATUSES or attempt == self.retry.attempts:
                return response
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.retry.max_wait:
                return response  # caller reports it; we do not sleep for minutes
            response.close()
            self._sleep(self._backoff(attempt) if wait is None else wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.max_wait, self.retry.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
