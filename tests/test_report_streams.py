"""Under GitHub Actions, workflow commands never cut into a document printed on stdout."""

from __future__ import annotations

from pathlib import Path

from automator.cli import main

MANIFEST = """\
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
"""


def test_with_markdown_on_stdout_the_workflow_commands_go_to_stderr(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "app.yaml").write_text(MANIFEST)
    (tmp_path / "tags.yaml").write_text('ghcr.io/acme/app: ["1.0.0", "1.1.0"]\n')
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)

    code = main(["scan", str(tmp_path / "env"), "--tags-from", str(tmp_path / "tags.yaml"), "--markdown", "-"])

    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("### Image updates") and "::" not in out  # the Markdown alone
    assert "FILE:LINE" in err and "::notice file=app.yaml,line=10" in err  # the table beside the annotations
