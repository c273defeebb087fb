"""Text a repository controls never starts a line of output: under GitHub Actions the runner
reads a line starting with ``::`` (after leading blanks) as a workflow command, so a file name
or annotation holding a line break could set outputs, mask values or forge annotations. Such
text is shown on one line (its breaks as `` | ``); only the tool's own annotations start a line
with ``::``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INJECTED = "\n::warning title=INJECTED::from a file name\n"
POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n    automator.dev/policy: {policy}\n"
       "spec:\n  containers:\n    - name: web\n      image: ghcr.io/acme/web:1.0.0\n")


def automator(tmp_path: Path, *args: str) -> str:
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "GITHUB_ACTIONS": "true"}
    done = subprocess.run([sys.executable, "-m", "automator", *args], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def injected_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.lstrip().startswith("::warning title=INJECTED")]


def test_a_file_name_with_line_breaks_starts_no_line_of_scan_or_validate(tmp_path):
    env = tmp_path / "env"
    env.mkdir()
    (env / f"web{INJECTED}.yaml").write_text(POD.format(policy="semver:^1"))
    (tmp_path / "tags.yaml").write_text("ghcr.io/acme/web: [1.0.0, 1.1.0]\n")
    scanned = automator(tmp_path, "scan", "env", "--tags-from", "tags.yaml")
    assert "1.0.0 -> 1.1.0" in scanned and injected_lines(scanned) == []
    (env / f"web{INJECTED}.yaml").write_text(POD.format(policy="semver:^^1"))  # now a problem naming the file
    validated = automator(tmp_path, "validate", "env")
    assert "semver:^^1" in validated and injected_lines(validated) == []

