"""``python -m automator.schedule check FILE [--max-age AGE]``: the older spelling of ``automator health``."""

import sys

from automator.cli import main

arguments = sys.argv[1:]
raise SystemExit(main(["health", *(arguments[1:] if arguments[:1] == ["check"] else arguments)]))
