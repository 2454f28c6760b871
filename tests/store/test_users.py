"""Staff accounts on SQLite and PostgreSQL: Argon2 hashes, roles, disabling, login throttling."""
from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from ivr.core.staff import Role
from ivr.errors import AccountError, LoginRefused
from ivr.store.models import UserRow
from ivr.store.users import REFUSED, UserStore
from support import at

T0 = at("2020-06-01 10:00")
AGENTS = {"agent1", "agent2"}
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def users(store) -> UserStore:
    return UserStore(store.engine, FAST)


def test_an_agent_is_added_with_a_hashed_password_and_a_phone(users, store):
    user = users.add("li.wei", "agent", "correct horse battery", T0, phone="agent1", agents=AGENTS)
    assert (user.role, user.phone, user.disabled) == (Role.AGENT, "agent1", False)
    with store.engine.connect() as connection:
        stored = connection.scalar(select(UserRow.password_hash))
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert users.authenticate("li.wei", "correct horse battery", "127.0.0.1", T0).name == "li.wei"


@pytest.mark.parametrize("args, message", [
    (("x", "agent", "long enough pw"), "needs --phone"),
    (("x", "agent", "long enough pw", "agent9"), "not an agent in the rules"),
    (("x", "boss", "long enough pw"), "unknown role 'boss'"),
    (("x", "supervisor", "short"), "at least 10"),
    (("张三", "supervisor", "long enough pw"), "login name"),
])
def test_bad_accounts_are_refused_with_the_reason(users, args, message):
    name, role, password, *phone = args
    with pytest.raises(AccountError, match=message):
        users.add(name, role, password, T0, phone=phone[0] if phone else None, agents=AGENTS)


def test_a_name_is_taken_once(users):
    users.add("wang", "supervisor", "long enough pw", T0)
    with pytest.raises(AccountError, match="already exists"):
        users.add("wang", "auditor", "another long pw", T0)


def test_wrong_password_and_unknown_name_get_the_same_words(users):
    users.add("wang", "supervisor", "long enough pw", T0)
    for name, password in (("wang", "wrong password"), ("nobody", "long enough pw")):
        with pytest.raises(LoginRefused) as refused:
            users.authenticate(name, password, "10.0.0.1", T0)
        assert str(refused.value) == REFUSED and refused.value.wait_seconds == 0


def test_five_failures_then_even_the_right_password_waits(users):
    users.add("wang", "supervisor", "long enough pw", T0)
    for n in range(5):
        with pytest.raises(LoginRefused):
            users.authenticate("wang", "wrong password", "10.0.0.1", T0 + timedelta(seconds=n))
    with pytest.raises(LoginRefused) as refused:
        users.authenticate("wang", "long enough pw", "10.0.0.2", T0 + timedelta(seconds=10))
    assert 0 < refused.value.wait_seconds <= 30
    # A restart does not forget: a new store on the same database still throttles.
    again = UserStore(users._sessions.kw["bind"], FAST)
    with pytest.raises(LoginRefused):
        again.authenticate("wang", "long enough pw", "10.0.0.2", T0 + timedelta(seconds=11))
    assert again.authenticate("wang", "long enough pw", "10.0.0.2", T0 + timedelta(seconds=40)).name == "wang"


def test_one_address_trying_many_names_is_throttled_too(users):
    users.add("wang", "supervisor", "long enough pw", T0)
    for n in range(5):
        with pytest.raises(LoginRefused):
            users.authenticate(f"guess{n}", "whatever pw", "10.9.9.9", T0)
    with pytest.raises(LoginRefused) as refused:
        users.authenticate("wang", "long enough pw", "10.9.9.9", T0 + timedelta(seconds=1))
    assert refused.value.wait_seconds > 0
    assert users.authenticate("wang", "long enough pw", "10.0.0.3", T0 + timedelta(seconds=1))


