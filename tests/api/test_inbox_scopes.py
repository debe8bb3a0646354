"""The inbox scopes agree with each other: 全部 (scope=all) is exactly 我的 (mine) plus 可签收 (candidate), each task
once, whoever else holds the rest. scope=all is a union of two indexed sets (api.visibility): these pin its result
to the plain meaning, "assigned to me, or unclaimed and I am a candidate"."""
from __future__ import annotations

import json

import pytest

from tests.helpers import ApiClient

BPMN_NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')
PROCESS = "inbox_scopes"


def parallel_work() -> bytes:
    """Three tasks at once: one for the acceptors, one naming sly both by name and by role (two candidate rows that
    match her), one for the shift leader only."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS} id="d_{PROCESS}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{PROCESS}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="pool"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="named"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="other"/>
    <bpmn:userTask id="pool" name="受理池" camunda:candidateGroups="acceptor"/>
    <bpmn:userTask id="named" name="点名" camunda:candidateUsers="sly" camunda:candidateGroups="acceptor"/>
    <bpmn:userTask id="other" name="值班长" camunda:candidateGroups="shift_leader"/>
    <bpmn:sequenceFlow id="f4" sourceRef="pool" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="named" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="other" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture(scope="module")
def process(server):
    admin = ApiClient(server).login("admin")
    response = admin.post("/definitions", files={"files": ("p.bpmn", parallel_work(), "application/xml")})
    assert response.status_code in (200, 201), response.text
    return PROCESS


def ids(client: ApiClient, case_no: str, scope: str) -> list[str]:
    """The case's tasks in one scope of ``client``'s inbox, by node; the pagination total agrees with the page."""
    response = client.get("/tasks", params={"case_no": case_no, "scope": scope, "page_size": 100})
    assert response.status_code == 200, response.text
    nodes = [t["node_id"] for t in response.json()]
    assert json.loads(response.headers["X-Pagination"])["total"] == len(nodes)
    return nodes


def start(api) -> tuple[str, dict[str, str]]:
    case = api("jdy").ok("POST", "/cases", 201, json={"process_key": PROCESS, "variables": {}})
    return case["case_no"], {t["node_id"]: t["id"] for t in case["open_tasks"]}


def test_all_is_mine_plus_candidate_each_task_once(api, process):
    case_no, tasks = start(api)
    sly = api("sly")
    assert sorted(ids(sly, case_no, "candidate")) == ["named", "pool"]
    assert sorted(ids(sly, case_no, "all")) == ["named", "pool"]  # 'named' matches twice, listed once
    sly.ok("POST", f"/tasks/{tasks['named']}/claim")
    assert ids(sly, case_no, "mine") == ["named"]
    assert ids(sly, case_no, "candidate") == ["pool"]
    assert sorted(ids(sly, case_no, "all")) == ["named", "pool"]
    assert ids(api("zbz"), case_no, "all") == ["other"]


def test_a_task_claimed_by_someone_else_leaves_every_other_candidates_inbox(api, process):
    case_no, tasks = start(api)
    api("rx").ok("POST", f"/tasks/{tasks['pool']}/claim")
    assert sorted(ids(api("rx"), case_no, "all")) == ["named", "pool"]  # rx is an acceptor: 'named' is open to rx
    assert ids(api("sly"), case_no, "all") == ["named"]
    assert ids(api("sly"), case_no, "candidate") == ["named"]
    assert ids(api("zbz"), case_no, "all") == ["other"]
