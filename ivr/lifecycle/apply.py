"""Putting a rules version in force everywhere at once, or not at all.

``apply(text, actor, message)``, in order:

1. **check** the text (the rules, then the prompts for this machine's Asterisk): any problem,
   and it is refused;
2. **preflight** every part: each running part must watch the file being replaced (an engine
   started with ``--rules`` elsewhere would not follow), and Asterisk must be able to render the
   version (trunk files, ids). Any "cannot follow", and it is refused. Nothing has changed yet;
3. **record** the version (text, SHA-256, who, when, why) in the database: a database that is
   away refuses the apply, as there would be no trace of it;
4. **replace** the file atomically (a temporary file beside it, fsync, rename): every part sees
   the old file or the new one, never half;
5. **bring every part**: Asterisk reloads what the rules feed (:mod:`.asterisk_part`); the
   routing engine(s), the work-order part and the console reload the file by themselves, and
   each reports the version it holds (:mod:`.parts`), waited for up to ``follow_timeout``;
6. **report** the version each part now holds. If a part did not follow, the old file is put
   back, Asterisk follows it again, the version is marked reverted with the reason, and the
   apply is reported refused: routing never stays split between two versions.

Every outcome, refusals included, is a line of the audit trail. ``rollback(number)`` applies the
text of an older version (by default the one before the version in force) the same way, as a new
version that ``restores`` it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ivr.core.rules import Rules
from ivr.errors import IvrError, RulesError, StoreError
from ivr.lifecycle import parts
from ivr.lifecycle.asterisk_part import AsteriskPart, AsteriskReport
from ivr.lifecycle.candidate import Checked, build_stand_ins, check_candidate
from ivr.logs import get_logger
from ivr.rules_file import digest, read_text, rules_from_text
from ivr.settings import Settings
from ivr.store.rules_versions import RulesVersions, Version
from ivr.files import replace_file

log = get_logger("ivr.lifecycle.apply")
FOLLOW_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Actor:
    """Who does it: the OS account (command line) or the logged-in user (console)."""

    name: str
    source: str   # "cli" | "console"


@dataclass
class PartReport:
    part: str             # routing, work_orders, console, asterisk
    pid: int | None
    state: str            # follows | not running | did not follow | refused
    sha256: str = ""
    detail: str = ""

    def to_dict(self) -> dict:
        return {"part": self.part, "pid": self.pid, "state": self.state, "sha256": self.sha256,
                "detail": self.detail}


@dataclass
class Outcome:
    ok: bool
    action: str
    sha256: str = ""
    version: Version | None = None
    reason: str = ""
    checked: Checked | None = None
    parts: list[PartReport] = field(default_factory=list)
    reverted: bool = False

    def to_dict(self) -> dict:
        return {"ok": self.ok, "action": self.action, "sha256": self.sha256,
                "version": self.version.to_dict() if self.version else None, "reason": self.reason,
                "reverted": self.reverted, "parts": [p.to_dict() for p in self.parts],
                "check": self.checked.to_dict() if self.checked else None}


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a temporary file in the same folder, fsynced, renamed over
    it, and the folder fsynced; the file keeps its permission bits."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o640
    replace_file(path, text, mode=mode, durable=True)


class Lifecycle:
    """The rules file of ``settings`` and every part that follows it."""

    def __init__(self, settings: Settings, versions: RulesVersions, clock: Callable[[], datetime],
                 trunks: Path, follow_timeout: float = FOLLOW_TIMEOUT_S) -> None:
        self.settings, self.versions, self.clock = settings, versions, clock
        self.path = Path(settings.rules_path)
        self.asterisk = AsteriskPart(settings, trunks)
        self.follow_timeout = follow_timeout

    # --- what is in force -----------------------------------------------------------------------

    def in_force(self) -> tuple[str, Rules]:
        """The text and rules every part loads: the file, recorded as a version if it is not one
        yet (a hand edit no engine saw). RulesError when the file itself is broken."""
        text = read_text(self.path)
        rules = rules_from_text(text, str(self.path))
        self.versions.record_disk_edit(text, self.clock())
        return text, rules

    def check(self, text: str, name: str) -> Checked:
        return check_candidate(text, name, self.settings)

    def status(self) -> list[PartReport]:
        """The version each running part holds now (Asterisk's read from Asterisk itself), against
        the file in force: "follows" it, or "holds another version"."""
        try:
            current = self.in_force()[1]
        except RulesError:
            current = None
        reports = [PartReport(p.part, p.pid, "follows" if current and p.sha256 == current.sha256
                              else "holds another version", p.sha256, p.last_error or "")
                   for p in parts.running(self.settings.data_dir)]
        reports.append(_asterisk_report(self.asterisk.status(current)))
        return reports

    # --- apply and roll back --------------------------------------------------------------------

    def rollback(self, number: int | None, actor: Actor, message: str = "") -> Outcome:
        """Put the text of version ``number`` (default: the one before the version in force) back
        in force, as a new version."""
        if number is None:
            current = self.versions.in_force()
            history = [v for v in self.versions.history(1000) if v.reverted_at is None]
            older = [v for v in history if current is None or (v.number < current.number and v.sha256 != current.sha256)]
            if not older:
                raise IvrError("there is no earlier version to roll back to (`ivr rules history`)")
            number = older[0].number
        version, text = self.versions.get(number)
        why = message or f"roll back to version {number}"
        return self.apply(text, actor, why, action="rollback", restores=version.number,
                          name=f"version {number}")

    def apply(self, text: str, actor: Actor, message: str, *, action: str = "apply",
              restores: int | None = None, name: str = "the new rules") -> Outcome:
        """Check, preflight, record, replace and bring every part to ``text`` (see the module)."""
        now = self.clock()
        checked = self.check(text, name)
        sha = digest(text)
        if not checked.ok:
            return self._refuse(actor, action, sha, message, f"{len(checked.problems)} problem(s) in {name}",
                                checked, detail={"problems": [str(p) for p in checked.problems]})
        new = checked.rules
        unmade = build_stand_ins(checked, self.settings, by=actor.name)
        if unmade:
            return self._refuse(actor, action, sha, message, unmade, checked)
        try:
            old_text = read_text(self.path)
            old = rules_from_text(old_text, str(self.path))
        except RulesError:
            old_text, old = None, None
        if old is not None:  # the file being replaced is in the history too (a hand edit nobody saw)
            try:
                self.versions.record_disk_edit(old_text, now)
            except StoreError as err:
                return Outcome(False, action, sha, reason=f"the database is unavailable, so nothing was "
                               f"changed: {err}", checked=checked)
        if old is not None and old.sha256 == sha:
            return self._refuse(actor, action, sha, message, "this text is already the file in force: "
                                "nothing to apply", checked)
        why_not = self._preflight(new)
        if why_not:
            return self._refuse(actor, action, sha, message, "; ".join(why_not), checked)
        watched = parts.running(self.settings.data_dir)
        try:
            version = self.versions.add(text, author=actor.name, source=actor.source, action=action,
                                        message=message, now=now, restores=restores)
        except StoreError as err:
            return Outcome(False, action, sha, reason=f"the version cannot be recorded, so nothing was "
                           f"changed: {err}", checked=checked)
        write_atomically(self.path, text)
        log.info("rules.file_replaced", version=version.number, sha256=sha, actor=actor.name)
        reports = self._bring(new, watched)
        failed = [r for r in reports if r.state not in ("follows", "not running")]
        if failed and old is not None:
            return self._revert(version, old_text, old, watched, failed, actor, action, message, checked)
        outcome = Outcome(not failed, action, sha, version=version, checked=checked, parts=reports,
                          reason="not every part followed, and the previous file was broken, so the new "
                          "one stays in force" if failed else "")
        self.versions.audit(actor.name, action, "failed" if failed else "ok", self.clock(), sha256=sha,
                            version=version.number, message=message,
                            detail={"parts": [r.to_dict() for r in reports], "restores": restores})
        return outcome

    # --- the steps ------------------------------------------------------------------------------

    def _refuse(self, actor: Actor, action: str, sha: str, message: str, reason: str,
                checked: Checked | None, detail: dict | None = None) -> Outcome:
        log.info("rules.refused", action=action, reason=reason, actor=actor.name)
        try:
            self.versions.audit(actor.name, action, "refused", self.clock(), sha256=sha, message=message,
                                detail={"reason": reason, **(detail or {})})
        except StoreError as err:
            reason += f" (and the refusal could not be written to the audit trail: {err})"
        return Outcome(False, action, sha, reason=reason, checked=checked)

    def _preflight(self, new: Rules) -> list[str]:
        why_not = []
        watched = str(self.path.resolve())
        for part in parts.running(self.settings.data_dir):
            if part.rules_path != watched:
                why_not.append(f"the {part.part} part (pid {part.pid}) follows {part.rules_path}, not "
                               f"{watched}: it would not follow")
        return why_not + self.asterisk.preflight(new)

    def _bring(self, new: Rules, watched: list[parts.PartStatus]) -> list[PartReport]:
        reports = [_asterisk_report(self.asterisk.follow(new))]
        return self._wait_for(new.sha256, watched) + reports

    def _wait_for(self, sha: str, watched: list[parts.PartStatus]) -> list[PartReport]:
        """Wait until each part of ``watched`` reports ``sha`` (or ``follow_timeout`` passes)."""
        deadline = time.monotonic() + self.follow_timeout
        pending = {(p.part, p.pid) for p in watched}
        held: dict[tuple[str, int], parts.PartStatus] = {}
        while pending and time.monotonic() < deadline:
            now = {(p.part, p.pid): p for p in parts.running(self.settings.data_dir)}
            for key in list(pending):
                status = now.get(key)
                if status is None:
                    pending.discard(key)
                elif status.sha256 == sha:
                    held[key] = status
                    pending.discard(key)
            time.sleep(0.1)
        reports = []
        for part in watched:
            key = (part.part, part.pid)
            if key in held:
                reports.append(PartReport(part.part, part.pid, "follows", sha))
            elif key in pending:
                latest = next((p for p in parts.running(self.settings.data_dir) if (p.part, p.pid) == key), part)
                reports.append(PartReport(part.part, part.pid, "did not follow", latest.sha256,
                                          latest.last_error or f"still holds {latest.sha256[:12]} after "
                                          f"{self.follow_timeout:g} s"))
            else:
                reports.append(PartReport(part.part, part.pid, "not running", "", "stopped meanwhile"))
        return reports

    def _revert(self, version: Version, old_text: str, old: Rules, watched, failed,
                actor: Actor, action: str, message: str, checked: Checked) -> Outcome:
        why = "; ".join(f"{r.part}{f' (pid {r.pid})' if r.pid else ''} {r.state}: {r.detail}" for r in failed)
        log.error("rules.reverting", version=version.number, why=why)
        # marked first: the parts' recorders then see the old text as the version in force again
        self.versions.mark_reverted(version.number, why, self.clock())
        write_atomically(self.path, old_text)
        back = self._bring(old, watched)
        reason = f"not every part could follow, so the previous file was put back: {why}"
        self.versions.audit(actor.name, action, "failed", self.clock(), sha256=version.sha256,
                            version=version.number, message=message,
                            detail={"reason": reason, "parts": [r.to_dict() for r in back]})
        return Outcome(False, action, version.sha256, version=version, reason=reason, checked=checked,
                       parts=back, reverted=True)


def _asterisk_report(report: AsteriskReport) -> PartReport:
    if not report.running:
        return PartReport("asterisk", None, "not running", "", "renders the version in force when it starts")
    agents = [e for e in report.endpoints if e not in ("carrier", "departments")]
    detail = (f"{len(report.queues)} queues, {len(agents)} agents' endpoints"
              + (f"; {', '.join(report.moves)}" if report.moves else ""))
    if not report.ok:
        return PartReport("asterisk", None, "did not follow", report.sha256, "; ".join(report.problems))
    return PartReport("asterisk", None, "follows", report.sha256, detail)
