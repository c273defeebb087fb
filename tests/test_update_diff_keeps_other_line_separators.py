"""``automator update --dry-run`` prints a diff that ``git apply`` takes, also for files with
line separators other than ``\\n``: a U+2028 inside a quoted value or a file whose lines end in
CR alone are one line to git and patch, and so they are in the diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from automator.cli import main

APP = "ghcr.io/acme/app"
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  containers:
    - name: app
      image: ghcr.io/acme/app:1.0.0
      args: ["first\u2028second"]
"""

FILES = {
    "a line separator inside a value": POD.encode(),
    "lines ending in CR alone": POD.replace("\u2028", " ").replace("\n", "\r").encode(),
}


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("content", FILES.values(), ids=FILES.keys())
def test_the_dry_run_diff_applies_as_the_update_writes(tmp_path, capsys, content):
    repo = tmp_path / "env"
    repo.mkdir()
    assert git(repo, "init", "--quiet").returncode == 0
    (repo / "app.yaml").write_bytes(content)
    (tmp_path / "tags.yaml").write_text(f'{APP}: ["1.0.0", "1.1.0"]\n')
    arguments = ["update", str(repo), "--tags-from", str(tmp_path / "tags.yaml")]

    assert main([*arguments, "--dry-run"]) == 0
    diff = capsys.readouterr().out
    (tmp_path / "change.diff").write_text(diff)

    checked = git(repo, "apply", "--check", str(tmp_path / "change.diff"))
    assert checked.returncode == 0, checked.stderr
    assert git(repo, "apply", str(tmp_path / "change.diff")).returncode == 0
    applied = (repo / "app.yaml").read_bytes()

    (repo / "app.yaml").write_bytes(content)
    assert main(arguments) == 0
    assert (repo / "app.yaml").read_bytes() == applied == content.replace(b"app:1.0.0", b"app:1.1.0")
