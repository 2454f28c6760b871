"""A real softphone for end-to-end tests: Debian's baresip 1.0, headless, driven over its TCP
control socket (module ctrl_tcp: JSON in netstrings, commands in, events out).

Each phone has its own loopback address (127.0.2.N: never the carrier's 127.0.0.1), SIP port,
account (the agent id and the password generated at deploy time) and transport (udp, tcp, or
tls with SRTP). Audio: a 440 Hz tone as the microphone, the speaker a bridge nobody listens to.
The test reads the phone's events (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED,
...) and sends it what an agent would do: dial, accept, send keys, transfer, hang up.
"""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from ivr.processes import stop_process

BARESIP = "/usr/bin/baresip"


def available() -> bool:
    return shutil.which("baresip") is not None


class Softphone:
    """One baresip process registered (or trying to register) as ``user``."""

    def __init__(self, workdir: Path, *, user: str, password: str, server: tuple[str, int],
                 address: str, sip_port: int, ctrl_port: int, transport: str = "udp",
                 srtp: bool = False, ca_file: Path | None = None, regint: int = 60) -> None:
        self.workdir = Path(workdir)
        self.user, self.password, self.server = user, password, server
        self.address, self.sip_port, self.ctrl_port = address, sip_port, ctrl_port
        self.transport, self.srtp, self.ca_file, self.regint = transport, srtp, ca_file, regint
        self.rtp_base = 40000 + (sip_port % 500) * 40  # apart for each phone, above Asterisk's range
        self.events: list[dict] = []
        self._cond = threading.Condition()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._token = 0
        self._replies: dict[str, dict] = {}

    # --- lifecycle ------------------------------------------------------------------------

    def _write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [
            "poll_method epoll",
            f"sip_listen {self.address}:{self.sip_port}",
            f"net_interface {self.address}",
            "audio_player aubridge,nobody",
            "audio_alert aubridge,nobody",
            "audio_source ausine,440", "ausrc_srate 48000", "ausrc_channels 2",
            f"rtp_ports {self.rtp_base}-{self.rtp_base + 39}",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module ausine.so", "module aubridge.so", "module srtp.so",
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
        ]
        if self.ca_file:
            lines.append(f"sip_cafile {self.ca_file}")
        (self.workdir / "config").write_text("\n".join(lines) + "\n", encoding="utf-8")
        host, port = self.server
        params = f";auth_pass={self.password};answermode=manual;regint={self.regint}"
        if self.srtp:
            params += ";mediaenc=srtp-mand"
        account = f"<sip:{self.user}@{host}:{port};transport={self.transport}>{params}\n"
        (self.workdir / "accounts").write_text(account, encoding="utf-8")
        (self.workdir / "contacts").write_text("", encoding="utf-8")

    def start(self, timeout: float = 10) -> "Softphone":
        self._write_config()
        self._log = open(self.workdir / "baresip.log", "wb")
        self._proc = subprocess.Popen([BARESIP, "-4", "-f", str(self.workdir)], stdin=subprocess.DEVNULL,
                                      stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                      start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"baresip exited at start:\n{self.log()[-2000:]}")
            try:
                self._sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError(f"baresip's control port {self.ctrl_port} never opened:\n{self.log()[-2000:]}")
        self._sock.settimeout(None)
        threading.Thread(target=self._read, name=f"baresip-{self.user}", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None
        proc, self._proc = self._proc, None
        stop_process(proc)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> "Softphone":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> str:
        try:
            return (self.workdir / "baresip.log").read_text(errors="replace")
        except OSError:
            return ""

    # --- the control socket ----------------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        sock = self._sock
        while sock is not None:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b":" in buffer:
                size, _, rest = buffer.partition(b":")
                if not size.isdigit() or len(rest) < int(size) + 1:
                    break
                payload, buffer = rest[:int(size)], rest[int(size) + 1:]
                message = json.loads(payload.decode("utf-8", "replace"))
                with self._cond:
                    if message.get("response"):
                        self._replies[str(message.get("token"))] = message
                    elif message.get("event"):
                        self.events.append(message)
                    self._cond.notify_all()

    def command(self, command: str, params: str = "", timeout: float = 5) -> dict:
        """Send a command (baresip's long menu names: dial, accept, hangup, sndcode, transfer)."""
        self._token += 1
        token = str(self._token)
        data = json.dumps({"command": command, "params": params, "token": token}).encode()
        assert self._sock is not None, "the phone is not started"
        self._sock.sendall(str(len(data)).encode() + b":" + data + b",")
        with self._cond:
            if not self._cond.wait_for(lambda: token in self._replies, timeout):
                raise TimeoutError(f"baresip gave no answer to {command} {params}")
            return self._replies.pop(token)

    def wait_event(self, kind: str, timeout: float = 10, after: int = 0) -> dict | None:
        """The first event of type ``kind`` (REGISTER_OK, CALL_ESTABLISHED, ...) from index ``after``."""
        def found():
            return next((e for e in self.events[after:] if e.get("type") == kind), None)
        with self._cond:
            self._cond.wait_for(lambda: found() is not None, timeout)
            return found()

    def registered(self, timeout: float = 10) -> bool:
        """True once the server has accepted the phone's REGISTER (baresip's reginfo says OK)."""
        deadline = time.monotonic() + timeout
        while True:
            info = re.sub(r"\x1b\[[0-9;]*m", "", self.command("reginfo").get("data", ""))
            if re.search(rf"sip:{re.escape(self.user)}@\S+\s+OK\b", info):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    # --- what an agent does --------------------------------------------------------------

    def dial(self, number: str) -> dict:
        host, port = self.server
        return self.command("dial", f"sip:{number}@{host}:{port}")

    def accept(self) -> dict:
        return self.command("accept")

    def hangup(self) -> dict:
        return self.command("hangup")

    def keys(self, digits: str, gap: float = 0.25) -> None:
        """Press keys during a call (RFC 4733 events), one at a time like a person."""
        for digit in digits:
            self.command("sndcode", digit)
            time.sleep(gap)

    def transfer(self, number: str) -> dict:
        """Blind transfer of the current call with a SIP REFER (the phone's transfer button)."""
        host, port = self.server
        return self.command("transfer", f"sip:{number}@{host}:{port}")
