"""The policy core is pure: its modules import nothing that reads files, the network,
processes or the clock's environment, so selection runs the same everywhere."""

import ast
from pathlib import Path

import automator.policy

ALLOWED = {"__future__", "re", "re2", "functools", "dataclasses", "decimal", "typing", "collections", "collections.abc", "datetime",
           "automator.model", "automator.tags", "automator.frozen", "automator.errors",
           "automator.plugins"}  # the factory's table imports a kind's module (under automator.policy) when first asked for


def test_policy_modules_import_only_pure_modules():
    package = Path(automator.policy.__file__).parent
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name in ALLOWED or name.startswith("automator.policy"), f"{path.name} imports {name}"
