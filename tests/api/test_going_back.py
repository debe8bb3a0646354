"""退回 to a chosen earlier step, 撤回 before the next person acts, and the 已办 list — over real HTTP."""
from __future__ import annotations

import pytest

from tests.api.case_ops_helpers import case, chain, deploy, events, open_nodes, start

LINEAR = f"""
<bpmn:startEvent id="start"/>
<bpmn:userTask id="fill" name="填报" camunda:candidateGroups="acceptor"/>
<bpmn:userTask id="review" name="审核" camunda:candidateGroups="shift_leader"/>
<bpmn:userTask id="decide" name="审批" camunda:candidateGroups="leader" citybpm:returnTargets="fill"/>
<bpmn:endEvent id="end"/>
{chain("fill", "review", "decide")}
"""

PARALLEL = """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="prepare" name="准备" camunda:candidateGroups="acceptor"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="part_a" name="甲部门" camunda:candidateGroups="shift_leader"/>
<bpmn:userTask id="part_b" name="乙部门" camunda:candidateGroups="leader"/>
<bpmn:parallelGateway id="join"/>
<bpmn:userTask id="sum_up" name="汇总" camunda:candidateGroups="acceptor"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare"/>
<bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="split"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="part_a"/>
<bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="part_b"/>
<bpmn:sequenceFlow id="f5" sourceRef="part_a" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="part_b" targetRef="join"/>
<bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="sum_up"/>
<bpmn:sequenceFlow id="f8" sourceRef="sum_up" targetRef="end"/>
"""


@pytest.fixture
def linear(api):
    deploy(api, "gb_linear", LINEAR)
    return start(api, "gb_linear")["case_no"]


@pytest.fixture
def parallel(api):
    deploy(api, "gb_parallel", PARALLEL)
    return start(api, "gb_parallel")["case_no"]


def claimed(api, who, case_no, node):
    task = api(who).task_for(case_no, node)
    api(who).ok("POST", f"/tasks/{task['id']}/claim")
    return task["id"]


def test_return_lists_upstream_targets_and_reopens_for_last_handler(api, linear):
    api("sly").complete(linear, "fill", {"title": "第一稿"})
    review = claimed(api, "zbz", linear, "review")
    assert [t["node_id"] for t in api("zbz").ok("GET", f"/tasks/{review}/return-targets")] == ["fill"]
    api("zbz").complete(linear, "review", {"review_opinion": "可以"})
    decide = claimed(api, "ld", linear, "decide")
    # citybpm:returnTargets narrows the upstream steps to "fill"
    targets = api("ld").ok("GET", f"/tasks/{decide}/return-targets")
    assert [(t["node_id"], t["completed_by"]) for t in targets] == [("fill", "sly")]

    result = api("ld").ok("POST", f"/tasks/{decide}/return", json={"target": "fill", "reason": "材料不全"})
    assert (result["node_id"], result["assignee"]) == ("fill", "sly")
    assert [(t["node_id"], t["assignee"]) for t in result["open_tasks"]] == [("fill", "sly")]
    history = events(api, linear)
    returned = [e for e in history if e["type"] == "task.returned"]
    assert returned[0]["data"]["from"] == "decide" and returned[0]["data"]["to"] == "fill"
    assert returned[0]["data"]["reason"] == "材料不全" and returned[0]["actor"] == "ld"
    assert any(e["type"] == "task.cancelled" and e["task_id"] == decide for e in history)
    fill = api("sly").task_for(linear, "fill")
    detail = api("sly").ok("GET", f"/tasks/{fill['id']}")
    assert detail["data"]["title"] == "第一稿" and detail["data"]["return_reason"] == "材料不全"

    api("sly").complete(linear, "fill", {"title": "第二稿"})
    api("zbz").complete(linear, "review", {})
    api("ld").complete(linear, "decide", {})
    assert case(api, linear)["status"] == "completed"


