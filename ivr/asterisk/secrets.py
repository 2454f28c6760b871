"""Deploy-time secrets: the AMI accounts and each agent endpoint's SIP password.

Three AMI accounts, one per need (what each may do is said in the rendered manager_secrets.conf):
the engine's events and actions (``ivr-engine``: the work-order intake, ``ivr agents``, the rules
apply), the staff console's (``ivr-console``) and the callbacks' (``ivr-callbacks``), the only one
that may originate a call.

Generated on first deploy, kept in ``<data_dir>/secrets/asterisk.json`` (folder 0700, file 0600),
never in git, and reused afterwards so softphones and running clients keep working. New agents
get a password the next time the configuration is rendered; removed agents lose theirs.
The rendered Asterisk files that carry them (``manager_secrets.conf``, ``pjsip_secrets.conf``)
are written 0600 too; the committed templates only ``#include`` them.
"""
from __future__ import annotations

import json
import os
import secrets as _random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.errors import AsteriskError
from ivr.files import replace_file
from ivr import data_folder

AMI_USER = "ivr-engine"
CONSOLE_AMI_USER = "ivr-console"  # the staff console's own account: agents' states, queue login and pause
CALLBACKS_AMI_USER = "ivr-callbacks"  # the callback worker's: Originate (through the checking context) only


@dataclass(frozen=True)
class Secrets:
    ami_user: str
    ami_secret: str = field(repr=False)
    agent_passwords: dict[str, str] = field(default_factory=dict, repr=False)
    console_ami_secret: str = field(default="", repr=False)
    console_ami_user: str = CONSOLE_AMI_USER
    callbacks_ami_secret: str = field(default="", repr=False)
    callbacks_ami_user: str = CALLBACKS_AMI_USER

    def __repr__(self) -> str:
        """Never the secrets themselves: a repr can reach a log or a traceback."""
        return (f"Secrets(ami_user={self.ami_user!r}, ami_secret='***', console_ami_user="
                f"{self.console_ami_user!r}, console_ami_secret='***', callbacks_ami_user="
                f"{self.callbacks_ami_user!r}, callbacks_ami_secret='***', "
                f"agent_passwords=<{len(self.agent_passwords)} masked>)")


def secrets_path(data_dir: Path) -> Path:
    return data_folder.secrets(data_dir) / "asterisk.json"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, replacing it atomically."""
    replace_file(path, text, mode=0o600, durable=True, folder_mode=0o700)


def load(path: Path) -> Secrets:
    """The stored secrets; AsteriskError when there are none yet or the file is damaged."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AsteriskError(f"no Asterisk secrets in {path} yet: run `ivr render` or "
                            "`ivr asterisk up` first") from None
    except (OSError, ValueError) as err:
        raise AsteriskError(f"cannot read the Asterisk secrets in {path}: {err}") from None
    try:
        passwords = {str(k): str(v) for k, v in dict(data.get("agents", {})).items()}
        return Secrets(ami_user=str(data["ami_user"]), ami_secret=str(data["ami_secret"]),
                       agent_passwords=passwords, console_ami_secret=str(data.get("console_ami_secret", "")),
                       callbacks_ami_secret=str(data.get("callbacks_ami_secret", "")))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise AsteriskError(f"the Asterisk secrets in {path} are damaged: delete the file and "
                            "render again (agents' softphones then need the new passwords)") from None


def load_or_create(path: Path, agent_ids: Iterable[str],
                   token: Callable[[], str] = lambda: _random.token_urlsafe(24)) -> Secrets:
    """The stored secrets, completed for ``agent_ids`` (and trimmed to them), saved 0600.

    ``token`` makes a new secret; tests pass a deterministic one.
    """
    path = Path(path)
    old = load(path) if path.exists() else None
    agent_ids = list(agent_ids)
    passwords = {a: (old.agent_passwords.get(a) if old else None) or token() for a in agent_ids}
    new = Secrets(ami_user=old.ami_user if old else AMI_USER,
                  ami_secret=old.ami_secret if old else token(),
                  agent_passwords=passwords,
                  console_ami_secret=(old.console_ami_secret if old else "") or token(),
                  callbacks_ami_secret=(old.callbacks_ami_secret if old else "") or token())
    if new != old:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        write_private(path, json.dumps({"ami_user": new.ami_user, "ami_secret": new.ami_secret,
                                        "console_ami_secret": new.console_ami_secret,
                                        "callbacks_ami_secret": new.callbacks_ami_secret,
                                        "agents": new.agent_passwords}, indent=2) + "\n")
    elif (path.stat().st_mode & 0o077) != 0:
        os.chmod(path, 0o600)
    return new
