"""``python -m robustgan``: the command line."""

from .cli import main

raise SystemExit(main())
