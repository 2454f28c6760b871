"""Who sees what: admins see citizens' numbers masked, supervisors and auditors whole; every
opening of an order by staff is written to the access log (who, when, from where, which order)."""
from __future__ import annotations

import json

from ivr.access_log import log_path
from web.helpers import NOW, PASSWORD, answered, csrf_of, log_in

CALLER = "13905130077"


def _journal(app) -> list[dict]:
    path = log_path(app.state.console.settings.data_dir)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_an_admin_sees_numbers_masked_a_supervisor_whole(client, users, store):
    number = answered(store, caller=CALLER).number
    users.add("sun", "admin", PASSWORD, NOW)
    log_in(client, "sun")
    for path in ("/orders", f"/orders/{number}"):
        page = client.get(path).text
        assert CALLER not in page and "139****0077" in page, path
    client.post("/logout", data={"csrf": csrf_of(client.get("/orders").text)})
    log_in(client, "wang")
    assert CALLER in client.get(f"/orders/{number}").text


def test_every_opening_of_an_order_is_in_the_access_log(client, store, app):
    mine = answered(store, caller=CALLER).number
    log_in(client, "li")
    client.get(f"/desk/{mine}")
    client.post("/logout", data={"csrf": csrf_of(client.get("/desk").text)})
    log_in(client, "wang")
    client.get(f"/orders/{mine}")
    entries = [(e["user"], e["action"], e["what"], e["address"]) for e in _journal(app)]
    assert entries == [("li", "order", mine, "testclient"), ("wang", "order", mine, "testclient")]
