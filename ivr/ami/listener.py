"""The AMI listener: Asterisk's manager events in, call facts out to the intake.

Guarantee: every call an agent answers gets exactly one work order, even across a lost AMI
connection or a database outage.

* live: panoramisk's Manager delivers QueueCallerJoin, AgentConnect, QueueCallerAbandon, DialEnd,
  Hangup and the dialplan's UserEvent IvrRating; :func:`ivr.core.call_events.interpret` turns each
  into a fact, handed to the :class:`~ivr.ami.intake.Intake` (spooled to disk at once, applied in
  order to the idempotent ledger by its own threads: nothing here waits on a disk or a database).
* lost connection: panoramisk reconnects, but what Asterisk said meanwhile is gone, and its ping
  never checks the reply. Our watchdog pings and waits for the answer; on silence it drops the
  connection so panoramisk reconnects. On every login we resynchronise: ``CoreShowChannels`` for
  calls in progress, then the queue log (Asterisk's own call record) from where we last read; the
  queue log's read position is saved once those facts are on disk.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ivr import dialplan_variables as dv
from ivr.ami.connection import AmiFeed, utcnow
from ivr.ami.intake import Intake
from ivr.core import call_events as ce
from ivr.logs import get_logger
from ivr.files import replace_file


log = get_logger("ivr.ami")

EVENTS = dv.AMI_EVENTS  # the account's event filter (manager_secrets.conf) is rendered from the same list


class QueueLogCursor:
    """Reads new lines of Asterisk's queue_log since the last call, surviving restarts and rotation."""

    def __init__(self, log_path: Path, state_path: Path) -> None:
        self.log_path, self.state_path = Path(log_path), Path(state_path)

    def _state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def read_new(self, limit: int = -1) -> list[ce.QueueLogEntry]:
        """New complete lines (at most ``limit`` bytes of the current file). After a rotation
        (logrotate renames the file to ``queue_log.1``, uncompressed until the next one, and
        Asterisk's ``logger reload`` starts a new file), the rest of the rotated file is read first: lines Asterisk wrote there after the last read, while
        the engine was down, are not lost."""
        try:
            stat = self.log_path.stat()
        except OSError:
            return []
        state = self._state()
        offset = state.get("offset", 0) if state.get("inode") == stat.st_ino else 0
        if offset > stat.st_size:  # truncated or rotated in place
            offset = 0
        rotated = self._rest_of_rotated(state) if state.get("inode") not in (None, stat.st_ino) else b""
        with self.log_path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read(limit)
        complete = data[: data.rfind(b"\n") + 1]  # leave a half-written last line for next time
        self._pending = {"inode": stat.st_ino, "offset": offset + len(complete)}
        lines = (rotated + complete).decode("utf-8", errors="replace").splitlines()
        return [e for e in (ce.parse_queue_log_line(l) for l in lines) if e is not None]

    def _rest_of_rotated(self, state: dict) -> bytes:
        rotated = self.log_path.with_name(self.log_path.name + ".1")
        try:
            if rotated.stat().st_ino != state.get("inode"):
                return b""
            with rotated.open("rb") as fh:
                fh.seek(int(state.get("offset", 0)))
                rest = fh.read()
        except (OSError, ValueError):
            return b""
        return rest[: rest.rfind(b"\n") + 1]

    def commit(self) -> None:
        """Remember how far we read, once what we read has been applied."""
        pending = getattr(self, "_pending", None)
        if pending:
            replace_file(self.state_path, json.dumps(pending))


class AmiListener(AmiFeed):
    """The work-order feed: AMI events in, call facts out to the intake."""

    name = "ami"

    def __init__(self, *, host: str, port: int, username: str, secret: str, intake: Intake,
                 queue_log: QueueLogCursor | None = None,
                 clock: Callable[[], datetime] = utcnow, **connection) -> None:
        super().__init__(host=host, port=port, username=username, secret=secret, events=EVENTS, **connection)
        self.intake, self.queue_log, self.clock = intake, queue_log, clock

    async def start(self) -> None:
        self.intake.on_overflow = self.request_resync
        await super().start()

    def on_event(self, event) -> None:
        fact = ce.interpret(event, self.clock())
        if fact is not None:
            self.intake.submit(fact)

    async def resync(self) -> None:
        """Calls in progress from CoreShowChannels, then the queue log from where we last read;
        the queue log's read position is saved once those facts are on disk."""
        for fact in await self._calls_in_progress():
            self.intake.submit(fact)
        if self.queue_log is not None:
            loop = asyncio.get_running_loop()
            entries = await loop.run_in_executor(None, self.queue_log.read_new)
            facts = ce.from_queue_log(entries)
            for fact in facts:
                self.intake.submit(fact)
            if await loop.run_in_executor(None, self.intake.flush, 30.0):
                await loop.run_in_executor(None, self.queue_log.commit)
            log.info("ami.resynced", queue_log_facts=len(facts))

    async def _calls_in_progress(self) -> list[ce.Fact]:
        """Answered queue calls still up, from CoreShowChannels (with their IVR_* variables)."""
        reply = await self.action({"Action": "CoreShowChannels"})
        if not isinstance(reply, list) and not getattr(reply, "success", True):
            raise ConnectionError(f"CoreShowChannels refused: {reply.get('Message')}")
        channels = [m for m in (reply if isinstance(reply, list) else [reply])
                    if m.get("Event") == "CoreShowChannel"]
        by_linkedid: dict[str, list] = {}
        for ch in channels:
            by_linkedid.setdefault(str(ch.get("Linkedid", "")), []).append(ch)
        facts: list[ce.Fact] = []
        now = self.clock()
        for linkedid, members in by_linkedid.items():
            caller = next((c for c in members if c.get("Uniqueid") == linkedid
                           and c.get("Application") == "Queue" and c.get("BridgeId")), None)
            agent = next((c for c in members if c.get("Application") == "AppQueue" and c.get("BridgeId")), None)
            if caller is None or agent is None:
                continue
            variables = {}
            for name in ce.CALL_VARIABLES:
                got = await self.action({"Action": "Getvar", "Channel": caller.get("Channel"), "Variable": name}, 5)
                variables[name] = str(got.get("Value") or "") if got else ""
            queue = str(caller.get("ApplicationData", "")).split(",")[0]
            agent_name = str(agent.get("Channel", "")).split("/", 1)[-1].rsplit("-", 1)[0]
            call = ce.CallInfo(linkedid=linkedid, uniqueid=linkedid,
                               caller=str(caller.get("CallerIDNum", "")),
                               line=variables.get(dv.LINE, ""), department=variables.get(dv.DEPARTMENT, ""),
                               mode=variables.get(dv.MODE, ""), recording=variables.get(dv.RECORDING, ""))
            facts.append(ce.Answered(call, queue, agent_name, str(agent.get("Channel", "")), 0, now))
        return facts
