"""``-q`` leaves only errors on stderr: warnings are not printed by scan, explain, update or run."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_helpers import (
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
)

from automator.cli import main

WARNED = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
  annotations:
    automator.dev/policy: "semver:^1"
    automator.dev/polcy: "semver:^1"
spec:
  containers:
    - name: app
      image: ghcr.io/acme/app:1.0.0
"""
BROKEN = WARNED.replace("name: app\n  annotations", "name: db\n  annotations").replace("acme/app", "acme/db")
WARNING = "warning: app.yaml:7: unknown annotation automator.dev/polcy"
ERROR = "db.yaml:11: ghcr.io/acme/db: not listed in the tags file"


@pytest.fixture
def env(tmp_path: Path) -> Path:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "app.yaml").write_text(WARNED)
    (tmp_path / "env" / "db.yaml").write_text(BROKEN)
    (tmp_path / "tags.yaml").write_text('ghcr.io/acme/app: ["1.0.0", "1.1.0"]\n')
    git(tmp_path / "env", "init", "--quiet")
    git(tmp_path / "env", "add", "-A")
    git(tmp_path / "env", "commit", "--quiet", "-m", "Environment")  # run commits in a checkout
    return tmp_path


@pytest.mark.parametrize("command", [["scan"], ["scan", "--json"], ["explain"], ["update"], ["update", "--dry-run"],
                                     ["run", "--dry-run"]])
def test_quiet_prints_the_errors_and_no_warning(env, capsys, command):
    code = main([*command, str(env / "env"), "--tags-from", str(env / "tags.yaml"), "-q"])

    out, err = capsys.readouterr()
    assert code == 1
    assert WARNING not in err
    assert ERROR in out + err  # on stderr; in the JSON, or with explain at the image, on stdout


def test_without_quiet_the_warnings_are_printed(env, capsys):
    main(["scan", str(env / "env"), "--tags-from", str(env / "tags.yaml")])

    err = capsys.readouterr().err
    assert WARNING in err and f"error: {ERROR}" in err
