"""Drafts of the work-order form: saved, replaced, bounded, discarded, per order and user."""
from __future__ import annotations

from ivr.store.drafts import MAX_FIELD, DraftStore
from support import at

T0 = at("2020-06-01 10:00")


def test_a_draft_is_kept_per_order_and_user_until_discarded(store):
    drafts = DraftStore(store.engine)
    drafts.save("12345-20200601-000001", "li", {"title": "路灯不亮", "description": "<script>x</script>"}, T0)
    drafts.save("12345-20200601-000001", "li", {"title": "路灯不亮了"}, at("2020-06-01 10:01"))
    drafts.save("12345-20200601-000001", "wang", {"title": "别人的"}, T0)
    fields, saved_at = drafts.get("12345-20200601-000001", "li")
    assert fields == {"title": "路灯不亮了"} and saved_at == at("2020-06-01 10:01")
    assert drafts.numbers("li") == {"12345-20200601-000001"}
    drafts.discard("12345-20200601-000001", "li")
    assert drafts.get("12345-20200601-000001", "li") is None
    assert drafts.get("12345-20200601-000001", "wang")[0] == {"title": "别人的"}


def test_a_pasted_megabyte_is_cut_to_the_draft_limit(store):
    drafts = DraftStore(store.engine)
    drafts.save("12345-20200601-000002", "li", {"description": "水" * 1_000_000}, T0)
    assert len(drafts.get("12345-20200601-000002", "li")[0]["description"]) == MAX_FIELD
