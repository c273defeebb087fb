"""What a failed exchange means, in words a user can act on: :class:`NoAnswer` and its kinds.

:func:`classify` reads an exception of ``requests`` (and the errors it wraps) as one of a few
kinds; the transport decides from the kind whether to retry, and whether the host that failed
is given up on for the rest of the run.
"""

from __future__ import annotations

import http.client
import ssl

import requests
import urllib3.exceptions

from automator.registry.exchange import Exchange


class NoAnswer(Exception):
    """One attempt without a usable answer. ``kind``: ``deadline``, ``connect`` (no connection),
    ``timeout`` (a read stalled), ``closed`` (closed before the answer was complete),
    ``cut-off`` (body shorter than announced), ``too-large`` or ``certificate`` (its
    verification failed). ``host``: the host of the hop that failed (a redirect's target, say)."""

    def __init__(self, kind: str, message: str, host: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.host = host


UNREACHABLE = frozenset({"deadline", "connect"})  # the host gave no answer at all
FINAL = frozenset({"too-large", "certificate"})  # asking again gives the same answer
CA_HINT = "trust its CA with SSL_CERT_FILE=/path/ca.pem (or REQUESTS_CA_BUNDLE)"


def _cause_chain(error: BaseException) -> list[BaseException]:
    """The error, the errors it wraps (``args``, ``reason``) and its causes."""
    seen: list[BaseException] = []
    todo: list[object] = [error]
    while todo:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([*item.args, getattr(item, "reason", None), item.__cause__, item.__context__])
    return seen


def classify(error: requests.RequestException, exchange: Exchange, timeout: float) -> NoAnswer:
    """What an exception of ``requests`` means, in words a user can act on."""
    if exchange.expired or (isinstance(error, requests.Timeout) and exchange.remaining() <= 0.05):
        return NoAnswer("deadline", f"no complete answer within the {timeout:g} s deadline")
    chain = _cause_chain(error)
    if isinstance(error, requests.ConnectTimeout):
        return NoAnswer("connect", "connection timed out")
    if isinstance(error, requests.Timeout):
        return NoAnswer("timeout", "timed out waiting for data")
    verification = next((c for c in chain if isinstance(c, ssl.SSLCertVerificationError)), None)
    if verification is not None:
        return NoAnswer("certificate", verification.verify_message or str(verification))
    if isinstance(error, requests.exceptions.SSLError):
        return NoAnswer("connect", "TLS handshake failed")
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return NoAnswer("connect", "connection failed (connection refused)")
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            return NoAnswer("connect", "connection failed (no connection)")
        if isinstance(cause, http.client.RemoteDisconnected):
            return NoAnswer("closed", "the connection closed without an answer")
        if isinstance(cause, http.client.BadStatusLine):
            line = str(cause)[:40]
            return NoAnswer("closed", f"the connection closed in the middle of the status line ({line})")
        if isinstance(cause, ConnectionResetError):
            return NoAnswer("closed", "the connection was reset before a complete answer")
    if isinstance(error, requests.ConnectionError):
        return NoAnswer("connect", f"connection failed ({type(error).__name__})")
    return NoAnswer("connect", f"request failed ({type(error).__name__})")
