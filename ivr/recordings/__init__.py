"""Call recordings: the append-only manifest that vouches for them (:mod:`.manifest`), the
auditor's check (:mod:`.verify`), their length read from the file (:mod:`.length`), what a failed
step leaves behind (:mod:`.leftovers`) and the free space of their file system (:mod:`.space`).

The names used across the engine are re-exported here (``from ivr import recordings``).
"""
from __future__ import annotations

from ivr.recordings.manifest import (IGNORED, LOCK, MANIFEST, Entry, Manifest, ManifestError, Removal, append,
                                     append_removal, digest, read_all, read_manifest, relative_path, removals)
from ivr.recordings.verify import Checked, FlaggedRecording, Report, TicketRecording, check_recording, verify

__all__ = ["IGNORED", "LOCK", "MANIFEST", "Checked", "Entry", "FlaggedRecording", "Manifest", "ManifestError",
           "Removal", "Report", "TicketRecording", "append", "append_removal", "check_recording", "digest",
           "read_all", "read_manifest", "relative_path", "removals", "verify"]
