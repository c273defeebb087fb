"""A real CNCF distribution registry on 127.0.0.1, for tests, benchmarks and the demo.

    with start_registry(tmp_path) as registry:            # anonymous
        digest = push_image(registry.url, "team/app", "1.2.3", created="2024-05-01T10:00:00Z")

    start_registry(tmp, htpasswd={"alice": "s3cret"})     # Basic auth (htpasswd, bcrypt)
    start_registry(tmp, token={"alice": "s3cret"})        # token auth; a token server issues
                                                          # JWTs the registry verifies
Images are pushed with plain HTTP requests (no docker daemon): a config blob (``created``,
labels), one small layer and a manifest, or an OCI index over several platforms.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

import requests
from token_server import TokenServer

REGISTRY_BINARY = os.environ.get("REGISTRY_BINARY", "/usr/bin/docker-registry")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bcrypt_hash(password: str) -> str:
    """A bcrypt hash for htpasswd files (libcrypt via ``crypt``, else the htpasswd tool)."""
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # removed in Python 3.13

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))  # cost 4: fast tests
    except (ImportError, AttributeError):
        tool = shutil.which("htpasswd")
        if not tool:
            raise RuntimeError("need the crypt module or the htpasswd tool (apache2-utils)") from None
        out = subprocess.run([tool, "-nbB", "-C", "4", "user", password], check=True, capture_output=True, text=True)
        return out.stdout.strip().split(":", 1)[1]


@dataclass
class LocalRegistry:
    url: str
    host: str
    workdir: Path
    process: subprocess.Popen
    token_server: TokenServer | None = None
    users: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.token_server is not None:
            self.token_server.stop()

    def __enter__(self) -> LocalRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push(self, repository: str, tag: str, **kwargs) -> str:
        """``push_image`` with this registry's first user when it needs a login."""
        if self.users and "auth" not in kwargs:
            kwargs["auth"] = next(iter(self.users.items()))
        return push_image(self.url, repository, tag, **kwargs)


