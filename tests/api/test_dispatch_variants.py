"""The dispatch variants, the dispatch rules and 回退, end to end over real HTTP with the roles."""
from __future__ import annotations

from tests.api.test_closed_loop_flow import report

PASS = {"check_result": "pass", "check_opinion": "合格"}


def file_case(api, **overrides):
    case_no = report(api, **overrides)["case_no"]
    api("sly").complete(case_no, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    api("zbz").complete(case_no, "register", {"register_result": "file", "register_opinion": "立案"})
    return case_no


def events_of(api, case_no, type_=None):
    events = api("zbz").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
    return [e for e in events if type_ is None or e["type"] == type_]


def open_nodes(api, case_no):
    return sorted(t["node_id"] for t in api("zbz").ok("GET", f"/cases/{case_no}")["open_tasks"])


def check_and_close(api, case_no, who="jdy"):
    api(who).complete(case_no, "check", PASS)
    api("zbz").complete(case_no, "close", {"close_opinion": "结案"})
    closed = api("zbz").ok("GET", f"/cases/{case_no}")
    assert (closed["status"], closed["outcome"]) == ("completed", "closed")
    return closed


def part(measures="已处置", result="处置完毕"):
    return {"part_measures": measures, "part_result": result}


def test_standard_two_level_dispatch_goes_through_the_team(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "standard", "department": "D_WATER",
                                              "dispatch_opinion": "两级派遣"})
    assert [t["node_id"] for t in api("sw").inbox(case_no=case_no)] == ["sign"]
    assert api("gw").inbox(case_no=case_no) == []
    api("sw").complete(case_no, "sign", {"sign_result": "accept", "team": "T_WATER_PIPE"})
    assert api("sw").inbox(case_no=case_no) == []
    api("gw").complete(case_no, "team_handle", {"handle_measures": "更换井盖", "team_result": "已更换"})
    api("swld").complete(case_no, "review", {"review_result": "pass", "feedback_result": "班组已处置，合格"})
    closed = check_and_close(api, case_no)
    actors = {e["node_id"]: e["actor"] for e in events_of(api, case_no, "task.completed")}
    assert (actors["sign"], actors["team_handle"], actors["review"]) == ("sw", "gw", "swld")
    assert closed["rework_count"] == 0


def test_multi_department_rework_returns_only_failed_part(api):
    case_no = file_case(api)
    departments = ["D_WATER", "D_ROADS", "D_SANITATION"]
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "multi", "departments": departments})
    tasks = api("zbz").ok("GET", f"/cases/{case_no}")["open_tasks"]
    assert sorted(c for t in tasks for c in t["candidates"]) == ["org:D_ROADS", "org:D_SANITATION", "org:D_WATER"]
    assert all(t["node_id"] == "part_handle" and t["due_at"] for t in tasks)  # each part its own deadline

    api("hw").complete(case_no, "part_handle", part("清运", "环卫已处置"))
    api("sw").complete(case_no, "part_handle", part("换井盖", "水务已处置"))
    assert api("jdy").inbox(case_no=case_no) == []  # 核查 waits for every part
    api("sz").complete(case_no, "part_handle", part("修路面", "市政已处置"))

    api("jdy").complete(case_no, "check", {"check_result": "fail", "failed_parts": ["D_ROADS"],
                                           "check_opinion": "路面未修好"})
    assert api("sz").inbox(case_no=case_no)[0]["node_id"] == "part_handle"
    assert api("sw").inbox(case_no=case_no) == [] and api("hw").inbox(case_no=case_no) == []
    api("sz").complete(case_no, "part_handle", part("重新铺设", "市政返工完毕"))

    check = api("jdy").task_for(case_no, "check")
    reports = api("jdy").ok("GET", f"/tasks/{check['id']}")["data"]["part_reports"]
    assert {d: r["part_result"] for d, r in reports.items()} == {
        "D_WATER": "水务已处置", "D_ROADS": "市政返工完毕", "D_SANITATION": "环卫已处置"}
    closed = check_and_close(api, case_no)
    assert closed["rework_count"] == 1
    created = [e["data"]["candidates"] for e in events_of(api, case_no, "task.created") if e["node_id"] == "part_handle"]
    assert len(created) == 4 and created[-1] == ["org:D_ROADS"]


