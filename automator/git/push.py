"""One ``git push`` and what its answer means (parsing is pure)."""

from __future__ import annotations

from typing import Literal

from automator.values import value_type

Outcome = Literal["pushed", "retry", "transient", "refused", "failed"]

# The remote moved under us: fetch, rebase, push again.
_RETRYABLE = (
    "[rejected]",
    "failed to update ref",
    "failed to lock",
    "cannot lock ref",
    "incorrect old value",
    "reference already exists",
)
_HOOK = ("hook declined", "pre-receive hook", "update hook")
# The connection failed, not the push: try the same push again after a pause.
_TRANSIENT = (
    "the requested url returned error: 500",
    "the requested url returned error: 502",
    "the requested url returned error: 503",
    "the requested url returned error: 504",
    "rpc failed",
    "early eof",
    "connection reset",
    "connection timed out",
    "operation timed out",
    "the remote end hung up unexpectedly",
)


@value_type
class PushResult:
    outcome: Outcome
    reason: str = ""


def _remote_messages(stderr: str) -> str:
    lines = [line.removeprefix("remote:").strip() for line in stderr.splitlines() if line.startswith("remote:")]
    return "; ".join(line for line in lines if line)


def classify_push(status: int, stdout: str, stderr: str) -> PushResult:
    """Classify ``git push --porcelain`` output: pushed, retry (remote moved), transient
    (connection trouble: push again), refused (hook), failed."""
    if status == 0:
        return PushResult("pushed")
    ref_lines = [line for line in stdout.splitlines() if line.startswith("!")]
    text = " ".join(ref_lines) or stderr
    lowered = text.lower()
    if any(marker in lowered for marker in _HOOK):
        detail = _remote_messages(stderr)
        return PushResult("refused", "the remote refused the push: " + (ref_lines[0].split("\t")[-1] if ref_lines else "hook declined") + (f" ({detail})" if detail else ""))
    if any(marker in lowered for marker in _RETRYABLE):
        return PushResult("retry", text.strip())
    reason = " ".join(line.strip() for line in (stderr.strip() or stdout.strip() or f"git push exited with {status}").splitlines()[-3:])
    if any(marker in stderr.lower() for marker in _TRANSIENT):
        return PushResult("transient", reason)
    return PushResult("failed", reason)
