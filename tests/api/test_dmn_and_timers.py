"""DMN decisions and BPMN timers run through the sandbox and the engine clock."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from api.extensions import db
from engine.models import Instance
from tests.api.test_definitions_api import upload

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def deploy_dispatch_rule(admin):
    files = [("files", (name, (FIXTURES / "dmn" / name).read_bytes(), "application/xml"))
             for name in ("dispatch_rule.bpmn", "dispatch_department.dmn")]
    response = admin.post("/definitions", files=files)
    assert response.status_code in (200, 201), response.text
    assert sorted(f["kind"] for f in response.json()["files"]) == ["bpmn", "dmn"]


def test_dmn_decision_routes_the_case(api):
    deploy_dispatch_rule(api("admin"))
    water = api("sly").ok("POST", "/cases", 201, json={"process_key": "dispatch_rule",
                                                        "variables": {"category_code": "0102"}})
    assert water["open_tasks"][0]["candidates"] == ["org:D_WATER"]
    roads = api("sly").ok("POST", "/cases", 201, json={"process_key": "dispatch_rule",
                                                        "variables": {"category_code": "0201"}})
    assert roads["open_tasks"][0]["candidates"] == ["org:D_ROADS"]


def test_dmn_with_feel_list_cell_is_refused_at_deploy(api):
    bad = (FIXTURES / "dmn" / "dispatch_department.dmn").read_bytes().replace(
        b'? in ("0101", "0102")', b'"0101","0102"')
    response = api("admin").post("/definitions", files=[
        ("files", ("dispatch_rule.bpmn", (FIXTURES / "dmn" / "dispatch_rule.bpmn").read_bytes(), "application/xml")),
        ("files", ("bad.dmn", bad, "application/xml"))])
    assert response.status_code == 422
    assert [(p["code"], p["element_id"]) for p in response.json()["errors"]] == [("lint.dmn_cell", "r_water_in")]


TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="sign_timer" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign"/>
    <bpmn:userTask id="sign" name="签收" camunda:candidateGroups="handler"/>
    <bpmn:boundaryEvent id="late" attachedToRef="sign" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate"/>
    <bpmn:userTask id="escalate" name="超时督办" camunda:candidateGroups="shift_leader"/>
    <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="end2"/>
    <bpmn:endEvent id="end"/>
    <bpmn:endEvent id="end2"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_bare_iso_boundary_timer_follows_the_virtual_clock(api, app, virtual_clock):
    """PT1H written bare, as Camunda Modeler does; the engine clock decides when it is due."""
    assert upload(api("admin"), TIMER_PROCESS.encode()).status_code in (200, 201)
    case = api("sly").ok("POST", "/cases", 201, json={"process_key": "sign_timer"})
    case_no = case["case_no"]
    engine = app.extensions["citybpm_engine"]

    with app.app_context():
        instance = db.session.scalars(select(Instance).where(Instance.case_no == case_no)).one()
        workflow = engine.workflow_of(db.session, instance)
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert [t.task_spec.name for t in workflow.get_tasks() if t.state == TaskState.READY] == ["sign"]
        virtual_clock.advance(dt.timedelta(minutes=61))
        workflow.refresh_timers()
        workflow.do_engine_steps()
        ready = sorted(t.task_spec.name for t in workflow.get_tasks() if t.state == TaskState.READY)
        assert ready == ["escalate"]
