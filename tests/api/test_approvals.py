"""延期 and 挂账: the handler asks, the 值班长 decides, the clock moves (DOMAIN §1), over real HTTP."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.test_definitions_api import upload
from tests.api.test_timers_through_scheduler import scheduler, wait_for  # noqa: F401 (fixture)

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
      'xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn"')

# one disposal task for 水务局 under the 处置 standard; 小类 0101 gives it 4 紧急工作时 (clock hours)
DISPOSAL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}><bpmn:process id="approval_disposal" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle"/>
<bpmn:userTask id="handle" name="处置" camunda:candidateGroups="org:D_WATER" citybpm:timeLimit="handle"/>
<bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="end"/>
<bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>""".encode()
LIMIT = dt.timedelta(hours=4)


@pytest.fixture
def disposal(api):
    """A running case whose only open task is 水务局's 处置 (4 clock hours); returns (case_no, task)."""
    assert upload(api("admin"), DISPOSAL).status_code in (200, 201)
    case = api("sly").ok("POST", "/cases", 201, json={"process_key": "approval_disposal",
                                                       "variables": {"category_code": "0101"}})
    task = api("sw").task_for(case["case_no"], "handle")
    assert due_of(task) - dt.datetime.fromisoformat(task["created_at"]) == LIMIT
    return case["case_no"], task


@pytest.fixture
def setting(api):
    """setting(key, value): change a system setting for this test only."""
    changed = []

    def change(key, value):
        api("admin").ok("PUT", f"/settings/{key}", json={"value": value})
        changed.append(key)

    yield change
    for key in changed:
        api("admin").ok("DELETE", f"/settings/{key}")


def due_of(task) -> dt.datetime:
    return dt.datetime.fromisoformat(task["due_at"])


def event_types(api, case_no):
    return [e["type"] for e in api("admin").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})]


def notifications(api, user, case_no):
    return [n for n in api(user).ok("GET", "/notifications", params={"page_size": 100}) if n["case_no"] == case_no]


def ask_extension(api, task, amount=None, who="sw"):
    body = {"reason": "等待配件到货"} | ({"amount": amount} if amount is not None else {})
    return api(who).ok("POST", f"/tasks/{task['id']}/extension-requests", 201, json=body)


def test_approved_extension_moves_the_due_instant(api, disposal):
    case_no, task = disposal
    request = ask_extension(api, task, amount=2)
    assert (request["kind"], request["status"], request["amount"], request["case_no"]) == \
        ("extension", "pending", 2, case_no)
    assert request["task_open"] is True
    assert any(n["kind"] == "approval.requested" for n in notifications(api, "zbz", case_no))
    # the approver sees it in the list, pending first; the requester sees their own; another handler nothing
    assert request["id"] in [r["id"] for r in api("zbz").ok("GET", "/approvals", params={"status": "pending"})]
    assert [r["id"] for r in api("sw").ok("GET", "/approvals")] == [request["id"]]
    assert api("hw").get(f"/approvals/{request['id']}").status_code == 404

    decided = api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={"note": "同意"})
    assert (decided["status"], decided["decided_by"], decided["decision_note"]) == ("approved", "zbz", "同意")
    assert due_of(api("sw").task_for(case_no, "handle")) - due_of(task) == dt.timedelta(hours=2)
    types = event_types(api, case_no)
    assert types.index("extension.requested") < types.index("task.extended") < types.index("extension.approved")
    assert any(n["kind"] == "approval.decided" for n in notifications(api, "sw", case_no))

    again = api("zbz").post(f"/approvals/{request['id']}/approve", json={})
    assert again.status_code == 409


def test_extension_refusals(api, disposal):
    case_no, task = disposal
    too_long = api("sw").post(f"/tasks/{task['id']}/extension-requests", json={"reason": "x", "amount": 5})
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["amount"]
    no_reason = api("sw").post(f"/tasks/{task['id']}/extension-requests", json={"amount": 1})
    assert no_reason.status_code == 422
    # someone who does not handle the task does not even see it
    assert api("hw").post(f"/tasks/{task['id']}/extension-requests", json={"reason": "x"}).status_code == 404

    request = ask_extension(api, task)
    assert request["amount"] == 4  # default: one original limit
    assert api("sw").post(f"/tasks/{task['id']}/extension-requests", json={"reason": "再来"}).status_code == 409
    # an acceptor may read tasks but not grant extensions; nobody decides their own request
    assert api("sly").post(f"/approvals/{request['id']}/approve", json={}).status_code == 403
    assert api("swld").post(f"/tasks/{task['id']}/extension-requests", json={"reason": "x"}).status_code == 409
    assert api("zbz").post(f"/approvals/{request['id']}/cancel").status_code == 403

    cancelled = api("sw").ok("POST", f"/approvals/{request['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    assert api("zbz").post(f"/approvals/{request['id']}/approve", json={}).status_code == 409
    assert "task.extended" not in event_types(api, case_no)


def test_a_third_extension_is_refused(api, disposal):
    case_no, task = disposal
    for _ in range(2):
        request = ask_extension(api, task, amount=1)
        api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={})
    third = api("sw").post(f"/tasks/{task['id']}/extension-requests", json={"reason": "第三次"})
    assert third.status_code == 409
    assert due_of(api("sw").task_for(case_no, "handle")) - due_of(task) == dt.timedelta(hours=2)
    assert event_types(api, case_no).count("task.extended") == 2


