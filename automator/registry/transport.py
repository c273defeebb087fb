"""HTTP for registries: deadlines, retries with backoff and jitter, Retry-After, rate budgets.

One :class:`Transport` per run, shared by all registries (its session pools connections per
host). ``trust_env`` is off so that neither ``~/.netrc`` nor stray environment variables steer
requests; proxies and the CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
``SSL_CERT_FILE``, ``SSL_CERT_DIR``) come from :class:`automator.context.Context` instead.

Every attempt is one exchange under a total deadline (``RetryPolicy.timeout``: connect, headers
and the whole body, see :mod:`automator.registry.exchange`); the attempts of one request stop
at a budget of ``budget_factor`` x the timeout. A host that gave no answer at all within that
budget is not asked again in the same run: later requests to it fail at once, so one dead
registry costs one budget, not one per repository.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from urllib.parse import urljoin, urlsplit

import requests

from automator.errors import RegistryError, scrub
from automator.registry.exchange import BodyError, Exchange, Watchdog, WatchedAdapter, read_body
from automator.registry.failures import CA_HINT, FINAL, UNREACHABLE, NoAnswer, classify
from automator.registry.formats import same_origin
from automator.values import value_type

log = logging.getLogger("automator.registry")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MAX_BODY = 4 * 1024 * 1024
_RATELIMIT = re.compile(r"\s*(\d+)")


@value_type
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # first wait, doubled each time, with full jitter
    max_wait: float = 30.0  # Retry-After above this gives up instead of sleeping
    connect_timeout: float = 10.0  # caps of one socket connect / read, within the deadline
    read_timeout: float = 30.0
    timeout: float = 30.0  # total deadline of one exchange: connect, headers and whole body
    budget_factor: float = 3.0  # the attempts of one request stop at this x timeout

    @property
    def budget(self) -> float:
        return self.budget_factor * self.timeout


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


def wait_asked(response: requests.Response, who: str) -> str:
    """`` (the registry asks to wait 120 s)`` from the answer's ``Retry-After``, or nothing."""
    wait = parse_retry_after(response.headers.get("Retry-After"))
    return f" ({who} asks to wait {wait:.0f} s)" if wait is not None else ""


def parse_ratelimit_remaining(value: str | None) -> int | None:
    """``ratelimit-remaining: 76;w=21600`` -> 76."""
    match = _RATELIMIT.match(value or "")
    return int(match.group(1)) if match else None


def _close_delimited(response: requests.Response) -> bool:
    headers = response.headers
    return "Content-Length" not in headers and "chunked" not in headers.get("Transfer-Encoding", "").lower()


class _Session(requests.Session):
    """A session that leaves redirects to the transport: ``requests`` would otherwise parse
    every redirect's ``Location`` (for ``Response.next``) while sending, mixing its errors with
    the request's own."""

    def resolve_redirects(self, *args, **kwargs):
        return iter(())


