"""One exception tree for the whole engine, each error carrying its context.

    IvrError                      anything the engine refuses or cannot do
    ├── RulesError                routing_rules.yaml is unreadable or invalid (carries every Problem)
    ├── AgiError                  an AGI conversation went wrong
    │   ├── AgiProtocolError      the peer sent something that is not AGI (bad header, too big, not UTF-8)
    │   ├── AgiTimeout            the peer went silent past the deadline
    │   └── AgiHangup             the caller hung up while a script was running
    ├── TicketError               a work order operation was refused
    │   ├── TicketNotFound        no ticket with that number
    │   └── InvalidTransition     the process does not allow that step from the ticket's state
    ├── StoreError                the database cannot be reached or migrated
    │   └── SchemaTooNew          the database was migrated by a newer engine than this one
    ├── AsteriskError             Asterisk could not be installed, started, stopped or reached
    ├── ClusterError              a cluster's layout is unusable, or its lab cannot be built or reached
    ├── SettingsError             an IVR_* setting holds a value it may not hold (names it)
    ├── AccountError              a staff account cannot be added or changed as asked
    │   └── LoginRefused          a login was refused (wrong name or password, disabled, throttled)
    ├── KnowledgeBaseError        a knowledge-base file cannot be read or imported
    ├── QualityError              a quality-inspection score sheet or a score is not valid (names it)
    ├── AuditError                the recordings' access log cannot be written or read
    └── BackupError               a backup cannot be taken, checked or restored as asked

Command-line entry points catch IvrError and print its message: no traceback reaches a user.
"""
from __future__ import annotations


class IvrError(Exception):
    """Base of every error the engine raises on purpose."""


class RulesError(IvrError):
    """routing_rules.yaml cannot be used; ``problems`` lists every reason, each with its line."""

    def __init__(self, path: str, problems: list) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s)\n{lines}")


class AgiError(IvrError):
    """An AGI conversation failed."""


class AgiProtocolError(AgiError):
    """The peer did not speak AGI: malformed, oversized or undecodable input."""


class AgiTimeout(AgiError):
    """The peer was silent longer than the deadline allows."""


class AgiHangup(AgiError):
    """The channel hung up while the script was still talking to it."""


class TicketError(IvrError):
    """A work-order operation was refused."""


class TicketNotFound(TicketError):
    """No work order carries that number."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"no work order numbered {number!r}")


class InvalidTransition(TicketError):
    """The work-order process does not allow this step from the order's current state."""

    def __init__(self, number: str, state: str, event: str, allowed: list[str]) -> None:
        self.number, self.state, self.event, self.allowed = number, state, event, allowed
        hint = ", ".join(allowed) if allowed else "none (the order is closed)"
        super().__init__(
            f"work order {number}: cannot {event} while it is {state}; allowed now: {hint}"
        )


class StoreError(IvrError):
    """The ticket database cannot be reached, created or migrated."""


class SchemaTooNew(StoreError):
    """The database's schema is at a revision this code does not ship (a newer engine migrated
    it): the code refuses to use it rather than write into tables it does not know."""

    def __init__(self, where: str, found: str, head: str) -> None:
        self.where, self.found, self.head = where, found, head
        super().__init__(
            f"the database at {where} is at schema revision {found}, which this code does not know "
            f"(its newest is {head}): a newer version of the engine migrated it. Run that version "
            f"(or newer) again, or restore the database copied before its upgrade "
            f"(<IVR_DATA_DIR>/backups/pre-upgrade/, or `ivr restore` of a backup taken before it); "
            f"do not migrate it down by hand")


class TimeFormatError(IvrError):
    """A time written in a form ISO 8601 does not read (:func:`ivr.clock.parse_time`); the
    message names where it was written (an option, a field, a variable) and shows an example."""


class SettingsError(IvrError):
    """An ``IVR_*`` setting cannot be used: names the variable, its value and what it may hold."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        self.name, self.value, self.expected = name, value, expected
        super().__init__(f"{name}={value[:80]!r} is not valid: expected {expected}")


class AsteriskError(IvrError):
    """Asterisk could not be installed, started, stopped or reached."""


class ClusterError(IvrError):
    """trunks/cluster.yaml cannot be used (every problem with its line), or the cluster's lab
    (namespaces, Kamailio, the nodes) cannot be built, reached or taken down."""


class AccountError(IvrError):
    """A staff account cannot be added or changed as asked (bad name, role, phone, password)."""


class LoginRefused(AccountError):
    """A login was refused. ``wait_seconds`` > 0 when failed attempts made it wait (throttled);
    the message never says whether the name or the password was wrong."""

    def __init__(self, message: str, wait_seconds: int = 0) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(message)


class KnowledgeBaseError(IvrError):
    """A knowledge-base file cannot be read or imported; the message names the file."""


class QualityError(IvrError):
    """A quality-inspection score sheet or a score cannot be used; the message names the criterion."""


class AuditError(IvrError):
    """The recordings' access log cannot be written or read (which file, why)."""


class BackupError(IvrError):
    """A backup cannot be taken, checked or restored as asked: which folder or file, and why."""
