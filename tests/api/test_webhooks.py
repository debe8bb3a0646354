"""Webhooks, the delivery log and notifications over real HTTP."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from api.extensions import db
from engine import clock
from engine.db import make_sessionmaker
from engine.notifications import notify
from engine.outbox import deliver_due
from engine.subscriptions import STATUS_EVENTS, CaseSubscription, publish_case_events
from tests.api.test_closed_loop_flow import file_and_dispatch, report
from tests.engine.test_outbox import WebhookReceiver, clear_outbox_tables

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _empty_outbox(app):
    clear_outbox_tables(app)
    yield
    clear_outbox_tables(app)


def publish_in_a_command(app, case: dict, *events: dict) -> int:
    """What the engine does at the end of a command: publish its events in the command's transaction."""
    with app.app_context():
        queued = publish_case_events(db.session.connection(), case_id=case["id"], case_no=case["case_no"],
                                     started_by=case["started_by"], events=list(events))
        db.session.commit()
    return queued


def stage_changed(case: dict, to: str) -> dict:
    return dict(instance_id=case["id"], task_id=None, node_id=None, type="case.stage_changed", actor="zbz",
                at=clock.now(), data={"from": case["stage"], "to": to})


def test_a_webhook_failing_twice_is_retried_and_delivered_once_with_a_valid_signature(api, app, virtual_clock):
    with app.app_context():
        sessions = make_sessionmaker(db.engine)
    with WebhookReceiver(secret=None, fail_first=2) as receiver:
        case = report(api)
        subscription = api("jdy").ok("POST", f"/cases/{case['case_no']}/subscriptions", 201,
                                     json={"url": receiver.url})
        receiver.secret = subscription["secret"]  # shown once: the subscriber keeps it to verify
        assert subscription["event_types"] == list(STATUS_EVENTS)
        assert publish_in_a_command(app, case, stage_changed(case, "dispatch")) == 1

        assert deliver_due(sessions) == 1  # HTTP 500
        virtual_clock.advance(dt.timedelta(seconds=10))
        assert deliver_due(sessions) == 1  # HTTP 500
        virtual_clock.advance(dt.timedelta(seconds=29))
        assert deliver_due(sessions) == 0  # the second backoff (30 s) has not passed
        virtual_clock.advance(dt.timedelta(seconds=1))
        assert deliver_due(sessions) == 1  # accepted
        virtual_clock.advance(dt.timedelta(hours=12))
        assert deliver_due(sessions) == 0  # nothing left

    assert len(receiver.requests) == 3 and len(receiver.accepted) == 1
    assert all(r["verified"] for r in receiver.requests)
    assert len({r["headers"]["X-Citybpm-Delivery"] for r in receiver.requests}) == 1  # one message, retried
    delivered = json.loads(receiver.accepted[0]["body"])
    assert delivered["type"] == "case.stage_changed" and delivered["case_no"] == case["case_no"]
    assert delivered["data"] == {"from": "file", "to": "dispatch"}
    assert delivered["subscription_id"] == subscription["id"]

    log = api("admin").ok("GET", "/deliveries", params={"case_no": case["case_no"]})
    assert [(a["attempt_no"], a["ok"], a["status_code"]) for a in log] == [(3, True, 204), (2, False, 500),
                                                                           (1, False, 500)]
    assert {a["message_status"] for a in log} == {"delivered"}
    assert {a["target"] for a in log} == {receiver.url}
    assert "secret" not in json.dumps(log)
    failed_only = api("admin").ok("GET", "/deliveries", params={"case_no": case["case_no"], "ok": "false"})
    assert [a["attempt_no"] for a in failed_only] == [2, 1]