class Transport:
    def __init__(
        self,
        *,
        proxies: Mapping[str, str] | None = None,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        rate_limit_reserve: int = 5,
        sleep: Callable[[float], None] | None = None,
        pool_size: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.rate_limit_reserve = rate_limit_reserve
        self.watchdog = Watchdog(clock)
        self._sleep = sleep or self.watchdog.cancelled.wait  # a cancelled run does not sleep on
        self._clock = clock
        self._proxies = dict(proxies or {})
        self._exhausted: dict[str, int] = {}
        self._down: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.session = _Session()
        self.session.trust_env = False  # no ~/.netrc, no environment: Context decides
        self.session.verify = _ca_bundle(ca_bundle)  # REQUESTS_CA_BUNDLE / SSL_CERT_FILE, from the Context
        adapter = WatchedAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "deployment-automator"

    # --- cancellation --------------------------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        return self.watchdog.cancelled.is_set()

    def cancel(self) -> None:
        """Abandon every exchange in flight (their sockets are shut down) and refuse new ones."""
        self.watchdog.cancel()

    # --- per host state ------------------------------------------------------------------------

    def _proxies_for(self, host: str) -> dict[str, str]:
        if not self._proxies or bypasses_proxy(host, self._proxies.get("no", "")):
            return {}
        chosen = {}
        for scheme in ("http", "https"):
            value = self._proxies.get(scheme) or self._proxies.get("all")
            if value:
                chosen[scheme] = value
        return chosen

    def _check_host(self, host: str, label: str) -> None:
        if self.cancelled:
            raise RegistryError(f"{label}: abandoned (interrupted)")
        with self._lock:
            remaining = self._exhausted.get(host)
            down = self._down.get(host)
        if remaining is not None:
            raise RegistryError(
                f"{label}: stopped before exhausting the rate limit of {host}: {remaining} requests left",
                hint="run again later, log in for a higher limit, or keep the cache between runs",
            )
        if down is not None:
            raise RegistryError(f"{label}: not asked: {host} gave no answer earlier in this run ({down})",
                                hint=self._unreachable_hint())

    def _note_budget(self, host: str, response: requests.Response) -> None:
        remaining = parse_ratelimit_remaining(response.headers.get("ratelimit-remaining"))
        if remaining is not None and remaining <= self.rate_limit_reserve:
            with self._lock:
                self._exhausted[host] = remaining

    def _unreachable_hint(self) -> str:
        return (f"check the registry address, the network and any proxy settings; a registry that is "
                f"only slow needs a longer --registry-timeout (now {self.retry.timeout:g} s)")

    # --- requests ------------------------------------------------------------------------------

    def send(self, method: str, url: str, *, auth=None, what: str = "", limit: int = MAX_BODY,
             **kwargs) -> requests.Response:
        """One logical request, its body read whole (at most ``limit`` bytes): retried on
        connection errors, 429 and 5xx within the retry budget; never raises ``requests``
        exceptions (they become :class:`RegistryError` naming ``what``)."""
        host = urlsplit(url).netloc.lower()
        label = what or host
        follow = kwargs.pop("allow_redirects", True)
        retry = self.retry
        started = self._clock()
        budget_end = started + retry.budget
        for attempt in range(1, retry.attempts + 1):
            self._check_host(host, label)
            with self._lock:
                self.requests_sent += 1
            begun = self._clock()
            exchange = Exchange(min(begun + retry.timeout, budget_end), self._clock)
            try:
                response = self._exchange(method, url, exchange, auth, follow, limit, kwargs, label)
            except NoAnswer as failure:
                log.debug("%s %s -> %s (attempt %d)", method, scrub(url), failure.message, attempt)
                wait = self._backoff(attempt)
                if (attempt == retry.attempts or failure.kind in FINAL or self.cancelled
                        or self._clock() + wait >= budget_end):
                    raise self._gave_up(failure, label, host, attempt, started) from None
                self._sleep(wait)
                continue
            elapsed = (self._clock() - begun) * 1000
            log.debug("%s %s -> %d (%.0f ms)", method, scrub(url), response.status_code, elapsed)
            self._note_budget(host, response)
            if response.status_code not in RETRY_STATUSES or attempt == retry.attempts:
                return response
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > retry.max_wait:
                return response  # caller reports it; we do not sleep for minutes
            wait = self._backoff(attempt) if wait is None else wait
            if self._clock() + wait >= budget_end:
                return response  # the budget is spent: the caller reports the last status
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _gave_up(self, failure: NoAnswer, label: str, host: str, attempts: int, started: float) -> RegistryError:
        if self.cancelled:
            return RegistryError(f"{label}: abandoned (interrupted)")
        spent = self._clock() - started
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''} in {spent:.1f} s"
        failed = failure.host or host  # a redirect's target is to blame for its own silence
        if failure.kind in UNREACHABLE:
            with self._lock:
                self._down.setdefault(failed, failure.message)
        if failure.kind == "certificate":
            return RegistryError(f"{label}: certificate verification failed for {failed}: {failure.message}",
                                 hint=CA_HINT)
        if failure.kind == "deadline":
            return RegistryError(
                f"{label}: no complete answer from {failed} within the {self.retry.timeout:g} s deadline ({tries})",
                hint=self._unreachable_hint(),
            )
        if failure.kind == "connect":
            what = failure.message.removeprefix("connection failed").strip(" ()")
            where = "" if failed == host else f" to {failed}, where {host} redirected"
            return RegistryError(f"{label}: connection failed after {attempts} attempts{where} ({what})",
                                 hint=self._unreachable_hint())
        if failure.kind == "too-large":
            return RegistryError(f"{label}: {failure.message}",
                                 hint="the registry sent far more than such an answer needs; report it to its operators")
        return RegistryError(f"{label}: {failure.message} ({tries})",
                             hint="the registry or a proxy in between breaks connections; try again later")

    def _exchange(self, method: str, url: str, exchange: Exchange, auth, follow: bool, limit: int,
                  kwargs: dict, label: str) -> requests.Response:
        """One attempt: the request, redirects followed by hand (credentials only to the same
        origin), and the whole body, all before ``exchange.deadline``. A :class:`NoAnswer`
        names the host of the hop that failed."""
        with self.watchdog.watch(exchange):
            for hop in range(MAX_REDIRECTS + 1):
                host = urlsplit(url).netloc.lower()
                if hop:
                    self._check_host(host, label)  # a redirect's target that gave no answer earlier
                try:
                    response = self._hop(method, url, exchange, auth, kwargs)
                except NoAnswer as failure:
                    failure.host = host
                    raise
                location = response.headers.get("Location")
                if follow and response.status_code in REDIRECTS and location and hop < MAX_REDIRECTS:
                    response.close()  # a redirect's body is never read
                    following = _redirect_target(url, location)
                    if not same_origin(following, url):
                        auth = None  # credentials stay with the origin they are for
                    if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                        method = "GET"
                        kwargs = {k: v for k, v in kwargs.items() if k not in ("data", "json")}
                    kwargs = {k: v for k, v in kwargs.items() if k != "params"}  # in the Location already
                    url = following
                    continue
                try:
                    return self._read(response, method, exchange, limit)
                except NoAnswer as failure:
                    failure.host = host
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _hop(self, method: str, url: str, exchange: Exchange, auth, kwargs: dict) -> requests.Response:
        """One request of an attempt, its redirects not followed, its body not read yet."""
        remaining = exchange.remaining()
        if remaining <= 0 or exchange.expired:
            raise NoAnswer("deadline", f"no complete answer within the {self.retry.timeout:g} s deadline")
        timeout = (min(self.retry.connect_timeout, remaining), min(self.retry.read_timeout, remaining))
        hostname = urlsplit(url).hostname or ""
        try:
            return self.session.request(method, url, auth=auth, proxies=self._proxies_for(hostname),
                                        timeout=timeout, stream=True, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            raise classify(error, exchange, self.retry.timeout) from None
        except ValueError as error:  # a header http.client refuses to write: never retried
            raise RegistryError(f"{urlsplit(url).netloc}: the request could not be sent "
                                f"({type(error).__name__}: a header that cannot be written)") from None

    def _read(self, response: requests.Response, method: str, exchange: Exchange, limit: int) -> requests.Response:
        try:
            body = read_body(response, limit, exchange)
        except BodyError as error:
            response.raw.close()
            if error.kind == "deadline":
                raise NoAnswer("deadline", f"no complete answer within the {self.retry.timeout:g} s deadline") from None
            raise NoAnswer(error.kind, error.message) from None
        response._content = body
        response._content_consumed = True
        response.close()  # back to the pool
        if method != "HEAD" and response.status_code == 200 and not body and _close_delimited(response):
            shown = "the status line" if not response.headers else f"{len(response.headers)} header(s)"
            raise NoAnswer("closed", f"the connection closed after {shown}, before the answer was complete")
        return response

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.max_wait, self.retry.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def _ca_bundle(path: str | None) -> str | bool:
    """What ``requests`` verifies certificates with: the CA file or directory named, or its own
    CAs (True) when none is named or the one named does not exist (with a warning)."""
    if not path:
        return True
    if not os.path.exists(path):
        log.warning("the CA bundle %s (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE or SSL_CERT_DIR) "
                    "does not exist; "
                    "registries are verified with the default CAs", path)
        return True
    return path


def _redirect_target(url: str, location: str) -> str:
    """The absolute URL a redirect's ``Location`` points to; a :class:`RegistryError` naming
    the header when it cannot be parsed."""
    try:
        following = urljoin(url, location)
        urlsplit(following).port  # noqa: B018 - a port that is not a number raises
    except ValueError:
        raise RegistryError(f"{urlsplit(url).netloc}: malformed Location URL in a redirect") from None
    return following
