"""签收/退签, 转办 and 委派 over HTTP, with their refusals, on a small two-step process deployed here."""
from __future__ import annotations

import threading

import pytest

from tests.helpers import ApiClient

BPMN = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')


def two_steps(process_id: str) -> bytes:
    """work (any acceptor: sly, rx) → review (shift leader zbz) → end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN} id="d_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="办理" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="review"/>
    <bpmn:userTask id="review" name="审核" camunda:candidateGroups="shift_leader"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy(server, process_id: str) -> str:
    admin = ApiClient(server).login("admin")
    response = admin.post("/definitions", files={"files": ("p.bpmn", two_steps(process_id), "application/xml")})
    assert response.status_code in (200, 201), response.text
    return process_id


def start(api, key: str) -> tuple[str, str]:
    """A new case of ``key``: (case_no, id of its 'work' task)."""
    case = api("sly").ok("POST", "/cases", 201, json={"process_key": key, "variables": {"description": "井盖破损"}})
    return case["case_no"], case["open_tasks"][0]["id"]


def events(api, case_no: str, *types: str) -> list[dict]:
    found = api("zbz").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
    return [e for e in found if not types or e["type"] in types]


def open_nodes(api, case_no: str) -> list[str]:
    return [t["node_id"] for t in api("zbz").ok("GET", f"/cases/{case_no}")["open_tasks"]]


def codes(api, user: str, task_id: str) -> set[str]:
    return {o["code"] for o in api(user).ok("GET", f"/tasks/{task_id}")["operations"]}


@pytest.fixture(scope="module")
def process(server):
    return deploy(server, "th_two_steps")


def test_unclaim_gives_the_task_back_to_its_candidates(api, process):
    case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    assert api("rx").inbox(case_no=case_no) == []
    back = api("sly").ok("POST", f"/tasks/{task_id}/unclaim", json={"reason": "今天请假"})
    assert back["assignee"] is None
    assert [t["id"] for t in api("rx").inbox(scope="candidate", case_no=case_no)] == [task_id]
    [event] = events(api, case_no, "task.unclaimed")
    assert event["actor"] == "sly" and event["data"] == {"from": "sly", "reason": "今天请假"}


def test_transfer_moves_the_task_with_a_recorded_reason_and_tells_the_new_assignee(api, process):
    case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    moved = api("sly").ok("POST", f"/tasks/{task_id}/transfer", json={"to": "rx", "reason": "属于二组"})
    assert moved["assignee"] == "rx"
    assert [t["id"] for t in api("rx").inbox(scope="mine", case_no=case_no)] == [task_id]
    assert api("sly").get(f"/tasks/{task_id}").status_code == 409  # a candidate told it is rx's now
    [event] = events(api, case_no, "task.transferred")
    assert (event["actor"], event["data"]) == ("sly", {"from": "sly", "to": "rx", "reason": "属于二组"})
    notes = api("rx").ok("GET", "/notifications", params={"unread": "true"})
    assert [(n["kind"], n["task_id"]) for n in notes if n["kind"] == "task.transferred"] == [
        ("task.transferred", task_id)]
    # the new assignee completes it, and the event says so
    api("rx").ok("POST", f"/tasks/{task_id}/complete", json={"data": {}})
    assert open_nodes(api, case_no) == ["review"]
    assert events(api, case_no, "task.completed")[0]["actor"] == "rx"


def test_transfer_by_someone_who_is_not_the_assignee_is_refused(api, process):
    case_no, task_id = start(api, process)
    # unclaimed: a candidate does not hold the task yet
    refused = api("rx").post(f"/tasks/{task_id}/transfer", json={"to": "zbz", "reason": "不是我的"})
    assert refused.status_code == 409 and "签收" in refused.json()["detail"]
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    # another candidate, once sly holds it
    assert api("rx").post(f"/tasks/{task_id}/transfer", json={"to": "zbz", "reason": "x"}).status_code == 409
    # someone with no part in it learns nothing
    assert api("sw").post(f"/tasks/{task_id}/transfer", json={"to": "zbz", "reason": "x"}).status_code == 404
    assert api("sly").ok("GET", f"/tasks/{task_id}")["assignee"] == "sly"
    assert events(api, case_no, "task.transferred") == []


@pytest.mark.parametrize("body, field", [
    ({"to": "nobody", "reason": "x"}, "to"),
    ({"to": "sly", "reason": "x"}, "to"),
    ({"to": "rx"}, "reason"),
    ({"to": "rx", "reason": ""}, "reason"),
])
def test_transfer_bodies_are_checked_with_field_errors(api, process, body, field):
    _case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    refused = api("sly").post(f"/tasks/{task_id}/transfer", json=body)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert api("sly").ok("GET", f"/tasks/{task_id}")["assignee"] == "sly"


def test_racing_transfers_one_wins(api, process):
    case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    barrier, results = threading.Barrier(2), {}

    def transfer(to):
        barrier.wait()
        results[to] = api("sly").post(f"/tasks/{task_id}/transfer", json={"to": to, "reason": "并发"}).status_code

    threads = [threading.Thread(target=transfer, args=(to,)) for to in ("rx", "zbz")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results.values()) == [200, 409]
    winner = next(to for to, status in results.items() if status == 200)
    assert api(winner).ok("GET", f"/tasks/{task_id}")["assignee"] == winner
    assert [e["data"]["to"] for e in events(api, case_no, "task.transferred")] == [winner]


def test_delegated_task_is_resolved_by_the_delegate_and_completed_by_the_delegator(api, process):
    case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    delegated = api("sly").ok("POST", f"/tasks/{task_id}/delegate", json={"to": "rx", "reason": "请协助核实"})
    assert (delegated["assignee"], delegated["owner"], delegated["delegation"]) == ("rx", "sly", "pending")
    assert [t["delegation"] for t in api("rx").inbox(scope="mine", case_no=case_no)] == ["pending"]

    offered = codes(api, "rx", task_id)
    assert "resolve" in offered and not offered & {"complete", "transfer", "delegate", "unclaim"}
    refused = api("rx").post(f"/tasks/{task_id}/complete", json={"data": {}})
    assert refused.status_code == 403 and "委派" in refused.json()["detail"]
    assert api("rx").post(f"/tasks/{task_id}/transfer", json={"to": "zbz", "reason": "x"}).status_code == 409
    assert api("sly").post(f"/tasks/{task_id}/complete", json={"data": {}}).status_code == 409  # not hers now

    back = api("rx").ok("POST", f"/tasks/{task_id}/resolve",
                        json={"data": {"verified": True}, "opinion": "已核实，属实"})
    assert (back["assignee"], back["owner"], back["delegation"]) == ("sly", "sly", "resolved")
    detail = api("sly").ok("GET", f"/tasks/{task_id}")
    assert detail["data"]["verified"] is True
    assert [o["opinion"] for o in detail["data"]["delegation_opinions"]] == ["已核实，属实"]
    assert "complete" in {o["code"] for o in detail["operations"]}
    assert api("rx").post(f"/tasks/{task_id}/resolve", json={"opinion": "again"}).status_code in (404, 409)

    api("sly").ok("POST", f"/tasks/{task_id}/complete", json={"data": {}})
    assert open_nodes(api, case_no) == ["review"]
    trail = [(e["type"], e["actor"]) for e in events(api, case_no, "task.claimed", "task.delegated", "task.resolved",
                                                     "task.completed")]
    assert trail == [("task.claimed", "sly"), ("task.delegated", "sly"), ("task.resolved", "rx"),
                     ("task.completed", "sly")]
    resolved = events(api, case_no, "task.resolved")[0]["data"]
    assert resolved["from"] == "rx" and resolved["to"] == "sly" and resolved["opinion"] == "已核实，属实"
