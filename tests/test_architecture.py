"""The shape the project keeps: small modules, one reader of the environment, a pure core."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "automator"
MAX_MODULE_LINES = 400
# Building a child process's environment is not reading configuration.
ENVIRONMENT_PASS_THROUGH = {"git/branch.py"}
PURE_MODULES = ["imageref.py", "model.py", "plan.py", "errors.py"]
IO_MODULES = {"os", "io", "subprocess", "socket", "requests", "git", "github", "gitlab", "docker", "shutil", "tempfile", "pathlib", "urllib.request", "http"}


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module or "")
    return names


def test_no_module_grows_past_the_size_we_can_review():
    too_big = {p.relative_to(PACKAGE).as_posix(): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert too_big == {}


def test_only_context_reads_environment_variables():
    readers = {
        p.relative_to(PACKAGE).as_posix()
        for p in modules()
        if "os.environ" in (text := p.read_text()) or "getenv(" in text
    }
    assert readers - ENVIRONMENT_PASS_THROUGH == {"context.py"}


def test_core_value_and_planning_modules_do_no_io():
    for name in PURE_MODULES:
        names = imported_names(PACKAGE / name)
        roots = {n.split(".")[0] for n in names} | names
        assert not roots & IO_MODULES, f"{name} imports {sorted(roots & IO_MODULES)}"
