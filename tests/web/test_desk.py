"""The desk's form through the app: saved through the process with the user as actor, bad input
answered next to the field with nothing lost, drafts, the deadline before saving, the KB."""
from __future__ import annotations

from web.helpers import NOW, answered, csrf_of, log_in

FORM = {"category": "consultation", "title": "图书馆周一开放吗", "description": "市民问县图书馆周一是否开放",
        "place": "", "outcome": "close", "unit": ""}


def post(client, number, **fields):
    token = csrf_of(client.get(f"/desk/{number}").text)
    return client.post(f"/desk/{number}", data={**FORM, **fields, "csrf": token}, follow_redirects=False)


def test_saving_closes_the_order_on_the_spot_with_the_user_as_actor(client, store):
    number = answered(store).number
    log_in(client, "li")
    response = post(client, number, article="library-hours", actor="someone-else")
    assert response.status_code == 303
    order = store.get(number).order
    assert order.status.value == "closed" and order.title == "图书馆周一开放吗" and order.article == "library-hours"
    assert (order.history[-1].event, order.history[-1].actor) == ("close", "li")
    assert order.history[-1].data["article"] == "library-hours"
    assert "已当场办结" in client.get("/desk").text


def test_dispatch_sets_the_deadline_the_deadline_box_showed(client, store):
    number = answered(store).number
    log_in(client, "li")
    box = client.get(f"/desk/{number}/deadline", params={"category": "complaint", "outcome": "dispatch"})
    assert "2020-06-15 24:00" in box.text  # the end of the 10th working day after Monday 1 June
    urgent = client.get(f"/desk/{number}/deadline", params={"category": "complaint", "urgent": "on",
                                                             "outcome": "dispatch"})
    assert "2020-06-02 10:30" in urgent.text and "紧急" in urgent.text
    assert post(client, number, category="complaint", outcome="dispatch", unit="water").status_code == 303
    order = store.get(number).order
    assert order.status.value == "dispatched" and order.unit == "water"
    assert order.due.strftime("%Y-%m-%d %H:%M") == "2020-06-16 00:00"
    assert order.history[-1].actor == "li"


def test_bad_input_is_answered_next_to_the_field_and_nothing_typed_is_lost(client, store):
    number = answered(store).number
    log_in(client, "li")
    big = "水" * 3000
    response = post(client, number, title="  ", description=big, outcome="dispatch", unit="nowhere")
    assert response.status_code == 422
    assert "请填写标题" in response.text and "最多 2000 字，现在有 3000 字" in response.text
    assert "没有这个承办单位" in response.text and big in response.text
    assert store.get(number).order.status.value == "received"


def test_script_tags_are_stored_as_text_and_escaped_on_output(client, store):
    number = answered(store).number
    log_in(client, "li")
    script = "<script>alert(1)</script>"
    response = post(client, number, title=script, description="")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text and script not in response.text
    post(client, number, title=script)
    assert store.get(number).order.title == script


def test_a_megabyte_description_gets_a_message_and_a_bigger_body_is_413(client, store):
    number = answered(store).number
    log_in(client, "li")
    response = post(client, number, description="a" * 1_000_000)
    assert response.status_code == 422 and "现在有 1000000 字" in response.text
    too_big = post(client, number, description="a" * 3_000_000)
    assert too_big.status_code == 413 and "2 MB" in too_big.text


def test_a_step_the_process_refuses_is_shown_with_the_steps_allowed(client, store):
    number = answered(store).number
    log_in(client, "li")
    token = csrf_of(client.get(f"/desk/{number}").text)
    store.apply(number, "close", "wang", NOW, category="consultation")
    response = client.post(f"/desk/{number}", data={**FORM, "csrf": token})
    assert response.status_code == 409
    assert "当前状态为「当场办结」" in response.text and "现在允许：市民评价" in response.text
    assert FORM["title"] in response.text


def test_the_draft_survives_a_reload_until_the_order_is_saved(client, store):
    number = answered(store).number
    log_in(client, "li")
    token = csrf_of(client.get(f"/desk/{number}").text)
    saved = client.post(f"/desk/{number}/draft", data={"title": "路灯不亮", "description": "三天了"},
                        headers={"X-CSRF-Token": token})
    assert saved.status_code == 200 and "草稿已自动保存" in saved.text
    page = client.get(f"/desk/{number}").text
    assert "路灯不亮" in page and "三天了" in page and "有草稿" in page
    post(client, number)
    assert "有草稿" not in client.get("/desk").text


def test_kb_search_finds_chinese_articles_valid_now_and_the_article_is_linked(client, store):
    number = answered(store).number
    log_in(client, "li")
    found = client.get(f"/desk/{number}/kb", params={"q": "社保卡"}).text
    assert "社会保障卡申领" in found
    assert "汛期" in client.get(f"/desk/{number}/kb", params={"q": "积水"}).text  # valid June to September 2020
    token = csrf_of(client.get(f"/desk/{number}").text)
    chosen = client.post(f"/desk/{number}/article", data={"key": "social-security-card"},
                         headers={"X-CSRF-Token": token})
    assert 'value="social-security-card"' in chosen.text
    assert 'value="social-security-card"' in client.get(f"/desk/{number}").text


def test_the_supervisors_order_page_shows_the_history(client, store):
    number = answered(store).number
    store.apply(number, "close", "li", NOW, category="consultation", title="<b>标题</b>", article="legal-aid")
    log_in(client, "wang")
    page = client.get(f"/orders/{number}").text
    assert "&lt;b&gt;标题&lt;/b&gt;" in page and "法律援助申请条件与办理" in page and "当场办结" in page
    assert number in client.get("/orders").text
