"""The hotline as services that start at boot: the repository's unit and logrotate templates
(``deploy/``) made into files with this machine's paths, and put in place.

``ivr service install`` writes, under ``root`` (``/`` on the machine itself, a folder to look at
first):

* ``etc/systemd/system/ivr-asterisk.service`` and ``ivr-engine.service`` (``deploy/systemd/``);
* ``etc/logrotate.d/ivr-12345`` (``deploy/logrotate/``): Asterisk's logs, weekly;
* ``etc/ivr-12345/ivr.env`` (0600: it may hold the database's password): the ``IVR_*`` settings
  of the shell that ran the command, with every path made absolute, which both units read.
  ``IVR_CLOCK`` and ``IVR_DEBUG`` are left out: a pretend clock has no place in production.

Each ``@NAME@`` of a template is filled in; a name left unfilled is an error, never a unit with a
hole in it. The units are checked with ``systemd-analyze verify`` when it is installed.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.errors import IvrError
from ivr.settings import REPO_ROOT, Settings

DEPLOY = REPO_ROOT / "deploy"
UNITS = ("ivr-asterisk.service", "ivr-engine.service")
LOGROTATE = "ivr-12345"
ENV_FILE = Path("etc/ivr-12345/ivr.env")
LEFT_OUT = ("IVR_CLOCK", "IVR_DEBUG")
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


@dataclass(frozen=True)
class File:
    path: Path      # below the install root
    text: str
    mode: int


def ivr_command() -> Path:
    """The ``ivr`` of this virtualenv (beside the running Python)."""
    return Path(sys.executable).with_name("ivr").absolute()


def environment(settings: Settings, trunks: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The settings the services run with: the shell's IVR_* values, every path absolute."""
    out = {k: v for k, v in env.items() if k.startswith("IVR_") and k not in LEFT_OUT}
    out.update({"IVR_DATA_DIR": str(Path(settings.data_dir).resolve()),
                "IVR_RECORDINGS_DIR": str(Path(settings.recordings_dir).resolve()),
                "IVR_RULES": str(Path(settings.rules_path).resolve()),
                "IVR_TRUNKS": str(Path(trunks).resolve()),
                "IVR_ASTERISK_CACHE": str(Path(settings.asterisk_cache).resolve()),
                "IVR_DATABASE_URL": settings.database_url})
    return dict(sorted(out.items()))


def env_file_text(values: Mapping[str, str]) -> str:
    """systemd's EnvironmentFile syntax: KEY="value", with backslash and double quote escaped."""
    lines = ["# The hotline's settings for its services (ivr service install); 0600: may hold a password."]
    for key, value in values.items():
        if "\n" in value or "\0" in value:
            raise IvrError(f"{key} holds a line break: it cannot go in {ENV_FILE}")
        lines.append(f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"')
    return "\n".join(lines) + "\n"


def fill(text: str, values: Mapping[str, str], name: str) -> str:
    """``text`` with every ``@NAME@`` replaced; IvrError naming any left unfilled."""
    missing = sorted({m for m in _PLACEHOLDER.findall(text) if m not in values})
    if missing:
        raise IvrError(f"{name}: no value for {', '.join('@' + m + '@' for m in missing)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def files(settings: Settings, trunks: Path, env: Mapping[str, str], root: Path = Path("/")) -> list[File]:
    """Every file ``install`` writes, rendered (paths relative to ``root``)."""
    from ivr.asterisk.install import locate
    from ivr.errors import AsteriskError

    service_env = environment(settings, trunks, env)
    data_dir = service_env["IVR_DATA_DIR"]
    writable = [data_dir, service_env["IVR_RECORDINGS_DIR"], str(Path(service_env["IVR_RULES"]).parent),
                service_env["IVR_ASTERISK_CACHE"]]
    try:
        install = locate(settings.asterisk_cache)
        if not install.chrooted:  # the engine's prompts are linked from the system Asterisk's sounds
            writable.append(f"{install.data_dir}/sounds")
    except AsteriskError:
        pass
    ivr = str(ivr_command())
    reopen = " ".join(shlex.quote(part) for part in (
        "env", f"IVR_DATA_DIR={data_dir}", f"IVR_ASTERISK_CACHE={service_env['IVR_ASTERISK_CACHE']}",
        ivr, "asterisk", "reopen-logs"))
    values = {"REPO": str(REPO_ROOT), "IVR": ivr, "DATA_DIR": data_dir,
              "ENV_FILE": str(Path("/") / ENV_FILE), "LOG_DIR": f"{data_dir}/asterisk/log",
              "WRITABLE": " ".join(f"-{path}" for path in writable), "REOPEN": reopen}
    out = [File(Path("etc/systemd/system") / unit, fill((DEPLOY / "systemd" / unit).read_text(), values, unit), 0o644)
           for unit in UNITS]
    out.append(File(Path("etc/logrotate.d") / LOGROTATE,
                    fill((DEPLOY / "logrotate" / LOGROTATE).read_text(), values, LOGROTATE), 0o644))
    out.append(File(ENV_FILE, env_file_text(service_env), 0o600))
    return out


def write(made: list[File], root: Path) -> list[Path]:
    """Write each file under ``root`` (a temporary name, then renamed); IvrError naming the file
    that cannot be written (not root, a read-only /etc)."""
    from ivr.files import write_bytes

    written = []
    for item in made:
        target = Path(root) / item.path
        try:
            write_bytes(target, item.text.encode("utf-8"), mode=item.mode)
        except OSError as err:
            raise IvrError(f"cannot write {target}: {err.strerror or err} (run as root, or --root a folder)") from None
        written.append(target)
    return written


def verify_units(paths: list[Path]) -> str | None:
    """``systemd-analyze verify`` of the units; its complaints, "" when none, None when it is not
    installed."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return None
    done = subprocess.run([analyze, "verify", *map(str, paths)], capture_output=True, text=True, timeout=60,
                          check=False, stdin=subprocess.DEVNULL)
    return (done.stdout + done.stderr).strip() if done.returncode or done.stdout or done.stderr else ""


def systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir()


def enable() -> str:
    """daemon-reload, then enable both units (they start at the next boot, or `systemctl start`)."""
    for argv in (["systemctl", "daemon-reload"], ["systemctl", "enable", *UNITS]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise IvrError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-500:]}")
    return "enabled: " + ", ".join(UNITS)
