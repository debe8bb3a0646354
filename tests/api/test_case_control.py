"""Suspend / resume, terminate and 撤件: all open work ends with a record; projection, timers and events agree."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from api.extensions import db
from tests.api.case_ops_helpers import case, chain, deploy, events, open_nodes, start

# 受理 (stage "file": not yet filed) → 处置 with a 2-hour reminder timer → end
FLOW = f"""
<bpmn:startEvent id="start"/>
<bpmn:userTask id="accept" name="受理" camunda:candidateGroups="acceptor" citybpm:stage="file"/>
<bpmn:userTask id="handle" name="处置" camunda:candidateGroups="shift_leader" citybpm:stage="handle"/>
<bpmn:boundaryEvent id="remind" attachedToRef="handle" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:endEvent id="reminded"/>
<bpmn:sequenceFlow id="f_remind" sourceRef="remind" targetRef="reminded"/>
<bpmn:endEvent id="end"/>
{chain("accept", "handle")}
"""


@pytest.fixture
def flow(api):
    deploy(api, "cc_flow", FLOW)


def timers_of(app, case_id: int) -> int:
    with app.app_context():
        return db.session.execute(sa.text("SELECT count(*) FROM timer WHERE instance_id = :i"), {"i": case_id}).scalar()


def test_terminate_ends_all_open_work_with_records(api, app, flow):
    started = start(api, "cc_flow", who="jdy")
    api("sly").complete(started["case_no"], "accept", {})
    assert timers_of(app, started["id"]) > 0
    ended = api("ld").ok("POST", f"/cases/{started['case_no']}/terminate", json={"reason": "重复上报，领导决定终止"})
    assert (ended["status"], ended["outcome"], ended["open_tasks"]) == ("terminated", "terminated", [])
    assert timers_of(app, started["id"]) == 0
    history = events(api, started["case_no"])
    types = [e["type"] for e in history]
    assert types[-3:] == ["case.terminated", "task.cancelled", "case.ended"]
    assert history[-3]["data"]["reason"] == "重复上报，领导决定终止" and history[-3]["actor"] == "ld"
    assert history[-2]["node_id"] == "handle"
    again = api("ld").post(f"/cases/{started['case_no']}/terminate", json={"reason": "x"})
    assert again.status_code == 409
    assert api("zbz").inbox(case_no=started["case_no"]) == []


def test_terminate_needs_the_permission(api, flow):
    started = start(api, "cc_flow")
    response = api("sly").post(f"/cases/{started['case_no']}/terminate", json={"reason": "x"})
    assert response.status_code == 403
    assert open_nodes(api, started["case_no"]) == ["accept"]
    assert api("ld").post(f"/cases/{started['case_no']}/terminate", json={}).status_code == 422


def test_suspend_resume_then_run_to_the_end(api, flow):
    case_no = start(api, "cc_flow")["case_no"]
    suspended = api("zbz").ok("POST", f"/cases/{case_no}/suspend", json={"kind": "suspend", "reason": "等待调查"})
    assert suspended["status"] == "suspended"
    task = api("sly").task_for(case_no, "accept")
    assert api("sly").post(f"/tasks/{task['id']}/complete", json={"data": {}}).status_code == 409
    api("zbz").ok("POST", f"/cases/{case_no}/resume", json={"reason": "调查完毕"})
    history = events(api, case_no)
    paused = next(e for e in history if e["type"] == "case.suspended")
    assert paused["data"]["kind"] == "suspend" and paused["data"]["reason"] == "等待调查"
    assert any(e["type"] == "case.resumed" for e in history)
    api("sly").complete(case_no, "accept", {})
    api("zbz").complete(case_no, "handle", {})
    assert case(api, case_no)["status"] == "completed"


def test_a_suspended_case_can_be_terminated(api, app, flow):
    started = start(api, "cc_flow")
    api("zbz").ok("POST", f"/cases/{started['case_no']}/suspend", json={"kind": "hang", "reason": "挂账"})
    ended = api("ld").ok("POST", f"/cases/{started['case_no']}/terminate", json={"reason": "终止"})
    assert ended["status"] == "terminated"
    assert timers_of(app, started["id"]) == 0  # the automatic-resume timer went too
    with app.app_context():
        open_pauses = db.session.execute(sa.text("SELECT count(*) FROM case_pause WHERE instance_id = :i "
                                                 "AND ended_at IS NULL"), {"i": started["id"]}).scalar()
    assert open_pauses == 0


def test_reporter_withdraws_before_filing_only(api, flow):
    early = start(api, "cc_flow", who="jdy")["case_no"]
    withdrawn = api("jdy").ok("POST", f"/cases/{early}/withdraw", json={"reason": "误报"})
    assert (withdrawn["status"], withdrawn["outcome"], withdrawn["open_tasks"]) == ("terminated", "withdrawn", [])
    record = next(e for e in events(api, early) if e["type"] == "case.withdrawn")
    assert record["data"] == {"reason": "误报", "by_reporter": True} and record["actor"] == "jdy"

    filed = start(api, "cc_flow", who="jdy")["case_no"]
    api("sly").complete(filed, "accept", {})
    refused = api("jdy").post(f"/cases/{filed}/withdraw", json={"reason": "不需要了"})
    assert refused.status_code == 409
    # someone else's report: not theirs to withdraw (and the centre's permission is missing)
    other = start(api, "cc_flow", who="jdy2")["case_no"]
    assert api("jdy").post(f"/cases/{other}/withdraw", json={"reason": "x"}).status_code in (403, 404)
    # the centre withdraws at any stage
    by_centre = api("zbz").ok("POST", f"/cases/{filed}/withdraw", json={"reason": "群众撤诉"})
    assert by_centre["outcome"] == "withdrawn"
    assert [e["node_id"] for e in events(api, filed) if e["type"] == "task.cancelled"] == ["handle"]
