"""``ivr users``: the console's staff accounts (add, passwd, disable, list).

A password is typed twice at a prompt that does not echo it, or read from standard input with
``--password-stdin`` (one line; for scripts). It is never an option: options end up in shell
histories and process lists.
"""
from __future__ import annotations

import sys

import click

from ivr.cli.context import command_context
from ivr.core.staff import Role
from ivr.store.users import UserStore

_ROLES = click.Choice([r.value for r in Role])
password_stdin = click.option("--password-stdin", is_flag=True,
                              help="Read the password from standard input (one line) instead of a prompt.")


def _users() -> UserStore:
    return UserStore(command_context().store.engine)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@click.group()
def users() -> None:
    """Staff accounts of the web console (agents, supervisors, auditors, admins)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=_ROLES, required=True, help="What the user may see and do.")
@click.option("--phone", help="Agents: the seat's phone, an agent id of routing_rules.yaml (agent1 ...).")
@password_stdin
def add(name: str, role: str, phone: str | None, password_stdin: bool) -> None:
    """Add the staff account NAME."""
    c = command_context()
    agents = set(c.rules.agents)
    if role == Role.AGENT.value and not phone:
        raise click.UsageError(f"an agent needs --phone, one of: {', '.join(sorted(agents))}")
    user = _users().add(name, role, _password(password_stdin), c.now(), phone=phone, agents=agents)
    click.echo(f"added {user.name} ({user.role.value}{', phone ' + user.phone if user.phone else ''})")


@users.command("passwd")
@click.argument("name")
@password_stdin
def passwd(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; their open sessions end."""
    c = command_context()
    user = _users().set_password(name, _password(password_stdin), c.now())
    click.echo(f"password changed for {user.name}")


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Stop NAME from logging in; their open sessions end at the next request."""
    user = _users().disable(name, command_context().now())
    click.echo(f"disabled {user.name}")


@users.command("list")
def list_() -> None:
    """Every account, with its role, phone and state."""
    found = _users().list()
    if not found:
        click.echo("no users yet: ivr users add NAME --role agent --phone agent1")
        return
    click.echo(f"{'name':<24} {'role':<11} {'phone':<10} state")
    for u in found:
        click.echo(f"{u.name:<24} {u.role.value:<11} {(u.phone or '-'):<10} "
                   f"{'disabled' if u.disabled else 'active'}")
