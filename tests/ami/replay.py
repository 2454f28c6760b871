"""Replaying a real Asterisk's AMI wire text to the client, byte for byte (no server).

The shape of panoramisk's ``testing.Manager``: recorded replies answer the actions sent, recorded
events are fed to the protocol as if they came off the socket. Unlike ``testing.Manager`` it keeps
Asterisk's CRLF line ends (``testing.Manager`` switches panoramisk's line end to LF for the whole
process), answers each action by its name rather than by the order sent, and gives each recorded
reply the ActionID the client chose. The transcripts in ``tests/fixtures/ami/`` were recorded from
Asterisk 22 by tests/e2e/test_ami_events_e2e.py with ``IVR_AMI_RECORD`` set.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path
from unittest import mock

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol

from ivr.ami.client import AmiClient
from support import REPO

FIXTURES = REPO / "tests" / "fixtures" / "ami"
ACTION_ID = re.compile(rb"(?m)^ActionID: [^\r\n]*")


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class ReplayProtocol(AMIProtocol):
    """Answers each action from ``answers`` (Action name, lower case -> recorded reply)."""

    answers: dict[str, bytes] = {}
    sent: list[dict] = []

    def send(self, data, as_list=False):
        action = data if isinstance(data, Action) else Action(data, as_list=as_list)
        future = super().send(action, as_list=as_list)
        self.sent.append({str(k).lower(): v for k, v in action.items()})  # header names in lower case
        answer = self.answers.get(str(action["action"]).lower())
        if answer is not None:
            self.data_received(ACTION_ID.sub(b"ActionID: " + str(action.id).encode(), answer))
        return future


def replaying(answers: dict[str, str]) -> AmiClient:
    """An AMI client whose actions recorded replies answer (``{"QueueStatus": "queue_status.ami"}``);
    call in a running event loop, subscribe, then :func:`log_in`."""
    client = AmiClient("127.0.0.1", 5038, "ivr-engine", "recorded")
    client.manager.loop = client._loop = asyncio.get_running_loop()
    protocol = client.replay = ReplayProtocol()
    protocol.answers = {"login": recorded("login.ami"),
                        **{name.lower(): recorded(path) for name, path in answers.items()}}
    protocol.sent = []
    protocol.connection_made(mock.MagicMock())
    return client


def log_in(client: AmiClient) -> None:
    """The connection is made and the recorded login's reply accepts it: as after a real login,
    every subscriber is resynchronised (soon, on the event loop)."""
    connected = client.manager.loop.create_future()
    connected.set_result((mock.MagicMock(), client.replay))
    client.manager.connection_made(connected)


def feed(client: AmiClient, name: str) -> None:
    """Recorded events, as if they came off the socket now."""
    client.manager.protocol.data_received(recorded(name))


def sent(client: AmiClient) -> list[dict]:
    return client.manager.protocol.sent


def path(name: str) -> Path:
    return FIXTURES / name
