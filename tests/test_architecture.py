"""The shape the project keeps: small modules, one reader of the environment, a pure core."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "automator"
MAX_MODULE_LINES = 400
# Building a child process's environment is not reading configuration.
ENVIRONMENT_PASS_THROUGH = {"git/branch.py", "git/network.py"}  # hand the environment on to git processes
PURE_MODULES = ["imageref.py", "model.py", "tags.py", "frozen.py", "plan.py", "errors.py"]
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


# --- the import graph ---------------------------------------------------------------------------
#
# Every import of every module of the package, at module level or inside a function, except
# those under ``if TYPE_CHECKING:`` (annotations only, never executed).

PURE_CORE = ["model", "tags", "frozen", "imageref", "policy", "plan", "manifest.locators", "manifest.patch"]
IO_LIBRARIES = {"requests", "git", "github", "gitlab", "subprocess", "socket", "urllib.request", "http.client"}
ARGUMENT_PARSING = {"cli", "commands", "entry", "__main__", "schedule.__main__"}
ENVIRONMENT_READ = re.compile(r"\bos\.environ\b|\bgetenv\(|from os import [^\n]*\benviron\b")
SOURCES = {p.relative_to(PACKAGE).with_suffix("").as_posix().removesuffix("/__init__") for p in PACKAGE.rglob("*.py")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, package: str) -> set[str]:
    names: set[str] = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            names |= set().union(*(_imports(child, package) for child in node.orelse)) if node.orelse else set()
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                base = ".".join(["automator", *package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            for alias in node.names:  # a submodule when there is one, else a name of the module
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule.removeprefix("automator.").replace(".", "/") in SOURCES else base)
        names |= _imports(node, package)
    return names


def import_graph() -> dict[str, set[str]]:
    """``{module: the automator modules it imports}``, module names relative to the package."""
    paths = {module_name(p): p for p in modules()}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = _imports(ast.parse(path.read_text()), package)
        graph[name] = {n[len("automator."):] for n in found if n.startswith("automator.") and n[len("automator."):] in paths}
    return graph


def external_imports(name: str) -> set[str]:
    path = next(p for p in modules() if module_name(p) == name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return {n for n in _imports(ast.parse(path.read_text()), package) if not n.startswith("automator")}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_the_import_graph_has_no_cycles():
    assert cycles(import_graph()) == []


def test_a_cycle_would_be_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_pure_core_reaches_no_io_library_and_no_environment_reader():
    graph = import_graph()
    for core in PURE_CORE:
        for name in reachable(graph, core):
            path = next(p for p in modules() if module_name(p) == name)
            io = {n for n in external_imports(name) if n in IO_LIBRARIES or n.split(".")[0] in IO_LIBRARIES}
            assert not io, f"{core} reaches {name}, which imports {sorted(io)}"
            assert not ENVIRONMENT_READ.search(path.read_text()), f"{core} reaches {name}, which reads the environment"


def test_only_the_command_line_layer_parses_arguments():
    graph = import_graph()
    parsers = {name for name in graph if "argparse" in external_imports(name)}
    assert {name for name in parsers if name.split(".")[0] not in ARGUMENT_PARSING and name not in ARGUMENT_PARSING} == set()


def test_nothing_below_the_commands_imports_them():
    graph = import_graph()
    upward = {
        (name, target)
        for name, targets in graph.items()
        if name.split(".")[0] not in ARGUMENT_PARSING and name not in ARGUMENT_PARSING
        for target in targets
        if target.split(".")[0] in {"cli", "commands"}
    }
    assert upward == set()