def test_return_refused_to_a_step_outside_the_targets(api, linear):
    api("sly").complete(linear, "fill", {})
    api("zbz").complete(linear, "review", {})
    decide = claimed(api, "ld", linear, "decide")
    for target in ("review", "nowhere", "decide"):
        response = api("ld").post(f"/tasks/{decide}/return", json={"target": target, "reason": "x"})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "target"
    missing = api("ld").post(f"/tasks/{decide}/return", json={"target": "fill"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    # not the assignee
    assert api("sly").post(f"/tasks/{decide}/return", json={"target": "fill", "reason": "x"}).status_code == 403
    assert open_nodes(api, linear) == ["decide"]


def test_withdraw_before_the_next_person_acts(api, linear):
    api("sly").complete(linear, "fill", {"title": "初稿"})
    fill_id = next(e["task_id"] for e in events(api, linear) if e["type"] == "task.completed")
    done = api("sly").ok("GET", "/tasks/done")
    assert done[0]["task_id"] == fill_id and done[0]["withdrawable"] is True and done[0]["name"] == "填报"
    assert api("rx").post(f"/tasks/{fill_id}/withdraw", json={"reason": "x"}).status_code == 403

    result = api("sly").ok("POST", f"/tasks/{fill_id}/withdraw", json={"reason": "填错了"})
    assert [(t["node_id"], t["assignee"]) for t in result["open_tasks"]] == [("fill", "sly")]
    history = events(api, linear)
    withdrawn = next(e for e in history if e["type"] == "task.withdrawn")
    assert withdrawn["data"]["reason"] == "填错了" and withdrawn["actor"] == "sly"
    assert [e["node_id"] for e in history if e["type"] == "task.cancelled"] == ["review"]
    assert api("sly").ok("GET", f"/tasks/{fill_id}")["data"]["title"] == "初稿"

    api("sly").complete(linear, "fill", {"title": "定稿"})
    claimed(api, "zbz", linear, "review")
    refused = api("sly").post(f"/tasks/{fill_id}/withdraw", json={"reason": "again"})
    assert refused.status_code == 409, refused.text
    assert api("sly").ok("GET", "/tasks/done")[0]["withdrawable"] is False
    api("zbz").complete(linear, "review", {})
    api("ld").complete(linear, "decide", {})
    assert case(api, linear)["status"] == "completed"


def test_withdraw_refused_once_the_next_step_completed(api, linear):
    api("sly").complete(linear, "fill", {})
    fill_id = api("sly").ok("GET", "/tasks/done")[0]["task_id"]
    api("zbz").complete(linear, "review", {})
    response = api("sly").post(f"/tasks/{fill_id}/withdraw", json={"reason": "x"})
    assert response.status_code == 409
    assert open_nodes(api, linear) == ["decide"]


def test_withdraw_before_a_parallel_split_takes_back_every_branch(api, parallel):
    api("sly").complete(parallel, "prepare", {})
    assert open_nodes(api, parallel) == ["part_a", "part_b"]
    prepare = api("sly").ok("GET", "/tasks/done")[0]["task_id"]
    api("sly").ok("POST", f"/tasks/{prepare}/withdraw", json={"reason": "重新准备"})
    assert open_nodes(api, parallel) == ["prepare"]
    cancelled = sorted(e["node_id"] for e in events(api, parallel) if e["type"] == "task.cancelled")
    assert cancelled == ["part_a", "part_b"]
    api("sly").complete(parallel, "prepare", {})
    api("zbz").complete(parallel, "part_a", {})
    api("ld").complete(parallel, "part_b", {})
    api("sly").complete(parallel, "sum_up", {})
    assert case(api, parallel)["status"] == "completed"


def test_return_and_withdraw_refused_across_parallel_branches(api, parallel):
    api("sly").complete(parallel, "prepare", {})
    part_a = claimed(api, "zbz", parallel, "part_a")
    # going back to "prepare" from one branch would cancel the other branch's work
    assert api("zbz").ok("GET", f"/tasks/{part_a}/return-targets") == []
    response = api("zbz").post(f"/tasks/{part_a}/return", json={"target": "prepare", "reason": "x"})
    assert response.status_code == 409 and "并行" in response.json()["detail"]

    api("zbz").complete(parallel, "part_a", {})
    api("ld").complete(parallel, "part_b", {})
    sum_up = claimed(api, "sly", parallel, "sum_up")
    assert api("sly").ok("GET", f"/tasks/{sum_up}/return-targets") == []
    response = api("sly").post(f"/tasks/{sum_up}/return", json={"target": "part_b", "reason": "x"})
    assert response.status_code == 409 and "join" in api("sly").post(
        f"/tasks/{sum_up}/return", json={"target": "part_b", "reason": "x"},
        headers={"Accept-Language": "en"}).json()["detail"]
    part_b = api("ld").ok("GET", "/tasks/done")[0]["task_id"]
    assert api("ld").post(f"/tasks/{part_b}/withdraw", json={"reason": "x"}).status_code == 409
    api("sly").complete(parallel, "sum_up", {})
    assert case(api, parallel)["status"] == "completed"


def test_a_delegate_may_not_return_or_ask_for_time(api):
    """委派: the delegate only resolves the task back; 退回, 延期 and 挂账 stay the delegator's."""
    from tests.api.case_ops_helpers import chain, deploy, start

    deploy(api, "gb_delegated", f"""
<bpmn:startEvent id="start"/>
<bpmn:userTask id="fill" name="填报" camunda:candidateGroups="acceptor"/>
<bpmn:userTask id="review" name="审核" camunda:candidateGroups="shift_leader"/>
<bpmn:endEvent id="end"/>
{chain("fill", "review")}
""")
    case_no = start(api, "gb_delegated")["case_no"]
    api("sly").complete(case_no, "fill", {"title": "x"})
    task = api("zbz").task_for(case_no, "review")
    api("zbz").ok("POST", f"/tasks/{task['id']}/claim")
    api("zbz").ok("POST", f"/tasks/{task['id']}/delegate", json={"to": "ld", "reason": "请先看看"})
    offered = {o["code"] for o in api("ld").ok("GET", f"/tasks/{task['id']}")["operations"]}
    assert offered <= {"resolve", "cc"} and "resolve" in offered
    assert api("ld").post(f"/tasks/{task['id']}/return", json={"target": "fill", "reason": "x"}).status_code == 403
    assert api("ld").post(f"/tasks/{task['id']}/hang-requests", json={"reason": "x"}).status_code == 403
    assert [t["node_id"] for t in api("ld").inbox(case_no=case_no)] == ["review"]
