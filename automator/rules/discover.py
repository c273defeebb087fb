"""Where the rules of a run come from: ``--rules FILE`` or a rules file in the checkout.

The rules file is named ``.automator.yaml`` (or ``.automator.yml``). It is looked for in the
scanned directory and then in each parent up to the repository root (the directory holding
``.git``), so a repository-wide file at the top serves every environment directory. Without
one, the built-in defaults apply (written out in ``policies/default-rules.yaml``).
"""

from __future__ import annotations

from pathlib import Path

from automator.errors import ConfigError
from automator.rules.model import RuleSet

RULES_FILE_NAMES = (".automator.yaml", ".automator.yml")


def repository_root(path: Path) -> Path | None:
    """The nearest directory at or above ``path`` that holds ``.git`` (file or directory)."""
    path = path.resolve()
    for candidate in (path, *path.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def find_rules_file(start: Path, root: Path | None = None) -> Path | None:
    """The first rules file from ``start`` upwards, stopping at the repository root.

    Outside a git checkout only ``start`` (or ``root`` when given) is looked at.
    """
    start = start.resolve()
    if start.is_file():
        start = start.parent
    top = repository_root(start) or (root.resolve() if root else start)
    for directory in (start, *start.parents):
        for name in RULES_FILE_NAMES:
            if (directory / name).is_file():
                return _inside(directory / name, top)
        if directory == top or top not in directory.parents:
            break
    return None


def _inside(found: Path, top: Path) -> Path:
    """A discovered rules file must be the repository's own: a link out of it is refused."""
    real = found.resolve()
    if real != top and top not in real.parents:
        raise ConfigError(
            f"{found}: a symbolic link to a file outside the repository; not read",
            hint="commit the rules file itself, or name a file outside on purpose with --rules FILE",
        )
    return found


def load_rule_set(path: Path | None) -> RuleSet:
    """The rules in ``path``; none (the built-in defaults) when ``path`` is None."""
    if not path:
        return RuleSet()
    from automator.rules.load import load_rules_file  # ruamel.yaml only when there are rules

    return load_rules_file(path)
