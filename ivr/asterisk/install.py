"""Where the Asterisk binary and its files are: a system install, or the Debian sid root.

``tools/install-asterisk.sh`` puts Asterisk in one of two places; this module finds which, and
says how to run a command there and which folders (modules, sounds) Asterisk sees. Paths in an
:class:`Install` are as Asterisk sees them: inside the root when it runs in the sid root.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ivr.errors import AsteriskError

MIN_MAJOR = 20
_VERSION = re.compile(r"^Asterisk (\d+)\.(\S+)")

# Module folders of the common layouts: Debian/Ubuntu multiarch, source build, RPM.
_MODULE_DIRS = (
    "/usr/lib/x86_64-linux-gnu/asterisk/modules",
    "/usr/lib/aarch64-linux-gnu/asterisk/modules",
    "/usr/lib/asterisk/modules",
    "/usr/lib64/asterisk/modules",
)
# Data folders (holding sounds/ and moh/): Debian package, source build.
_DATA_DIRS = ("/usr/share/asterisk", "/var/lib/asterisk")


@dataclass(frozen=True)
class Install:
    """One usable Asterisk: how to start its binary and what folders it reads."""

    kind: str            # "system" or "sid-root"
    root: Path           # "/" for a system install, the sid root otherwise
    binary: str          # the asterisk binary as seen from inside ``root``
    version: str         # e.g. "22.10.1+dfsg..."
    module_dir: str      # astmoddir, as Asterisk sees it
    data_dir: str        # astdatadir (sounds/, moh/), as Asterisk sees it
    agi_dir: str
    sbin_dir: str

    @property
    def chrooted(self) -> bool:
        return self.kind == "sid-root"

    def host_path(self, inner: str) -> Path:
        """A path Asterisk sees, as the host sees it."""
        return self.root / inner.lstrip("/") if self.chrooted else Path(inner)

    def command(self, *args: str) -> list[str]:
        """argv running the asterisk binary with ``args`` (chrooted when needed), for a client call.

        The client finds the server's control socket through ``-C``: see :mod:`ivr.asterisk.process`
        for the bind mounts that make the runtime folder visible inside the root.
        """
        if self.chrooted:
            return ["chroot", str(self.root), self.binary, *args]
        return [self.binary, *args]


def parse_version(text: str) -> tuple[int, str] | None:
    """(major, full version) from ``asterisk -V`` output, or None when it is not Asterisk's."""
    match = _VERSION.match(text.strip())
    if not match:
        return None
    return int(match.group(1)), f"{match.group(1)}.{match.group(2)}"


def _run_version(argv: list[str]) -> tuple[int, str] | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return parse_version(out.stdout)


def _first_existing(root: Path, candidates: tuple[str, ...], marker: str) -> str | None:
    for inner in candidates:
        if (root / inner.lstrip("/") / marker).exists():
            return inner
    return None


def _describe(kind: str, root: Path, binary: str, version: str) -> Install:
    moddir = _first_existing(root, _MODULE_DIRS, "chan_pjsip.so")
    if moddir is None:
        raise AsteriskError(f"Asterisk {version} ({kind}) has no chan_pjsip.so in "
                            f"{', '.join(_MODULE_DIRS)}: install its PJSIP modules")
    # Debian's sounds/en is an alternatives symlink that resolves only inside the root, so look
    # for the folder itself rather than a file in it.
    datadir = _first_existing(root, _DATA_DIRS, "sounds") or _DATA_DIRS[0]
    return Install(kind=kind, root=root, binary=binary, version=version, module_dir=moddir,
                   data_dir=datadir, agi_dir=f"{datadir}/agi-bin",
                   sbin_dir=str(Path(binary).parent))


def locate(cache: Path) -> Install:
    """The Asterisk to use: the system's when it is >= 20, else the sid root under ``cache``.

    Raises AsteriskError saying how to install one when neither is usable.
    """
    system = shutil.which("asterisk")
    if system:
        found = _run_version([system, "-V"])
        if found and found[0] >= MIN_MAJOR:
            return _describe("system", Path("/"), system, found[1])
    root = Path(cache) / "sid-root"
    binary = "/usr/sbin/asterisk"
    if (root / binary.lstrip("/")).exists():
        found = _run_version(["chroot", str(root), binary, "-V"])
        if found and found[0] >= MIN_MAJOR:
            return _describe("sid-root", root, binary, found[1])
        raise AsteriskError(f"the Asterisk in {root} does not run (`chroot {root} {binary} -V` failed); "
                            "rebuild it with: bash tools/install-asterisk.sh")
    raise AsteriskError(f"no Asterisk >= {MIN_MAJOR} found (none on PATH, no sid root in {root}); "
                        "install one with: bash tools/install-asterisk.sh")


# The Debian layout, used to render a configuration on a machine with no Asterisk at all
# (golden tests, CI without Asterisk, reviewing a change).
DEBIAN_LAYOUT = Install(kind="system", root=Path("/"), binary="/usr/sbin/asterisk", version="unknown",
                        module_dir=_MODULE_DIRS[0], data_dir=_DATA_DIRS[0],
                        agi_dir=f"{_DATA_DIRS[0]}/agi-bin", sbin_dir="/usr/sbin")
