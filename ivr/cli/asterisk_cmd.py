"""``ivr asterisk up|down|status|reload|reopen-logs``, ``ivr render`` and ``ivr agents login|logout|list|phones``.

The telecom admin's handles on the engine's Asterisk: render the configuration from
routing_rules.yaml and trunks/, run Asterisk on it, and log agents in to their queues.
Settings come from the ``IVR_*`` environment (see :mod:`ivr.settings`); ``IVR_TRUNKS``
names another trunks folder.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from pathlib import Path

import click

from ivr.asterisk import service
from ivr.ami import queues as ami
from ivr.asterisk.phones import load_phones, phone_sheets
from ivr.asterisk.site import load_site
from ivr.core.agent_phone import FEATURE_CODES, IN_CALL_KEYS
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path
from ivr.logs import configure
from ivr.rules_file import load_rules
from ivr.settings import Settings


def _settings() -> Settings:
    configure()
    return Settings.from_env()


def _trunks(option: str | None) -> Path:
    return Path(option) if option else service.trunks_dir()


_trunks_option = click.option("--trunks", type=click.Path(file_okay=False),
                              help="trunks folder (default: IVR_TRUNKS or the repository's trunks/)")


@click.group("asterisk")
def asterisk() -> None:
    """Run the engine's Asterisk (installed by tools/install-asterisk.sh)."""


@asterisk.command("up")
@_trunks_option
@click.option("--timeout", default=60.0, show_default=True, help="seconds to wait for the boot")
def up(trunks: str | None, timeout: float) -> None:
    """Render the configuration and start Asterisk; wait until it is fully booted."""
    settings = _settings()
    started = time.monotonic()
    state = service.up(settings, _trunks(trunks), timeout=timeout)
    click.echo(f"asterisk up: pid {state.pid} ({state.kind}), config {state.config}, "
               f"{time.monotonic() - started:.1f} s")


@asterisk.command("down")
def down() -> None:
    """Stop Asterisk (core stop now, then signals)."""
    settings = _settings()
    click.echo("asterisk stopped" if service.down(settings) else "asterisk was not running")


@asterisk.command("status")
@click.option("--json", "as_json", is_flag=True, help="print the status as JSON")
def status(as_json: bool) -> None:
    """Whether Asterisk runs; its pid, uptime, version and active calls. Exit 3 when down."""
    state = service.status(_settings())
    if as_json:
        click.echo(json.dumps(asdict(state), ensure_ascii=False))
    elif state.running:
        click.echo(f"running: pid {state.pid}, up {state.uptime_s} s, {state.active_calls} active "
                   f"call(s), {state.kind}, config {state.config}")
        click.echo(state.detail or state.version)
    else:
        click.echo(f"not running{': ' + state.detail if state.detail else ''}")
    if not state.running:
        raise click.exceptions.Exit(3)


@asterisk.command("reload")
@_trunks_option
def reload(trunks: str | None) -> None:
    """Render again and have the running Asterisk reload (dialplan, queues, PJSIP, AMI)."""
    service.reload(_settings(), _trunks(trunks))
    click.echo("asterisk reloaded")


@asterisk.command("reopen-logs")
def reopen_logs() -> None:
    """Have Asterisk reopen its logs and queue log after they were rotated (logrotate's postrotate)."""
    service.reopen_logs(_settings())
    click.echo("asterisk reopened its logs")


@click.command("render")
@click.option("--out", type=click.Path(file_okay=False),
              help="folder to write into (default: the runtime folder <IVR_DATA_DIR>/asterisk/etc)")
@_trunks_option
def render(out: str | None, trunks: str | None) -> None:
    """Render the Asterisk configuration from routing_rules.yaml and trunks/."""
    deployment, written = service.prepare(_settings(), _trunks(trunks), Path(out) if out else None,
                                          require_asterisk=False)
    click.echo(f"rendered {len(written)} files into {written[0].parent} for "
               f"{deployment.install.kind} Asterisk {deployment.install.version}")


@click.group("agents")
def agents() -> None:
    """Log agents in to and out of their queues (AMI), and list queue members."""


def _session(settings: Settings) -> ami.AmiClient:
    secrets = load_secrets(secrets_path(settings.data_dir))
    return ami.AmiClient(settings.ami_host, settings.ami_port, secrets.ami_user, secrets.ami_secret)