def _config_yaml(storage: Path, port: int, auth: str) -> str:
    return f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: local-test-secret
{auth}"""


def start_registry(
    workdir: Path | str,
    *,
    htpasswd: Mapping[str, str] | None = None,
    token: Mapping[str, str] | None = None,
    anonymous_pull: bool = True,
    ready_timeout: float = 20.0,
) -> LocalRegistry:
    """Start ``docker-registry`` with fresh storage under ``workdir``; wait until it answers.

    ``htpasswd`` and ``token`` map user -> password. With ``token`` a token server runs beside
    the registry; ``anonymous_pull`` lets it issue pull tokens without a login.
    """
    if not os.access(REGISTRY_BINARY, os.X_OK):
        raise RuntimeError(f"{REGISTRY_BINARY} is missing: run scripts/install-registry.sh")
    workdir = Path(tempfile.mkdtemp(prefix="registry-", dir=workdir))
    port = free_port()
    auth, server, users = "", None, {}
    if htpasswd:
        users = dict(htpasswd)
        lines = "".join(f"{user}:{bcrypt_hash(pw)}\n" for user, pw in users.items())
        (workdir / "htpasswd").write_text(lines, encoding="utf-8")
        auth = f"auth:\n  htpasswd:\n    realm: local-registry\n    path: {workdir / 'htpasswd'}\n"
    elif token is not None:
        users = dict(token)
        server = TokenServer(workdir, users=users, anonymous_pull=anonymous_pull)
        auth = (
            "auth:\n  token:\n"
            f"    realm: {server.url}/token\n    service: {server.service}\n"
            f"    issuer: {server.issuer}\n    rootcertbundle: {server.cert_path}\n"
        )
    config = workdir / "config.yml"
    config.write_text(_config_yaml(workdir / "storage", port, auth), encoding="utf-8")
    log_path = workdir / "registry.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    host = f"127.0.0.1:{port}"
    registry = LocalRegistry(f"http://{host}", host, workdir, process, server, users, log_path)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            registry.stop()
            raise RuntimeError(f"registry exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{registry.url}/v2/", timeout=1).status_code in (200, 401):
                return registry
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    registry.stop()
    raise RuntimeError(f"registry on {host} did not become ready in {ready_timeout} s")


# --- pushing images -----------------------------------------------------------------------------


class _Pusher:
    """Plain requests with just enough auth for pushing (Basic, or a bearer token per scope)."""

    def __init__(self, base_url: str, repository: str, auth: tuple[str, str] | None) -> None:
        self.base = base_url.rstrip("/")
        self.repository = repository
        self.basic = auth
        self.session = requests.Session()
        self.session.trust_env = False
        self.header: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        url = urljoin(self.base + "/", url)
        extra = kwargs.pop("headers", {})
        response = self.session.request(method, url, headers={**self.header, **extra}, timeout=30, **kwargs)
        if response.status_code == 401 and not self.header:
            self._login(response.headers.get("WWW-Authenticate", ""))
            response = self.session.request(method, url, headers={**self.header, **extra}, timeout=30, **kwargs)
        return response

    def _login(self, challenge: str) -> None:
        if challenge.lower().startswith("basic") and self.basic:
            raw = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            self.header = {"Authorization": f"Basic {raw}"}
        elif challenge.lower().startswith("bearer"):
            params = dict(part.split("=", 1) for part in _split_params(challenge[len("bearer"):]))
            params = {k.strip().lower(): v.strip().strip('"') for k, v in params.items()}
            answer = requests.get(
                params["realm"],
                params={"service": params.get("service", ""), "scope": f"repository:{self.repository}:pull,push"},
                auth=self.basic, timeout=30,
            )
            answer.raise_for_status()
            self.header = {"Authorization": f"Bearer {answer.json()['token']}"}

    def blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if self.request("HEAD", f"/v2/{self.repository}/blobs/{digest}").status_code == 200:
            return digest
        started = self.request("POST", f"/v2/{self.repository}/blobs/uploads/")
        if started.status_code != 202:
            raise RuntimeError(f"upload refused: HTTP {started.status_code} {started.text[:200]}")
        location = started.headers["Location"]
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        done = self.request("PUT", location, data=data, headers={"Content-Type": "application/octet-stream"})
        if done.status_code != 201:
            raise RuntimeError(f"blob upload failed: HTTP {done.status_code} {done.text[:200]}")
        return digest

    def manifest(self, reference: str, body: bytes, media_type: str) -> str:
        response = self.request("PUT", f"/v2/{self.repository}/manifests/{reference}", data=body,
                                headers={"Content-Type": media_type})
        if response.status_code != 201:
            raise RuntimeError(f"manifest upload failed: HTTP {response.status_code} {response.text[:300]}")
        return "sha256:" + hashlib.sha256(body).hexdigest()


def _split_params(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if "=" in p]


def _layer(content: str) -> tuple[bytes, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = content.encode()
        info = tarfile.TarInfo("image.txt")
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat().replace("+00:00", "Z")


def _image(pusher: _Pusher, tag: str, platform: str, created, labels, oci: bool) -> tuple[bytes, str]:
    os_name, arch, *variant = platform.split("/")
    layer, diff_id = _layer(f"{pusher.repository}:{tag} {platform}")
    config: dict = {"architecture": arch, "os": os_name, "config": {"Labels": dict(labels or {})},
                    "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
    if variant:
        config["variant"] = variant[0]
    if created is not None:
        config["created"] = _iso(created)
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest, layer_digest = pusher.blob(config_bytes), pusher.blob(layer)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "digest": config_digest,
                   "size": len(config_bytes)},
        "layers": [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "digest": layer_digest, "size": len(layer)}],
    }
    return json.dumps(manifest, sort_keys=True).encode(), manifest["mediaType"]


def push_image(
    base_url: str,
    repository: str,
    tag: str,
    *,
    created: datetime | str | Mapping[str, datetime | str] | None = None,
    labels: Mapping[str, str] | None = None,
    platforms: Sequence[str] | None = None,
    auth: tuple[str, str] | None = None,
) -> str:
    """Push a tiny image and tag it; return the tag's manifest digest.

    Without ``platforms``: one linux/amd64 Docker v2 manifest. With ``platforms``: an OCI index
    whose children (OCI manifests) share ``labels``; ``created`` may then map platform -> time.
    ``created=None`` leaves
    ``created`` out of the config (then only a label can tell the build time).
    """
    pusher = _Pusher(base_url, repository, auth)
    if not platforms:
        body, media = _image(pusher, tag, "linux/amd64", created, labels, oci=False)
        return pusher.manifest(tag, body, media)
    children = []
    for platform in platforms:
        when = created.get(platform) if isinstance(created, Mapping) else created
        body, media = _image(pusher, tag, platform, when, labels, oci=True)
        digest = pusher.manifest("sha256:" + hashlib.sha256(body).hexdigest(), body, media)
        os_name, arch, *variant = platform.split("/")
        described = {"os": os_name, "architecture": arch, **({"variant": variant[0]} if variant else {})}
        children.append({"mediaType": media, "digest": digest, "size": len(body), "platform": described})
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}, sort_keys=True)
    return pusher.manifest(tag, index.encode(), OCI_INDEX)


if __name__ == "__main__":  # a registry to play with: python3 scripts/local_registry.py
    with tempfile.TemporaryDirectory() as tmp, start_registry(tmp) as reg:
        push_image(reg.url, "demo/app", "1.0.0", created="2024-01-01T00:00:00Z")
        print(f"registry at {reg.url} (demo/app:1.0.0 pushed); Ctrl-C stops it")
        try:
            reg.process.wait()
        except KeyboardInterrupt:
            pass
