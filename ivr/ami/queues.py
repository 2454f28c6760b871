"""Agents' queue membership through AMI: log in, log out, pause, list.

Agents are dynamic queue members: ``ivr agents login agent5`` adds ``PJSIP/agent5`` to every
queue its entry in routing_rules.yaml lists (QueueAdd), ``logout`` removes it (QueueRemove),
``list`` shows members and waiting callers (QueueStatus). The AMI account is the engine's
least-privilege one (write = agent), its secret read from the deploy-time secrets file.

Each takes an :class:`~ivr.ami.client.AmiClient` (a command's one login, or the engine's events
connection). panoramisk 1.4 takes QueueAdd's "Added interface to queue" for the start of an event
list and waits forever for its end: single-response actions are sent with ``as_list=False``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ivr.ami.client import AmiClient
from ivr.core import queue_status
from ivr.core.rules import Rules
from ivr.errors import AsteriskError

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


def interface(agent_id: str) -> str:
    return f"PJSIP/{agent_id}"


def _message(resp) -> tuple[bool, str]:
    first = resp[0] if isinstance(resp, list) and resp else resp
    return (str(first.get("Response", "")).lower() == "success", str(first.get("Message", "")))


async def login(session: AmiClient, rules: Rules, agent_id: str) -> list[tuple[str, str]]:
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


async def logout(session: AmiClient, rules: Rules, agent_id: str) -> list[tuple[str, str]]:
    """Remove ``agent_id`` from each of its queues; [(queue, "logged out"|"was not logged in")]."""
    agent = _agent(rules, agent_id)
    return [(queue, await leave(session, queue, agent.id)) for queue in agent.queues]


async def leave(session: AmiClient, queue: str, agent_id: str) -> str:
    """Remove ``agent_id`` from ``queue``: "logged out" or "was not logged in"."""
    resp = await session.action({"Action": "QueueRemove", "Queue": queue,
                                 "Interface": interface(agent_id)}, as_list=False)
    ok, message = _message(resp)
    if ok:
        return "logged out"
    if "not there" in message.lower():
        return "was not logged in"
    raise AsteriskError(f"AMI refused to log {agent_id} out of {queue}: {message or resp}")


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


async def queue_states(session: AmiClient) -> list[QueueState]:
    """Every queue with its members and waiting callers (QueueStatus)."""
    events = await session.action({"Action": "QueueStatus"}, as_list=True)
    return [QueueState(q.queue, tuple(Member(queue=m.queue, agent=m.agent, interface=m.interface, status=m.status,
                                             paused=m.paused, calls_taken=m.calls_taken, in_call=m.in_call,
                                             pause_reason=m.reason if m.paused else "")
                                      for m in q.members), q.waiting)
            for q in queue_status.parse(events if isinstance(events, list) else [events])]


def _agent(rules: Rules, agent_id: str):
    try:
        return rules.agents[agent_id]
    except KeyError:
        known = ", ".join(sorted(rules.agents)) or "none"
        raise AsteriskError(f"no agent {agent_id!r} in the routing rules (agents: {known})") from None
