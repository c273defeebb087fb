"""The wheel built from this tree installs into a fresh venv and runs there, away from the
source tree. Offline: the build uses the test environment's setuptools (no build isolation),
and the fresh venv borrows the test environment's dependencies through a .pth line instead
of downloading them (the package itself comes only from the wheel)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--wheel-dir", str(base / "dist"), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = (base / "dist").glob("deployment_automator-*.whl")
    target = base / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=300)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # dependencies from the test environment; its editable automator is not seen (.pth files
    # of a directory added this way are not processed)
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return base


def run(installed: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed / "venv" / "bin" / argv[0]), *argv[1:]], cwd=installed,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(installed)})


@pytest.mark.slow
def test_the_wheel_carries_the_package_its_license_and_no_tests(installed):
    (wheel,) = (installed / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "automator/cli.py" in names and "automator/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
    assert not [n for n in names if n.startswith("tests/")]


@pytest.mark.slow
def test_the_installed_command_runs_from_the_venv_not_the_source_tree(installed):
    where = run(installed, "python", "-c", "import automator; print(automator.__file__)")
    assert where.stdout.strip().startswith(str(installed / "venv")), where.stdout + where.stderr
    version = run(installed, "automator", "--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout + version.stderr


@pytest.mark.slow
def test_the_installed_command_plans_the_bundled_example_offline(installed):
    done = run(installed, "automator", "scan", str(ROOT / "examples/env-repo/clusters/production"),
               "--tags-from", str(ROOT / ".github/smoke/tags.yaml"), "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["updates"]) == 3


@pytest.mark.slow
def test_the_installed_health_check_runs(installed):
    done = run(installed, "python", "-m", "automator.ci.healthcheck")
    assert done.returncode == 0 and done.stdout.startswith("healthy"), done.stdout + done.stderr