def test_extension_grants_follow_the_settings(api, disposal, setting):
    case_no, task = disposal
    setting("extension_max_share", 0.5)
    assert api("sw").post(f"/tasks/{task['id']}/extension-requests",
                          json={"reason": "x", "amount": 3}).status_code == 422
    request = ask_extension(api, task)
    assert request["amount"] == 2  # half an original limit
    setting("extension_max_grants", 0)  # read again at decision time
    assert api("zbz").post(f"/approvals/{request['id']}/approve", json={}).status_code == 409
    assert api("zbz").ok("GET", f"/approvals/{request['id']}")["status"] == "pending"


def test_overdue_task_gets_an_extension_only_when_the_setting_allows(api, disposal, setting, virtual_clock):
    case_no, task = disposal
    virtual_clock.advance(LIMIT + dt.timedelta(minutes=1))
    refused = api("sw").post(f"/tasks/{task['id']}/extension-requests", json={"reason": "超时了"})
    assert refused.status_code == 409
    setting("extension_when_overdue", True)
    request = ask_extension(api, task, amount=4)
    api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={})
    assert due_of(api("sw").task_for(case_no, "handle")) - due_of(task) == LIMIT


def test_rejection_needs_a_note_and_leaves_the_due(api, disposal):
    case_no, task = disposal
    request = ask_extension(api, task)
    assert api("zbz").post(f"/approvals/{request['id']}/reject", json={}).status_code == 422
    rejected = api("zbz").ok("POST", f"/approvals/{request['id']}/reject", json={"note": "理由不充分"})
    assert (rejected["status"], rejected["decision_note"]) == ("rejected", "理由不充分")
    assert due_of(api("sw").task_for(case_no, "handle")) == due_of(task)
    assert "extension.rejected" in event_types(api, case_no)
    # a rejected request does not block a new one
    assert ask_extension(api, task)["status"] == "pending"


def test_request_for_a_completed_task_can_no_longer_be_approved(api, disposal):
    case_no, task = disposal
    request = ask_extension(api, task)
    api("sw").ok("POST", f"/tasks/{task['id']}/complete", json={"data": {}})
    assert api("zbz").ok("GET", f"/approvals/{request['id']}")["task_open"] is False
    assert api("zbz").post(f"/approvals/{request['id']}/approve", json={}).status_code == 409


def ask_hang(api, task, **body):
    return api("sw").ok("POST", f"/tasks/{task['id']}/hang-requests", 201, json={"reason": "雨季施工，挂账", **body})


def test_hang_request_limits(api, disposal, setting, virtual_clock):
    case_no, task = disposal
    now = virtual_clock.now()
    too_far = api("sw").post(f"/tasks/{task['id']}/hang-requests",
                             json={"reason": "x", "until": (now + dt.timedelta(days=400)).isoformat()})
    assert too_far.status_code == 422 and [e["field"] for e in too_far.json()["errors"]] == ["until"]
    past = api("sw").post(f"/tasks/{task['id']}/hang-requests",
                          json={"reason": "x", "until": (now - dt.timedelta(hours=1)).isoformat()})
    assert past.status_code == 422
    setting("hang_max_days", 30)
    request = ask_hang(api, task)
    assert dt.datetime.fromisoformat(request["until"]) == now + dt.timedelta(days=30)
    assert api("sw").post(f"/tasks/{task['id']}/hang-requests", json={"reason": "again"}).status_code == 409
    # 挂账 is decided by whoever may pause cases: a dispatcher may not
    assert api("pqy").post(f"/approvals/{request['id']}/approve", json={}).status_code == 403


