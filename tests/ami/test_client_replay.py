"""One AMI connection, fanned out: what a real Asterisk 22 sent, replayed to the engine's parts.

The transcripts (tests/fixtures/ami/, recorded by tests/e2e/test_ami_events_e2e.py) are an agent
logging in and pausing, a caller giving up, an answered call with a rating, a department's line,
and a callback's Originate. The intake's listener, the console's presence and the callbacks worker
subscribe to the same client: each gets its events, each is resynchronised after a login (one
failing does not stop the others), and a callback's outcome reaches the worker matched by the
ActionID of its Originate.
"""
from __future__ import annotations

import asyncio
import re

from ami.pages import Pages, until
from ami.replay import feed, log_in, recorded, replaying, sent
from ivr.ami.callbacks import CallbackWorker
from ivr.ami.listener import AmiListener
from ivr.ami.presence import PresenceMonitor
from ivr.core import call_events as ce
from ivr.core.callbacks import CallbackPolicy
from support import at

NOW = at("2026-12-05 10:00")


class Intake:
    """What the listener hands the intake."""

    def __init__(self) -> None:
        self.facts: list[ce.Fact] = []
        self.on_overflow = None

    def submit(self, fact: ce.Fact) -> None:
        self.facts.append(fact)


def parts(client, shipped_rules):
    intake, pages = Intake(), Pages()
    listener = AmiListener(client=client, intake=intake, clock=lambda: NOW)
    presence = PresenceMonitor(client=client, rules=lambda: shipped_rules, publisher=pages, clock=lambda: NOW)
    worker = CallbackWorker(client=client, dialler=lambda: None, surges=None, rules=lambda: shipped_rules,
                            policy=CallbackPolicy(), clock=lambda: NOW)
    return listener, presence, worker, intake, pages


def test_every_part_reads_its_events_from_the_one_connection(shipped_rules):
    async def main():
        client = replaying({"QueueStatus": "queue_status.ami", "CoreShowChannels": "core_show_channels.ami"})
        listener, presence, worker, intake, pages = parts(client, shipped_rules)
        await listener.start()
        await presence.start()
        await worker.start()
        log_in(client)
        assert await until(lambda: presence.view("agent2").reason == "meeting")   # QueueStatus, at login
        assert {a["action"] for a in sent(client)} == {"Login", "QueueStatus", "CoreShowChannels"}
        outcome = asyncio.get_running_loop().create_future()
        worker._responses["ivr-callback/e2e/1"] = outcome
        feed(client, "engine_events.ami")
        # the intake: an answer (one work order), a caller who gave up, the rating keyed afterwards
        answered = [f for f in intake.facts if isinstance(f, ce.Answered)]
        assert [(f.call.linkedid, f.agent, f.queue) for f in answered] == [("ivr12345-1796448662.4", "agent1", "q12345")]
        assert [f.rating for f in intake.facts if isinstance(f, ce.Rated)] == [5]
        assert any(isinstance(f, ce.Abandoned) for f in intake.facts)
        # the console: agent1's screen pop at its AgentConnect, agents' states all along
        pops = [d for key, kind, d in pages.sent if kind == "screen_pop"]
        assert [(p["call"]["linkedid"], p["call"]["caller"]) for p in pops] == [("ivr12345-1796448662.4", "13988880001")]
        assert {key for key, kind, _ in pages.sent if kind == "agent_state"} >= {"agent1", "agent2"}
        assert presence.wallboard.counts["answered", "q12345"] == 1
        # the callbacks worker: the outcome of its own Originate, by ActionID
        assert outcome.done() and str(outcome.result().get("Reason")) == "4"
        await presence.stop()
        await client.stop()
    asyncio.run(main())


def test_a_login_resynchronises_every_part_and_one_stuck_holds_up_no_other(shipped_rules):
    async def main():
        client = replaying({"QueueStatus": "queue_status.ami"})   # CoreShowChannels goes unanswered
        client.timeout = 0.2
        listener, presence, worker, _intake, _pages = parts(client, shipped_rules)
        for part in (listener, presence, worker):
            await part.start()
        log_in(client)
        assert await until(lambda: presence.view("agent2").reason == "meeting")
        await asyncio.sleep(0.4)            # the listener still waits for CoreShowChannels: no matter
        assert client.logins == 1 and client.subscribers == [listener, presence, worker]
        await presence.stop()
        await client.stop()
    asyncio.run(main())


def test_a_callback_s_outcome_is_heard_on_the_events_connection(shipped_rules):
    """The worker's Originate goes out on a login of the callbacks' own (reading nothing); its
    OriginateResponse comes on the engine's connection with the ActionID the worker chose."""
    class Recorded:
        """A login of the callbacks' account for one Originate, answered from the recording."""

        def __init__(self) -> None:
            self.client = replaying({"Originate": "originate_queued.ami"})

        async def __aenter__(self):
            log_in(self.client)
            assert await until(self.client.logged_in.is_set)
            return self.client

        async def __aexit__(self, *exc) -> None:
            dialled.extend(sent(self.client))

    async def main():
        events = replaying({})
        worker = CallbackWorker(client=events, dialler=Recorded, surges=None, rules=lambda: shipped_rules,
                                policy=CallbackPolicy(), clock=lambda: NOW)
        await worker.start()
        log_in(events)
        trying = asyncio.ensure_future(worker._originate({"Action": "Originate", "Async": "true"}, log_stub()))
        assert await until(lambda: [a for a in dialled if a["action"] == "Originate"])
        [originate] = [a for a in dialled if a["action"] == "Originate"]
        assert originate["actionid"].startswith("ivr-callback/")
        text = recorded("engine_events.ami").split(b"\r\n\r\n")
        [response] = [m for m in text if b"Event: OriginateResponse" in m]
        events.manager.protocol.data_received(re.sub(rb"ActionID: \S+", b"ActionID: " + originate["actionid"].encode(),
                                                      response) + b"\r\n\r\n")
        assert await asyncio.wait_for(trying, 2) == ("answered", "ivr12345-1796448673.8")
        await worker.stop()
        await events.stop()

    dialled: list[dict] = []
    asyncio.run(main())


def log_stub():
    from ivr.logs import get_logger

    return get_logger("test.callbacks")


def test_a_resync_asked_for_while_one_runs_is_run_after_it_not_skipped():
    """A new login while the last resync still waits (on the connection just lost) must not be
    left without a resync of its own."""
    class Slow:
        name, events = "slow", ()

        def __init__(self) -> None:
            self.started, self.release, self.runs = asyncio.Event(), asyncio.Event(), 0

        def on_event(self, event) -> None:
            pass

        async def resync(self) -> None:
            self.runs += 1
            self.started.set()
            if self.runs == 1:
                await self.release.wait()

    async def main():
        client = replaying({})
        slow = Slow()
        client.subscribe(slow)
        log_in(client)
        await asyncio.wait_for(slow.started.wait(), 5)
        client.request_resync(slow)            # a second login meanwhile
        client.request_resync(slow)            # and a third: one more run covers both
        await asyncio.sleep(0.05)
        slow.release.set()
        assert await until(lambda: slow.runs == 2, 2.0)
        await asyncio.sleep(0.1)
        assert slow.runs == 2
        await client.stop()
    asyncio.run(main())
