"""The rules of a run as settings: which rules file, where first-seen times are kept."""

from __future__ import annotations

from pathlib import Path

from automator.rules.runtime import RulesRuntime
from automator.values import value_type


@value_type
class RulesSettings:
    """``file`` None: the ``.automator.yaml`` found for the scanned path; ``cache_dir`` None:
    first-seen times are not kept between runs."""

    file: Path | None = None
    cache_dir: Path | None = None


def load_rules(settings: RulesSettings, root: Path, scan_path: Path) -> RulesRuntime:
    """The rules of a run: the settings' file or the rules file found for ``scan_path``."""
    return RulesRuntime.load(root, scan_path=scan_path, rules_file=settings.file, cache_dir=settings.cache_dir)