def test_a_case_driven_through_the_api_reports_its_status_changes_to_subscribers(api, app):
    with app.app_context():
        sessions = make_sessionmaker(db.engine)
    with WebhookReceiver(secret=None) as receiver:
        case_no = report(api)["case_no"]
        mine = api("jdy").ok("POST", "/subscriptions", 201, json={"url": receiver.url})  # every case I start
        receiver.secret = mine["secret"]
        other = report(api)["case_no"]  # started after subscribing: its case.started is published too
        file_and_dispatch(api, case_no)
        while deliver_due(sessions):
            pass

    history = api("zbz").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
    # everything after case.started, which happened before the subscription existed
    expected = [(case_no, e["type"], e["data"]) for e in history
                if e["type"] in STATUS_EVENTS and e["type"] != "case.started"]
    assert any(t == "case.stage_changed" for _, t, _ in expected)
    received = [json.loads(r["body"]) for r in receiver.requests]
    assert [(b["case_no"], b["type"], b["data"]) for b in received if b["case_no"] == case_no] == expected
    assert [b["type"] for b in received if b["case_no"] == other] == ["case.started"]
    assert all(r["verified"] for r in receiver.requests)
    assert {r["headers"]["X-Citybpm-Event"] for r in receiver.requests} <= set(STATUS_EVENTS)


def test_the_delivery_log_is_for_admins_only(api):
    response = api("zbz").get("/deliveries")
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith(PROBLEM) and response.json()["code"] == "forbidden"


