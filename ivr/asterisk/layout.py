"""The runtime folder of one Asterisk: rendered configuration, control socket, logs, spool, astdb.

Everything Asterisk writes lives under ``<data_dir>/asterisk`` (not /etc or /var), so a test
session, a demo and a developer's instance each have their own, and the sid root stays as the
package left it. When Asterisk runs in the sid root, this folder and the recordings folder are
bind-mounted into the root at the same paths, so a path means the same file on both sides.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivr.errors import AsteriskError
from ivr.settings import Settings

# The engine's own sounds are named <SOUNDS_NAMESPACE>/<name> (ivr.prompts).
SOUNDS_NAMESPACE = "hotline"

# sockaddr_un.sun_path is 108 bytes including the final NUL.
_MAX_SOCKET_PATH = 107


@dataclass(frozen=True)
class Layout:
    runtime: Path      # <data_dir>/asterisk
    recordings: Path   # Settings.recordings_dir

    @classmethod
    def from_settings(cls, settings: Settings) -> "Layout":
        return cls(runtime=Path(settings.data_dir).resolve() / "asterisk",
                   recordings=Path(settings.recordings_dir).resolve())

    @property
    def etc(self) -> Path:
        return self.runtime / "etc"

    @property
    def run(self) -> Path:
        return self.runtime / "run"

    @property
    def log(self) -> Path:
        return self.runtime / "log"

    @property
    def spool(self) -> Path:
        return self.runtime / "spool"

    @property
    def lib(self) -> Path:
        return self.runtime / "lib"

    @property
    def cache(self) -> Path:
        return self.runtime / "cache"

    @property
    def sounds(self) -> Path:
        """The engine's own prompts (``hotline/...``, :mod:`ivr.prompts`), which Asterisk sees as
        ``<astdatadir>/sounds/hotline``."""
        return self.runtime / "sounds"

    @property
    def config_file(self) -> Path:
        return self.etc / "asterisk.conf"

    @property
    def control_socket(self) -> Path:
        return self.run / "asterisk.ctl"

    @property
    def pid_file(self) -> Path:
        return self.run / "asterisk.pid"

    @property
    def console_log(self) -> Path:
        return self.log / "console.log"

    def create(self) -> None:
        """Make the runtime folders (and the recordings folder); refuse a socket path too long."""
        if len(str(self.control_socket).encode()) > _MAX_SOCKET_PATH:
            raise AsteriskError(f"the control socket path {self.control_socket} is longer than "
                                f"{_MAX_SOCKET_PATH} bytes: choose a shorter IVR_DATA_DIR")
        for folder in (self.etc, self.run, self.log, self.spool, self.lib, self.cache, self.recordings,
                       self.sounds / SOUNDS_NAMESPACE):
            folder.mkdir(parents=True, exist_ok=True)
