"""催办 and 督办 over real HTTP; and which of 延期/挂账/催办 a task offers to whom."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from api.extensions import db
from engine import clock
from engine.identity import User
from engine.models import Task
from engine.operations import allowed
from engine.operations.approvals import request_extension  # noqa: F401 (registers the predicates)
from engine.operations.urging import urge  # noqa: F401 (registers the predicate)
from tests.api.test_approvals import disposal, event_types, notifications, setting  # noqa: F401 (fixtures)
from tests.api.test_timers_through_scheduler import scheduler, wait_for  # noqa: F401 (fixture)


def urged(api, user, case_no):
    return [n for n in notifications(api, user, case_no) if n["kind"] == "task.urged"]


def test_urge_notifies_the_candidates_then_only_the_assignee(api, disposal, virtual_clock):  # noqa: F811
    case_no, task = disposal
    result = api("pqy").ok("POST", f"/tasks/{task['id']}/urge", json={"message": "井盖隐患，请尽快处置"})
    # unclaimed: everyone in 水务局 (other tests may have added people there), nobody elsewhere
    assert {"sw", "swld"} <= set(result["notified"]) and not {"hw", "pqy"} & set(result["notified"])
    assert [n["body"] for n in urged(api, "sw", case_no)] == ["井盖隐患，请尽快处置"]
    log = [e for e in api("admin").ok("GET", f"/cases/{case_no}/events") if e["type"] == "task.urged"]
    assert [(e["actor"], e["task_id"]) for e in log] == [("pqy", task["id"])]

    # a second nudge soon after is refused, whoever sends it
    assert api("ld").post(f"/tasks/{task['id']}/urge", json={"message": "再催"}).status_code == 409
    assert len(urged(api, "sw", case_no)) == 1

    api("sw").ok("POST", f"/tasks/{task['id']}/claim")
    virtual_clock.advance(dt.timedelta(minutes=31))
    assert api("ld").ok("POST", f"/tasks/{task['id']}/urge", json={"message": "再催"})["notified"] == ["sw"]
    assert len(urged(api, "sw", case_no)) == 2 and len(urged(api, "swld", case_no)) == 1


def test_urge_refusals(api, disposal, setting):  # noqa: F811
    case_no, task = disposal
    # a handler has no 催办 permission; an acceptor has
    assert api("hw").post(f"/tasks/{task['id']}/urge", json={}).status_code == 403
    setting("urge_interval_minutes", 0)
    assert api("sly").post(f"/tasks/{task['id']}/urge", json={}).status_code == 200
    assert api("sly").post(f"/tasks/{task['id']}/urge", json={}).status_code == 200  # no interval now
    # a leader who is also one of the task's handlers cannot urge themself
    assert api("swld").post(f"/tasks/{task['id']}/urge", json={}).status_code == 403
    gone = api("sly").post("/tasks/00000000-0000-0000-0000-000000000000/urge", json={})
    assert gone.status_code == 404


def test_supervision_flags_notifies_and_lifts(api, disposal):  # noqa: F811
    case_no, task = disposal
    assert api("zbz").post(f"/cases/{case_no}/supervise", json={"reason": "x"}).status_code == 403
    assert api("ld").post(f"/cases/{case_no}/supervise", json={}).status_code == 422

    flagged = api("ld").ok("POST", f"/cases/{case_no}/supervise", json={"reason": "群众反映强烈，限期处置"})
    assert (flagged["supervised"], flagged["supervised_by"]) == (True, "ld")
    assert case_no in [c["case_no"] for c in api("ld").ok("GET", "/cases", params={"supervised": "true"})]
    # the handlers and 水务局's leader hear of it
    for person in ("sw", "swld"):
        assert [n["kind"] for n in notifications(api, person, case_no)] == ["case.supervised"]
    assert api("ld").post(f"/cases/{case_no}/supervise", json={"reason": "再次"}).status_code == 409

    lifted = api("ld").ok("POST", f"/cases/{case_no}/lift-supervision", json={"reason": "已整改"})
    assert lifted["supervised"] is False and lifted["supervised_at"] is None
    assert case_no not in [c["case_no"] for c in api("ld").ok("GET", "/cases", params={"supervised": "true"})]
    assert api("ld").post(f"/cases/{case_no}/lift-supervision", json={"reason": "x"}).status_code == 409
    types = event_types(api, case_no)
    assert types.index("case.supervised") < types.index("case.supervision_lifted")


def test_overdue_escalation_sets_the_same_supervision_flag(api, disposal, scheduler, virtual_clock):  # noqa: F811
    case_no, task = disposal
    admin = api("admin")
    policy = admin.ok("POST", "/deadline-policies", 201, json={
        "process_key": "approval_disposal", "node_id": "handle", "action": "escalate", "escalate_to_role": "leader"})
    try:
        virtual_clock.advance(dt.timedelta(hours=4, minutes=1))
        wait_for(lambda: "case.supervised" in event_types(api, case_no), "the automatic 督办")
        supervised = {c["case_no"]: c for c in api("ld").ok("GET", "/cases", params={"supervised": "true"})}
        assert supervised[case_no]["supervised_by"] == "system"
        event = [e for e in api("admin").ok("GET", f"/cases/{case_no}/events") if e["type"] == "case.supervised"]
        assert event[0]["data"]["automatic"] is True
    finally:
        admin.request("DELETE", f"/deadline-policies/{policy['id']}")


def offered_to(app, username: str, task_id: str) -> list[str]:
    """The request-type operations the task offers to a demo user now (through engine.operations.allowed)."""
    with app.app_context():
        task = db.session.get(Task, task_id)
        actor = db.session.scalars(select(User).where(User.username == username)).one().actor()
        context = allowed.TaskContext(db.session.connection(), task, actor, clock.now())
        codes = allowed.available(context, task.instance.definition_id, lambda _permission: True,
                                  lambda code: code)
        return [code for code in codes if code in ("extend", "hang", "urge")]


def test_available_operations_follow_the_task_state(api, app, disposal, virtual_clock):  # noqa: F811
    case_no, task = disposal
    assert offered_to(app, "sw", task["id"]) == ["extend", "hang"]
    assert offered_to(app, "pqy", task["id"]) == ["urge"]
    api("sw").ok("POST", f"/tasks/{task['id']}/extension-requests", 201, json={"reason": "等配件"})
    assert offered_to(app, "sw", task["id"]) == ["hang"]  # one pending extension at a time
    api("pqy").ok("POST", f"/tasks/{task['id']}/urge", json={"message": "快"})
    assert offered_to(app, "pqy", task["id"]) == []  # urged a moment ago
    virtual_clock.advance(dt.timedelta(hours=5))  # overdue: no more extensions by default
    request_id = api("sw").ok("GET", "/approvals")[0]["id"]
    api("sw").ok("POST", f"/approvals/{request_id}/cancel")
    assert offered_to(app, "sw", task["id"]) == ["hang"]
