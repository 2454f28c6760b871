#!/usr/bin/env bash
# `make test`'s runner: three pytest processes side by side.
#
#   * the end-to-end tests (marker `asterisk`: a real Asterisk, SIPp, the engine) in two
#     processes, each with its own Asterisk on ports of its own (IVR_E2E_PORT_OFFSET, + 300),
#     each running its files in order (module fixtures such as the demo's run are set up once,
#     and a file's tests meet the lab in the state they expect). FIRST below lists the files of
#     the first; every other end-to-end file goes to the second, so a new file is never missed;
#   * everything else (the pure core, adapters, the store on SQLite and PostgreSQL, the console
#     in Chromium) in a third process, on ports of its own (+ 600).
#
# Serially the suite took about 26 minutes. The second end-to-end process prints as it runs; the
# others' output is shown when they end. The exit status is 0 only when all three pass. Extra
# arguments go to all three.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
OFFSET="${IVR_E2E_PORT_OFFSET:-0}"

# the longest end-to-end files (about half of their time), kept apart from the rest
FIRST=(tests/e2e/test_rules_lifecycle_e2e.py tests/e2e/test_demo.py tests/e2e/test_surges_e2e.py
       tests/e2e/test_supervision_e2e.py tests/e2e/test_desk_e2e.py tests/e2e/test_faults_e2e.py
       tests/cluster/test_failover_e2e.py
       # last of its process: the missed-call callback it sets off leaves a citizen's leg and
       # agent1 busy for a while, which the files after it (tickets) took for their own calls
       tests/e2e/test_surges_missed_e2e.py)

logs=$(mktemp -d -t ivr-tests.XXXXXX)
trap 'rm -rf "$logs"' EXIT
started=$SECONDS

IVR_E2E_PORT_OFFSET=$((OFFSET + 600)) \
    "$PYTHON" -m pytest -m "not asterisk" --durations=10 "$@" >"$logs/others" 2>&1 </dev/null &
others=$!
IVR_E2E_PORT_OFFSET=$((OFFSET + 300)) \
    "$PYTHON" -m pytest -m asterisk --durations=10 "${FIRST[@]}" "$@" >"$logs/first" 2>&1 </dev/null &
first=$!

ignore=()
for file in "${FIRST[@]}"; do ignore+=(--ignore "$file"); done
echo "== end-to-end tests, second half (pytest -m asterisk); the others run beside them =="
IVR_E2E_PORT_OFFSET=$OFFSET "$PYTHON" -m pytest -m asterisk --durations=10 "${ignore[@]}" "$@" </dev/null
second_status=$?

wait "$first"
first_status=$?
wait "$others"
others_status=$?
echo
echo "== end-to-end tests, first half: ${FIRST[*]} =="
cat "$logs/first"
echo
echo "== the other tests (pytest -m 'not asterisk') =="
cat "$logs/others"
echo
echo "run-tests: end-to-end exit $first_status and $second_status, others exit $others_status," \
     "$((SECONDS - started)) s in all"
for status in "$first_status" "$second_status" "$others_status"; do
    if [ "$status" -ne 0 ]; then exit "$status"; fi
done
exit 0
