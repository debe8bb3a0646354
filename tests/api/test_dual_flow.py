"""双流程派遣: a dispatcher opens an ordinary-procedure case from a disposal case; each shows the other;
the enforcement case's end is recorded on the disposal case."""
from __future__ import annotations

from tests.api.test_closed_loop_flow import REPORT
from tests.api.test_definitions_api import upload

# used only when the real enforcement_ordinary process is not deployed
STAND_IN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="enforcement_ordinary" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="file_approval"/>
    <bpmn:userTask id="file_approval" name="立案审批" camunda:candidateGroups="org:D_ENFORCE"/>
    <bpmn:sequenceFlow id="f2" sourceRef="file_approval" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()

OPEN = {"cause_code": "CG0101", "circumstance": "较重",
        "party": {"party_type": "individual", "party_name": "李四", "party_id_no": "110101199001011234"}}


def open_enforcement(api, case_no, **overrides):
    response = api("pqy").post(f"/cases/{case_no}/enforcement-cases", json={**OPEN, **overrides})
    if response.status_code == 404 and "enforcement_ordinary" in response.text:
        assert upload(api("admin"), STAND_IN, key="enforcement_ordinary").status_code in (200, 201)
        response = api("pqy").post(f"/cases/{case_no}/enforcement-cases", json={**OPEN, **overrides})
    assert response.status_code == 201, response.text
    return response.json()["case_no"]


def disposal_case(api):
    body = {"process_key": "closed_loop", "variables": {**REPORT, "category_type": "event", "category_code": "1102",
                                                        "description": "人民路口占道摆摊经营水果"}}
    return api("jdy").ok("POST", "/cases", 201, json=body)["case_no"]


def test_dispatcher_opens_a_linked_enforcement_case_filled_from_the_cause(api):
    disposal = disposal_case(api)
    enforcement = open_enforcement(api, disposal)

    case = api("admin").ok("GET", f"/cases/{enforcement}")
    variables = case["variables"]
    assert variables["disposal_case_no"] == disposal and variables["cause_name"] == "占道经营"
    assert variables["violated_article"].startswith("《城市市容和环境卫生管理条例》")
    assert (variables["party_name"], variables["procedure"], variables["clue_source"]) == ("李四", "ordinary", "dispatched")
    assert variables["location"] == REPORT["address"] and variables["facts"] == "人民路口占道摆摊经营水果"

    [forward] = api("pqy").ok("GET", f"/cases/{disposal}/links")
    assert (forward["case_no"], forward["direction"], forward["kind"]) == (enforcement, "to", "enforcement")
    [back] = api("pqy").ok("GET", f"/cases/{enforcement}/links")
    assert (back["case_no"], back["direction"]) == (disposal, "from")
    assert any(e["type"] == "enforcement.opened" for e in api("admin").ok("GET", f"/cases/{disposal}/events"))


def test_enforcement_end_is_recorded_on_the_disposal_case(api):
    disposal = disposal_case(api)
    enforcement = open_enforcement(api, disposal)
    api("ld").ok("POST", f"/cases/{enforcement}/terminate", json={"reason": "当事人已自行整改，不予处罚"})

    concluded = [e for e in api("admin").ok("GET", f"/cases/{disposal}/events") if e["type"] == "enforcement.concluded"]
    assert len(concluded) == 1
    assert concluded[0]["data"]["enforcement_case_no"] == enforcement
    assert concluded[0]["data"]["outcome"] == "terminated" and concluded[0]["data"]["cause_code"] == "CG0101"
    # the enforcement case's own events carry no such record
    assert not [e for e in api("admin").ok("GET", f"/cases/{enforcement}/events") if e["type"] == "enforcement.concluded"]


def test_outcome_carries_the_fine(api, app_context):
    from api.extensions import db
    from engine import clock
    from engine.enforcement.links import record_enforcement_outcome
    from engine.models import Event, Instance
    disposal = disposal_case(api)
    enforcement = open_enforcement(api, disposal)
    conn = db.session.connection()
    enforcement_id = db.session.query(Instance.id).filter_by(case_no=enforcement).scalar()
    disposal_id = db.session.query(Instance.id).filter_by(case_no=disposal).scalar()
    record_enforcement_outcome(conn, enforcement_id, {"outcome": "completed"}, {"fine_amount": 500, "decision": "罚款"},
                               actor="zf", at=clock.now())
    db.session.commit()
    event = db.session.query(Event).filter_by(instance_id=disposal_id, type="enforcement.concluded").one()
    assert (event.data["amount"], event.data["decision"], event.data["outcome"]) == (500, "罚款", "completed")


def test_only_holders_of_enforcement_start_may_open_and_unknown_causes_are_refused(api):
    disposal = disposal_case(api)
    assert api("jdy").post(f"/cases/{disposal}/enforcement-cases", json=OPEN).status_code == 403
    unknown = api("pqy").post(f"/cases/{disposal}/enforcement-cases", json={**OPEN, "cause_code": "NOPE"})
    assert unknown.status_code == 404 and "NOPE" in unknown.text
    missing_party = api("pqy").post(f"/cases/{disposal}/enforcement-cases", json={"cause_code": "CG0101"})
    assert missing_party.status_code == 422
