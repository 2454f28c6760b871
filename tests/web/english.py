"""English words in text a console user reads: none but the trade's own names, kept as they are."""
from __future__ import annotations

import re

# names the trade writes in Latin letters in Chinese text too (GB/T is a standard's prefix)
ALLOWED = frozenset({"SIP", "IVR", "KPI", "MOS", "CSV", "SHA", "ID", "WAV", "Opus", "OGG", "GB", "T", "MB", "KB",
                     "AMI", "URL", "IP", "YAML", "WebRTC", "Asterisk"})
WORD = re.compile(r"[A-Za-z]{2,}")


DATA = re.compile(r"\S+\.(?:opus|wav|ogg|csv)\b|\b[0-9a-f]*\d[0-9a-f]*\b|\b[0-9a-f]{8,}\b")


def english_words(text: str, names: set[str] = frozenset()) -> set[str]:
    """The words of ``text`` in Latin letters but the allowed ones, file names, digests and ``names``
    (the staff's login names are theirs to choose)."""
    return {w for w in WORD.findall(DATA.sub(" ", text)) if w not in ALLOWED and w not in names}
