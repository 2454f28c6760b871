"""A transfer line of an order's history, in the console's words."""
from __future__ import annotations

from ivr.core.agent_phone import TransferKind
from ivr.web import labels


def test_every_transfer_kind_and_field_has_a_label(shipped_rules):
    assert set(labels.TRANSFER_KIND) == {k.value for k in TransferKind}
    assert labels.step("transfer") == "转接部门"
    for key in ("to", "department", "kind", "dialled"):
        assert key in labels.FIELD
    departments = shipped_rules.departments
    assert labels.history_value("department", "justice", departments) == departments["justice"].name_zh
    assert labels.history_value("kind", "threeway", departments) == "三方通话"
    assert labels.history_value("to", "051380002401", departments) == "051380002401"