def test_disable_and_passwd_end_sessions_signed_before(users):
    user = users.add("wang", "supervisor", "long enough pw", T0)
    assert users.active("wang", user.session_epoch) is not None
    changed = users.set_password("wang", "a new long password", T0)
    assert users.active("wang", user.session_epoch) is None
    assert users.active("wang", changed.session_epoch) is not None
    users.disable("wang")
    assert users.active("wang", changed.session_epoch) is None
    with pytest.raises(LoginRefused):
        users.authenticate("wang", "a new long password", "10.0.0.1", T0)
    assert [u.disabled for u in users.list()] == [True]


def test_a_stranger_cannot_lock_a_person_out_of_their_usual_address(users):
    users.add("wang", "supervisor", "long enough pw", T0)
    users.sessions.open("wang", 1, "10.0.0.7", T0)          # wang's desk: logged in from there before
    for n in range(8):                                       # a stranger who knows the name
        with pytest.raises(LoginRefused):
            users.authenticate("wang", "a wrong guess", "10.6.6.6", T0 + timedelta(seconds=n))
    with pytest.raises(LoginRefused) as refused:             # the stranger is slowed down
        users.authenticate("wang", "another guess", "10.6.6.6", T0 + timedelta(seconds=9))
    assert refused.value.wait_seconds > 0
    with pytest.raises(LoginRefused) as elsewhere:           # and so is the name from a new address
        users.authenticate("wang", "long enough pw", "10.5.5.5", T0 + timedelta(seconds=9))
    assert elsewhere.value.wait_seconds > 0
    assert users.authenticate("wang", "long enough pw", "10.0.0.7", T0 + timedelta(seconds=10)).name == "wang"


def test_failed_logins_that_no_longer_count_are_pruned(users):
    from ivr.store.models import LoginFailureRow
    from sqlalchemy import func, select

    for n in range(20):
        with pytest.raises(LoginRefused):
            users.authenticate(f"guess{n}", "whatever pw", f"10.1.0.{n}", T0)
    with users._sessions() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailureRow)) == 60
    with pytest.raises(LoginRefused):
        users.authenticate("late", "whatever pw", "10.2.0.1", T0 + timedelta(hours=2))
    with users._sessions() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailureRow)) == 3
    assert users.prune_failures(T0 + timedelta(hours=4)) == 3


def test_the_password_check_holds_no_write_lock(store_url, users):
    """On SQLite every transaction takes the writer's lock: the Argon2 check must run outside one,
    or anonymous logins hold every other writer up."""
    if not store_url.startswith("sqlite"):
        pytest.skip("the writer's lock is SQLite's")
    import sqlite3

    users.add("wang", "supervisor", "long enough pw", T0)
    path = store_url.removeprefix("sqlite:///")
    seen: list[str] = []

    class Watching:
        def __init__(self, inner) -> None:
            self.inner = inner

        def verify(self, stored, password):
            other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                seen.append("free")
            except sqlite3.OperationalError as err:
                seen.append(str(err))
            finally:
                other.close()
            return self.inner.verify(stored, password)

    users._hasher = Watching(users._hasher)
    users.authenticate("wang", "long enough pw", "10.0.0.1", T0)
    with pytest.raises(LoginRefused):
        users.authenticate("wang", "wrong password", "10.0.0.1", T0)
    assert seen == ["free", "free"]


def test_passwd_and_disable_end_the_sessions_held_on_the_server(users):
    user = users.add("wang", "supervisor", "long enough pw", T0)
    token = users.sessions.open("wang", user.session_epoch, "10.0.0.1", T0)
    assert users.session_user(token, T0).name == "wang"
    assert users.sessions.end(token, T0) and users.session_user(token, T0) is None
    token = users.sessions.open("wang", user.session_epoch, "10.0.0.1", T0)
    changed = users.set_password("wang", "a new long password", T0)
    assert users.session_user(token, T0) is None
    token = users.sessions.open("wang", changed.session_epoch, "10.0.0.1", T0)
    users.disable("wang", T0)
    assert users.session_user(token, T0) is None
    assert users.session_user(users.sessions.open("wang", 99, "10.0.0.1", T0), T0) is None
    assert users.session_user(token, T0 + timedelta(hours=13)) is None
    assert users.sessions.prune(T0 + timedelta(days=31)) == 4