def test_approved_hang_pauses_the_case_and_resumes_by_itself(api, disposal, scheduler, virtual_clock):  # noqa: F811
    case_no, task = disposal
    paused_for = dt.timedelta(days=2)
    request = ask_hang(api, task, until=(virtual_clock.now() + paused_for).isoformat())
    api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={"note": "同意挂账"})
    assert api("zbz").ok("GET", f"/cases/{case_no}")["status"] == "suspended"
    assert {"hang.requested", "case.suspended", "hang.approved"} <= set(event_types(api, case_no))

    virtual_clock.advance(dt.timedelta(days=1))  # far past the 4-hour limit, but the clock is stopped
    assert api("zbz").ok("GET", f"/cases/{case_no}")["status"] == "suspended"
    paused = api("sw").task_for(case_no, "handle")
    assert (paused["light"], paused["case_status"]) == (None, "suspended")  # no red light while paused
    virtual_clock.advance(dt.timedelta(days=1, seconds=1))
    wait_for(lambda: api("zbz").ok("GET", f"/cases/{case_no}")["status"] == "running", "the automatic resumption")
    resumed = api("sw").task_for(case_no, "handle")
    assert resumed["light"] == "green"
    assert due_of(resumed) - due_of(task) == paused_for + dt.timedelta(seconds=1)  # clock hours: all of it
    assert "task.overdue" not in event_types(api, case_no)


def test_approved_hang_can_be_resumed_by_hand(api, disposal, virtual_clock):
    case_no, task = disposal
    request = ask_hang(api, task)
    api("ld").ok("POST", f"/approvals/{request['id']}/approve", json={})
    virtual_clock.advance(dt.timedelta(hours=6))
    resumed = api("zbz").ok("POST", f"/cases/{case_no}/resume", json={"reason": "提前完工"})
    assert resumed["status"] == "running"
    assert due_of(api("sw").task_for(case_no, "handle")) - due_of(task) == dt.timedelta(hours=6)


def test_the_database_keeps_one_pending_extension_per_task(app, disposal):
    """Two racing requests both pass the code's check; the partial unique index lets only one in."""
    from sqlalchemy.exc import IntegrityError

    from api.extensions import db
    from engine import clock
    from engine.models import Task
    from engine.operations.records import ApprovalRequest

    _case_no, task = disposal
    with app.app_context():
        row = db.session.get(Task, task["id"])

        def pending():
            return ApprovalRequest(instance_id=row.instance_id, task_id=row.id, node_id="handle", kind="extension",
                                   status="pending", reason="x", requested_by="sw", requested_at=clock.now())
        db.session.add(pending())
        db.session.flush()
        db.session.add(pending())
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        # once decided, a new pending request is fine
        first = pending()
        db.session.add(first)
        db.session.flush()
        first.status = "rejected"
        db.session.add(pending())
        db.session.flush()
        db.session.rollback()


def test_ending_the_case_cancels_its_pending_requests(api, disposal):
    case_no, task = disposal
    api("sw").ok("POST", f"/tasks/{task['id']}/claim")
    request = api("sw").ok("POST", f"/tasks/{task['id']}/extension-requests", 201, json={"reason": "管材未到货"})
    api("ld").ok("POST", f"/cases/{case_no}/terminate", json={"reason": "重复上报"})
    assert api("zbz").ok("GET", f"/approvals/{request['id']}")["status"] == "cancelled"
    history = api("ld").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
    assert any(e["type"] == "extension.cancelled" and e["data"]["request_id"] == request["id"] for e in history)
    assert api("zbz").post(f"/approvals/{request['id']}/approve", json={"note": "同意"}).status_code == 409


def test_a_district_approver_sees_and_decides_only_requests_in_their_scope(api, disposal):
    """A leader whose role is scoped to their own organisation neither lists nor decides 水务局's requests."""
    from tests.api.test_orgs_users import PASSWORD, create_user, unique

    case_no, task = disposal
    admin = api("admin")
    role = unique("roads_lead").lower()
    admin.ok("POST", "/roles", 201, json={"code": role, "name": "市政处领导", "data_scope": "org_tree",
                                          "permissions": ["task.read", "task.extend", "task.urge", "case.read"]})
    username = unique("rl").lower()
    create_user(admin, username, roles=(role,), orgs=("D_ROADS",))
    client = api().login(username, PASSWORD)

    request = ask_extension(api, task)
    assert request["id"] not in [r["id"] for r in client.ok("GET", "/approvals")]
    assert client.get(f"/approvals/{request['id']}").status_code == 404
    assert client.post(f"/approvals/{request['id']}/approve", json={"note": "同意"}).status_code == 404
    assert client.post(f"/tasks/{task['id']}/urge", json={"message": "请尽快"}).status_code == 404
    assert api("zbz").ok("GET", f"/approvals/{request['id']}")["status"] == "pending"
