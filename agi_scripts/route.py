#!/bin/sh
''''test -x "${0%/*}/../.venv/bin/python" && exec "${0%/*}/../.venv/bin/python" -I -S "$0" "$@"; exec python3 -I -S "$0" "$@" # '''  # noqa: E501
# The line above is for /bin/sh: run this file with the project's virtualenv Python when there is
# one (Asterisk runs AGI scripts with its own, minimal environment), else python3; -S: no site
# packages at start (the full path adds them when it needs them). Python sees only a string there.
"""Classic AGI routing script: one process per call, AGI over stdin/stdout.

The dialplan runs it as ``AGI(/path/to/agi_scripts/route.py,${EXTEN})``. It does what the
FastAGI ``route`` handler does - same core, same variables - for an Asterisk without the
FastAGI server: read the environment, decide, write one ``SET VARIABLE`` per IVR_* variable,
every value sanitised, exit. On any error it writes nothing, so the dialplan's fail-safe sends
the call to the general 12345 queue.

Settings come from the environment Asterisk passes on (IVR_RULES, IVR_DATA_DIR, IVR_CLOCK).
A process per call costs what it imports, so the script imports almost nothing: a line's
decision is taken by the core once a minute and kept in IVR_DATA_DIR/cache (see
:mod:`ivr.agi.classic`, which says why the script used to take seconds a call under load).
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, REPO)  # works without installation too

from ivr.agi.classic import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(REPO))
