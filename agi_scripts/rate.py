#!/bin/sh
''''test -x "${0%/*}/../.venv/bin/python" && exec "${0%/*}/../.venv/bin/python" -I "$0" "$@"; exec python3 -I "$0" "$@" # '''  # noqa: E501
# The line above is for /bin/sh (see route.py); Python sees only a string there.
"""Classic AGI rating script: the citizen's 1..5 key press after the agent hung up.

The dialplan runs it as ``AGI(/path/to/agi_scripts/rate.py,${IVR_RATING},${CHANNEL(linkedid)})``
(without arguments it asks Asterisk for IVR_RATING and CHANNEL(linkedid)). It writes nothing
to the channel. The rating goes to a rating sink keyed on the call's linkedid; the ticket store
will provide that sink. Until it does, a valid rating is reported on stderr as *not recorded*
and the exit status is 3, so nobody mistakes it for a stored rating.
"""
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asterisk.agi import AGI  # noqa: E402

from ivr.agi.calls import parse_rating  # noqa: E402
from ivr.agi.protocol import AgiEnv, preview  # noqa: E402
from ivr.dialplan_variables import RATING  # noqa: E402

NOT_RECORDED = 3


def log(event: str, **fields: object) -> None:
    text = " ".join(f"{k}={preview(str(v), 120)}" for k, v in fields.items())
    sys.stderr.write(f"rate.py {event} {text}\n")


def main() -> int:
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    agi = AGI(stdin=stdin, stdout=sys.stdout, stderr=io.StringIO())
    env = AgiEnv({k[4:]: v for k, v in agi.env.items() if k.startswith("agi_")})
    args = env.args
    try:
        given = args[0] if args else agi.get_variable(RATING)
        linkedid = (args[1] if len(args) > 1 and args[1] else agi.get_variable("CHANNEL(linkedid)"))
    except Exception as err:  # noqa: BLE001 - pyst2 signals a hang-up with several exception types
        log("hangup", uniqueid=env.uniqueid, detail=f"{type(err).__name__}: {err}")
        return 0
    linkedid = linkedid or env.uniqueid
    rating = parse_rating(given)
    if rating is None:
        log("no_rating", linkedid=linkedid, given=given or "")
        return 0
    log("not_recorded", linkedid=linkedid, rating=rating, reason="no rating sink configured")
    return NOT_RECORDED


if __name__ == "__main__":
    sys.exit(main())