def test_a_subscriptions_secret_is_shown_only_when_it_is_created(api, app):
    case = report(api)
    generated = api("jdy").ok("POST", f"/cases/{case['case_no']}/subscriptions", 201,
                              json={"url": "https://hooks.example.cn/citybpm"})
    chosen = api("jdy").ok("POST", "/subscriptions", 201,
                           json={"url": "http://10.0.0.8:8080/hook", "secret": "our-own-secret-1234",
                                 "event_types": ["case.ended"]})
    assert generated["secret"].startswith("whsec_") and len(generated["secret"]) > 30
    assert chosen["secret"] == "our-own-secret-1234"
    assert (generated["case_no"], chosen["case_no"]) == (case["case_no"], None)

    listed = api("jdy").ok("GET", "/subscriptions")
    assert [s["id"] for s in listed] == [chosen["id"], generated["id"]]
    assert all("secret" not in s for s in listed)
    assert generated["secret"] not in api("jdy").get("/subscriptions").text
    spec = api().ok("GET", "/openapi.json")
    listed_schema = spec["paths"]["/api/v1/subscriptions"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "secret" not in json.dumps(spec["components"]["schemas"][listed_schema["schema"]["items"]["$ref"]
                                      .rsplit("/", 1)[-1]])
    with app.app_context():  # stored, because every delivery is signed with it
        assert db.session.get(CaseSubscription, generated["id"]).secret == generated["secret"]


@pytest.mark.parametrize("url", ["ftp://hooks.example.cn/x", "javascript:alert(1)", "not a url", "http://",
                                 "hooks.example.cn/no-scheme"])
def test_bad_urls_are_rejected_with_a_field_error(api, url):
    response = api("jdy").post("/subscriptions", json={"url": url})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith(PROBLEM)
    assert response.json()["errors"] == [{"field": "url", "message": "必须是有效的 http:// 或 https:// 地址"}]
    english = api("jdy").post("/subscriptions", json={"url": url}, headers={"Accept-Language": "en"})
    assert english.json()["errors"] == [{"field": "url", "message": "must be a valid http:// or https:// URL"}]


@pytest.mark.parametrize("url,zh,en", [
    ("http://169.254.169.254/latest/meta-data/", "链路本地地址", "link-local address"),
    ("http://100.100.100.200/latest/meta-data/", "云主机元数据服务地址", "cloud metadata address"),
    ("http://0.0.0.0:5432/", "未指定地址", "unspecified address"),
])
def test_subscriptions_to_metadata_and_special_addresses_are_refused(api, url, zh, en):
    response = api("jdy").post("/subscriptions", json={"url": url})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "url" and zh in error["message"]
    english = api("jdy").post("/subscriptions", json={"url": url}, headers={"Accept-Language": "en"})
    assert en in english.json()["errors"][0]["message"]
    assert api("jdy").ok("GET", "/subscriptions") == []  # nothing stored


def test_loopback_is_refused_unless_the_deployment_allows_it(api, monkeypatch):
    from engine.channels import destinations

    # the test run allows loopback for its receivers (tests/conftest.py); a default deployment does not
    monkeypatch.setattr(destinations.POLICY, "allowed", ())
    refused = api("jdy").post("/subscriptions", json={"url": "http://127.0.0.1:6379/"})
    assert refused.status_code == 422 and "本机回环地址" in refused.json()["errors"][0]["message"]
    monkeypatch.setattr(destinations.POLICY, "allowed", destinations.parse_networks("127.0.0.0/8"))
    api("jdy").ok("POST", "/subscriptions", 201, json={"url": "http://127.0.0.1:6379/"})


def test_other_invalid_subscriptions_are_field_errors_too(api):
    missing = api("jdy").post("/subscriptions", json={})
    assert missing.status_code == 422 and missing.json()["errors"] == [{"field": "url", "message": "此项为必填项"}]
    unknown = api("jdy").post("/subscriptions", json={"url": "http://a.test/h", "event_types": ["case.exploded"]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "event_types.0"
    short = api("jdy").post("/subscriptions", json={"url": "http://a.test/h", "secret": "short"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "secret"


def test_only_people_who_see_a_case_may_subscribe_to_it_and_only_owners_delete(api):
    case = report(api)  # jdy's report; the water department has nothing to do with it yet
    hidden = api("sw").post(f"/cases/{case['case_no']}/subscriptions", json={"url": "http://a.test/h"})
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    assert api("sw").post("/cases/CG-NO-SUCH-CASE/subscriptions", json={"url": "http://a.test/h"}).status_code == 404

    mine = api("zbz").ok("POST", f"/cases/{case['case_no']}/subscriptions", 201, json={"url": "http://a.test/h"})
    assert api("jdy").request("DELETE", f"/subscriptions/{mine['id']}").status_code == 404
    assert api("zbz").request("DELETE", f"/subscriptions/{mine['id']}").status_code == 204
    assert api("zbz").ok("GET", "/subscriptions") == []
    assert api("zbz").request("DELETE", f"/subscriptions/{mine['id']}").status_code == 404


# ----------------------------------------------------------------------------- notifications

def test_notifications_list_mine_filter_unread_and_mark_read(api, app):
    with app.app_context():
        conn = db.session.connection()
        for n in range(3):
            notify(conn, ["sw"], kind="task.warning", title=f"任务即将超期 {n}", body="请尽快处置", case_no="CG1",
                   task_id=f"t-{n}")
        notify(conn, ["hw"], kind="task.overdue", title="别人的通知")
        db.session.commit()

    sw = api("sw")
    listed = sw.ok("GET", "/notifications")
    assert [n["title"] for n in listed] == ["任务即将超期 2", "任务即将超期 1", "任务即将超期 0"]
    assert {(n["kind"], n["read"], n["read_at"]) for n in listed} == {("task.warning", False, None)}
    paged = sw.get("/notifications", params={"page_size": 2})
    assert len(paged.json()) == 2 and json.loads(paged.headers["X-Pagination"])["total"] == 3

    first = listed[-1]
    read = sw.ok("POST", f"/notifications/{first['id']}/read")
    assert read["read"] is True and read["read_at"] is not None
    assert sw.ok("POST", f"/notifications/{first['id']}/read")["read_at"] == read["read_at"]  # idempotent
    assert [n["id"] for n in sw.ok("GET", "/notifications", params={"unread": "true"})] == [listed[0]["id"],
                                                                                              listed[1]["id"]]
    # someone else's notification is not there for me
    others = api("hw").ok("GET", "/notifications")
    assert api("sw").post(f"/notifications/{others[0]['id']}/read").status_code == 404

    assert sw.ok("POST", "/notifications/read-all") == {"marked": 2}
    assert sw.ok("GET", "/notifications", params={"unread": "true"}) == []
    assert api("hw").ok("GET", "/notifications", params={"unread": "true"})[0]["title"] == "别人的通知"
