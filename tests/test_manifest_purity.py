"""The locate/patch/plan core is pure: text in, values out. Only discover and run do I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "automator"
PURE = [
    "manifest/yamldoc.py",
    "manifest/locate.py",
    "manifest/fields.py",
    "manifest/workloads.py",
    "manifest/helm.py",
    "manifest/fluxv1.py",
    "manifest/native.py",
    "manifest/patch.py",
    "plan.py",
    "report/text.py",
    "report/json.py",
]
IO_MODULES = {"os", "pathlib", "shutil", "tempfile", "subprocess", "socket", "requests", "git", "github", "gitlab", "docker", "io"}


@pytest.mark.parametrize("module", PURE)
def test_core_module_does_no_io(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "open", f"{module} opens a file"
    assert not imported & IO_MODULES, f"{module} imports {sorted(imported & IO_MODULES)}"
