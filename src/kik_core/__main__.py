"""``python -m kik_core`` runs the ``kik`` command line."""

from kik_core.cli import main

raise SystemExit(main())
