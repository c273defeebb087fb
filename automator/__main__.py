from automator.entry import main

raise SystemExit(main())
