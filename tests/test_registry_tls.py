"""A registry whose certificate is signed by a private CA.

``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` (a directory
of certificates named by their hash, as ``openssl rehash`` makes it) names the CAs to verify
registries with (the first set wins). A certificate that fails verification is a configuration problem, not an outage:
it is said once, with the way to trust the CA, never retried, and the host is not given up on
for the rest of the run.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from registry_helpers import make_source

from automator.context import Context
from automator.errors import RegistryError

x509 = pytest.importorskip("cryptography.x509", reason="the cryptography package makes the test CA")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                        critical=False)
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory):
    """(CA file, server certificate file, server key file): a throwaway CA and a certificate for 127.0.0.1."""
    directory = tmp_path_factory.mktemp("tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test CA", ca_key, "test CA", ca_key, ca=True)
    server = _certificate("127.0.0.1", server_key, "test CA", ca_key, ca=False)
    files = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return files


@pytest.fixture
def https_registry(private_ca):
    """An HTTPS registry on 127.0.0.1 (its ``/v2/`` answers 200) with the private CA's certificate."""
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(private_ca[1]), str(private_ca[2]))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_registry_with_a_private_ca_is_reached_when_the_environment_names_the_ca(https_registry, private_ca,
                                                                                    variable):
    with make_source(Context({"HOME": "/nonexistent", variable: str(private_ca[0])})) as source:
        response = source.transport.send("GET", f"https://{https_registry}/v2/", what="test")
    assert response.status_code == 200


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command names the CA by its hash")
def test_a_directory_of_hashed_certificates_in_ssl_cert_dir_is_trusted(https_registry, private_ca, tmp_path):
    # OpenSSL looks a CA up in a directory by the hash of its subject: <hash>.0
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(private_ca[0])],
                                  capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f"{subject_hash}.0").write_bytes(private_ca[0].read_bytes())
    with make_source(Context({"HOME": "/nonexistent", "SSL_CERT_DIR": str(tmp_path)})) as source:
        response = source.transport.send("GET", f"https://{https_registry}/v2/", what="test")
    assert response.status_code == 200


def test_the_first_variable_set_wins_over_a_later_one(https_registry, private_ca, tmp_path):
    environment = {"HOME": "/nonexistent", "REQUESTS_CA_BUNDLE": str(private_ca[0]),
                   "SSL_CERT_FILE": str(tmp_path / "absent.pem")}
    with make_source(Context(environment)) as source:
        response = source.transport.send("GET", f"https://{https_registry}/v2/", what="test")
    assert response.status_code == 200


def test_a_certificate_that_fails_verification_is_said_once_with_the_way_to_trust_it(https_registry):
    with make_source() as source:
        for attempt in (1, 2):  # the host is not given up on: the second request is sent too
            with pytest.raises(RegistryError) as failed:
                source.transport.send("GET", f"https://{https_registry}/v2/", what=f"{https_registry}/team/app")
            assert source.transport.requests_sent == attempt  # never retried
            assert f"certificate verification failed for {https_registry}" in str(failed.value)
            assert "SSL_CERT_FILE=" in str(failed.value) and "REQUESTS_CA_BUNDLE" in str(failed.value)
