"""``automator`` with the fake pipeline installed (see git_fake_pipeline); argv as for the CLI."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import git_fake_pipeline  # noqa: E402

sys.modules["automator.run"] = git_fake_pipeline
sys.modules["automator.tagfile"] = git_fake_pipeline

from automator.cli import main  # noqa: E402

raise SystemExit(main())
