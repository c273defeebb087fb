"""A fault-injecting HTTP proxy on 127.0.0.1 in front of a real registry (tests, benchmarks).

    proxy = RegistryProxy(registry.url, latency=0.05)       # 50 ms added to every request
    proxy.add_fault(r"/tags/list", status=429, headers={"Retry-After": "1"})   # once
    proxy.add_fault(r"/tags/list", delay=2.0)               # stall (client timeouts)
    proxy.add_fault(r"/tags/list", status=200, body=b"{not json")
    proxy.count(r"/tags/list")                              # requests seen so far

Faults that break the protocol itself (for deadline and size-limit tests):

    proxy.add_fault(r"/tags/list", trickle=0.2)             # the whole answer, one byte per 0.2 s
    proxy.add_fault(r"/tags/list", trickle=0.2, trickle_from="body")   # headers at once, body slowly
    proxy.add_fault(r"/tags/list", silent=True)             # accept, read the request, never answer
    proxy.add_fault(r"/tags/list", cut=10)                  # full Content-Length, 10 bytes, close
    proxy.add_fault(r"/tags/list", endless=True)            # a body that never ends (chunked)
    proxy.add_fault(r"/tags/list", raw=b"HTTP/1.1 200 OK\r\n", trickle=0.1)  # these bytes, close
    proxy.extra_tags["big/repo"] = [f"t{i}" for i in range(150_000)]   # added to the real list
    proxy.replace_in_headers.append((token_url, other_url))  # e.g. point the realm elsewhere

``silent`` connections are held until :meth:`RegistryProxy.stop`.

It also serves as a plain HTTP forward proxy (``HTTP_PROXY=proxy.url``): absolute request
targets go to the same upstream. ``page_size`` makes it page tag lists as the distribution spec describes (``n``, ``last`` and a
``Link: <...>; rel="next"`` header), which the real distribution 2.8 does not do; the tags come
from the real registry. Faults are consumed first-in first-out, each ``times`` times.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate", "host", "content-length"}
_TAGS = re.compile(r"^/v2/(?P<name>.+)/tags/list$")


@dataclass
class Fault:
    pattern: re.Pattern
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    times: int = 1
    method: str | None = None
    trickle: float = 0.0  # seconds between bytes
    trickle_from: str = "status"  # "status": the whole answer; "body": only the body
    silent: bool = False
    cut: int | None = None
    endless: bool = False
    raw: bytes | None = None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog, read when the constructor starts listening: with the default of 5,
    # several processes connecting at once lose SYNs, and each lost one costs a 1 s retransmit.
    request_queue_size = 128


class RegistryProxy:
    def __init__(self, upstream: str, *, latency: float = 0.0, page_size: int | None = None,
                 absolute_links: bool = False) -> None:
        self.upstream = upstream.rstrip("/")
        self.latency = latency
        self.page_size = page_size
        self.absolute_links = absolute_links
        self.seen: list[Seen] = []
        self.faults: list[Fault] = []
        self.link_override: dict[str, str] = {}  # path regex -> literal Link header to send
        self.extra_tags: dict[str, list[str]] = {}  # repository -> tags added to its listing
        self.replace_in_headers: list[tuple[str, str]] = []  # (old, new) in every answer header
        self._sorted: dict[tuple[str, bytes], list[str]] = {}
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.url = f"http://{self.host}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # --- control -------------------------------------------------------------------------------

    def add_fault(self, pattern: str, *, status: int | None = None, headers: dict[str, str] | None = None,
                  body: bytes | str = b"", delay: float = 0.0, times: int = 1, method: str | None = None,
                  trickle: float = 0.0, trickle_from: str = "status", silent: bool = False,
                  cut: int | None = None, endless: bool = False, raw: bytes | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self.faults.append(Fault(re.compile(pattern), status, dict(headers or {}), data, delay, times, method,
                                     trickle, trickle_from, silent, cut, endless, raw))

    def count(self, pattern: str = "", method: str | None = None) -> int:
        regex = re.compile(pattern)
        with self._lock:
            return sum(1 for s in self.seen if regex.search(s.path) and (method is None or s.method == method))

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()
            self.faults.clear()
            self.link_override.clear()

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RegistryProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving -------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.pattern.search(path) and (fault.method in (None, method)):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False
        return session

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        response = self._session().request(method, self.upstream + path, headers=headers, data=body or None,
                                           allow_redirects=False, timeout=30)
        out = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
        if "Location" in out:
            out["Location"] = out["Location"].replace(self.upstream, self.url)
        if method == "HEAD":
            out["Content-Length"] = response.headers.get("Content-Length", "0")
        return response.status_code, out, response.content

    def _paged_tags(self, name: str, query: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        status, out, body = self._forward("GET", f"/v2/{name}/tags/list", headers, b"")
        if status != 200:
            return status, out, body
        key = (name, body)
        tags = self._sorted.get(key)
        if tags is None:
            tags = self._sorted[key] = sorted({*(json.loads(body).get("tags") or []), *self.extra_tags.get(name, [])})
        params = parse_qs(query)
        size = min(int(params.get("n", [self.page_size])[0]), self.page_size or 10**9)
        last = params.get("last", [None])[0]
        start = 0 if last is None else next((i + 1 for i, t in enumerate(tags) if t == last), len(tags))
        page = tags[start : start + size]
        body = json.dumps({"name": name, "tags": page}).encode()
        out = {"Content-Type": "application/json"}
        if start + size < len(tags):
            link = f"/v2/{name}/tags/list?" + urlencode({"n": size, "last": page[-1]})
            out["Link"] = f'<{self.url + link if self.absolute_links else link}>; rel="next"'
        return 200, out, body

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between headers and body

            def log_message(self, *args) -> None:
                pass

            def _serve(self) -> None:
                method, path = self.command, self.path
                if "://" in path.split("?", 1)[0]:  # absolute form: we are used as an HTTP proxy
                    parts = urlsplit(path)
                    path = parts.path + (f"?{parts.query}" if parts.query else "")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                with proxy._lock:
                    proxy.seen.append(Seen(method, path, headers))
                if proxy.latency:
                    time.sleep(proxy.latency)
                fault = proxy._take_fault(method, path)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.silent:
                    proxy._stopped.wait()
                    self.close_connection = True
                    return
                if fault and fault.raw is not None:
                    self._send_slowly(fault.raw, fault.trickle)
                    self.close_connection = True
                    return
                if fault and fault.status is not None:
                    status, out, data = fault.status, dict(fault.headers), fault.body
                else:
                    try:
                        status, out, data = self._pass_on(method, path, headers, body)
                    except requests.RequestException as error:  # upstream gone: say so, do not crash
                        status, out, data = 502, {}, str(error).encode()
                for old, new in proxy.replace_in_headers:
                    out = {k: v.replace(old, new) for k, v in out.items()}
                self._reply(status, out, data, fault)

            def _send_slowly(self, data: bytes, trickle: float) -> None:
                try:
                    for i in range(len(data)):
                        if proxy._stopped.is_set():
                            return
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        if trickle:
                            time.sleep(trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _pass_on(self, method, path, headers, body):
                split = urlsplit(path)
                match = _TAGS.match(split.path)
                if match and proxy.page_size and method == "GET":
                    status, out, data = proxy._paged_tags(match.group("name"), split.query, headers)
                else:
                    status, out, data = proxy._forward(method, path, headers, body)
                for regex, link in proxy.link_override.items():
                    if re.search(regex, path):
                        out["Link"] = link
                return status, out, data

            def _reply(self, status: int, headers: dict, data: bytes, fault: Fault | None = None) -> None:
                fault = fault or Fault(re.compile(""))
                lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
                lines += [f"{k}: {v}" for k, v in headers.items()
                          if k.lower() != "content-length" or self.command == "HEAD"]
                if fault.endless:
                    lines.append("Transfer-Encoding: chunked")
                elif self.command != "HEAD":
                    lines.append(f"Content-Length: {len(data)}")
                elif not any(k.lower() == "content-length" for k in headers):
                    lines.append("Content-Length: 0")
                head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                try:
                    if fault.trickle and fault.trickle_from == "status":
                        self._send_slowly(head, fault.trickle)
                    else:
                        self.wfile.write(head)
                    if self.command == "HEAD":
                        return
                    if fault.endless:
                        chunk = b"x" * 65536
                        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                        while not proxy._stopped.is_set():
                            self.wfile.write(frame)
                    elif fault.cut is not None:
                        self.wfile.write(data[: fault.cut])
                        self.wfile.flush()
                        self.close_connection = True
                    elif fault.trickle:
                        self._send_slowly(data, fault.trickle)
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler
