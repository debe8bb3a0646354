"""加签 before / after and 减签 over HTTP: added signers' tasks, the waiting task, held submissions, refusals."""
from __future__ import annotations

import pytest

from tests.api.test_task_handover import codes, deploy, events, open_nodes, start


@pytest.fixture(scope="module")
def process(server):
    return deploy(server, "sg_two_steps")


def claimed(api, process) -> tuple[str, str]:
    case_no, task_id = start(api, process)
    api("sly").ok("POST", f"/tasks/{task_id}/claim")
    return case_no, task_id


def add(api, task_id, users, position, user="sly"):
    return api(user).ok("POST", f"/tasks/{task_id}/add-signers",
                        json={"users": users, "position": position, "reason": "需要会商"})


def sign_task(api, user: str, case_no: str) -> dict:
    [found] = [t for t in api(user).inbox(case_no=case_no) if t["kind"] == "sign"]
    return found


def test_signers_before_sign_first_then_the_task_is_open_again_with_their_opinions(api, process):
    case_no, task_id = claimed(api, process)
    assert add(api, task_id, ["rx", "zbz"], "before")["status"] == "waiting"
    assert api("sly").ok("GET", f"/tasks/{task_id}")["status"] == "waiting"
    refused = api("sly").post(f"/tasks/{task_id}/complete", json={"data": {}})
    assert refused.status_code == 409 and "加签" in refused.json()["detail"]

    rx_task = sign_task(api, "rx", case_no)
    assert (rx_task["parent_id"], rx_task["sign_position"], rx_task["owner"]) == (task_id, "before", "sly")
    detail = api("rx").ok("GET", f"/tasks/{rx_task['id']}")
    assert detail["data"]["description"] == "井盖破损"  # the signer reads the task they sign for
    assert [o["code"] for o in detail["operations"]] == ["sign"]
    # a sign task is signed, not completed
    assert api("rx").post(f"/tasks/{rx_task['id']}/complete", json={"data": {}}).status_code == 409

    assert api("rx").ok("POST", f"/tasks/{rx_task['id']}/sign", json={"opinion": "同意"})["status"] == "waiting"
    zbz_task = sign_task(api, "zbz", case_no)
    result = api("zbz").ok("POST", f"/tasks/{zbz_task['id']}/sign", json={"opinion": "建议再核实", "agree": False})
    assert result == {"task_id": task_id, "status": "open"}

    opened = api("sly").ok("GET", f"/tasks/{task_id}")
    assert opened["status"] == "open"
    assert [(o["user"], o["agree"]) for o in opened["data"]["sign_opinions"]] == [("rx", True), ("zbz", False)]
    api("sly").ok("POST", f"/tasks/{task_id}/complete", json={"data": {}})
    assert open_nodes(api, case_no) == ["review"]
    assert [e["data"]["signer"] for e in events(api, case_no, "task.signed")] == ["rx", "zbz"]


def test_sign_by_someone_who_is_not_the_signer_is_refused(api, process):
    case_no, task_id = claimed(api, process)
    add(api, task_id, ["rx"], "before")
    rx_task = sign_task(api, "rx", case_no)
    for intruder in ("sly", "sw", "zbz"):
        assert api(intruder).post(f"/tasks/{rx_task['id']}/sign", json={"opinion": "冒签"}).status_code == 404
    # the process task itself is not a sign task
    assert api("sly").post(f"/tasks/{task_id}/sign", json={"opinion": "x"}).status_code == 409
    assert events(api, case_no, "task.signed") == []
    assert api("rx").ok("POST", f"/tasks/{rx_task['id']}/sign", json={"opinion": "同意"})["status"] == "open"
    # signed once: the sign task is gone
    assert api("rx").post(f"/tasks/{rx_task['id']}/sign", json={"opinion": "再签"}).status_code in (404, 409)


