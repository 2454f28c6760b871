"""``python -m ivr``: the ``ivr`` command (how ``ivr serve`` starts its routing and centre processes)."""
from ivr.cli import main

raise SystemExit(main())
