#!/bin/sh
''''test -x "${0%/*}/../.venv/bin/python" && exec "${0%/*}/../.venv/bin/python" -I "$0" "$@"; exec python3 -I "$0" "$@" # '''  # noqa: E501
# The line above is for /bin/sh: run this file with the project's virtualenv Python when there is
# one (Asterisk runs AGI scripts with its own, minimal environment), else python3. Python sees
# only a string there.
"""Classic AGI routing script: one process per call, pyst2 over stdin/stdout.

The dialplan runs it as ``AGI(/path/to/agi_scripts/route.py,${EXTEN})``. It does what the
FastAGI ``route`` handler does - same core, same variables - for an Asterisk without the
FastAGI server: read the environment, decide, write one ``SET VARIABLE`` per IVR_* variable,
every value sanitised (pyst2 quotes but escapes nothing), exit. On any error it writes nothing,
so the dialplan's fail-safe sends the call to the general 12345 queue.

Settings come from the environment Asterisk passes on (IVR_RULES, IVR_DATA_DIR, IVR_CLOCK).
Import cost is kept low: no SQLAlchemy, no asyncio, and the checked rules are read from a
cache in IVR_DATA_DIR/cache (see ivr.agi.rules_cache) so pydantic is only imported when the
rules file changed.
"""
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # works without installation too

from asterisk.agi import AGI  # noqa: E402

from ivr.agi.calls import call_from_env, dialled_from_env  # noqa: E402
from ivr.clock import make_clock  # noqa: E402
from ivr.agi.protocol import AgiEnv, preview, sanitise  # noqa: E402
from ivr.agi.rules_cache import load_rules_cached  # noqa: E402
from ivr.core.routing import decide  # noqa: E402
from ivr.dialplan_variables import LINE, decision_variables  # noqa: E402
from ivr.settings import Settings  # noqa: E402


def log(event: str, **fields: object) -> None:
    """One key=value line on stderr (Asterisk's console when it runs in the foreground)."""
    text = " ".join(f"{k}={preview(str(v), 120)}" for k, v in fields.items())
    sys.stderr.write(f"route.py {event} {text}\n")


def main() -> int:
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    agi = AGI(stdin=stdin, stdout=sys.stdout, stderr=io.StringIO())  # pyst2's debug text: dropped
    env = AgiEnv({k[4:]: v for k, v in agi.env.items() if k.startswith("agi_")})
    try:
        ivr_line = None if dialled_from_env(env) else agi.get_variable(LINE)
        call = call_from_env(env, ivr_line)
        settings = Settings.from_env()
        rules = load_rules_cached(settings.rules_path, settings.data_dir / "cache")
        decision = decide(call, rules, make_clock(settings.clock, rules.centre.timezone)())
        variables = decision_variables(decision)
    except Exception as err:  # noqa: BLE001 - write nothing: the dialplan's fail-safe takes it
        log("failed", uniqueid=env.uniqueid, error=f"{type(err).__name__}: {err}", fail_safe=True)
        return 0
    try:
        for name, value in variables.items():
            agi.set_variable(name, sanitise(value))
    except Exception as err:  # noqa: BLE001 - pyst2 signals a hang-up with several exception types
        log("hangup", uniqueid=env.uniqueid, detail=f"{type(err).__name__}: {err}")
        return 0
    log("decided", uniqueid=env.uniqueid, line=call.line, action=decision.action.value,
        mode=decision.mode.value, queue=decision.queue or "",
        destination=decision.destination or "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
