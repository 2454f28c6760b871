"""Staff accounts: Argon2 password hashes, roles, disabling, and failed logins per user/address.

The console and ``ivr users`` both go through :class:`UserStore`. The rules (roles, names,
throttle arithmetic) are pure, in :mod:`ivr.core.staff`; this module keeps their state in the
ticket database, so a restart neither forgets a throttled address nor revives a disabled user.

``session_epoch`` grows whenever a password changes or a user is disabled, and the user's open
sessions on the server end in the same transaction (:mod:`ivr.store.console_sessions`).

Logging in is throttled per address, per name from that address, and per name from anywhere
*except* the addresses the person usually logs in from: a stranger who knows a login name slows
down every guess at it, but cannot keep its owner out of their own desk. The Argon2 check runs
outside any write transaction (on SQLite every transaction takes the writer's lock), and the
failures that no longer count are pruned as new ones are written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from ivr.core import staff
from ivr.core.staff import Role
from ivr.errors import AccountError, LoginRefused
from ivr.logs import get_logger
from ivr.store.console_sessions import ConsoleSessions, end_all
from ivr.store.models import LoginFailureRow, UserRow
from ivr.store.sessions import session_of, transaction

REFUSED = "登录名或密码不正确"  # the same words whether the name or the password was wrong


@dataclass(frozen=True)
class User:
    """A member of staff as the console sees them (never the hash)."""

    id: int
    name: str
    role: Role
    phone: str | None
    disabled: bool
    session_epoch: int


class UserStore:
    """Staff accounts in the ticket database."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash("a password nobody has")  # equal work for unknown names
        self._log = get_logger("ivr.users")
        self.sessions = ConsoleSessions(engine)

    def add(self, name: str, role: str, password: str, now: datetime, phone: str | None = None,
            agents: set[str] | None = None) -> User:
        """A new account. An agent must be bound to a phone, one of ``agents`` when given."""
        role_ = _role(role)
        _check(staff.name_problem(name))
        _check(staff.password_problem(password))
        phone = (phone or "").strip() or None
        if role_ is Role.AGENT and phone is None:
            raise AccountError(f"agent {name!r} needs --phone: the agent id of the seat's phone "
                               f"(one of {', '.join(sorted(agents or [])) or 'the agents in the rules'})")
        if phone is not None and agents is not None and phone not in agents:
            raise AccountError(f"phone {phone!r} is not an agent in the rules; "
                               f"agents are: {', '.join(sorted(agents))}")
        row = UserRow(name=name, role=role_.value, phone=phone, password_hash=self._hasher.hash(password),
                      disabled=False, session_epoch=1, created_at=now, password_changed_at=now)
        try:
            with self._transaction() as session:
                session.add(row)
                session.flush()
        except IntegrityError:
            raise AccountError(f"a user named {name!r} already exists") from None
        self._log.info("user.added", user=name, role=role_.value, phone=phone)
        return _user(row)

    def set_password(self, name: str, password: str, now: datetime) -> User:
        """A new password; sessions signed before it stop working."""
        _check(staff.password_problem(password))
        with self._transaction() as session:
            row = _row(session, name)
            row.password_hash = self._hasher.hash(password)
            row.password_changed_at, row.session_epoch = now, row.session_epoch + 1
            ended = end_all(session, name, now, "password")
            self._log.info("user.password", user=name, sessions_ended=ended)
            return _user(row)

    def disable(self, name: str, now: datetime | None = None) -> User:
        """The user can no longer log in, and their live sessions stop at the next request."""
        with self._transaction() as session:
            row = _row(session, name)
            row.disabled, row.session_epoch = True, row.session_epoch + 1
            ended = end_all(session, name, now or row.password_changed_at, "disabled")
            self._log.info("user.disabled", user=name, sessions_ended=ended)
            return _user(row)

    def list(self) -> list[User]:
        with self._transaction() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]

    def get(self, name: str) -> User | None:
        with self._transaction() as session:
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            return None if row is None else _user(row)

    def active(self, name: str, epoch: int) -> User | None:
        """The user a session names, if they are still allowed in with that session."""
        user = self.get(name)
        if user is None or user.disabled or user.session_epoch != epoch:
            return None
        return user

    def session_user(self, token: str, now: datetime) -> User | None:
        """The user of the console session ``token``, if it is open and they may still use it."""
        row = self.sessions.user_row(token, now)
        return None if row is None else _user(row)

    def authenticate(self, name: str, password: str, address: str, now: datetime) -> User:
        """The user, if ``password`` is theirs and no throttle applies to this attempt.

        Raises :class:`LoginRefused` (with ``wait_seconds`` when throttled). A failure counts
        against the address, the name from that address and the name; a success clears the
        name's counts. The name's own count is not applied from the person's usual addresses.
        """
        keys = staff.throttle_keys(name, address)
        usual = self.sessions.usual_address(name, address, now)
        with session_of(self._sessions, "staff") as session:  # reads only: no writer's lock held
            counts = {k: session.get(LoginFailureRow, k) for k in keys}
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
        applied = [k for k in keys if not (usual and k == keys[-1])]
        wait = max(staff.blocked_for(r.failures, r.last_failure_at, now) if (r := counts[k]) else 0
                   for k in applied)
        if wait:
            self._log.warning("login.throttled", user=name, address=address, wait=wait)
            raise LoginRefused(f"登录失败次数过多，请 {wait} 秒后再试", wait_seconds=wait)
        if self._verify(row, password) and row is not None and not row.disabled:
            with self._transaction() as session:
                session.execute(delete(LoginFailureRow).where(LoginFailureRow.key.in_(keys[1:])))
            self._log.info("login.ok", user=name, address=address)
            return _user(row)
        with self._transaction() as session:
            for key in keys:
                failure = session.get(LoginFailureRow, key)
                if failure is None:
                    session.add(LoginFailureRow(key=key, failures=1, last_failure_at=now))
                else:
                    failure.failures = staff.failures_now(failure.failures, failure.last_failure_at, now) + 1
                    failure.last_failure_at = now
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.last_failure_at < now - staff.FORGET_AFTER))
        self._log.warning("login.refused", user=name, address=address)
        raise LoginRefused(REFUSED)

    def prune_failures(self, now: datetime) -> int:
        """Remove the failed logins that no longer count; returns how many."""
        with self._transaction() as session:
            result = session.execute(delete(LoginFailureRow).where(
                LoginFailureRow.last_failure_at < now - staff.FORGET_AFTER))
            return result.rowcount or 0

    def _verify(self, row: UserRow | None, password: str) -> bool:
        if len(password) > staff.MAX_PASSWORD:
            return False
        try:
            return self._hasher.verify(row.password_hash if row else self._dummy, password) and row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _transaction(self):
        return transaction(self._sessions, "staff")


def _role(text: str) -> Role:
    try:
        return staff.parse_role(text)
    except ValueError as err:
        raise AccountError(str(err)) from None


def _check(problem: str | None) -> None:
    if problem:
        raise AccountError(problem)


def _row(session, name: str) -> UserRow:
    row = session.scalars(select(UserRow).where(UserRow.name == name).with_for_update()).one_or_none()
    if row is None:
        raise AccountError(f"no user named {name!r} (ivr users list shows them)")
    return row


def _user(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=Role(row.role), phone=row.phone, disabled=bool(row.disabled),
                session_epoch=row.session_epoch)
