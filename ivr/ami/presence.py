"""The staff console's view of Asterisk: agents' states, the screen pop, queue login and pause.

A subscriber of the AMI client (:mod:`ivr.ami.client`): in ``ivr serve`` the engine's one events
connection, with ``ivr web`` alone a connection of the console's own account. Each queue event
becomes a :mod:`ivr.core.presence` fact; every agent whose view changes gets an ``agent_state``
event on its pages (key: the agent id). When an agent answers, that agent's pages get a
``screen_pop`` at once (who calls, which line, which department), then, once the work order is
written, a ``screen_pop_order`` with its number and the caller's earlier orders. Actions (log in,
log out, pause with a reason, resume) go to Asterisk; the pages change only when Asterisk reports
the new state. Every change also reaches the supervisors' wallboard (:mod:`ivr.ami.wallboard`),
after each resync too.

The pages are reached through the :class:`~ivr.core.live.Publisher` the wiring hands in. The order
is learnt from the ledger: in ``ivr serve`` the wiring tells :meth:`PresenceMonitor.order_written`
the moment the ledger has written it, and the pop reads it once; a console running apart from the
intake (``ivr web``) has no ledger beside it and asks the database until the order is there.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from ivr.ami import queues as queue_actions
from ivr.ami.client import AmiClient, replies
from ivr.ami.wallboard import WallboardFeed
from ivr.core import presence as p
from ivr.core import presence_events as pe
from ivr.core.live import Publisher
from ivr.core.screen_pop import pop_data, units
from ivr.core.rules import Rules
from ivr.errors import AsteriskError, IvrError, TicketNotFound
from ivr.logs import get_logger

log = get_logger("ivr.presence")

ORDER_WAIT_S = 10.0   # how long the pop waits for the intake to write the work order
POLL_S = 0.1          # the console apart from the intake: how often it asks the database
HISTORY = 5           # the caller's earlier orders shown
REMEMBERED = 1000     # orders written whose pop has not asked yet (the ledger was quicker)


class PresenceMonitor:
    """Agents' states for the console, kept from Asterisk's queue events."""

    name = "presence"
    events = pe.EVENTS

    def __init__(self, *, client: AmiClient, rules: Callable[[], Rules], publisher: Publisher, store=None,
                 clock: Callable[[], datetime], render_board: Callable | None = None) -> None:
        self.client, self.rules, self.publisher, self.store, self.clock = client, rules, publisher, store, clock
        current = rules()
        self.presence = p.Presence(tuple(current.agents),
                                   {q.id: q.wrapup_time for q in current.queues.values()})
        self._ticker: asyncio.Task | None = None
        self.pops = 0
        self.orders_from_ledger = False   # set by the wiring when the ledger tells order_written
        self._waiting: dict[str, asyncio.Future] = {}
        self._written: OrderedDict[str, None] = OrderedDict()
        self.wallboard = WallboardFeed(self, store, publisher, rules, clock, render_board)

    @property
    def logged_in(self) -> asyncio.Event:
        return self.client.logged_in

    async def start(self) -> None:
        self.client.subscribe(self)
        self._ticker = asyncio.create_task(self._tick(), name="presence-tick")
        await self.wallboard.start()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self.wallboard.stop()

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
        members, waiting = pe.snapshot(replies(await self.client.action({"Action": "QueueStatus"}, as_list=True)))
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
        for agent in agents:
            self.publisher.publish(agent, "agent_state", {"view": self.presence.agent(agent, now)})

    # --- the screen pop ------------------------------------------------------------------------

    def _pop(self, change: p.Connected, started: float) -> None:
        call = change.call
        self.publisher.publish(change.agent, "screen_pop", pop_data(call, self.rules(), self.clock()))
        self.pops += 1
        log.info("presence.screen_pop", agent=change.agent, linkedid=call.linkedid,
                 ms=round((time.monotonic() - started) * 1000, 1))
        if self.store is not None and call.linkedid:
            asyncio.ensure_future(self._pop_order(change.agent, call))

    def order_written(self, linkedid: str) -> None:
        """The ledger has written the work order of call ``linkedid`` (on the event loop's thread)."""
        waiting = self._waiting.pop(linkedid, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)
            return
        self._written[linkedid] = None
        while len(self._written) > REMEMBERED:
            self._written.popitem(last=False)

    async def _pop_order(self, agent: str, call: p.Call) -> None:
        bound = log.bind(agent=agent, linkedid=call.linkedid)
        try:
            if self.orders_from_ledger:
                found = await self._order_from_ledger(call.linkedid)
            else:
                found = await self._order_from_database(call.linkedid)
        except IvrError as err:  # the database is away: the pop keeps what AMI said
            bound.warning("presence.order_unavailable", error=str(err))
            return
        if found is None:
            bound.warning("presence.no_order_yet")
            return
        ticket, earlier = found
        self.publisher.publish(agent, "screen_pop_order",
                               {"ticket": ticket, "earlier": earlier, "units": units(self.rules())})

    async def _order_from_ledger(self, linkedid: str):
        """Wait for the ledger's word (or find it already said), then read the order once."""
        if self._written.pop(linkedid, "absent") == "absent":
            future = self._waiting.setdefault(linkedid, asyncio.get_running_loop().create_future())
            try:
                await asyncio.wait_for(asyncio.shield(future), ORDER_WAIT_S)
            except asyncio.TimeoutError:
                return None
            finally:
                self._waiting.pop(linkedid, None)
        return await asyncio.to_thread(self.store.order_with_history, linkedid, HISTORY)

    async def _order_from_database(self, linkedid: str):
        """No ledger in this process: ask the database until the order is there."""
        deadline = time.monotonic() + ORDER_WAIT_S
        while True:
            try:
                return await asyncio.to_thread(self.store.order_with_history, linkedid, HISTORY)
            except TicketNotFound:
                if time.monotonic() > deadline:
                    return None
                await asyncio.sleep(POLL_S)

    # --- actions from the agent's desk ------------------------------------------------------------

    async def log_in(self, agent: str) -> list[tuple[str, str]]:
        return await queue_actions.login(self._connected(), self.rules(), agent)

    async def log_out(self, agent: str) -> list[tuple[str, str]]:
        return await queue_actions.logout(self._connected(), self.rules(), agent)

    async def pause(self, agent: str, reason: p.PauseReason | None) -> None:
        """Pause ``agent`` in all its queues with ``reason``, or resume it (``reason`` None)."""
        await queue_actions.pause(self._connected(), agent, reason.value if reason else None)

    def _connected(self) -> AmiClient:
        if not self.client.logged_in.is_set():
            raise AsteriskError("the console is not connected to Asterisk right now; try again in a moment")
        return self.client
