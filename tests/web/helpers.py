"""Helpers of the console tests: the test clock, log in, take an order in as the AMI listener does."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from support import at

NOW = at("2020-06-01 10:30")
PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf": token},
                       follow_redirects=False)


def answered(store, n: int = 1, agent: str = "agent1", caller: str = "13905130001"):
    """An order taken in as the AMI listener does when ``agent`` answers."""
    ticket, _ = store.create_ticket_for_answer(f"1717000000.{n}", at=at("2020-06-01 10:00"), line="051380000401",
                                               department="water", mode="dedicated", caller=caller,
                                               queue="seat_water", agent=agent)
    return ticket
