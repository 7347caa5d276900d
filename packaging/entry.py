"""The frozen app's entry point: the same `main()` as the `trading-terminal` console script."""

from terminal.cli import main

raise SystemExit(main())