def test_main_submission_closes_the_open_assist_with_a_record(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "main_assist", "main_department": "D_WATER",
                                              "assist_departments": ["D_ROADS", "D_GREEN"]})
    assert open_nodes(api, case_no) == ["assist_handle", "assist_handle", "main_handle"]
    assert api("zbz").ok("GET", f"/cases/{case_no}")["variables"]["department"] == "D_WATER"  # the main owns it

    api("sz").complete(case_no, "assist_handle", {"assist_opinion": "路面配合开挖"})
    main = api("sw").task_for(case_no, "main_handle")
    data = api("sw").ok("GET", f"/tasks/{main['id']}")["data"]
    assert data["assist_reports"]["D_ROADS"]["assist_opinion"] == "路面配合开挖"
    assert api("yl").inbox(case_no=case_no)[0]["node_id"] == "assist_handle"

    api("sw").complete(case_no, "main_handle", {"handle_measures": "更换井盖", "feedback_result": "主办汇总反馈"})
    assert api("yl").inbox(case_no=case_no) == []
    closed_events = events_of(api, case_no, "task.closed")
    assert len(closed_events) == 1
    assert closed_events[0]["data"]["key"] == "D_GREEN" and "主办" in closed_events[0]["data"]["reason"]
    check_and_close(api, case_no)


def test_cross_region_goes_to_both_districts(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "cross_region", "districts": ["DIST_A", "DIST_B"]})
    for who in ("dcq", "xcq"):
        api(who).complete(case_no, "region_handle", {"handle_measures": "清理", "feedback_result": "本区部分已处置"})
    check_and_close(api, case_no)


def test_cross_region_disputed_ownership_is_decided_by_the_coordinating_level(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "cross_region", "districts": ["DIST_A", "DIST_B"],
                                              "ownership_disputed": True})
    assert open_nodes(api, case_no) == ["coordinate"]
    assert api("dcq").inbox(case_no=case_no) == []
    api("sxt").complete(case_no, "coordinate", {"handling_district": "DIST_B", "coordinate_opinion": "归西城区"})
    assert api("dcq").inbox(case_no=case_no) == []
    api("xcq").complete(case_no, "region_handle", {"handle_measures": "清理", "feedback_result": "已处置"})
    check_and_close(api, case_no)


def test_dispatcher_sees_the_rule_proposal_and_an_override_is_recorded(api):
    case_no = file_case(api)  # 部件 0101 上水井盖 → 水务局 (部件先属主)
    task = api("pqy").task_for(case_no, "dispatch")
    data = api("pqy").ok("GET", f"/tasks/{task['id']}")["data"]
    assert (data["proposed_department"], data["proposed_mode"], data["auto_dispatch"]) == ("D_WATER", "flat", "no")
    api("pqy").complete(case_no, "dispatch", {"department": "D_ROADS", "dispatch_opinion": "改派市政"})
    (override,) = events_of(api, case_no, "proposal.overridden")
    assert override["node_id"] == "dispatch"
    assert override["data"]["fields"] == [{"field": "department", "proposed": "D_WATER", "chosen": "D_ROADS"}]
    assert api("sz").inbox(case_no=case_no)[0]["node_id"] == "handle"


def test_following_the_proposal_records_no_override(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"department": "D_WATER", "dispatch_opinion": "按建议"})
    assert events_of(api, case_no, "proposal.overridden") == []


def test_rules_dispatch_automatically_with_no_dispatcher_task(api):
    # 事件先属地: exposed garbage in 和平街道 goes straight to the street, by the rules alone
    case_no = file_case(api, category_type="event", category_code="1001")
    assert api("pqy").inbox(case_no=case_no) == []
    assert [t["node_id"] for t in api("hp").inbox(case_no=case_no)] == ["handle"]
    assert "dispatch" not in [e["node_id"] for e in events_of(api, case_no, "task.created")]
    api("hp").complete(case_no, "handle", {"handle_sign": True, "handle_measures": "已清运"})
    api("hp").complete(case_no, "feedback", {"feedback_result": "已清运"})
    check_and_close(api, case_no)


