"""The callback worker (回拨): calls waiting citizens back when an agent of their queue is free.

Part of ``ivr serve`` (the ``callbacks`` part), on an AMI connection of its own, with the
callbacks' account: the only one that may originate (``manager_secrets.conf``). Every round
(``interval`` seconds):

1. the requests due now are read from the database (:class:`~ivr.store.surges.SurgeStore`),
   where the ledger put them from the dialplan's UserEvent IvrCallback or its queue-log line;
2. ``QueueStatus`` says how many members of each of their queues (and of the overflow queue of
   the caller's seat, whose agents would have taken the call) are free (device not in use,
   not paused, past their wrap-up, less the callers already waiting there: those holding on
   come first; :func:`ivr.core.callbacks.free_for_callback`);
   :func:`ivr.core.callbacks.to_dial` picks as many requests as there are free
   agents not already waiting on a callback that rings, the requests callers asked for first,
   the missed calls (:mod:`ivr.core.missed`) after them and only at the centre's hours;
3. each pick is recorded as a try *before* dialling, then dialled with an asynchronous
   ``Originate`` of ``Local/<number>@ivr-callback-out/n`` into ``[ivr-callback]``: the dialplan
   checks the number against the dialling plan again and dials the carrier
   (``dialplan/callback.conf``), passing the outcome back to the Local channel (answered, busy,
   congestion; no answer when the ring time is up); its ``OriginateResponse`` says which; the
   try's outcome and the request's next state (:func:`ivr.core.callbacks.after_try`) are
   written back.

Nothing lives only in memory: after a restart the worker closes the tries a stopped engine left
ringing (as "interrupted", counted) and carries on from the database. The number dialled is
checked against the dialling plan once more right before the Originate.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from ivr import dialplan_variables as dv
from ivr.ami.connection import AmiFeed
from ivr.core import callbacks as cb
from ivr.core import missed
from ivr.core.rules import Rules
from ivr.logs import get_logger
from ivr.store.surges import Callback, SurgeError, SurgeStore

log = get_logger("ivr.callbacks")

CALLBACK_CONTEXT = "ivr-callback"
# OriginateResponse's Reason: Asterisk's control frame that ended the dialling
REASONS = {"0": "failed", "1": "hung_up", "3": "no_answer", "4": "answered", "5": "busy", "8": "congestion"}


def originate_action(request: Callback, number: str, queue: str, main_line: str, ring_s: float) -> dict:
    """The AMI Originate that calls ``request`` back into ``queue`` (pure: what is sent)."""
    variables = {dv.CALLBACK: str(request.id), dv.CALLBACK_NUMBER: number, dv.QUEUE: queue,
                 dv.LINE: request.line, dv.DEPARTMENT: request.department}
    return {"Action": "Originate", "Channel": f"Local/{number}@{dv.CALLBACK_OUT_CONTEXT}/n",
            "Context": CALLBACK_CONTEXT,
            "Exten": "s", "Priority": "1", "Timeout": str(int(ring_s * 1000)), "Async": "true",
            "CallerID": f'"12345" <{main_line}>',
            "Variable": [f"{name}={value}" for name, value in variables.items()]}


class CallbackWorker(AmiFeed):
    """Dials due callbacks as agents free up; every step recorded in the database first."""

    name = "callbacks"

    def __init__(self, *, host: str, port: int, username: str, secret: str, surges: SurgeStore,
                 rules: Callable[[], Rules], policy: cb.CallbackPolicy, clock: Callable[[], datetime],
                 interval: float = 1.0, missed_policy: missed.MissedPolicy = missed.MissedPolicy(),
                 **connection) -> None:
        super().__init__(host=host, port=port, username=username, secret=secret, events=(), **connection)
        self.surges, self.rules, self.policy, self.clock = surges, rules, policy, clock
        self.interval, self.missed_policy = interval, missed_policy
        self._ringing: dict[int, str] = {}    # request id -> the queue dialled into, while its try rings
        self._tasks: set[asyncio.Task] = set()
        self._loop_task: asyncio.Task | None = None

    async def start(self) -> None:
        await super().start()
        self._loop_task = asyncio.create_task(self._run(), name="callbacks")

    async def stop(self) -> None:
        for task in [self._loop_task, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._loop_task, *self._tasks] if t), return_exceptions=True)
        await super().stop()

    async def _db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def _run(self) -> None:
        resumed = False
        while True:
            await asyncio.sleep(self.interval)
            try:
                if not resumed:
                    left = await self._db(self.surges.interrupted, self.policy, self.clock())
                    resumed = True
                    log.info("callbacks.resumed", interrupted=len(left))
                if self.logged_in.is_set():
                    await self._round()
            except Exception as err:  # noqa: BLE001 - a bad round (database away...) is tried again
                log.error("callbacks.round_failed", error=f"{type(err).__name__}: {err}")

    async def _round(self) -> None:
        now = self.clock()
        due = await self._db(self.surges.due, now)
        # missed calls only at the centre's hours, after the callers who asked (ivr.core.missed)
        local = now.astimezone(self.rules().centre.timezone)
        due = missed.dial_order(c for c in due if c.id not in self._ringing
                                and (c.via != missed.VIA or missed.within_hours(local, self.missed_policy)))
        if not due:
            return
        choices = {c.id: self._queues_for(c) for c in due}
        free = {queue: await self._free_agents(queue) for queue in {q for qs in choices.values() for q in qs}}
        picks = dict(cb.to_dial([(c.id, choices[c.id]) for c in due], free, Counter(self._ringing.values())))
        for request in due:
            if request.id in picks:
                self._ringing[request.id] = picks[request.id]
                task = asyncio.create_task(self._dial(request, picks[request.id]), name=f"callback-{request.id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _queues_for(self, request: Callback) -> tuple[str, ...]:
        """The request's queue, then the overflow queue of its line's seat (if any)."""
        rules = self.rules()
        line = rules.line(request.line) if request.line else None
        overflow = line.overflow_queue if line is not None and line.queue == request.queue else None
        return (request.queue,) + ((overflow,) if overflow and overflow != request.queue else ())

    async def _free_agents(self, queue: str) -> int:
        """Members of ``queue`` free for a callback now (:func:`ivr.core.callbacks.free_for_callback`)."""
        reply = await self.action({"Action": "QueueStatus", "Queue": queue}, as_list=True)
        messages = reply if isinstance(reply, list) else [reply]
        members = [cb.Member(str(m.get("Status")), str(m.get("Paused")) != "0", _number(m.get("LastCall")),
                             int(_number(m.get("Wrapuptime"))))
                   for m in messages if m.get("Event") == "QueueMember"]
        waiting = sum(int(_number(m.get("Calls"))) for m in messages if m.get("Event") == "QueueParams")
        rules_queue = self.rules().queues.get(queue)
        wrapup = rules_queue.wrapup_time if rules_queue is not None else 0
        # LastCall is Asterisk's wall clock, not the business clock the engine may be given
        return cb.free_for_callback(members, waiting, wrapup, time.time())

    async def _dial(self, request: Callback, queue: str) -> None:
        bound = log.bind(callback=request.id, queue=queue, linkedid=request.linkedid)
        try:
            rules = self.rules()
            number = cb.callback_number(request.number, rules.centre.area_code)
            try:
                attempt = await self._db(self.surges.start_try, request.id, self.clock())
            except SurgeError as err:  # another worker took it first: the database lets one dial
                bound.warning("callbacks.taken_elsewhere", reason=str(err))
                return
            if number is None:  # never dialled: the plan does not permit it (rules changed since)
                await self._finish(request, "refused_number", False, "")
                return
            bound.info("callbacks.dialling", attempt=attempt, number=number)
            action = originate_action(request, number, queue, rules.centre.main_line, self.policy.ring_s)
            outcome, linkedid = "failed", ""
            try:
                reply = await self.action(action, timeout=self.policy.ring_s + 30)
                final = reply[-1] if isinstance(reply, list) else reply
                linkedid = str(final.get("Uniqueid") or "")
                if str(final.get("Event")) == "OriginateResponse":
                    outcome = REASONS.get(str(final.get("Reason")), f"reason_{final.get('Reason')}")
                else:
                    outcome = "refused_by_asterisk"
                    bound.error("callbacks.originate_refused", message=str(final.get("Message")))
            except (TimeoutError, ConnectionError, OSError) as err:
                bound.error("callbacks.originate_lost", error=str(err) or type(err).__name__)
            answered = outcome == "answered"
            done = await self._finish(request, outcome, answered, linkedid)
            bound.info("callbacks.try_ended", attempt=attempt, outcome=outcome, status=done.status,
                       call=linkedid)
        finally:
            self._ringing.pop(request.id, None)

    async def _finish(self, request: Callback, outcome: str, answered: bool, linkedid: str) -> Callback:
        return await self._db(self.surges.finish_try, request.id, outcome, answered, self.policy, self.clock(),
                              linkedid)


def _number(value: object) -> float:
    """An AMI header's number (0 when absent or not a number)."""
    try:
        return float(str(value or 0))
    except ValueError:
        return 0.0
