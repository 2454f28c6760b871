"""The FastAGI scripts ``route`` and ``callback_check`` (and the watchdog's ``selfcheck``),
registered in :data:`HANDLERS` under their names.

The dialplan's ``AGI(agi://host/route)``, the key ``"route"`` and the function :func:`route` are
the same string (wazo-agid style). A handler gets the call's :class:`~ivr.agi.server.AgiSession`
and the server's :class:`AgiContext`; it opens nothing itself.

``route`` asks the pure core (``decide``) and writes the decision's channel variables. On any
internal error it writes *nothing*: the dialplan sees an empty ``IVR_ACTION`` and its fail-safe
sends the call to the general 12345 queue. A citizen is never dropped because of us.

``callback_check`` tells the dialplan what a caller asking for a callback hears
(``IVR_CALLBACK_VERDICT``: accept, join, refuse_today, refuse_number; :mod:`ivr.agi.callback_board`).
It stores nothing: the request itself travels over AMI, and the store applies the same rule again.
Without a current board it writes nothing, and the dialplan keeps the caller in the queue.

There is no ``rate`` script: anyone on the machine can open a TCP connection and speak FastAGI,
so the engine takes nothing from AGI that it would store. The citizen's rating reaches it over
Asterisk's authenticated AMI connection instead (``dialplan/rating.conf``, ``ivr.ami``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from ivr import dialplan_variables as dv
from ivr.agi.call_log import CallLog
from ivr.agi.calls import call_from_env, dialled_from_env
from ivr.agi.protocol import preview
from ivr.agi.server import AgiSession, Handler
from ivr.agi.stats import AgiStats
from ivr.clock import Clock, system_clock
from ivr.core import callbacks as cb
from ivr.core.masking import mask_number
from ivr.core.notices import Notice, announce
from ivr.core.routing import Call, decide
from ivr.core.rules import Rules


class RulesSource(Protocol):
    """Anything holding the rules in force (the reloader, or a fixed value in tests)."""

    rules: Rules


@dataclass
class StaticRules:
    """Rules that never change (tests, one-off runs)."""

    rules: Rules


@dataclass
class AgiContext:
    """What the handlers need, built once by the server's owner."""

    rules: RulesSource
    clock: Clock = system_clock
    stats: AgiStats | None = None
    call_log: CallLog | None = None   # every decision, for the impact preview (never blocks)
    notices: NoticeSource | None = None  # incident notices in force (ivr.agi.notice_board)
    callbacks: CallbackSource | None = None  # callback requests per number (ivr.agi.callback_board)


class NoticeSource(Protocol):
    """Anything holding the incident notices in force (the notice board)."""

    notices: tuple[Notice, ...]


class CallbackSource(Protocol):
    """Anything that says what a caller asking for a callback is told (the callback board)."""

    def current(self) -> bool: ...

    def verdict(self, number: str | None) -> cb.Verdict: ...


async def route(agi: AgiSession, ctx: AgiContext) -> None:
    """Route one call: read the dialled number, decide, write the IVR_* variables."""
    env = agi.env
    ivr_line = None
    if dialled_from_env(env) is None:
        ivr_line = await agi.get_variable(dv.LINE)
    call = call_from_env(env, ivr_line)
    # the call's id (bound by the session) names the call; the caller only masked (ivr.core.masking)
    log = agi.log.bind(line=preview(call.line, 32), caller=mask_number(preview(call.caller, 40)))
    try:
        rules = ctx.rules.rules
        now = ctx.clock()
        started = time.perf_counter()
        decision = decide(call, rules, now)
        if ctx.notices is not None:
            decision = announce(decision, ctx.notices.notices, now)
        decision_us = (time.perf_counter() - started) * 1e6
        variables = dv.decision_variables(decision)
    except Exception:  # noqa: BLE001 - write nothing: the dialplan's fail-safe takes the call
        if ctx.stats is not None:
            ctx.stats.count("route_errors")
        log.exception("route.failed_to_decide", fail_safe=True)
        return
    if ctx.stats is not None:
        ctx.stats.observe_decision(decision_us)
    if ctx.call_log is not None:
        ctx.call_log.record(now, call.line, call.caller, env.uniqueid, rules.sha256, decision)
    for warning in decision.warnings:
        log.warning("route.warning", warning=preview(warning, 200))
    await agi.set_variables(variables)
    # debug, not info: every decision is in the call log already (ivr/agi/call_log.py), and a log
    # line per call was a tenth of the engine's time per call
    log.debug("route.decided", action=decision.action.value, mode=decision.mode.value,
             department=decision.department, queue=decision.queue,
             destination=decision.destination, decision_us=round(decision_us, 1),
             commands=agi.commands_sent)


async def callback_check(agi: AgiSession, ctx: AgiContext) -> None:
    """What a caller asking for a callback is told: IVR_CALLBACK_VERDICT, from the caller id."""
    board = ctx.callbacks
    log = agi.log.bind(caller=preview(agi.env.callerid, 40))
    if board is None or not board.current():
        log.warning("callback_check.no_board", fail_safe="the caller stays in the queue")
        return
    try:
        number = cb.callback_number(agi.env.callerid, ctx.rules.rules.centre.area_code)
        verdict = board.verdict(number)
    except Exception:  # noqa: BLE001 - write nothing: the dialplan keeps the caller in the queue
        log.exception("callback_check.failed", fail_safe="the caller stays in the queue")
        return
    await agi.set_variables({dv.CALLBACK_VERDICT: verdict.value})
    log.info("callback_check.verdict", verdict=verdict.value)



async def selfcheck(agi: AgiSession, ctx: AgiContext) -> None:
    """The service watchdog's round trip (:mod:`ivr.ops.watchdog`), never called by the dialplan:
    decide a call to the centre's main line with the rules in force (not logged, not counted as a
    routing decision), then send one NOOP and wait for its reply. It completes only while this
    server reads, decides and writes, which is what systemd is told each time it does."""
    rules = ctx.rules.rules
    decide(Call(line=rules.centre.main_line, caller=""), rules, ctx.clock())
    await agi.command(b'NOOP "selfcheck"\n')


HANDLERS: dict[str, Handler] = {"route": route, "callback_check": callback_check, "selfcheck": selfcheck}
