"""`python -m harness.cli`: the `portal-harness` command."""

from .main import main

raise SystemExit(main())
