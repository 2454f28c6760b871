"""Deploy and run the engine's Asterisk: render the configuration, then start, stop, inspect.

The one place that puts settings, rules, trunks, secrets and the located Asterisk together;
the CLI (``ivr asterisk``, ``ivr render``) and the end-to-end fixtures call it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.asterisk import process, tls
from ivr.asterisk.install import DEBIAN_LAYOUT, Install, locate
from ivr.asterisk.layout import Layout
from ivr.asterisk.phones import Phones, load_phones
from ivr.asterisk.secrets import Secrets, load_or_create, secrets_path
from ivr.asterisk.site import Site, load_site
from ivr.errors import AsteriskError
from ivr.asterisk.render import RenderInput, render, write
from ivr.core.rules import Rules
from ivr.rules_file import load_rules
from ivr.settings import REPO_ROOT, Settings


def trunks_dir(env: Mapping[str, str] | None = None) -> Path:
    """IVR_TRUNKS, else the repository's trunks/ folder."""
    env = os.environ if env is None else env
    return Path(env.get("IVR_TRUNKS", str(REPO_ROOT / "trunks")))


@dataclass(frozen=True)
class Deployment:
    settings: Settings
    install: Install
    layout: Layout
    site: Site | None = None        # None when only stopping or inspecting
    secrets: Secrets | None = None
    phones: Phones = Phones()

    @property
    def sip(self) -> tuple[str, int]:
        if self.site is None:
            raise AsteriskError("the deployment was not rendered")
        return self.site.sip_bind, self.site.sip_port

    @property
    def ami(self) -> tuple[str, int]:
        return self.settings.ami_host, self.settings.ami_port


def prepare(settings: Settings, trunks: Path, out: Path | None = None,
            require_asterisk: bool = True, rules: Rules | None = None) -> tuple[Deployment, list[Path]]:
    """Render the configuration into ``out`` (default: the runtime folder's etc/) from ``rules``
    (default: the rules file in force).

    Without ``require_asterisk``, a machine with no Asterisk renders for the Debian layout.
    """
    rules = rules or load_rules(settings.rules_path)
    site = load_site(trunks, set(rules.agents))
    phones = load_phones(trunks, set(rules.agents))
    try:
        install = locate(settings.asterisk_cache)
    except AsteriskError:
        if require_asterisk:
            raise
        install = DEBIAN_LAYOUT
    layout = Layout.from_settings(settings)
    secrets = load_or_create(secrets_path(settings.data_dir), rules.agents)
    files = render(RenderInput(rules=rules, site=site, secrets=secrets, install=install,
                               layout=layout, agi_host=settings.agi_host, agi_port=settings.agi_port,
                               ami_host=settings.ami_host, ami_port=settings.ami_port,
                               agi_timeout=settings.agi_timeout, phones=phones,
                               recording_format=settings.recording_format))
    written = write(files, out or layout.etc)
    if phones.tls:
        cert, key = tls.ensure_certificate(tls.tls_folder(settings.data_dir), site.sip_bind)
        written += tls.install(cert, key, out or layout.etc)
    return Deployment(settings, install, layout, site, secrets, phones), written


def up(settings: Settings, trunks: Path, timeout: float = 60) -> process.Status:
    """Render and start Asterisk (a running one is left alone: `down` first to apply changes)."""
    existing = current(settings)
    if existing and process.running_pid(existing.layout):
        return process.status(existing.install, existing.layout)
    deployment, _ = prepare(settings, trunks)
    settings.secure()  # recordings, logs and queue log are citizens' data (ivr.permissions)
    deployment.layout.create()
    deploy_prompts(deployment, load_rules(settings.rules_path))
    return process.start(deployment.install, deployment.layout, deployment.sip, deployment.ami,
                         timeout=timeout)


def current(settings: Settings) -> Deployment | None:
    """The deployment's install and layout without rendering (for down/status), or None."""
    try:
        install = locate(settings.asterisk_cache)
    except AsteriskError:
        return None
    layout = Layout.from_settings(settings)
    return Deployment(settings, install, layout)


def down(settings: Settings) -> bool:
    deployment = current(settings)
    if deployment is None:
        return False
    return process.stop(deployment.install, deployment.layout)


def status(settings: Settings) -> process.Status:
    deployment = current(settings)
    if deployment is None:
        return process.Status(running=False, detail="no Asterisk installed (bash tools/install-asterisk.sh)")
    return process.status(deployment.install, deployment.layout)


def reload(settings: Settings, trunks: Path) -> str:
    """Render again and have the running Asterisk reload it (dialplan, queues, PJSIP, AMI)."""
    deployment, _ = prepare(settings, trunks)
    if process.running_pid(deployment.layout) is None:
        raise AsteriskError("Asterisk is not running: `ivr asterisk up`")
    deploy_prompts(deployment, load_rules(settings.rules_path))
    return process.cli(deployment.install, deployment.layout, "core reload")


def deploy_prompts(deployment: Deployment, rules: Rules) -> None:
    """The engine's prompts where this Asterisk finds them: the missing stand-ins made, and for a
    system Asterisk the link from its sounds folder (:mod:`ivr.prompts`)."""
    from ivr.prompts import ensure_stand_ins
    from ivr.prompts.sounds import link_for_system_asterisk

    deployment.layout.sounds.mkdir(parents=True, exist_ok=True)
    ensure_stand_ins(deployment.layout, rules)
    link_for_system_asterisk(deployment.install, deployment.layout)


def reopen_logs(settings: Settings) -> str:
    """Have the running Asterisk reopen its log files and queue log (``logger reload``), after
    logrotate renamed them (deploy/logrotate/ivr-12345)."""
    deployment = current(settings)
    if deployment is None or process.running_pid(deployment.layout) is None:
        raise AsteriskError("Asterisk is not running: nothing to reopen")
    return process.cli(deployment.install, deployment.layout, "logger reload")
