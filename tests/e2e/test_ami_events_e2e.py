"""Asterisk sends only what the project reads, and still everything it reads (the real Asterisk).

The lab's Asterisk runs the rendered stasis.conf (message types declined), manager.conf
(disabledevents) and manager_secrets.conf (each account's read classes and event filter). One
listener per account records every event it is sent while the lab makes each kind of event the
project consumes happen (ivr/asterisk/ami_events.py):

* the engine's account, the one events connection of ``ivr serve`` fanned out to every part: the
  intake's QueueCallerJoin, AgentConnect, QueueCallerAbandon, DialEnd, Hangup with the call's
  channel variables, the dialplan's UserEvents (a rating keyed by the caller); the console's
  QueueMemberAdded / Pause / Status / Removed, AgentCalled, AgentRingNoAnswer, AgentComplete,
  QueueCallerLeave; and a callback's OriginateResponse, carrying the ActionID the callbacks' own
  login gave its Originate;
* the console's own (``ivr web`` alone): its queue events;
* the callbacks': nothing at all (it logs in with ``Events: off`` and reads no class).

Transfers (BlindTransfer, AttendedTransfer) need a softphone that transfers: they are proven with
the same rendered files by tests/e2e/test_softphones_e2e.py (each transfer on the work order).
Each account receives nothing outside its list, and the events disabled or declined never come.

With ``IVR_AMI_RECORD=<folder>`` each login's wire text is saved there (``<account>.ami``): the
transcripts the replay tests (tests/ami/test_client_replay.py) feed to the client were recorded so.
"""
from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
import time

import pytest

from e2e.asterisk_lab import CARRIER_PORT, Lab, with_session
from ivr import dialplan_variables as dv
from ivr.ami import queues as ami
from ivr.ami.client import AmiClient
from ivr.asterisk import ami_events
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path

pytestmark = pytest.mark.asterisk


