"""From an AGI environment to the core's input: which number was dialled.

Pure and cheap to import, shared by the FastAGI handlers (:mod:`ivr.agi.handlers`) and the
classic process-per-call scripts (``agi_scripts/``), so both read a call the same way.

The dialled number, in order of trust:

1. ``agi_arg_1`` - the dialplan passes it explicitly: ``AGI(agi://host/route,${EXTEN})``;
2. ``agi_extension`` - when the AGI runs in the extension that matched the dialled number;
3. the channel variable ``IVR_LINE`` - set by the dialplan before a ``Gosub`` into ``s``
   (costs one ``GET VARIABLE`` round trip, so only asked when 1 and 2 give nothing);
4. ``agi_dnid`` - the number the carrier presented.
"""
from __future__ import annotations

from ivr.agi.dialled import looks_dialled
from ivr.agi.protocol import AgiEnv
from ivr.core.routing import Call


def dialled_from_env(env: AgiEnv) -> str | None:
    """The dialled number if the header alone tells it (sources 1 and 2), else None."""
    args = env.args
    if args and looks_dialled(args[0]):
        return args[0].strip()
    if looks_dialled(env.extension):
        return env.extension.strip()
    return None


def call_from_env(env: AgiEnv, ivr_line: str | None = None) -> Call:
    """The :class:`Call` to route. ``ivr_line`` is the channel's IVR_LINE, when it was asked."""
    line = dialled_from_env(env)
    if line is None and ivr_line and looks_dialled(ivr_line):
        line = ivr_line.strip()
    if line is None and looks_dialled(env.dnid):
        line = env.dnid.strip()
    return Call(line=line or "", caller=env.callerid)
