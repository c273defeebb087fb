"""A small token server for distribution's ``auth: token`` (the Docker token protocol).

It signs ES256 JWTs with a key whose self-signed certificate the registry trusts
(``rootcertbundle``); the JWT header names the key by its libtrust key ID (``kid``), which is
how distribution 2.8 finds the verifying key. ``GET /token`` takes Basic credentials (or none,
for anonymous pull); ``POST /token`` takes an OAuth2 ``refresh_token`` grant (identity tokens).
Knobs for tests: ``expires_in`` (None leaves it out), ``jwt_lifetime`` (negative issues tokens
the registry rejects as expired), ``token_field`` (``token``, ``access_token`` or both),
``grant_limit`` (grant only the first N scopes asked for, silently, as some token services do).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def libtrust_key_id(public_key) -> str:
    """libtrust's key ID: base32 of the first 240 bits of sha256(SubjectPublicKeyInfo DER)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def _self_signed(key, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class TokenServer:
    service = "local-registry"
    issuer = "local-token-issuer"

    def __init__(self, workdir: Path, *, users: dict[str, str], anonymous_pull: bool = True) -> None:
        self.users = users
        self.anonymous_pull = anonymous_pull
        self.refresh_tokens: dict[str, str] = {}  # identity token -> user
        self.expires_in: int | None = 300
        self.jwt_lifetime = 300
        self.token_field = "token"
        self.grant_limit: int | None = None
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = libtrust_key_id(self._key.public_key())
        self.cert_path = Path(workdir) / "token-signer.crt"
        self.cert_path.write_bytes(_self_signed(self._key, self.issuer).public_bytes(serialization.Encoding.PEM))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, subject: str, scopes: list[str], authenticated: bool) -> dict:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if authenticated else [a for a in wanted if a == "pull"]
            if name and granted:
                access.append({"type": kind, "name": name, "actions": granted})
        if self.grant_limit is not None:
            access = access[: self.grant_limit]
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service, "iat": now, "nbf": now - 5,
                  "exp": now + self.jwt_lifetime, "jti": uuid.uuid4().hex, "access": access}
        token = jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
        body: dict = {}
        if self.token_field in ("token", "both"):
            body["token"] = token
        if self.token_field in ("access_token", "both"):
            body["access_token"] = token
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return body

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _user(self) -> str | None:
                header = self.headers.get("Authorization", "")
                if not header.lower().startswith("basic "):
                    return None
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user if server.users.get(user) == password else ""

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                user = self._user()
                scopes = query.get("scope", [])
                with server._lock:
                    server.requests.append({"method": "GET", "user": user, "scopes": scopes})
                if user == "" or (user is None and not server.anonymous_pull):
                    self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                    return
                self._answer(200, server.issue(user or "anonymous", scopes, authenticated=bool(user)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                refresh = (form.get("refresh_token") or [""])[0]
                scopes = " ".join(form.get("scope", [])).split()
                user = server.refresh_tokens.get(refresh)
                with server._lock:
                    server.requests.append({"method": "POST", "user": user, "scopes": scopes})
                if form.get("grant_type") != ["refresh_token"] or not user:
                    self._answer(401, {"error": "invalid_grant"})
                    return
                body = server.issue(user, scopes, authenticated=True)
                body.setdefault("access_token", body.pop("token", None))
                self._answer(200, body)

        return Handler