class Listener:
    """Every event one account is sent, in a thread of its own."""

    def __init__(self, lab: Lab, user: str, secret: str, events: str = "on") -> None:
        self.lab, self.user, self.secret, self.mode = lab, user, secret, events
        self.events: list[dict] = []
        self.session: AmiClient | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self.session = AmiClient(self.lab.settings.ami_host, self.lab.settings.ami_port, self.user,
                                 self.secret, timeout=40, events=self.mode)
        self.session.manager.register_event("*", lambda _m, event: self.events.append(dict(event)))
        record = os.environ.get("IVR_AMI_RECORD")
        if record:
            Path(record).mkdir(parents=True, exist_ok=True)
            self.session.manager.save_stream = (Path(record) / f"{self.user}.ami").open("wb")
        async with self.session:
            self._ready.set()
            await self._stop.wait()
        if record:
            self.session.manager.save_stream.close()

    def names(self) -> set[str]:
        return {str(e.get("Event")) for e in self.events}

    def __enter__(self) -> "Listener":
        self._thread.start()
        assert self._ready.wait(10), f"{self.user} could not log in"
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def _wait(listener: Listener, names: set[str], timeout: float = 15) -> set[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not names <= listener.names():
        time.sleep(0.05)
    return names - listener.names()


def test_every_event_the_project_reads_still_arrives_and_nothing_else(clean_queues, fastagi):
    lab = clean_queues
    secrets = load_secrets(secrets_path(lab.settings.data_dir))
    with Listener(lab, secrets.ami_user, secrets.ami_secret) as engine, \
            Listener(lab, secrets.console_ami_user, secrets.console_ami_secret) as console, \
            Listener(lab, secrets.callbacks_ami_user, secrets.callbacks_ami_secret, events="off") as callbacks:
        # membership, pause and resume (QueueMemberAdded / Pause); agent2's phone is busy
        # (AgentRingNoAnswer) and its caller gives up (QueueCallerAbandon)
        queue = {dv.ACTION: "queue", dv.QUEUE: "q12345", dv.PROMPTS: ""}
        lab.login("agent2")
        asyncio.run(with_session(lab.settings, lambda s: ami.pause(s, "agent2", "meeting")))
        # what QueueStatus answers with an agent paused, and CoreShowChannels with no call up (the
        # replies the replay tests answer the subscribers' resync with)
        for action in ("QueueStatus", "CoreShowChannels"):
            asyncio.run_coroutine_threadsafe(engine.session.action({"Action": action}, as_list=True),
                                             engine._loop).result(20)
        asyncio.run(with_session(lab.settings, lambda s: ami.pause(s, "agent2", None)))
        with fastagi(queue), lab.agent("agent2", behaviour="busy"):
            lab.call("12345", talk_ms=2500, caller="13988880002")
        lab.logout("agent2")
        # agent1 answers and hangs up; the caller keys a rating afterwards (UserEvent IvrRating)
        lab.login("agent1")
        with fastagi(queue), lab.agent("agent1", behaviour="answer_hangup"):
            result, hangup = lab.call("12345", talk_ms=6000, caller="13988880001", rating=5, timeout=40)
        assert result.ok, result.output[-2000:]
        lab.logout("agent1")
        # a parallel line answered by the department (DialEnd ANSWER)
        dial = {dv.ACTION: "dial", dv.DESTINATION: "051380002401", dv.DIAL_TIMEOUT: "10",
                dv.FALLBACK_QUEUE: "q12345", dv.PROMPTS: ""}
        with fastagi(dial), lab.department_line("answer"):
            assert lab.call("051380000401", talk_ms=1000)[0].ok
        # a callback: the callbacks' own login queues the Originate (through the checking context);
        # how it ended reaches the engine's events connection, with the Originate's ActionID
        with lab.party("citizen", CARRIER_PORT, behaviour="answer_hangup"):
            async def originate(session):
                return await session.action({"Action": "Originate", "Async": "true", "Timeout": "8000",
                                             "ActionID": "ivr-callback/e2e/1",
                                             "Channel": f"Local/13988880003@{dv.CALLBACK_OUT_CONTEXT}/n",
                                             "Application": "Wait", "Data": "1"}, as_list=False)
            queued = asyncio.run_coroutine_threadsafe(originate(callbacks.session), callbacks._loop).result(30)
            assert str(queued.get("Response")) == "Success", queued
            assert not _wait(engine, {"OriginateResponse"}, timeout=30)
        response = [e for e in engine.events if e.get("Event") == "OriginateResponse"][-1]
        assert (response.get("ActionID"), str(response.get("Reason"))) == ("ivr-callback/e2e/1", "4"), response

        missing = {"engine": _wait(engine, set(ami_events.ENGINE.events) - {"BlindTransfer", "AttendedTransfer"}),
                   "console": _wait(console, set(ami_events.CONSOLE.events))}
    assert missing == {"engine": set(), "console": set()}
    assert callbacks.names() == set(), callbacks.names()      # Events: off, no read class: nothing at all

    # the call's channel variables still ride on its Hangup (channelvars: the snapshot, not VarSet)
    assert hangup["vars"].get(dv.REACHED) == "queue:q12345" and hangup["vars"].get(dv.ANSWERED_BY) == "agent1"
    assert hangup["vars"].get(dv.RECORDING, "").startswith(str(lab.settings.recordings_dir.resolve())[:5])
    ratings = [e for e in engine.events if e.get("Event") == "UserEvent" and e.get("UserEvent") == dv.RATING_EVENT]
    assert [str(e.get("Rating")) for e in ratings] == ["5"]
    # each login got its own list only (the session's own action replies aside)
    replies = {"QueueMember", "QueueParams", "QueueStatusComplete", "QueueEntry"}
    for listener, account in ((engine, ami_events.ENGINE), (console, ami_events.CONSOLE),
                              (callbacks, ami_events.CALLBACKS)):
        extra = listener.names() - set(account.events) - replies - {"None"}
        assert not extra, f"{listener.user} was sent {extra}"
    never = set(ami_events.DISABLED_EVENTS) | {e for d in ami_events.DECLINED.values() for e in d.ami}
    assert not never & (engine.names() | console.names() | callbacks.names())
