"""会签 modes of a multi-instance user task: all, any (或签), ratio, sequential (依次); and their lint."""
from __future__ import annotations

import pytest

from tests.api.case_ops_helpers import case, deploy, events, process, start
from tests.api.test_definitions_api import upload

SIGNERS = ["sw", "sz", "hw"]


def countersign_process(mode: str, extra: str = "", sequential: bool = False) -> str:
    loop = 'isSequential="true" ' if sequential else ""
    return f"""
<bpmn:startEvent id="start"/>
<bpmn:userTask id="sign" name="会签" camunda:assignee="${{signer}}" citybpm:signMode="{mode}" {extra}>
  <bpmn:multiInstanceLoopCharacteristics {loop}camunda:collection="signers" camunda:elementVariable="signer"/>
</bpmn:userTask>
<bpmn:exclusiveGateway id="passed" default="f_fail"/>
<bpmn:userTask id="after" name="后续办理" camunda:candidateGroups="acceptor"/>
<bpmn:endEvent id="end" citybpm:outcome="passed"/>
<bpmn:endEvent id="rejected" citybpm:outcome="rejected"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign"/>
<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="passed"/>
<bpmn:sequenceFlow id="f_pass" sourceRef="passed" targetRef="after">
  <bpmn:conditionExpression>sign_passed</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_fail" sourceRef="passed" targetRef="rejected"/>
<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
"""


def start_signing(api, key: str, body: str) -> str:
    deploy(api, key, body)
    return start(api, key, signers=SIGNERS)["case_no"]


def vote(api, who: str, case_no: str, agree: bool, opinion: str = ""):
    return api(who).complete(case_no, "sign", {"agree": agree, "opinion": opinion})


def signers_open(api, case_no: str) -> list[str]:
    return sorted(t["assignee"] for t in case(api, case_no)["open_tasks"] if t["node_id"] == "sign")


def test_ratio_passes_once_the_share_agreed_and_cancels_the_rest(api):
    case_no = start_signing(api, "cs_ratio", countersign_process("ratio", 'citybpm:signRatio="0.6"'))
    assert signers_open(api, case_no) == ["hw", "sw", "sz"]
    vote(api, "sw", case_no, True, "同意")
    assert signers_open(api, case_no) == ["hw", "sz"]
    vote(api, "sz", case_no, True, "同意")  # 2 of 3 ≥ 0.6
    assert signers_open(api, case_no) == []
    history = events(api, case_no)
    cancelled = [e for e in history if e["type"] == "task.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["node_id"] == "sign"
    decided = next(e for e in history if e["type"] == "countersign.decided")
    assert decided["node_id"] == "sign"
    assert decided["data"] == {"mode": "ratio", "passed": True, "agreed": 2, "voted": 2, "total": 3}
    after = api("sly").task_for(case_no, "after")
    data = api("sly").ok("GET", f"/tasks/{after['id']}")["data"]
    assert data["sign_passed"] is True and data["sign_agreed"] == 2
    assert data["sign_votes"] == {"sw": {"agree": True, "opinion": "同意"}, "sz": {"agree": True, "opinion": "同意"}}
    api("sly").complete(case_no, "after", {})
    assert case(api, case_no)["outcome"] == "passed"


def test_ratio_fails_when_the_share_can_no_longer_be_reached(api):
    case_no = start_signing(api, "cs_ratio_fail", countersign_process("ratio", 'citybpm:signRatio="0.6"'))
    vote(api, "sw", case_no, False, "不同意")
    assert signers_open(api, case_no) == ["hw", "sz"]  # 0 + 2 remaining can still reach 2
    vote(api, "hw", case_no, False, "不同意")
    final = case(api, case_no)
    assert final["status"] == "completed" and final["outcome"] == "rejected"


def test_any_signer_decides_for_all(api):
    case_no = start_signing(api, "cs_any", countersign_process("any"))
    vote(api, "hw", case_no, False, "不同意")
    assert case(api, case_no)["outcome"] == "rejected"
    assert len([e for e in events(api, case_no) if e["type"] == "task.cancelled"]) == 2


def test_all_needs_every_signer_and_ends_at_the_first_no(api):
    passing = start_signing(api, "cs_all", countersign_process("all"))
    for who in SIGNERS:
        vote(api, who, passing, True)
    assert [t["node_id"] for t in case(api, passing)["open_tasks"]] == ["after"]

    failing = start(api, "cs_all", signers=SIGNERS)["case_no"]
    vote(api, "sw", failing, True)
    vote(api, "sz", failing, False, "不符合要求")
    assert case(api, failing)["outcome"] == "rejected"


def test_sequential_signers_one_after_another(api):
    case_no = start_signing(api, "cs_seq", countersign_process("sequential", sequential=True))
    assert signers_open(api, case_no) == ["sw"]
    vote(api, "sw", case_no, True)
    assert signers_open(api, case_no) == ["sz"]
    vote(api, "sz", case_no, True)
    vote(api, "hw", case_no, True)
    assert [t["node_id"] for t in case(api, case_no)["open_tasks"]] == ["after"]


def test_a_vote_needs_agree(api):
    case_no = start_signing(api, "cs_agree", countersign_process("all"))
    task = api("sw").task_for(case_no, "sign")
    response = api("sw").post(f"/tasks/{task['id']}/complete", json={"data": {"opinion": "嗯"}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "agree"
    assert signers_open(api, case_no) == ["hw", "sw", "sz"]


@pytest.mark.parametrize("attributes, code", [
    ('citybpm:signMode="all"', "lint.sign_mode_not_multi_instance"),
    ("MI:citybpm:signMode=\"majority\"", "lint.unknown_sign_mode"),
    ('MI:citybpm:signMode="ratio"', "lint.sign_ratio"),
    ('MI:citybpm:signMode="ratio" citybpm:signRatio="1.5"', "lint.sign_ratio"),
    ('MI:citybpm:signMode="sequential"', "lint.sign_sequential"),
    ('citybpm:returnTargets="nowhere"', "lint.unknown_return_target"),
])
def test_lint_names_the_element(api, attributes, code):
    multi = attributes.startswith("MI:")
    attributes = attributes.removeprefix("MI:")
    loop = ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="signers" camunda:elementVariable="s"/>'
            if multi else "")
    body = f"""
<bpmn:startEvent id="start"/>
<bpmn:userTask id="sign_node" camunda:candidateGroups="acceptor" {attributes}>{loop}</bpmn:userTask>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign_node"/>
<bpmn:sequenceFlow id="f2" sourceRef="sign_node" targetRef="end"/>
"""
    response = upload(api("admin"), process("cs_lint", body))
    assert response.status_code == 422, response.text
    problems = [(p["code"], p["element_id"]) for p in response.json()["errors"]]
    assert (code, "sign_node") in problems


def test_a_signer_holding_two_instances_after_a_transfer_counts_twice(api):
    """One vote per instance, not per person: sw hands their instance to sz, who then signs both."""
    from tests.api.case_ops_helpers import case

    no = start_signing(api, "cs_two_instances", countersign_process("all"))
    mine = [t for t in case(api, no)["open_tasks"] if t["assignee"] == "sw"][0]
    api("sw").ok("POST", f"/tasks/{mine['id']}/transfer", json={"to": "sz", "reason": "请代签"})
    for task in [t for t in case(api, no)["open_tasks"] if t["node_id"] == "sign"]:
        api(task["assignee"]).ok("POST", f"/tasks/{task['id']}/complete",
                                 json={"data": {"agree": True, "opinion": "同意"}})
    assert [t["node_id"] for t in case(api, no)["open_tasks"]] == ["after"]
