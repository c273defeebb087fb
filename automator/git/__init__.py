"""Writing back with git: one commit per run, pushed with rebase-retry (the git CLI, one process per command)."""

from automator.git.backoff import RetryPolicy
from automator.git.identity import DEFAULT_AUTHOR, Identity, parse_identity
from automator.git.message import render_message
from automator.git.workspace import Workspace, find_repository
from automator.git.writer import RecordingApply, WriteOptions, WriteResult, write_updates

__all__ = [
    "DEFAULT_AUTHOR",
    "Identity",
    "RecordingApply",
    "RetryPolicy",
    "WriteOptions",
    "WriteResult",
    "Workspace",
    "find_repository",
    "parse_identity",
    "render_message",
    "write_updates",
]
