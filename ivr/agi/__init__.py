"""AGI adapters: how Asterisk asks the engine where a call goes.

Two ways in, one core (``ivr.core.routing.decide``):

* **FastAGI** (the hot path): ``ivr agi serve`` runs :mod:`ivr.agi.server` on 127.0.0.1:4573.
  Dialplan: ``AGI(agi://127.0.0.1:4573/route,${IVR_LINE})`` and
  ``AGI(agi://127.0.0.1:4573/rate,${IVR_RATING},${CHANNEL(linkedid)})``. Script names are keys
  of :data:`ivr.agi.handlers.HANDLERS`. ``route`` writes all IVR_* variables with one
  ``EXEC MSet`` (one round trip; measured on Asterisk 22: ~0.55 ms per call against ~2.1 ms for
  twelve ``SET VARIABLE``). Rules are reloaded when the file changes; a bad file is refused.
  Counters and timings: ``$IVR_DATA_DIR/agi-stats.json`` (rewritten every second) and
  ``ivr agi stats [--json]``.
* **Classic AGI** (one process per call, pyst2): ``AGI(/path/to/agi_scripts/route.py,${IVR_LINE})``
  for an Asterisk that runs on the same host as the checkout (the script finds the project's
  virtualenv next to it). About 50 ms per call with the rules cache (:mod:`ivr.agi.rules_cache`).

Modules: :mod:`~ivr.agi.protocol` (pure wire format and sanitising), :mod:`~ivr.agi.calls` (AGI
environment -> core inputs), :mod:`~ivr.agi.server`, :mod:`~ivr.agi.handlers`,
:mod:`~ivr.rules_watch`, :mod:`~ivr.agi.stats`, :mod:`~ivr.clock`. Nothing here is imported
by ``ivr.agi`` itself, so the classic scripts pay only for what they use.
"""
