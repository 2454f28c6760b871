"""The callback worker (回拨): calls waiting citizens back when an agent of their queue is free.

Part of ``ivr serve`` (the ``callbacks`` part). It reads ``QueueStatus`` and the
``OriginateResponse`` events on the engine's one events connection (a subscriber of
:class:`~ivr.ami.client.AmiClient`), and sends each ``Originate`` on a login of its own with the
callbacks' account, the only one that may originate (``manager_secrets.conf``), and only into the
checking context. That login asks for no events (``Events: off``, no read class) and lasts only
as long as the Originate's reply: the engine's connection, whose account cannot originate, hears
how each try ended, matched by the ActionID the worker gave its Originate. So the right to ring a
citizen stays off the connection every other part shares, and no idle login costs Asterisk
anything between tries (up to 22.10 the manager wakes every login for every event, even one that
asked for none: main/manager.c ``__manager_event_sessions_va``). Every round (``interval`` seconds):

1. the requests due now are read from the database (:class:`~ivr.store.surges.SurgeStore`),
   where the ledger put them from the dialplan's UserEvent IvrCallback or its queue-log line;
2. ``QueueStatus`` says how many members of each of their queues (and of the overflow queue of
   the caller's seat, whose agents would have taken the call) are free (device not in use,
   not paused, past their wrap-up, less the callers already waiting there: those holding on
   come first; :func:`ivr.core.callbacks.free_for_callback`);
   :func:`ivr.core.callbacks.to_dial` picks as many requests as there are free
   agents not already waiting on a callback that rings;
3. each pick is recorded as a try *before* dialling, then dialled with an asynchronous
   ``Originate`` of ``Local/<number>@ivr-callback-out/n`` into ``[ivr-callback]``: the dialplan
   checks the number against the dialling plan again and dials the carrier
   (``dialplan/callback.conf``), passing the outcome back to the Local channel (answered, busy,
   congestion; no answer when the ring time is up); its ``OriginateResponse`` says which; the
   try's outcome and the request's next state (:func:`ivr.core.callbacks.after_try`) are
   written back. An ``OriginateResponse`` lost with the events connection leaves the try
   "originate_lost" once the ring time and a margin are up.

Nothing lives only in memory: after a restart the worker closes the tries a stopped engine left
ringing (as "interrupted", counted) and carries on from the database. The number dialled is
checked against the dialling plan once more right before the Originate.
"""
from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from ivr import dialplan_variables as dv
from ivr.ami.client import AmiClient, replies
from ivr.core import callbacks as cb
from ivr.core import queue_status
from ivr.core.rules import Rules
from ivr.errors import AsteriskError
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


class CallbackWorker:
    """Dials due callbacks as agents free up; every step recorded in the database first."""

    name = "callbacks"
    events = ("OriginateResponse",)

    def __init__(self, *, client: AmiClient, dialler: Callable[[], AmiClient], surges: SurgeStore,
                 rules: Callable[[], Rules], policy: cb.CallbackPolicy, clock: Callable[[], datetime],
                 interval: float = 1.0) -> None:
        """``client``: the events connection (QueueStatus, OriginateResponse); ``dialler()``: a new
        action-only login of the callbacks' account, for one Originate."""
        self.client, self.dialler = client, dialler
        self.surges, self.rules, self.policy, self.clock = surges, rules, policy, clock
        self.interval = interval
        self._ringing: dict[int, str] = {}    # request id -> the queue dialled into, while its try rings
        self._responses: dict[str, asyncio.Future] = {}   # our Originate's ActionID -> its OriginateResponse
        self._ids = itertools.count(1)
        self._run_id = uuid.uuid4().hex[:12]
        self._tasks: set[asyncio.Task] = set()
        self._loop_task: asyncio.Task | None = None

    @property
    def logged_in(self) -> asyncio.Event:
        return self.client.logged_in

    async def start(self) -> None:
        self.client.subscribe(self)
        self._loop_task = asyncio.create_task(self._run(), name="callbacks")

    async def stop(self) -> None:
        for task in [self._loop_task, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._loop_task, *self._tasks] if t), return_exceptions=True)

    # --- the events connection ------------------------------------------------------------------

    def on_event(self, event) -> None:
        """An OriginateResponse: the end of one of our tries (another's is not ours to read)."""
        waiting = self._responses.pop(str(event.get("ActionID") or ""), None)
        if waiting is not None and not waiting.done():
            waiting.set_result(event)

    async def resync(self) -> None:
        """Nothing to catch up: each round reads QueueStatus afresh and the database holds the rest."""

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
                if self.client.logged_in.is_set():
                    await self._round()
            except Exception as err:  # noqa: BLE001 - a bad round (database away...) is tried again
                log.error("callbacks.round_failed", error=f"{type(err).__name__}: {err}")

    async def _round(self) -> None:
        due = await self._db(self.surges.due, self.clock())
        due = [c for c in due if c.id not in self._ringing]
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
        reply = await self.client.action({"Action": "QueueStatus", "Queue": queue}, 10, as_list=True)
        answer = [q for q in queue_status.parse(replies(reply)) if q.queue == queue]
        members = [cb.Member(m.device, m.paused, m.last_call, m.wrapup_s) for q in answer for m in q.members]
        waiting = sum(q.waiting for q in answer)
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
            outcome, linkedid = await self._originate(action, bound)
            answered = outcome == "answered"
            done = await self._finish(request, outcome, answered, linkedid)
            bound.info("callbacks.try_ended", attempt=attempt, outcome=outcome, status=done.status,
                       call=linkedid)
        finally:
            self._ringing.pop(request.id, None)

    async def _originate(self, action: dict, bound) -> tuple[str, str]:
        """Send ``action`` on a login of the callbacks' own, closed once Asterisk has queued it, and
        wait for its OriginateResponse on the events connection: (outcome, the call's linkedid)."""
        action_id = action["ActionID"] = f"ivr-callback/{self._run_id}/{next(self._ids)}"
        response = self._responses[action_id] = asyncio.get_running_loop().create_future()
        try:
            async with self.dialler() as dialler:
                queued = await dialler.action(action, 10, as_list=False)
            if str(queued.get("Response", "")).lower() != "success":
                bound.error("callbacks.originate_refused", message=str(queued.get("Message")))
                return "refused_by_asterisk", ""
            final = await asyncio.wait_for(response, self.policy.ring_s + 30)
        except (asyncio.TimeoutError, AsteriskError, ConnectionError, OSError) as err:
            bound.error("callbacks.originate_lost", error=str(err) or type(err).__name__)
            return "failed", ""
        finally:
            self._responses.pop(action_id, None)
        return (REASONS.get(str(final.get("Reason")), f"reason_{final.get('Reason')}"),
                str(final.get("Uniqueid") or ""))

    async def _finish(self, request: Callback, outcome: str, answered: bool, linkedid: str) -> Callback:
        return await self._db(self.surges.finish_try, request.id, outcome, answered, self.policy, self.clock(),
                              linkedid)

