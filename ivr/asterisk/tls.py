"""The TLS certificate of the SIP server (softphones over TLS, with SRTP keys inside it).

Made once at deploy time with ``openssl`` into ``<data_dir>/secrets/tls/`` (key 0600, never
committed), reused afterwards so phones that pinned it keep working, and copied next to the
rendered configuration (``etc/keys/``) where Asterisk, possibly in its sid root, reads it.
Self-signed: an admin who has a certificate from the county's own CA puts its two files there
instead (same names) and renders again.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from ivr.asterisk.secrets import write_private
from ivr.errors import AsteriskError
from ivr import data_folder

CERT, KEY = "asterisk.crt", "asterisk.key"
DAYS = 825  # the longest validity phones still accept for a server certificate


def tls_folder(data_dir: Path) -> Path:
    return data_folder.secrets(data_dir) / "tls"


def ensure_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    """(certificate, key) in ``folder``, made for ``host`` if they are not there yet."""
    folder = Path(folder)
    cert, key = folder / CERT, folder / KEY
    if cert.exists() and key.exists():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise AsteriskError("TLS for softphones needs openssl to make the server's certificate "
                            "(apt-get install openssl), or put asterisk.crt and asterisk.key in "
                            f"{folder}")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    san = f"IP:{host}" if host.replace(".", "").isdigit() or ":" in host else f"DNS:{host}"
    argv = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", str(DAYS), "-subj", f"/CN={host}/O=12345 hotline",
            "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise AsteriskError(f"openssl could not make the TLS certificate: {done.stderr.strip()[-500:]}")
    os.chmod(key, 0o600)
    return cert, key


def install(cert: Path, key: Path, etc_dir: Path) -> list[Path]:
    """Copy the certificate and key into ``etc_dir/keys`` (the key 0600) for Asterisk."""
    out = Path(etc_dir) / "keys"
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    shutil.copyfile(cert, out / CERT)
    write_private(out / KEY, Path(key).read_text(encoding="utf-8"))
    return [out / CERT, out / KEY]


def expires_at(cert: Path) -> datetime | None:
    """When the certificate at ``cert`` stops being valid (UTC); None when there is no such file.
    AsteriskError when it cannot be read (openssl missing, not a certificate)."""
    if not Path(cert).is_file():
        return None
    openssl = shutil.which("openssl")
    if openssl is None:
        raise AsteriskError("openssl is needed to read the TLS certificate's expiry (apt-get install openssl)")
    done = subprocess.run([openssl, "x509", "-noout", "-enddate", "-in", str(cert)], capture_output=True,
                          text=True, timeout=30, check=False, stdin=subprocess.DEVNULL)
    text = done.stdout.strip()
    if done.returncode != 0 or not text.startswith("notAfter="):
        raise AsteriskError(f"{cert} is not a certificate openssl can read: {done.stderr.strip()[-300:]}")
    try:  # notAfter=Mar  9 12:00:00 2029 GMT
        return datetime.strptime(" ".join(text.removeprefix("notAfter=").split()), "%b %d %H:%M:%S %Y %Z") \
            .replace(tzinfo=timezone.utc)
    except ValueError:
        raise AsteriskError(f"{cert}: openssl gave an expiry this code cannot read: {text}") from None
