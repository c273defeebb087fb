"""The pure core of the rules imports nothing that does I/O; the clock is always passed in."""

import ast
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parent.parent / "automator" / "rules"
PURE = ["model.py", "values.py", "match.py", "windows.py", "filters.py", "explain.py"]
IO_MODULES = {"git", "requests", "subprocess", "socket", "os", "tempfile", "shutil", "pathlib", "urllib", "http"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("name", PURE)
def test_pure_rule_modules_import_no_io(name):
    assert imported(RULES / name) & IO_MODULES == set()


@pytest.mark.parametrize("name", PURE)
def test_pure_rule_modules_never_read_the_clock(name):
    text = (RULES / name).read_text()
    assert ".now(" not in text and "time.time(" not in text and "utcnow" not in text
