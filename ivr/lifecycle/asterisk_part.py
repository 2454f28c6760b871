"""Asterisk follows a rules version: queues, agents' endpoints and the dialplan, without a call lost.

1. **Preflight** (before anything changes): render the new version's configuration into a
   scratch folder. Trunk files that do not fit it (a lab contact for an agent the version does
   not have), an id Asterisk cannot take: the version is refused here.
2. **Follow**: render into the runtime folder, then reload only what the rules feed:
   ``module reload res_pjsip.so`` (agents' endpoints), ``module reload app_queue.so`` (queues; agents
   logged in are dynamic members and stay), ``dialplan reload`` (lines, globals). Calls in progress
   keep their channels and bridges: none of these reloads ends a call. Agents logged in follow
   their queues: an agent moved to another queue leaves the old one and joins the new one
   (QueueRemove/QueueAdd over AMI); a removed agent leaves every queue; a new agent logs in from
   their phone as any agent does (``ivr agents login``).
3. **Verify** what Asterisk now holds: the rules' SHA-256 rendered as a dialplan global
   (``IVR_RULES_SHA256``, read back with ``dialplan show globals``), the queues (``queue show``)
   and the agents' endpoints (``pjsip show endpoints``), each against the version.

An Asterisk that is not running renders the version when it starts (``ivr asterisk up``): it
follows by itself, and is reported so.
"""
from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ivr import dialplan_variables as dv
from ivr.asterisk import process, service
from ivr.ami import queues as ami
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.core.rules import Rules
from ivr.errors import AsteriskError, IvrError
from ivr.logs import get_logger
from ivr.settings import Settings

log = get_logger("ivr.lifecycle.asterisk")
RELOADS = ("module reload res_pjsip.so", "module reload app_queue.so", "dialplan reload")
_QUEUE = re.compile(r"(?m)^(\S+) has \d+ calls")
_ENDPOINT = re.compile(r"(?m)^ Endpoint:\s+([a-z0-9_]+)\s")
_GLOBAL = re.compile(rf"(?m)^\s*{dv.RULES_SHA256}=([0-9a-f]*)\s*$")


@dataclass
class AsteriskReport:
    """What the Asterisk part did and holds."""

    running: bool
    sha256: str = ""
    queues: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"running": self.running, "sha256": self.sha256, "queues": self.queues,
                "endpoints": self.endpoints, "moves": self.moves, "problems": self.problems}


class AsteriskPart:
    """The engine's Asterisk (the deployment of ``settings``, with the trunk files ``trunks``)."""

    def __init__(self, settings: Settings, trunks: Path) -> None:
        self.settings, self.trunks = settings, Path(trunks)

    def _running(self):
        deployment = service.current(self.settings)
        if deployment is None or process.running_pid(deployment.layout) is None:
            return None
        return deployment

    def preflight(self, rules: Rules) -> list[str]:
        """Why Asterisk could not take ``rules`` (empty: it can); changes nothing it runs on."""
        with tempfile.TemporaryDirectory(prefix="ivr-preflight-") as scratch:
            try:
                service.prepare(self.settings, self.trunks, out=Path(scratch), require_asterisk=False,
                                rules=rules)
            except IvrError as err:
                return [f"Asterisk's configuration cannot be rendered from it: {err}"]
        return []

    def status(self, rules: Rules | None = None) -> AsteriskReport:
        """What the running Asterisk holds (compared with ``rules`` when given)."""
        deployment = self._running()
        if deployment is None:
            return AsteriskReport(running=False)
        cli = lambda command: process.cli(deployment.install, deployment.layout, command)  # noqa: E731
        report = AsteriskReport(running=True)
        try:
            found = _GLOBAL.search(cli("dialplan show globals"))
            report.sha256 = found.group(1) if found else ""
            report.queues = sorted(_QUEUE.findall(cli("queue show")))
            report.endpoints = sorted(_ENDPOINT.findall(cli("pjsip show endpoints")))
        except AsteriskError as err:
            report.problems.append(f"Asterisk does not answer: {err}")
            return report
        if rules is not None:
            report.problems += _differences(report, rules)
        return report

    def follow(self, new: Rules) -> AsteriskReport:
        """Render ``new``, reload what it feeds, move logged-in agents, and verify."""
        deployment = self._running()
        try:
            service.prepare(self.settings, self.trunks, require_asterisk=deployment is not None, rules=new)
        except IvrError as err:
            return AsteriskReport(running=deployment is not None, problems=[f"cannot render: {err}"])
        if deployment is None:
            return AsteriskReport(running=False)
        service.deploy_prompts(deployment, new)
        for command in RELOADS:
            try:
                process.cli(deployment.install, deployment.layout, command)
            except AsteriskError as err:
                return AsteriskReport(running=True, problems=[f"{command}: {err}"])
        moves: list[str] = []
        try:
            moves = asyncio.run(_move_agents(self.settings, new))
        except IvrError as err:
            report = self.status(new)
            report.problems.append(f"agents could not follow their queues: {err}")
            return report
        report = self.status(new)
        report.moves = moves
        log.info("asterisk.followed", sha256=report.sha256, moves=moves, problems=report.problems)
        return report


def _differences(report: AsteriskReport, rules: Rules) -> list[str]:
    out = []
    if report.sha256 != rules.sha256:
        out.append(f"the dialplan holds rules {report.sha256[:12] or '(none)'}, not {rules.sha256[:12]}")
    if set(report.queues) != set(rules.queues):
        out.append(f"queues are {', '.join(report.queues)}; the rules have {', '.join(sorted(rules.queues))}")
    agents = {e for e in report.endpoints if e not in ("carrier", "departments")}
    if agents != set(rules.agents):
        out.append(f"agents' endpoints are {', '.join(sorted(agents))}; the rules have "
                   f"{', '.join(sorted(rules.agents))}")
    return out


async def _move_agents(settings: Settings, rules: Rules) -> list[str]:
    """Logged-in agents into exactly the queues ``rules`` gives them; removed agents out."""
    secrets = load_secrets(secrets_path(settings.data_dir))
    moves: list[str] = []
    async with ami.AmiClient(settings.ami_host, settings.ami_port, secrets.ami_user,
                              secrets.ami_secret) as session:
        member_of: dict[str, set[str]] = {}
        for state in await ami.queue_states(session):
            for member in state.members:
                member_of.setdefault(member.agent, set()).add(state.queue)
        for agent_id, queues in sorted(member_of.items()):
            agent = rules.agents.get(agent_id)
            for queue in sorted(queues - set(agent.queues if agent else ())):
                await ami.leave(session, queue, agent_id)
                moves.append(f"{agent_id} left {queue}")
            if agent is not None:
                moves += [f"{agent_id} joined {queue}" for queue, result in await ami.login(session, rules, agent_id)
                          if result == "logged in"]
    return moves
