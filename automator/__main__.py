from automator.cli import main

raise SystemExit(main())
