"""The engine's own prompts on disk: made from texts (stand-ins), or added from recordings.

Every sound is what Asterisk plays without transcoding work: WAV, 8 kHz, mono, 16-bit signed
(``format_wav``), normalised to -1 dBFS so nothing clips. A stand-in also loses the silence the
synthesiser puts before and after the words: callers wait for nothing. A manifest beside the sounds
(``manifest.json``) says of each one whether it is a **stand-in** (espeak-ng's Mandarin voice
reading the text in prompts/texts.yaml) or the centre's **recording**, who made or added it,
when, and its SHA-256. ``build`` never replaces a recording; ``add`` replaces anything.

External programs are run with an argument list (no shell), the text on stdin (a text starting
with "-" is not an option), the file by its absolute path (a name like "http://x" is not a URL to
sox), each with a time limit. Anything sox cannot read is refused with its reason.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from ivr.core.rules_model import SOUND
from ivr.prompts.texts import NAMESPACE, PromptError, Wording
from ivr.files import replace_file

RATE, CHANNELS, BITS = 8000, 1, 16
MAX_INPUT_BYTES = 100 * 1024 * 1024
MAX_SECONDS = 300
STAND_IN = "stand-in"
RECORDING = "recording"
TIMEOUT_S = 60
# sox: drop the silence before the first word and after the last one
TRIM_SILENCE = ("silence", "1", "0.05", "0.5%", "reverse", "silence", "1", "0.05", "0.5%", "reverse")


@dataclass(frozen=True)
class Entry:
    name: str
    source: str        # "stand-in" or "recording"
    by: str
    at: str            # ISO time
    sha256: str
    seconds: float
    text: str = ""     # a stand-in's written text
    voice: str = ""    # a stand-in's espeak-ng voice
    original: str = ""  # a recording's file name as given


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if not found:
        raise PromptError(f"{name} is not installed (Debian package {package}): bash tools/install-prompts.sh")
    return found


def _run(argv: list[str], what: str, stdin: bytes | None = None) -> None:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise PromptError(f"{what}: {Path(argv[0]).name} did not finish within {TIMEOUT_S} s") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        raise PromptError(f"{what}: {reason[-1] if reason else f'exit status {done.returncode}'}")


def wav_seconds(path: Path) -> float:
    """Length of a PCM WAV file from its size (the engine's own files have a 44-byte header)."""
    return max(0, path.stat().st_size - 44) / (RATE * CHANNELS * BITS // 8)


def check_name(name: str) -> str:
    """``name`` if it names one of the engine's own sounds (hotline/...), else PromptError."""
    if not name.startswith(NAMESPACE + "/") or not SOUND.match(name) or len(name) > 120:
        raise PromptError(f"{name!r} is not a name for the engine's prompts: {NAMESPACE}/ then letters, "
                          "digits, _ and - (for example hotline/greeting)")
    return name


class PromptLibrary:
    """The folder ``<runtime>/sounds``: ``hotline/<name>.wav`` and ``manifest.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def path_of(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.wav"

    def entries(self) -> dict[str, Entry]:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise PromptError(f"{self.manifest_path}: unreadable ({err}); move it away and run "
                              "`ivr prompts build` again") from None
        return {name: Entry(**fields) for name, fields in data.items()}

    def _save(self, entries: dict[str, Entry]) -> None:
        replace_file(self.manifest_path, json.dumps({n: asdict(e) for n, e in sorted(entries.items())},
                                                    ensure_ascii=False, indent=1))

    def _convert(self, source: Path, name: str, what: str, effects: tuple[str, ...] = ()) -> Path:
        """sox ``source`` into the sound for ``name`` (then ``effects``), atomically; its path."""
        target = self.path_of(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.wav")
        try:
            _run([_tool("sox", "sox"), "-V1", str(source.resolve()), "-r", str(RATE), "-c", str(CHANNELS),
                  "-b", str(BITS), "-e", "signed-integer", str(tmp), *effects, "gain", "-n", "-1"], what)
            seconds = wav_seconds(tmp)
            if seconds <= 0.1:
                raise PromptError(f"{what}: the result holds no sound")
            if seconds > MAX_SECONDS:
                raise PromptError(f"{what}: {seconds:.0f} s long; a prompt may last at most {MAX_SECONDS} s")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def _entry(self, name: str, path: Path, **fields) -> Entry:
        return Entry(name=name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                     seconds=round(wav_seconds(path), 2), **fields)

    def add(self, name: str, recording: Path, by: str, at: datetime) -> Entry:
        """The centre's recording ``recording`` (any format sox reads) as the prompt ``name``."""
        check_name(name)
        recording = Path(recording)
        if not recording.is_file():
            raise PromptError(f"{recording}: no such file")
        if recording.stat().st_size > MAX_INPUT_BYTES:
            raise PromptError(f"{recording}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB")
        path = self._convert(recording, name, f"{recording.name} as {name}")
        entry = self._entry(name, path, source=RECORDING, by=by, at=at.isoformat(),
                            original=recording.name[:200])
        entries = self.entries()
        entries[name] = entry
        self._save(entries)
        return entry

    def build(self, wordings: list[Wording], voice: str, speed: int, by: str, at: datetime,
              force: bool = False) -> list[tuple[str, str]]:
        """Make the stand-ins of ``wordings``: (name, "made" | "kept" | "recording kept").
        A stand-in already made from the same text and voice is kept unless ``force``."""
        espeak = _tool("espeak-ng", "espeak-ng")
        entries = self.entries()
        out: list[tuple[str, str]] = []
        for wording in wordings:
            old = entries.get(wording.name)
            present = self.path_of(wording.name).is_file()
            if old is not None and old.source == RECORDING and present:
                out.append((wording.name, "recording kept"))
                continue
            if (not force and present and old is not None and old.text == wording.written
                    and old.voice == voice):
                out.append((wording.name, "kept"))
                continue
            with tempfile.TemporaryDirectory(prefix="ivr-prompt-") as tmp:
                spoken = Path(tmp) / "spoken.wav"
                _run([espeak, "-v", voice, "-s", str(speed), "-w", str(spoken), "--stdin"],
                     f"espeak-ng for {wording.name}", stdin=wording.spoken.encode("utf-8"))
                path = self._convert(spoken, wording.name, f"stand-in {wording.name}", TRIM_SILENCE)
            entries[wording.name] = self._entry(wording.name, path, source=STAND_IN, by=by,
                                                at=at.isoformat(), text=wording.written, voice=voice)
            out.append((wording.name, "made"))
        self._save(entries)
        return out
