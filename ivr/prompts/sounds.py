"""Where a sound name is, for the Asterisk that will play it.

Asterisk plays a relative name from its data folder: ``<astdatadir>/sounds/<language>/<name>.<ext>``,
then ``<astdatadir>/sounds/<name>.<ext>``, for the formats its loaded modules read. The engine's own
prompts (``hotline/...``) live in the engine's sounds folder (``<runtime>/sounds/hotline``), which
Asterisk sees as ``<astdatadir>/sounds/hotline``: bind-mounted there for an Asterisk in the sid
root (:mod:`ivr.asterisk.process`), a symbolic link for a system Asterisk
(:func:`link_for_system_asterisk`).

In the sid root the package's ``sounds/en`` is a symbolic link through ``/etc/alternatives`` that
only resolves inside the root: :func:`inside` follows links the way the chrooted Asterisk does.
"""
from __future__ import annotations

import os
from pathlib import Path

from ivr.asterisk.install import Install
from ivr.asterisk.layout import Layout
from ivr.errors import AsteriskError
from ivr.prompts.texts import NAMESPACE

# The file extensions each media-format module reads (ivr.asterisk.render.MODULES loads them).
FORMAT_EXTENSIONS = {
    "format_gsm.so": ("gsm",),
    "format_wav.so": ("wav",),
    "format_wav_gsm.so": ("WAV", "wav49"),
    "format_pcm.so": ("pcm", "ulaw", "ul", "mu", "alaw", "al"),
    "format_sln.so": ("sln", "raw", "sln16"),
}
LANGUAGE = "en"   # the channels' language (Asterisk's default): sounds/en is searched first


def extensions() -> tuple[str, ...]:
    """The extensions the engine's Asterisk can play (from the modules it loads)."""
    from ivr.asterisk.render import MODULES

    loaded = {name for _, names in MODULES for name in names}
    return tuple(ext for module, exts in FORMAT_EXTENSIONS.items() if module in loaded for ext in exts)


def inside(root: Path, inner: str, hops: int = 40) -> Path:
    """The host path of ``inner`` as a process chrooted to ``root`` sees it (links followed)."""
    parts = [p for p in inner.split("/") if p]
    current = Path(root)
    while parts and hops > 0:
        part = parts.pop(0)
        candidate = current / part
        if candidate.is_symlink():
            hops -= 1
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = Path(root)
            parts = [p for p in target.split("/") if p] + parts
            continue
        if part == "..":
            current = current.parent if current != Path(root) else current
            continue
        current = candidate
    return current


class SoundFinder:
    """Answers "does Asterisk find this sound?" for one Asterisk and one runtime folder."""

    def __init__(self, install: Install, layout: Layout) -> None:
        self.install = install
        self.own = layout.sounds / NAMESPACE
        self.exts = extensions()
        base = f"{install.data_dir}/sounds"
        folders = [f"{base}/{LANGUAGE}", base]
        if install.chrooted:
            self.folders = [inside(install.root, f) for f in folders]
        else:
            self.folders = [Path(f).resolve() for f in folders]

    def find(self, name: str) -> Path | None:
        """The file Asterisk would play for ``name``, or None."""
        if name.startswith(NAMESPACE + "/"):
            places = [self.own / name[len(NAMESPACE) + 1:]]
        else:
            places = [folder / name for folder in self.folders]
        for place in places:
            for ext in self.exts:
                candidate = place.with_name(f"{place.name}.{ext}")
                if candidate.is_file():
                    return candidate
        return None

    def where(self, name: str) -> str:
        """Where ``name`` was looked for, for a message."""
        if name.startswith(NAMESPACE + "/"):
            return str(self.own)
        return " and ".join(str(f) for f in self.folders)


def link_for_system_asterisk(install: Install, layout: Layout) -> None:
    """A system Asterisk (no sid root, no bind mount) finds ``hotline/...`` through a symbolic link
    ``<astdatadir>/sounds/hotline`` -> the engine's sounds folder, made here (as root, at deploy).
    A real folder of that name is left alone and refused: it is not the engine's."""
    if install.chrooted:
        return
    own = (layout.sounds / NAMESPACE).resolve()
    link = Path(install.data_dir) / "sounds" / NAMESPACE
    if link.is_symlink():
        if Path(os.readlink(link)) == own:
            return
        link.unlink()
    elif link.exists():
        raise AsteriskError(f"{link} exists and is not the engine's link to {own}: move it away so "
                            "Asterisk finds the engine's prompts")
    try:
        link.symlink_to(own, target_is_directory=True)
    except OSError as err:
        raise AsteriskError(f"cannot link {link} to the engine's prompts {own}: {err.strerror} "
                            "(run `ivr asterisk up` as root once)") from None
