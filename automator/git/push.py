"""One ``git push`` and what its answer means (parsing is pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["pushed", "retry", "refused", "failed"]

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


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    reason: str = ""


def _remote_messages(stderr: str) -> str:
    lines = [line.removeprefix("remote:").strip() for line in stderr.splitlines() if line.startswith("remote:")]
    return "; ".join(line for line in lines if line)


def classify_push(status: int, stdout: str, stderr: str) -> PushResult:
    """Classify ``git push --porcelain`` output: pushed, retry (remote moved), refused (hook), failed."""
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
    reason = (stderr.strip() or stdout.strip() or f"git push exited with {status}").splitlines()
    return PushResult("failed", " ".join(line.strip() for line in reason[-3:]))
