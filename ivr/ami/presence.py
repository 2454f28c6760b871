"""The staff console's feed of Asterisk: agents' states, the screen pop, queue login and pause.

Its own AMI connection and account (``ivr-console``: agent events only; it may change queue
membership and pause), apart from the work-order feed, so the console can run with the engine
(``ivr serve``) or on its own (``ivr web``). Each queue event becomes a
:mod:`ivr.core.presence` fact; every agent whose view changes gets an ``agent_state`` event on
its pages (hub key: the agent id). When an agent answers, that agent's pages get a
``screen_pop`` at once (who calls, which line, which department), then, once the intake has
written the work order, a ``screen_pop_order`` with its number and the caller's earlier orders.
Actions (log in, log out, pause with a reason, resume) go to Asterisk; the pages change only
when Asterisk reports the new state. Every change also reaches the supervisors' wallboard
(:mod:`ivr.ami.wallboard`, hub key ``wallboard``), after each resync too.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from ivr.ami.connection import AmiFeed, utcnow
from ivr.ami.wallboard import WallboardFeed
from ivr.asterisk import ami as queue_actions
from ivr.core import presence as p
from ivr.core import presence_events as pe
from ivr.core.rules import Rules
from ivr.errors import AsteriskError, IvrError, TicketNotFound
from ivr.logs import get_logger

log = get_logger("ivr.presence")

ORDER_WAIT_S = 10.0   # how long the pop waits for the intake to write the work order
HISTORY = 5           # the caller's earlier orders shown


def pop_data(call: p.Call, rules: Rules, at: datetime) -> dict:
    """What the screen pop shows of a call before its order exists: who, which line, which
    department and mode (from the rules when the dialplan's variables are missing)."""
    entry = rules.line(call.line) if call.line else None
    department = rules.departments.get(call.department or (entry.department if entry else ""))
    return {"call": asdict(call), "department_name": department.name_zh if department else "",
            "mode": call.mode or (entry.mode.value if entry else ""), "at": at}


def units(rules: Rules) -> dict[str, str]:
    return {d.id: d.name_zh for d in rules.departments.values()}


class PresenceMonitor(AmiFeed):
    """Agents' states for the console, kept from Asterisk's queue events."""

    name = "presence"

    def __init__(self, *, host: str, port: int, username: str, secret: str,
                 rules: Callable[[], Rules], hub, store=None,
                 clock: Callable[[], datetime] = utcnow, **connection) -> None:
        super().__init__(host=host, port=port, username=username, secret=secret, events=pe.EVENTS,
                         **connection)
        self.rules, self.hub, self.store, self.clock = rules, hub, store, clock
        current = rules()
        self.presence = p.Presence(tuple(current.agents),
                                   {q.id: q.wrapup_time for q in current.queues.values()})
        self._ticker: asyncio.Task | None = None
        self.pops = 0
        self.wallboard = WallboardFeed(self, store, hub, rules, clock)

    async def start(self) -> None:
        await super().start()
        self._ticker = asyncio.create_task(self._tick(), name="presence-tick")
        await self.wallboard.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self.wallboard.stop()
        await super().stop()

    # --- reading ------------------------------------------------------------------------------

    def view(self, agent: str) -> p.AgentView:
        return self.presence.agent(agent, self.clock())

    # --- Asterisk's events ----------------------------------------------------------------------

    def on_event(self, event) -> None:
        change = pe.interpret(event)
        if change is None:
            return
        now = self.clock()
        self._publish(self.presence.apply(change, now), now)
        self.wallboard.on_event(event, change)
        if isinstance(change, p.Connected):
            self._pop(change, time.monotonic())

    async def resync(self) -> None:
        reply = await self.action({"Action": "QueueStatus"}, as_list=True)
        events = reply if isinstance(reply, list) else [reply]
        members, waiting = pe.snapshot(events)
        now = self.clock()
        self._publish(self.presence.reset(members, waiting, now), now)
        self.wallboard.changed()
        log.info("presence.resynced", members=len(members), waiting=sum(len(w) for w in waiting.values()))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = self.clock()
            self._publish(self.presence.tick(now), now)

    def _publish(self, agents: set[str], now: datetime) -> None:
        from ivr.web.hub import LiveEvent

        for agent in agents:
            view = self.presence.agent(agent, now)
            self.hub.publish(agent, LiveEvent("agent_state", {"view": view}))

    # --- the screen pop ------------------------------------------------------------------------

    def _pop(self, change: p.Connected, started: float) -> None:
        from ivr.web.hub import LiveEvent

        call = change.call
        self.hub.publish(change.agent, LiveEvent("screen_pop", pop_data(call, self.rules(), self.clock())))
        self.pops += 1
        log.info("presence.screen_pop", agent=change.agent, linkedid=call.linkedid,
                 ms=round((time.monotonic() - started) * 1000, 1))
        if self.store is not None and call.linkedid:
            asyncio.ensure_future(self._pop_order(change.agent, call))

    async def _pop_order(self, agent: str, call: p.Call) -> None:
        from ivr.web.hub import LiveEvent

        deadline = time.monotonic() + ORDER_WAIT_S
        while True:
            try:
                ticket, earlier = await asyncio.to_thread(self.store.order_with_history, call.linkedid, HISTORY)
                break
            except TicketNotFound:
                if time.monotonic() > deadline:
                    log.warning("presence.no_order_yet", agent=agent, linkedid=call.linkedid)
                    return
                await asyncio.sleep(0.1)
            except IvrError as err:  # the database is away: the pop keeps what AMI said
                log.warning("presence.order_unavailable", agent=agent, error=str(err))
                return
        self.hub.publish(agent, LiveEvent("screen_pop_order", {"ticket": ticket, "earlier": earlier,
                                                                "units": units(self.rules())}))

    # --- actions from the agent's desk ------------------------------------------------------------

    async def log_in(self, agent: str) -> list[tuple[str, str]]:
        return await queue_actions.login(self, self.rules(), agent)

    async def log_out(self, agent: str) -> list[tuple[str, str]]:
        return await queue_actions.logout(self, self.rules(), agent)

    async def pause(self, agent: str, reason: p.PauseReason | None) -> None:
        """Pause ``agent`` in all its queues with ``reason``, or resume it (``reason`` None)."""
        await queue_actions.pause(self, agent, reason.value if reason else None)

    async def action(self, action: dict, timeout: float = 10.0, as_list: bool | None = None):
        if not self.manager.authenticated:
            raise AsteriskError("the console is not connected to Asterisk right now; try again in a moment")
        try:
            return await super().action(action, timeout, as_list)
        except asyncio.TimeoutError:
            raise AsteriskError(f"Asterisk did not answer {action.get('Action')} within {timeout:g} s") from None
