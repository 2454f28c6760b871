"""Agents' queue membership through AMI (panoramisk): log in, log out, list.

Agents are dynamic queue members: ``ivr agents login agent5`` adds ``PJSIP/agent5`` to every
queue its entry in routing_rules.yaml lists (QueueAdd), ``logout`` removes it (QueueRemove),
``list`` shows members and waiting callers (QueueStatus). The AMI account is the engine's
least-privilege one (write = agent), its secret read from the deploy-time secrets file.

panoramisk's Manager reconnects forever on its own; a command-line client wants one attempt
and a clear error instead, so :class:`AmiSession` connects, logs in, and closes. panoramisk 1.4
also takes QueueAdd's "Added interface to queue" for the start of an event list and waits
forever for its end: single-response actions are sent with ``as_list=False``.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from panoramisk import Manager

from ivr.core.rules import Rules
from ivr.errors import AsteriskError

_quiet = logging.getLogger("ivr.ami.panoramisk")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


@dataclass(frozen=True)
class Member:
    queue: str
    agent: str          # MemberName (the agent id)
    interface: str      # PJSIP/<agent id>
    status: str         # Asterisk device state, as words
    paused: bool
    calls_taken: int
    in_call: bool
    pause_reason: str = ""  # ivr.core.presence.PauseReason value, whoever paused the agent


@dataclass(frozen=True)
class QueueState:
    queue: str
    members: tuple[Member, ...]
    waiting: int        # callers in the queue now


# AST_DEVICE_* numbers as QueueMember events give them.
DEVICE_STATES = {"0": "unknown", "1": "not in use", "2": "in use", "3": "busy", "4": "invalid",
                 "5": "unavailable", "6": "ringing", "7": "ringing, in use", "8": "on hold"}


def interface(agent_id: str) -> str:
    return f"PJSIP/{agent_id}"


class AmiSession:
    """One AMI login for the duration of an ``async with`` block."""

    def __init__(self, host: str, port: int, username: str, secret: str, timeout: float = 5) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._manager = Manager(host=host, port=port, username=username, secret=secret,
                                ping_delay=3600, reconnect_timeout=3600, log=_quiet)

    async def __aenter__(self) -> "AmiSession":
        manager = self._manager
        manager.loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(manager.connect(), self.timeout)
        except (OSError, asyncio.TimeoutError) as err:
            manager.close()
            raise AsteriskError(f"cannot reach AMI at {self.host}:{self.port} ({err or 'timeout'}): "
                                "is Asterisk up? (`ivr asterisk status`)") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while manager.authenticated_future is not None or not hasattr(manager, "responses"):
            if loop.time() > deadline:
                manager.close()
                raise AsteriskError(f"AMI at {self.host}:{self.port} did not answer the login")
            await asyncio.sleep(0.01)
        if not manager.authenticated:
            manager.close()
            raise AsteriskError(f"AMI at {self.host}:{self.port} refused the engine's login "
                                "(secrets out of date? `ivr asterisk down` then `up` renders them again)")
        return self

    async def __aexit__(self, *exc) -> None:
        # No reconnection after our own close: connection_lost would schedule one.
        self._manager.connection_lost = lambda _exc: None
        self._manager.close()

    async def action(self, action: dict, as_list: bool | None = None):
        try:
            return await asyncio.wait_for(self._manager.send_action(dict(action), as_list=as_list),
                                          self.timeout)
        except asyncio.TimeoutError:
            raise AsteriskError(f"AMI action {action.get('Action')} got no answer within "
                                f"{self.timeout:g} s") from None


def _message(resp) -> tuple[bool, str]:
    first = resp[0] if isinstance(resp, list) and resp else resp
    return (str(first.get("Response", "")).lower() == "success", str(first.get("Message", "")))


async def login(session: AmiSession, rules: Rules, agent_id: str) -> list[tuple[str, str]]:
    """Add ``agent_id`` to each of its queues; [(queue, "logged in"|"already logged in")]."""
    agent = _agent(rules, agent_id)
    out = []
    for queue in agent.queues:
        resp = await session.action({"Action": "QueueAdd", "Queue": queue,
                                     "Interface": interface(agent.id), "MemberName": agent.id,
                                     "StateInterface": interface(agent.id), "Paused": "false"},
                                    as_list=False)
        ok, message = _message(resp)
        if ok:
            out.append((queue, "logged in"))
        elif "already there" in message.lower():
            out.append((queue, "already logged in"))
        else:
            raise AsteriskError(f"AMI refused to log {agent.id} in to {queue}: {message or resp}")
    return out


async def logout(session: AmiSession, rules: Rules, agent_id: str) -> list[tuple[str, str]]:
    """Remove ``agent_id`` from each of its queues; [(queue, "logged out"|"was not logged in")]."""
    agent = _agent(rules, agent_id)
    out = []
    for queue in agent.queues:
        resp = await session.action({"Action": "QueueRemove", "Queue": queue,
                                     "Interface": interface(agent.id)}, as_list=False)
        ok, message = _message(resp)
        if ok:
            out.append((queue, "logged out"))
        elif "not there" in message.lower():
            out.append((queue, "was not logged in"))
        else:
            raise AsteriskError(f"AMI refused to log {agent.id} out of {queue}: {message or resp}")
    return out


async def pause(session, agent_id: str, reason: str | None) -> None:
    """Pause ``agent_id`` in every queue with ``reason`` (QueuePause), or resume it (None)."""
    action = {"Action": "QueuePause", "Interface": interface(agent_id),
              "Paused": "true" if reason else "false"}
    if reason:
        action["Reason"] = reason
    ok, message = _message(await session.action(action, as_list=False))
    if not ok:
        raise AsteriskError(f"AMI refused to {'pause' if reason else 'resume'} {agent_id}: "
                            f"{message or 'no reason given'} (is the agent logged in?)")


async def queue_states(session: AmiSession) -> list[QueueState]:
    """Every queue with its members and waiting callers (QueueStatus)."""
    events = await session.action({"Action": "QueueStatus"}, as_list=True)
    if not isinstance(events, list):
        events = [events]
    queues: dict[str, list[Member]] = {}
    waiting: dict[str, int] = {}
    for event in events:
        kind = event.get("Event")
        if kind == "QueueParams":
            queues.setdefault(event["Queue"], [])
            waiting[event["Queue"]] = int(event.get("Calls", 0) or 0)
        elif kind == "QueueMember":
            queues.setdefault(event["Queue"], []).append(Member(
                queue=event["Queue"], agent=event.get("Name") or event.get("MemberName", ""),
                interface=event.get("Location") or event.get("Interface", ""),
                status=DEVICE_STATES.get(str(event.get("Status")), str(event.get("Status"))),
                paused=str(event.get("Paused")) == "1",
                calls_taken=int(event.get("CallsTaken", 0) or 0),
                in_call=str(event.get("InCall")) == "1",
                pause_reason=str(event.get("PausedReason") or "") if str(event.get("Paused")) == "1" else ""))
    return [QueueState(q, tuple(m), waiting.get(q, 0)) for q, m in sorted(queues.items())]


def _agent(rules: Rules, agent_id: str):
    try:
        return rules.agents[agent_id]
    except KeyError:
        known = ", ".join(sorted(rules.agents)) or "none"
        raise AsteriskError(f"no agent {agent_id!r} in the routing rules (agents: {known})") from None
