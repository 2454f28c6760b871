#!/usr/bin/env bash
# `make test`'s runner: two pytest processes side by side on this machine's two cores.
#
#   * the end-to-end tests (marker `asterisk`: a real Asterisk, SIPp, the engine) in one process,
#     in their order, one Asterisk at a time, printed as they run: their timing is what it is
#     when they run alone, and module fixtures (the demo's run) are set up once;
#   * everything else (the pure core, adapters, the store on SQLite and PostgreSQL, the console
#     in Chromium) in a second process beside it, on ports of its own (IVR_E2E_PORT_OFFSET + 600),
#     its output shown once it ends.
#
# Serially the suite took about 26 minutes; side by side about as long as the end-to-end part.
# The exit status is the first failure's (0 when both pass). Extra arguments go to both.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

beside_log=$(mktemp -t ivr-tests-beside.XXXXXX)
trap 'rm -f "$beside_log"' EXIT

started=$SECONDS
IVR_E2E_PORT_OFFSET=$(( ${IVR_E2E_PORT_OFFSET:-0} + 600 )) \
    "$PYTHON" -m pytest -m "not asterisk" --durations=10 "$@" >"$beside_log" 2>&1 </dev/null &
beside=$!

echo "== end-to-end tests (pytest -m asterisk); the others run beside them =="
"$PYTHON" -m pytest -m asterisk --durations=15 "$@" </dev/null
e2e_status=$?

wait "$beside"
beside_status=$?
echo
echo "== the other tests (pytest -m 'not asterisk'), run beside the end-to-end ones =="
cat "$beside_log"
echo
echo "run-tests: end-to-end exit $e2e_status, others exit $beside_status, $((SECONDS - started)) s in all"
if [ "$e2e_status" -ne 0 ]; then exit "$e2e_status"; fi
exit "$beside_status"
