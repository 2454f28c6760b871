"""The ledger: call facts written to the ticket store, idempotently.

* AtDoor    -> the call counts as offered to 12345: the caller reached a queue's door
* HungUp    -> a caller who passed the door hung up: abandoned where they were (greeting, notice,
               offer, queue), unless the call got further (answered, callback, left informed)
* Entered   -> the call joined a queue (its wait starts)
* Answered  -> one work order (keyed on Linkedid) and the call counts as answered
* Abandoned -> the call counts as abandoned in the queue (against the connection rate)
* Reached   -> the department's own line answered a parallel call: logged only (12345 did not take it)
* Ended     -> the conversation is over: the recording is judged against the talk time and listed,
               its size and SHA-256 on the order with the verdict (:mod:`ivr.ami.recording_finish`)
* Rated     -> the citizen's 1..5 goes on the order (after its Answered: the facts keep their order)
* Transferred -> the department's line the agent put the caller through to goes on the order's
               history (to whom, how, by whom, when); the status does not change
* CallbackAsked -> a durable callback request (once per call; a number the dialling plan does not
               permit is recorded as refused), which the callback worker dials when an agent is free;
               a caller who hung up for it has the call's outcome ``callback``
* LeftInformed  -> the caller left after the incident notice (their own KPI outcome)

The dialplan's variables say which line was dialled and for which department; when they are
missing (the fail-safe path runs with the engine down) the line's entry in the rules fills in.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ivr.ami.intake import RecordingNotReady  # noqa: F401 - raised by the finisher, named here for callers
from ivr.ami.recording_finish import SETTLE_S, RecordingFinisher
from ivr.core import call_events as ce
from ivr.core import callbacks as cb
from ivr.core.agent_phone import department_line
from ivr.core.numbers import normalize_number
from ivr.core.rules import Rules
from ivr.core.wallboard import day_start
from ivr.errors import TicketError, TicketNotFound
from ivr.logs import get_logger
from ivr.store.surges import SurgeStore
from ivr.store.tickets import TicketStore

log = get_logger("ivr.ledger")


class StoreLedger:
    """Applies call facts to a :class:`TicketStore`. Safe to apply the same fact twice."""

    def __init__(self, store: TicketStore, rules: Callable[[], Rules],
                 recordings_dir: Path, manifest: Callable[..., None] | None = None,
                 wall_clock: Callable[[], float] = time.time, settle_s: float = SETTLE_S,
                 callback_per_day: int = cb.PER_DAY, on_order: Callable[[str], None] | None = None) -> None:
        """``on_order(linkedid)``: told (in the applier's thread) each time an answered call's order
        is in the database, so the screen pop need not ask the database until it is."""
        self.store, self.rules, self.recordings_dir = store, rules, Path(recordings_dir)
        self.on_order = on_order
        self.manifest, self.wall_clock, self.settle_s = manifest, wall_clock, settle_s
        self.callback_per_day = callback_per_day
        self.surges = SurgeStore(store.engine)
        self.recordings = RecordingFinisher(store, self.recordings_dir, manifest, wall_clock, settle_s)

    def _details(self, call: ce.CallInfo) -> tuple[str, str, str]:
        """(line, department, mode), completed from the rules when the dialplan gave none."""
        line, department, mode = call.line, call.department, call.mode
        if line and (not department or not mode):
            rules = self.rules()
            entry = rules.line(normalize_number(line, rules.centre.area_code))
            if entry is not None:
                department = department or entry.department
                mode = mode or entry.mode.value
            else:
                main = rules.line(rules.centre.main_line)
                department = department or (main.department if main else "")
                mode = mode or "unknown"
        return line, department, mode

    def apply(self, fact: ce.Fact) -> None:
        self.store.ensure_schema()  # a database that was down at start is migrated when it is back
        call = fact.call
        line, department, mode = self._details(call)
        common = dict(line=line, department=department, mode=mode, caller=call.caller,
                      uniqueid=call.uniqueid or None)
        if isinstance(fact, ce.AtDoor):
            self.store.record_call(call.linkedid, at=fact.at, outcome="offered", queue=fact.queue, door=True,
                                   **common)
        elif isinstance(fact, ce.HungUp):
            # only callers who passed a door have the hangup handler that says this
            self.store.record_call(call.linkedid, at=fact.at, outcome="abandoned", queue=fact.queue or None,
                                   door=True, stage=fact.stage or None, ended_at=fact.at, **common)
        elif isinstance(fact, ce.Entered):
            self.store.record_call(call.linkedid, at=fact.at, outcome="offered", queue=fact.queue, joined=True,
                                   **common)
        elif isinstance(fact, ce.Answered):
            ticket, created = self.store.create_ticket_for_answer(
                call.linkedid, at=fact.at, queue=fact.queue, agent=fact.agent,
                recording_path=call.recording or None, wait_seconds=fact.hold_time, **common)
            if created:
                log.info("ledger.ticket", number=ticket.number, linkedid=call.linkedid,
                         line=line, department=department, agent=fact.agent)
            if self.on_order is not None:
                self.on_order(call.linkedid)
        elif isinstance(fact, ce.Abandoned):
            self.store.record_call(call.linkedid, at=fact.at, outcome="abandoned", queue=fact.queue,
                                   wait_seconds=fact.hold_time, joined=True, stage="queue", **common)
        elif isinstance(fact, ce.Reached):
            # the department's own line took it: not a call offered to 12345, no work order
            log.info("ledger.department_answered", linkedid=call.linkedid, line=line, department=department)
        elif isinstance(fact, ce.Ended):
            self.recordings.finish(fact)
        elif isinstance(fact, ce.Rated):
            self.store.rate(call.linkedid, fact.rating, fact.at, source="ivr")
        elif isinstance(fact, ce.Transferred):
            self._record_transfer(fact)
        elif isinstance(fact, ce.CallbackAsked):
            centre = self.rules().centre
            request, created = self.surges.request_callback(
                call.linkedid, queue=fact.queue, caller=call.caller, area_code=centre.area_code,
                line=line, department=department, via=fact.via, at=fact.at,
                day_start=day_start(fact.at.astimezone(centre.timezone)), per_day=self.callback_per_day,
                heard=fact.heard)
            if created:
                log.info("ledger.callback_requested", linkedid=call.linkedid, queue=fact.queue,
                         status=request.status, verdict=request.verdict, heard=fact.heard, via=fact.via,
                         callback=request.id, joined_to=request.joined_to, reason=request.reason)
            if request.status != cb.CallbackStatus.REFUSED:  # the caller hung up to be called back
                self.store.record_call(call.linkedid, at=fact.at, outcome="callback", queue=fact.queue, **common)
        elif isinstance(fact, ce.LeftInformed):
            if self.surges.left_informed(call.linkedid, at=fact.at, line=line, queue=fact.queue,
                                         notice=fact.notice):
                log.info("ledger.left_informed", linkedid=call.linkedid, line=line, notice=fact.notice)
            self.store.record_call(call.linkedid, at=fact.at, outcome="left_informed", queue=fact.queue, **common)

    def _record_transfer(self, fact: ce.Transferred) -> None:
        line = department_line(self.rules(), fact.to)
        try:
            ticket = self.store.record_transfer(
                fact.call.linkedid, to=line.number if line else fact.to,
                department=line.department if line else "", kind=fact.kind, agent=fact.agent,
                at=fact.at, dialled=fact.to)
        except TicketNotFound:
            # never dropped: the intake sets the fact aside with this reason, for staff to see and requeue
            raise TicketError(f"a transfer to {fact.to} by {fact.agent} for call {fact.call.linkedid}, "
                              "which has no work order") from None
        log.info("ledger.transfer", number=ticket.number, linkedid=fact.call.linkedid, to=fact.to,
                 kind=fact.kind, agent=fact.agent)