def test_signers_after_sign_the_held_submission_and_the_task_completes_as_the_assignee(api, process):
    case_no, task_id = claimed(api, process)
    assert add(api, task_id, ["rx"], "after")["status"] == "open"
    rx_task = sign_task(api, "rx", case_no)
    assert rx_task["status"] == "waiting"
    early = api("rx").post(f"/tasks/{rx_task['id']}/sign", json={"opinion": "太早"})
    assert early.status_code == 409

    api("sly").ok("POST", f"/tasks/{task_id}/complete", json={"data": {"result": "已处理"}})
    assert open_nodes(api, case_no) == ["work", "work"]  # held, and the signer's task
    assert api("sly").ok("GET", f"/tasks/{task_id}")["status"] == "waiting"
    assert api("sly").post(f"/tasks/{task_id}/complete", json={"data": {}}).status_code == 409
    assert events(api, case_no, "task.completed") == []

    result = api("rx").ok("POST", f"/tasks/{rx_task['id']}/sign", json={"opinion": "同意结论"})
    assert result == {"task_id": task_id, "status": "completed"}
    assert open_nodes(api, case_no) == ["review"]
    [completed] = events(api, case_no, "task.completed")
    assert completed["actor"] == "sly" and completed["data"]["data"]["result"] == "已处理"
    assert [o["user"] for o in completed["data"]["data"]["sign_opinions"]] == ["rx"]


def test_remove_a_signer_who_has_not_signed_and_not_one_who_has(api, process):
    case_no, task_id = claimed(api, process)
    add(api, task_id, ["rx", "zbz"], "before")
    rx_task = sign_task(api, "rx", case_no)
    api("rx").ok("POST", f"/tasks/{rx_task['id']}/sign", json={"opinion": "同意"})

    signed = api("sly").post(f"/tasks/{task_id}/remove-signer", json={"user": "rx", "reason": "不需要了"})
    assert signed.status_code == 409 and "已签署" in signed.json()["detail"]
    stranger = api("sly").post(f"/tasks/{task_id}/remove-signer", json={"user": "hw", "reason": "x"})
    assert stranger.status_code == 404
    assert "remove_sign" in codes(api, "sly", task_id)

    removed = api("sly").ok("POST", f"/tasks/{task_id}/remove-signer", json={"user": "zbz", "reason": "不需要了"})
    assert removed == {"task_id": task_id, "status": "open"}  # the last pending signer gone: open again
    assert [t for t in api("zbz").inbox(case_no=case_no) if t["kind"] == "sign"] == []
    [event] = events(api, case_no, "task.signer_removed")
    assert event["actor"] == "sly" and event["data"]["user"] == "zbz" and event["data"]["reason"] == "不需要了"
    assert "remove_sign" not in codes(api, "sly", task_id)


def test_only_whoever_added_a_signer_removes_them(api, process):
    case_no, task_id = claimed(api, process)
    add(api, task_id, ["zbz"], "after")
    # rx is the task's new holder but did not add zbz … until the transfer hands the signers over
    api("sly").ok("POST", f"/tasks/{task_id}/transfer", json={"to": "rx", "reason": "交接"})
    assert sign_task(api, "zbz", case_no)["owner"] == "rx"
    api("rx").ok("POST", f"/tasks/{task_id}/remove-signer", json={"user": "zbz", "reason": "不需要"})
    assert api("sly").post(f"/tasks/{task_id}/remove-signer",
                           json={"user": "zbz", "reason": "x"}).status_code in (404, 409)


def test_adding_signers_is_checked(api, process):
    case_no, task_id = claimed(api, process)
    assert api("rx").post(f"/tasks/{task_id}/add-signers",
                          json={"users": ["zbz"], "position": "before", "reason": "x"}).status_code == 409
    for body, field in (({"users": ["nobody"], "position": "before", "reason": "x"}, "users"),
                        ({"users": ["zbz"], "position": "sideways", "reason": "x"}, "position"),
                        ({"users": [], "position": "before", "reason": "x"}, "users")):
        refused = api("sly").post(f"/tasks/{task_id}/add-signers", json=body)
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == [field]
    add(api, task_id, ["zbz"], "after")
    again = api("sly").post(f"/tasks/{task_id}/add-signers", json={"users": ["zbz"], "position": "after",
                                                                     "reason": "x"})
    assert again.status_code == 409
    assert len(events(api, case_no, "task.signers_added")) == 1