def test_auto_dispatched_case_gets_its_case_deadline(api):
    # the case clock (citybpm:caseTimeLimit) must start without a dispatcher task too
    case_no = file_case(api, category_type="event", category_code="1001")
    case = api("zbz").ok("GET", f"/cases/{case_no}")
    assert case["due_at"], case
    (deadline,) = events_of(api, case_no, "case.deadline_set")
    assert deadline["node_id"] is None and deadline["data"]["due_at"]


def test_dispatcher_dispatched_case_gets_its_case_deadline_once(api):
    case_no = file_case(api)
    assert api("zbz").ok("GET", f"/cases/{case_no}")["due_at"]
    api("pqy").complete(case_no, "dispatch", {"department": "D_WATER", "dispatch_opinion": "派水务"})
    assert len(events_of(api, case_no, "case.deadline_set")) == 1


def test_department_returns_the_case_and_the_dispatcher_redispatches(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"department": "D_GREEN", "dispatch_opinion": "派园林"})
    api("yl").complete(case_no, "handle", {"handle_action": "return", "return_reason": "井盖不属于园林"})
    assert api("yl").inbox(case_no=case_no) == []
    assert [t["node_id"] for t in api("pqy").inbox(case_no=case_no)] == ["dispatch"]
    case = api("zbz").ok("GET", f"/cases/{case_no}")
    assert case["variables"]["return_count"] == 1
    counted = events_of(api, case_no, "counter.incremented")
    assert [(e["data"]["variable"], e["data"]["value"]) for e in counted] == [("return_count", 1)]

    api("pqy").complete(case_no, "dispatch", {"department": "D_WATER", "dispatch_opinion": "改派水务"})
    api("sw").complete(case_no, "handle", {"handle_sign": True, "handle_measures": "已更换"})
    api("sw").complete(case_no, "feedback", {"feedback_result": "已更换"})
    check_and_close(api, case_no)


def test_standard_department_may_return_at_sign(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "standard", "department": "D_WATER"})
    api("sw").complete(case_no, "sign", {"sign_result": "return", "return_reason": "不是本局的"})
    assert [t["node_id"] for t in api("pqy").inbox(case_no=case_no)] == ["dispatch"]


def test_redispatch_after_a_return_starts_clean(api):
    case_no = file_case(api)
    api("pqy").complete(case_no, "dispatch", {"dispatch_mode": "standard", "department": "D_WATER"})
    api("sw").complete(case_no, "sign", {"sign_result": "return", "return_reason": "不是本局的"})
    task = api("pqy").task_for(case_no, "dispatch")
    data = api("pqy").ok("GET", f"/tasks/{task['id']}")["data"]
    assert (data["dispatch_mode"], data["department"], data["sign_result"]) == ("flat", None, None)
    assert data["return_reason"] == "不是本局的"  # the dispatcher still sees why
    # a new choice without a mode runs flat, not the returned two-level dispatch
    api("pqy").complete(case_no, "dispatch", {"department": "D_ROADS", "dispatch_opinion": "改派市政"})
    assert [t["node_id"] for t in api("sz").inbox(case_no=case_no)] == ["handle"]
    assert api("sw").inbox(case_no=case_no) == []


def test_multi_dispatch_without_departments_is_refused(api):
    case_no = file_case(api)
    task = api("pqy").task_for(case_no, "dispatch")
    response = api("pqy").post(f"/tasks/{task['id']}/complete", json={"data": {"dispatch_mode": "multi"}})
    assert response.status_code == 422, response.text
    assert "departments" in response.text


BAD_ATTRIBUTES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn" id="d" targetNamespace="http://citybpm.dev">
  <bpmn:process id="bad_attributes" isExecutable="true">
    <bpmn:startEvent id="start" citybpm:set="= 1; ok = 2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="办理" citybpm:set="x = (1 +" citybpm:reportTo="nowhere"
                   citybpm:proposal="department" candidateGroups="handler"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".replace('candidateGroups', 'citybpm:candidateGroups')


def test_malformed_node_attributes_are_refused_at_deploy_naming_the_element(api):
    from tests.api.test_definitions_api import upload

    response = upload(api("admin"), BAD_ATTRIBUTES.encode())
    assert response.status_code == 422, response.text
    found = sorted((p["code"], p["element_id"]) for p in response.json()["errors"])
    assert found == [("lint.bad_proposal", "work"), ("lint.bad_report_to", "work"), ("lint.bad_set", "start"),
                     ("lint.bad_set", "work")]
