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
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from panoramisk import Manager

from ivr import dialplan_variables as dv
from ivr.ami.intake import Intake
from ivr.core import call_events as ce
from ivr.logs import get_logger


log = get_logger("ivr.ami")

EVENTS = dv.AMI_EVENTS  # the account's event filter (manager_secrets.conf) is rendered from the same list


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class QueueLogCursor:
    """Reads new lines of Asterisk's queue_log since the last call, surviving restarts and rotation."""

    def __init__(self, log_path: Path, state_path: Path) -> None:
        self.log_path, self.state_path = Path(log_path), Path(state_path)

    def _state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def read_new(self) -> list[ce.QueueLogEntry]:
        try:
            stat = self.log_path.stat()
        except OSError:
            return []
        state = self._state()
        offset = state.get("offset", 0) if state.get("inode") == stat.st_ino else 0
        if offset > stat.st_size:  # truncated or rotated in place
            offset = 0
        with self.log_path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]  # leave a half-written last line for next time
        self._pending = {"inode": stat.st_ino, "offset": offset + len(complete)}
        lines = complete.decode("utf-8", errors="replace").splitlines()
        return [e for e in (ce.parse_queue_log_line(l) for l in lines) if e is not None]

    def commit(self) -> None:
        """Remember how far we read, once what we read has been applied."""
        pending = getattr(self, "_pending", None)
        if pending:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(pending), encoding="utf-8")
            os.replace(tmp, self.state_path)


class AmiListener:
    """Connects to AMI, keeps the connection honest, and hands facts to the intake."""

    def __init__(self, *, host: str, port: int, username: str, secret: str, intake: Intake,
                 queue_log: QueueLogCursor | None = None,
                 clock: Callable[[], datetime] = utcnow, ping_interval: float = 5.0,
                 ping_timeout: float = 3.0, reconnect_after: float = 1.0) -> None:
        self.intake, self.queue_log, self.clock = intake, queue_log, clock
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.manager = Manager(host=host, port=port, username=username, secret=secret,
                               events="on", ping_delay=3600, ping_interval=3600,
                               reconnect_timeout=reconnect_after,
                               on_login=self._on_login, on_disconnect=self._on_disconnect,
                               on_connect=lambda manager: None)
        for name in EVENTS:
            self.manager.register_event(name, self._on_event)
        self._watchdog_task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resync_lock = asyncio.Lock()
        self.logins = 0
        self.logged_in = asyncio.Event()

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = self.manager.loop = asyncio.get_running_loop()
        self.intake.on_overflow = self.request_resync
        self.manager.connect()
        self._watchdog_task = asyncio.create_task(self._watchdog(), name="ami-watchdog")

    async def stop(self) -> None:
        """Stop listening (the intake, which holds the facts, is stopped by its owner after)."""
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
            await asyncio.gather(self._watchdog_task, return_exceptions=True)
        self.manager.close()

    # --- events -------------------------------------------------------------------------

    def _on_event(self, manager: Manager, event) -> None:
        try:
            fact = ce.interpret(event, self.clock())
        except Exception as err:  # noqa: BLE001 - one odd event must not stop the listener
            log.warning("ami.event_unreadable", error=str(err), event_name=str(event.get("Event")))
            return
        if fact is not None:
            self.intake.submit(fact)

    def _on_login(self, manager: Manager) -> None:
        self.logins += 1
        log.info("ami.logged_in", logins=self.logins)
        self.logged_in.set()
        asyncio.ensure_future(self._resync())

    def _on_disconnect(self, manager: Manager, exc: Exception | None) -> None:
        self.logged_in.clear()
        log.warning("ami.disconnected", error=str(exc) if exc else None)

    def request_resync(self) -> None:
        """Resynchronise from the queue log soon (any thread): the intake overflowed."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._resync()))

    # --- keeping the connection honest ----------------------------------------------------

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            if not self.manager.authenticated or self.manager.protocol is None:
                continue
            try:
                reply = await asyncio.wait_for(self.manager.send_action({"Action": "Ping"}), self.ping_timeout)
                if not getattr(reply, "success", False):
                    raise ConnectionError(f"bad ping reply: {reply!r}")
            except (asyncio.TimeoutError, ConnectionError, OSError, AttributeError) as err:
                log.error("ami.ping_failed", error=str(err) or type(err).__name__)
                transport = getattr(self.manager.protocol, "transport", None)
                if transport is not None:
                    transport.abort()  # connection_lost -> panoramisk reconnects -> resync

    # --- resynchronising after a login ----------------------------------------------------

    async def _resync(self) -> None:
        if self._resync_lock.locked():
            return
        async with self._resync_lock:
            try:
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
            except Exception as err:  # noqa: BLE001 - a failed resync is retried at the next login
                log.error("ami.resync_failed", error=str(err) or type(err).__name__)

    async def _calls_in_progress(self) -> list[ce.Fact]:
        """Answered queue calls still up, from CoreShowChannels (with their IVR_* variables)."""
        reply = await asyncio.wait_for(self.manager.send_action({"Action": "CoreShowChannels"}), 10)
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
                got = await asyncio.wait_for(self.manager.send_action(
                    {"Action": "Getvar", "Channel": caller.get("Channel"), "Variable": name}), 5)
                variables[name] = str(got.get("Value") or "") if got else ""
            queue = str(caller.get("ApplicationData", "")).split(",")[0]
            agent_name = str(agent.get("Channel", "")).split("/", 1)[-1].rsplit("-", 1)[0]
            call = ce.CallInfo(linkedid=linkedid, uniqueid=linkedid,
                               caller=str(caller.get("CallerIDNum", "")),
                               line=variables.get(dv.LINE, ""), department=variables.get(dv.DEPARTMENT, ""),
                               mode=variables.get(dv.MODE, ""), recording=variables.get(dv.RECORDING, ""))
            facts.append(ce.Answered(call, queue, agent_name, str(agent.get("Channel", "")), 0, now))
        return facts
