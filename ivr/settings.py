"""Engine settings, read from an injectable mapping (``os.environ`` only at the edge).

Every setting has one ``IVR_*`` name; defaults suit a single box with Asterisk on loopback.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    rules_path: Path              # IVR_RULES: routing_rules.yaml
    data_dir: Path                # IVR_DATA_DIR: database, spool, runtime state
    database_url: str             # IVR_DATABASE_URL: SQLAlchemy URL; SQLite under data_dir by default
    recordings_dir: Path          # IVR_RECORDINGS_DIR
    agi_host: str                 # IVR_AGI_HOST
    agi_port: int                 # IVR_AGI_PORT
    ami_host: str                 # IVR_AMI_HOST
    ami_port: int                 # IVR_AMI_PORT
    asterisk_cache: Path          # IVR_ASTERISK_CACHE: where the sid root lives when there is no system Asterisk
    clock: str | None             # IVR_CLOCK: ISO time the engine pretends it is (tests, dry runs)
    web_host: str = "127.0.0.1"   # IVR_WEB_HOST: the staff console's address (loopback by default)
    web_port: int = 8080          # IVR_WEB_PORT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        data_dir = Path(env.get("IVR_DATA_DIR", str(REPO_ROOT / "var")))
        return cls(
            rules_path=Path(env.get("IVR_RULES", str(REPO_ROOT / "routing_rules.yaml"))),
            data_dir=data_dir,
            database_url=env.get("IVR_DATABASE_URL", f"sqlite:///{data_dir / 'ivr.sqlite3'}"),
            recordings_dir=Path(env.get("IVR_RECORDINGS_DIR", str(REPO_ROOT / "recordings"))),
            agi_host=env.get("IVR_AGI_HOST", "127.0.0.1"),
            agi_port=int(env.get("IVR_AGI_PORT", "4573")),
            ami_host=env.get("IVR_AMI_HOST", "127.0.0.1"),
            ami_port=int(env.get("IVR_AMI_PORT", "5038")),
            asterisk_cache=Path(env.get("IVR_ASTERISK_CACHE", "/var/cache/ivr-12345")),
            clock=env.get("IVR_CLOCK") or None,
            web_host=env.get("IVR_WEB_HOST") or "127.0.0.1",
            web_port=port_setting(env, "IVR_WEB_PORT", 8080),
        )


def port_setting(env: Mapping[str, str], name: str, default: int) -> int:
    """The TCP port in ``env[name]``; SettingsError naming the variable and the range otherwise."""
    from ivr.errors import SettingsError

    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise SettingsError(name, text, "must be a port number from 1 to 65535")
    return int(text)