async def _each(settings: Settings, agent_ids: tuple[str, ...], fn) -> list[tuple[str, str, str]]:
    rules = load_rules(settings.rules_path)
    out = []
    async with _session(settings) as session:
        for agent_id in agent_ids:
            for queue, result in await fn(session, rules, agent_id):
                out.append((agent_id, queue, result))
    return out


def _agent_ids(settings: Settings, given: tuple[str, ...], all_agents: bool) -> tuple[str, ...]:
    if all_agents:
        return tuple(load_rules(settings.rules_path).agents)
    if not given:
        raise click.UsageError("name at least one agent, or --all")
    return given


@agents.command("login")
@click.argument("agent_ids", nargs=-1)
@click.option("--all", "all_agents", is_flag=True, help="every agent of the rules")
def agents_login(agent_ids: tuple[str, ...], all_agents: bool) -> None:
    """Log AGENT_IDS in to the queues their rules entry lists."""
    settings = _settings()
    for agent, queue, result in asyncio.run(_each(settings, _agent_ids(settings, agent_ids, all_agents), ami.login)):
        click.echo(f"{agent}\t{queue}\t{result}")


@agents.command("logout")
@click.argument("agent_ids", nargs=-1)
@click.option("--all", "all_agents", is_flag=True, help="every agent of the rules")
def agents_logout(agent_ids: tuple[str, ...], all_agents: bool) -> None:
    """Log AGENT_IDS out of their queues."""
    settings = _settings()
    for agent, queue, result in asyncio.run(_each(settings, _agent_ids(settings, agent_ids, all_agents), ami.logout)):
        click.echo(f"{agent}\t{queue}\t{result}")


@agents.command("list")
@click.option("--json", "as_json", is_flag=True)
def agents_list(as_json: bool) -> None:
    """Every queue, its logged-in agents and waiting callers."""
    settings = _settings()

    async def run():
        async with _session(settings) as session:
            return await ami.queue_states(session)

    states = asyncio.run(run())
    if as_json:
        click.echo(json.dumps([asdict(s) for s in states], ensure_ascii=False))
        return
    for state in states:
        click.echo(f"{state.queue}: {len(state.members)} agent(s), {state.waiting} waiting")
        for m in state.members:
            flags = (f", paused ({m.pause_reason})" if m.pause_reason else ", paused") if m.paused else ""
            click.echo(f"  {m.agent:<10} {m.interface:<14} {m.status}{flags}, {m.calls_taken} call(s) taken")


@agents.command("phones")
@click.argument("agent_ids", nargs=-1)
@_trunks_option
@click.option("--json", "as_json", is_flag=True)
def agents_phones(agent_ids: tuple[str, ...], trunks: str | None, as_json: bool) -> None:
    """What each agent types into a softphone (server, user, password, transport) and the keys
    it can use. Shows passwords: only whoever may read the deploy-time secrets can run it."""
    settings = _settings()
    rules = load_rules(settings.rules_path)
    folder = _trunks(trunks)
    passwords = load_secrets(secrets_path(settings.data_dir)).agent_passwords
    sheets = phone_sheets(rules, load_site(folder, set(rules.agents)), load_phones(folder), passwords)
    unknown = set(agent_ids) - {s["agent"] for s in sheets}
    if unknown:
        raise click.UsageError(f"no agent {', '.join(sorted(unknown))} in the routing rules")
    sheets = [s for s in sheets if not agent_ids or s["agent"] in agent_ids]
    codes = [{"keys": c.code, "what": c.what} for c in FEATURE_CODES]
    keys = [{"keys": k.keys, "what": k.what} for k in IN_CALL_KEYS]
    if as_json:
        click.echo(json.dumps({"phones": sheets, "feature_codes": codes, "in_call_keys": keys},
                              ensure_ascii=False))
        return
    for sheet in sheets:
        click.echo(f"{sheet['agent']} ({sheet['name']}; queues {', '.join(sheet['queues'])})")
        if "lab_contact" in sheet:
            click.echo(f"  lab only: SIPp answers at {sheet['lab_contact']} (no registration)")
            continue
        for label, value in (("server", sheet["server"]), ("user", sheet["user"]),
                             ("password", sheet["password"]), ("transport", "; ".join(sheet["transports"])),
                             ("SRTP", sheet["srtp"]), ("from networks", ", ".join(sheet["networks"]) or "none")):
            click.echo(f"  {label:<14} {value}")
    click.echo("dial from the phone: " + "; ".join(f"{c['keys']} {c['what']}" for c in codes))
    click.echo("during a call:       " + "; ".join(f"{k['keys']} {k['what']}" for k in keys))
