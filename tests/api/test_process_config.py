"""流程配置 over HTTP: candidate strategies and fallbacks per node, allowed operations, time-limit overrides,
suspended versions, and migrating running cases to a new version (refused with the reason when unsafe)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from api.auth import hash_password
from api.extensions import db, rest
from api.process_config import blp as process_config_blp
from api.seed import DEMO_PASSWORD
from engine import org_service
from engine.audit import Who
from engine.identity import Membership, Org, User, UserRole
from engine.models import Instance
from engine.timers import TIMERS, TimerKind
from tests.helpers import ApiClient

BPMN = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')


def process(process_id: str, body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN} id="d_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def one_task(process_id: str, name: str = "处理", extra: str = "") -> bytes:
    return process(process_id, f"""
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="{name}" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>{extra}""")


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="pc_rules" name="办理人规则"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="pc_handlers" name="小类 → 办理人">
    <decisionTable id="pc_table" hitPolicy="UNIQUE">
      <input id="pc_in" label="小类">
        <inputExpression id="pc_in_expr" typeRef="string"><text>category_code</text></inputExpression>
      </input>
      <output id="pc_out" label="办理人" name="candidates" typeRef="string"/>
      <rule id="pc_r1">
        <inputEntry id="pc_r1_in"><text>"0101"</text></inputEntry>
        <outputEntry id="pc_r1_out"><text>"org:D_WATER"</text></outputEntry>
      </rule>
      <rule id="pc_r2">
        <inputEntry id="pc_r2_in"><text>"1001"</text></inputEntry>
        <outputEntry id="pc_r2_out"><text>["hw", "role:shift_leader"]</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


@pytest.fixture(scope="module", autouse=True)
def process_config_api(app):
    """The blueprint, registered here until api/app.py lists it. Flask refuses new blueprints once an app has
    served a request, so the flag is lifted for it; and the shared flask-smorest Api may have been bound to
    another app since (test_cli builds one)."""
    if "process_config" not in app.blueprints:
        served, app._got_first_request = app._got_first_request, False
        bound, rest._app = rest._app, app
        try:
            rest.register_blueprint(process_config_blp)
        finally:
            app._got_first_request, rest._app = served, bound


@pytest.fixture(scope="module")
def org_tree(app):
    """PC_DEPT (leader pc_dl) ⊃ PC_TEAM (leader pc_tl); pc_worker works in the team; PC_EMPTY has no leader."""
    with app.app_context():
        if db.session.scalar(select(Org.id).where(Org.code == "PC_DEPT")) is None:
            password = hash_password(DEMO_PASSWORD)
            people = {}
            for username, role in (("pc_dl", "handler"), ("pc_tl", "handler"), ("pc_worker", "acceptor")):
                user = User(username=username, display_name=username, password_hash=password, is_active=True)
                user.roles = [UserRole(role_code=role)]
                db.session.add(user)
                people[username] = user
            db.session.flush()
            who = Who("test")
            org_service.create_org(db.session, who, code="PC_DEPT", name="配置测试局", kind="department",
                                   parent="CITY", leader_username="pc_dl")
            org_service.create_org(db.session, who, code="PC_TEAM", name="配置测试队", kind="team",
                                   parent="PC_DEPT", leader_username="pc_tl")
            org_service.create_org(db.session, who, code="PC_EMPTY", name="无负责人科", kind="department",
                                   parent="CITY")
            for username, org in (("pc_dl", "PC_DEPT"), ("pc_tl", "PC_TEAM"), ("pc_worker", "PC_TEAM")):
                db.session.add(Membership(user_id=people[username].id, org_code=org, is_primary=True))
            db.session.commit()


def deploy(admin, content: bytes, *files: tuple[str, bytes]) -> dict:
    parts = [("files", ("p.bpmn", content, "application/xml"))]
    parts += [("files", (name, data, "application/xml")) for name, data in files]
    response = admin.post("/definitions", files=parts)
    assert response.status_code in (200, 201), response.text
    return response.json()


def configure(admin, key: str, node: str = "work", **settings) -> dict:
    return admin.ok("PUT", f"/processes/{key}/nodes/{node}/settings", json=settings)


def start(client, key: str, **variables) -> dict:
    return client.ok("POST", "/cases", 201, json={"process_key": key, "variables": variables})


def candidates_of(case: dict) -> list[str]:
    assert len(case["open_tasks"]) == 1, case["open_tasks"]
    return sorted(case["open_tasks"][0]["candidates"])


def event_types(client, case_no: str) -> list[str]:
    return [e["type"] for e in client.ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})]


@pytest.fixture(scope="module")
def assign(server):
    """A one-task process, plus the DMN table deployed with it."""
    deploy(ApiClient(server).login("admin"), one_task("pc_assign"), ("pc_rules.dmn", DMN))
    return "pc_assign"


# --- candidate strategies ---------------------------------------------------------------------------

@pytest.mark.parametrize("strategy, expected", [
    ({"kind": "role", "role": "shift_leader"}, ["role:shift_leader"]),
    ({"kind": "org", "org": "D_WATER"}, ["org:D_WATER"]),
    ({"kind": "org_leader", "org": "PC_DEPT"}, ["user:pc_dl"]),
    ({"kind": "initiator_leader", "levels": 1}, ["user:pc_tl"]),
    ({"kind": "initiator_leader", "levels": 2}, ["user:pc_dl"]),
])
def test_strategy_names_the_candidates(api, assign, org_tree, strategy, expected):
    configure(api("admin"), assign, candidate_strategy=strategy)
    case = start(api("pc_worker"), assign)
    assert candidates_of(case) == expected
    assert "task.unassigned" not in event_types(api("admin"), case["case_no"])


def test_the_initiators_leader_takes_and_completes_the_task(api, assign, org_tree):
    configure(api("admin"), assign, candidate_strategy={"kind": "initiator_leader", "levels": 1})
    case = start(api("pc_worker"), assign)
    assert api("pc_dl").inbox(case_no=case["case_no"]) == []
    api("pc_tl").complete(case["case_no"], "work", {})
    assert api("admin").ok("GET", f"/cases/{case['case_no']}")["status"] == "completed"


def test_form_field_names_a_person_or_tokens(api, assign, org_tree):
    configure(api("admin"), assign, candidate_strategy={"kind": "form_field", "field": "next_handler"})
    assert candidates_of(start(api("sly"), assign, next_handler="sw")) == ["user:sw"]
    tokens = start(api("sly"), assign, next_handler=["org:D_ROADS", "role:leader"])
    assert candidates_of(tokens) == ["org:D_ROADS", "role:leader"]


def test_expression_gives_usernames_or_tokens(api, assign):
    configure(api("admin"), assign, candidate_strategy={
        "kind": "expression", "expression": "['org:' + department, 'zbz'] if department else 'zbz'"})
    assert candidates_of(start(api("sly"), assign, department="D_GREEN")) == ["org:D_GREEN", "user:zbz"]
    assert candidates_of(start(api("sly"), assign, department="")) == ["user:zbz"]


def test_dmn_decision_deployed_with_the_process_names_the_candidates(api, assign):
    configure(api("admin"), assign, candidate_strategy={"kind": "dmn", "decision": "pc_handlers"})
    assert candidates_of(start(api("sly"), assign, category_code="0101")) == ["org:D_WATER"]
    assert candidates_of(start(api("sly"), assign, category_code="1001")) == ["role:shift_leader", "user:hw"]


def test_fallback_role_when_nobody_resolves_and_the_event_shows_it(api, assign, org_tree):
    configure(api("admin"), assign, candidate_strategy={"kind": "org_leader", "org": "PC_EMPTY"},
              fallback={"kind": "role", "role": "shift_leader"})
    case = start(api("sly"), assign)
    assert candidates_of(case) == ["role:shift_leader"]
    events = api("admin").ok("GET", f"/cases/{case['case_no']}/events", params={"page_size": 100})
    unassigned = [e for e in events if e["type"] == "task.unassigned"]
    assert len(unassigned) == 1 and unassigned[0]["data"]["fallback"] == "role"
    api("zbz").complete(case["case_no"], "work", {})


def test_default_fallback_is_the_admin_role_without_a_lane(api, assign):
    configure(api("admin"), assign, candidate_strategy={"kind": "form_field", "field": "nobody_here"})
    case = start(api("sly"), assign)
    assert candidates_of(case) == ["role:admin"]
    assert "task.unassigned" in event_types(api("admin"), case["case_no"])


def test_a_role_nobody_holds_counts_as_nobody(api, assign):
    configure(api("admin"), assign, candidate_strategy={"kind": "form_field", "field": "who"},
              fallback={"kind": "user", "username": "zbz"})
    assert candidates_of(start(api("sly"), assign, who="no_such_user")) == ["user:zbz"]
    assert candidates_of(start(api("sly"), assign, who="sw")) == ["user:sw"]


def test_fallback_error_fails_the_command_with_a_clear_422(api, assign):
    configure(api("admin"), assign, candidate_strategy={"kind": "org_leader", "org": "PC_EMPTY"},
              fallback={"kind": "error"})
    response = api("sly").post("/cases", json={"process_key": assign, "variables": {}})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "assignment_unresolved"
    assert "找不到办理人" in response.json()["detail"]
    english = api("sly").post("/cases", json={"process_key": assign, "variables": {}},
                              headers={"Accept-Language": "en"})
    assert "nobody can be assigned to 'work'" in english.json()["detail"]
    assert api("admin").ok("GET", "/cases", params={"page_size": 100}) == []


# --- allowed operations and time limit --------------------------------------------------------------

def test_allowed_operations_without_complete_refuse_completing(api, assign):
    configure(api("admin"), assign, allowed_operations=["claim", "transfer"])
    case = start(api("sly"), assign)
    assert candidates_of(case) == ["role:acceptor"]  # no strategy: the BPMN decides who
    task_id = case["open_tasks"][0]["id"]
    assert api("sly").post(f"/tasks/{task_id}/claim").status_code == 200
    refused = api("sly").post(f"/tasks/{task_id}/complete", json={"data": {}})
    assert refused.status_code == 403 and refused.json()["code"] == "operation_not_allowed"
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    # someone who may not see the task learns nothing more than before
    assert api("sw").post(f"/tasks/{task_id}/complete", json={"data": {}}).status_code == 404

    configure(api("admin"), assign, allowed_operations=["complete"])
    assert api("sly").post(f"/tasks/{task_id}/complete", json={"data": {}}).status_code == 200


def test_allowed_operations_without_claim_refuse_claiming(api, assign):
    configure(api("admin"), assign, allowed_operations=["complete"])
    case = start(api("sly"), assign)
    refused = api("sly").post(f"/tasks/{case['open_tasks'][0]['id']}/claim")
    assert refused.status_code == 403 and refused.json()["code"] == "operation_not_allowed"


def test_time_limit_code_replaces_the_bpmn_one(api, assign):
    configure(api("admin"), assign)
    assert start(api("sly"), assign)["open_tasks"][0]["due_at"] is None
    configure(api("admin"), assign, time_limit="accept")  # 受理: 15 minutes of clock time by default
    task = start(api("sly"), assign)["open_tasks"][0]
    due, created = dt.datetime.fromisoformat(task["due_at"]), dt.datetime.fromisoformat(task["created_at"])
    assert due - created == dt.timedelta(minutes=15)


# --- reading and validating settings ----------------------------------------------------------------

def test_nodes_list_bpmn_settings_and_overrides(api, assign):
    configure(api("admin"), assign, candidate_strategy={"kind": "role", "role": "leader"},
              allowed_operations=["claim", "complete", "urge"], time_limit="handle")
    listed = api("admin").ok("GET", f"/processes/{assign}/nodes")
    assert [n["node_id"] for n in listed["nodes"]] == ["work"]
    node = listed["nodes"][0]
    assert node["bpmn"]["candidate_groups"] == ["acceptor"]
    assert node["settings"]["candidate_strategy"] == {"kind": "role", "role": "leader"}
    assert node["settings"]["allowed_operations"] == ["claim", "complete", "urge"]
    one = api("admin").ok("GET", f"/processes/{assign}/nodes/work/settings")
    assert one["configured"] and one["time_limit"] == "handle" and one["updated_by"] == "admin"
    assert api("admin").request("DELETE", f"/processes/{assign}/nodes/work/settings").status_code == 204
    assert api("admin").ok("GET", f"/processes/{assign}/nodes/work/settings")["configured"] is False


@pytest.mark.parametrize("settings, field", [
    ({"candidate_strategy": {"kind": "astrology"}}, "candidate_strategy.kind"),
    ({"candidate_strategy": {"kind": "role", "role": "no_such_role"}}, "candidate_strategy.role"),
    ({"candidate_strategy": {"kind": "role"}}, "candidate_strategy.role"),
    ({"candidate_strategy": {"kind": "org_leader", "org": "NO_SUCH_ORG"}}, "candidate_strategy.org"),
    ({"candidate_strategy": {"kind": "expression", "expression": "a +"}}, "candidate_strategy.expression"),
    ({"candidate_strategy": {"kind": "expression", "expression": "().__class__"}}, "candidate_strategy.expression"),
    ({"candidate_strategy": {"kind": "dmn", "decision": "nope"}}, "candidate_strategy.decision"),
    ({"candidate_strategy": {"kind": "role", "role": "leader", "org": "D_WATER"}}, "candidate_strategy.org"),
    ({"candidate_strategy": {"kind": "initiator_leader", "levels": 0}}, "candidate_strategy.levels"),
    ({"fallback": {"kind": "org", "org": "NO_SUCH_ORG"}}, "fallback.org"),
    ({"fallback": {"kind": "user", "username": "ghost"}}, "fallback.username"),
    ({"allowed_operations": ["complete", "teleport"]}, "allowed_operations.1"),
    ({"time_limit": "forever"}, "time_limit"),
    ({"candidate_strategy": "role"}, "candidate_strategy._schema"),
    ({"fallback": {"kind": "error", "role": "leader"}}, "fallback.role"),
    ({"candidate_strategy": {"kind": "role", "role": "${department"}}, "candidate_strategy.role"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_settings_are_refused_with_field_errors(api, assign, settings, field):
    response = api("admin").request("PUT", f"/processes/{assign}/nodes/work/settings", json=settings)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_settings_need_a_known_user_task_and_a_configurer(api, assign):
    assert api("admin").request("PUT", f"/processes/{assign}/nodes/start/settings", json={}).status_code == 404
    assert api("admin").request("PUT", "/processes/no_such_process/nodes/work/settings",
                                json={}).status_code == 404
    assert api("sly").request("PUT", f"/processes/{assign}/nodes/work/settings", json={}).status_code == 403


# --- suspending versions ----------------------------------------------------------------------------

def test_a_suspended_version_starts_no_cases_while_running_ones_complete(api):
    admin = api("admin")
    deploy(admin, one_task("pc_suspend"))
    running = start(api("sly"), "pc_suspend")
    status = admin.ok("POST", "/definitions/pc_suspend/versions/1/suspend")
    assert status == {"key": "pc_suspend", "version": 1, "status": "suspended", "starts_on": None,
                      "running_cases": 1}
    refused = api("sly").post("/cases", json={"process_key": "pc_suspend", "variables": {}})
    assert refused.status_code == 404 and "未启用" in refused.json()["detail"]
    api("sly").complete(running["case_no"], "work", {})
    assert admin.ok("GET", f"/cases/{running['case_no']}")["status"] == "completed"
    assert admin.ok("GET", "/definitions/pc_suspend/versions/1")["status"] == "suspended"

    assert admin.ok("POST", "/definitions/pc_suspend/versions/1/activate")["starts_on"] == 1
    assert start(api("sly"), "pc_suspend")["process_version"] == 1
    assert api("sly").post("/definitions/pc_suspend/versions/1/suspend").status_code == 403
    assert admin.post("/definitions/pc_suspend/versions/9/suspend").status_code == 404


def test_suspending_the_latest_version_sends_new_cases_to_the_older_one(api):
    admin = api("admin")
    deploy(admin, one_task("pc_suspend2"))
    deploy(admin, one_task("pc_suspend2", "处理（第二版）"))
    assert admin.ok("POST", "/definitions/pc_suspend2/versions/2/suspend")["starts_on"] == 1
    assert start(api("sly"), "pc_suspend2")["process_version"] == 1
    admin.ok("POST", "/definitions/pc_suspend2/versions/2/activate")


# --- migrating running cases ------------------------------------------------------------------------

REVIEW_AFTER_WORK = process("pc_migrate", """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="处理（新）" camunda:candidateGroups="acceptor"/>
    <bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="review"/>
    <bpmn:userTask id="review" name="复核" camunda:candidateGroups="shift_leader"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="late_end"/>
    <bpmn:endEvent id="late_end"/>""")

WITH_TIMER = process("pc_migrate", """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="处理" camunda:candidateGroups="acceptor"/>
    <bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="late_end"/>
    <bpmn:endEvent id="late_end"/>""")

WORK_REMOVED = process("pc_migrate", """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="other"/>
    <bpmn:userTask id="other" name="另一个环节" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="other" targetRef="end"/>
    <bpmn:endEvent id="end"/>""")


def bpmn_timer_due(app, case_no: str):
    with app.app_context():
        case_id = db.session.scalar(select(Instance.id).where(Instance.case_no == case_no))
        return db.session.execute(select(TIMERS.c.due_at).where(TIMERS.c.instance_id == case_id,
                                                                TIMERS.c.kind == TimerKind.BPMN)).scalars().all()


def test_unsafe_migration_is_refused_with_the_reason_and_a_safe_one_moves_running_cases(api, app, virtual_clock):
    admin, sly = api("admin"), api("sly")
    v1 = deploy(admin, WITH_TIMER)["version"]
    first, second = start(sly, "pc_migrate"), start(sly, "pc_migrate")
    timer_due = bpmn_timer_due(app, first["case_no"])
    assert len(timer_due) == 1
    virtual_clock.advance(dt.timedelta(minutes=30))

    # v2 removes the task both cases wait in: refused, with the reason, and nothing moves
    v2 = deploy(admin, WORK_REMOVED)["version"]
    plan = admin.ok("POST", "/definitions/pc_migrate/migrations/plan", json={"from_version": v1, "to_version": v2})
    assert {c["node_id"] for c in plan["removed"]} >= {"work"} and [c["node_id"] for c in plan["added"]] == ["other"]
    assert len(plan["instances"]) == 2 and not any(i["can_migrate"] for i in plan["instances"])
    reason = plan["instances"][0]["reasons"][0]
    assert (reason["code"], reason["node_id"]) == ("active_task_removed", "work")
    assert "已删除" in reason["message"]
    report = admin.ok("POST", "/definitions/pc_migrate/migrations", json={"from_version": v1, "to_version": v2})
    assert report["migrated"] == [] and len(report["refused"]) == 2
    assert report["refused"][0]["reasons"][0]["code"] == "active_task_removed"
    assert sly.ok("GET", f"/cases/{first['case_no']}")["process_version"] == v1

    # v3 renames the task and adds a review after it: safe; the running cases move and run to the end
    v3 = deploy(admin, REVIEW_AFTER_WORK)["version"]
    plan = admin.ok("POST", "/definitions/pc_migrate/migrations/plan", json={"from_version": v1, "to_version": v3})
    assert [c["node_id"] for c in plan["added"]] == ["review"] and plan["removed"] == []
    work = next(c for c in plan["changed"] if c["node_id"] == "work")
    assert "bpmn_name" in work["attributes"] and "outputs" in work["attributes"]
    assert all(i["can_migrate"] and i["active_nodes"] == ["late", "work"] for i in plan["instances"])
    report = admin.ok("POST", "/definitions/pc_migrate/migrations", json={"from_version": v1, "to_version": v3,
                                                                       "case_nos": [first["case_no"],
                                                                                    second["case_no"], "NOPE"]})
    assert sorted(m["case_no"] for m in report["migrated"]) == sorted([first["case_no"], second["case_no"]])
    assert [r["case_no"] for r in report["refused"]] == ["NOPE"]
    assert all(len(m["rewritten_tasks"]) == 1 for m in report["migrated"])

    assert bpmn_timer_due(app, first["case_no"]) == timer_due  # the running timer did not restart
    case = sly.ok("GET", f"/cases/{first['case_no']}")
    assert case["process_version"] == v3
    task = sly.task_for(first["case_no"], "work")
    assert task["name"] == "处理（新）"
    events = admin.ok("GET", f"/cases/{first['case_no']}/events", params={"page_size": 100})
    migrated = [e for e in events if e["type"] == "case.migrated"]
    assert len(migrated) == 1 and migrated[0]["data"]["from_version"] == v1
    assert migrated[0]["data"]["to_version"] == v3 and migrated[0]["data"]["diff"]["added"] == ["review"]

    for case_no in (first["case_no"], second["case_no"]):
        sly.complete(case_no, "work", {"result": "done"})
        api("zbz").complete(case_no, "review", {})
        assert admin.ok("GET", f"/cases/{case_no}")["status"] == "completed"

    # nothing left on v1
    empty = admin.ok("POST", "/definitions/pc_migrate/migrations/plan", json={"from_version": v1, "to_version": v3})
    assert empty["instances"] == []


def test_migration_requests_are_checked(api):
    admin = api("admin")
    deploy(admin, one_task("pc_migrate_checks"))
    same = admin.post("/definitions/pc_migrate_checks/migrations/plan", json={"from_version": 1, "to_version": 1})
    assert same.status_code == 422
    assert admin.post("/definitions/pc_migrate_checks/migrations/plan",
                      json={"from_version": 1, "to_version": 7}).status_code == 404
    assert api("sly").post("/definitions/pc_migrate_checks/migrations",
                           json={"from_version": 1, "to_version": 1}).status_code == 403


BEFORE_WORK = process("pc_unsafe", """
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="prepare"/>
    <bpmn:task id="prepare" name="准备"/>
    <bpmn:sequenceFlow id="f1" sourceRef="prepare" targetRef="work"/>
    <bpmn:userTask id="work" name="处理" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>""")

SUBPROCESS = """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="body"/>
    <bpmn:subProcess id="body" name="处置">
      <bpmn:startEvent id="body_start"/>
      <bpmn:sequenceFlow id="b1" sourceRef="body_start" targetRef="inner"/>
      <bpmn:userTask id="inner" name="内部处理" camunda:candidateGroups="acceptor"/>
      <bpmn:sequenceFlow id="b2" sourceRef="inner" targetRef="{after_inner}"/>
      {extra}
      <bpmn:endEvent id="body_end"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="body" targetRef="end"/>
    <bpmn:endEvent id="end"/>"""


@pytest.mark.parametrize("v1, v2, code, node", [
    # the task the case waits in became another kind of task
    (one_task("pc_unsafe"), process("pc_unsafe", """
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
        <bpmn:manualTask id="work" name="处理"/>
        <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
        <bpmn:endEvent id="end"/>"""), "active_task_changed", "work"),
    # a step the case has passed is gone, but the state still holds it (the waiting task's parent)
    (BEFORE_WORK, one_task("pc_unsafe"), "kept_task_removed", "prepare"),
    # a step was added inside the subprocess the case is running
    (process("pc_unsafe", SUBPROCESS.format(after_inner="body_end", extra="")),
     process("pc_unsafe", SUBPROCESS.format(after_inner="inner_check", extra="""
      <bpmn:userTask id="inner_check" name="内部复核" camunda:candidateGroups="acceptor"/>
      <bpmn:sequenceFlow id="b3" sourceRef="inner_check" targetRef="body_end"/>""")),
     "running_subprocess_changed", "body"),
])
def test_unsafe_migrations_are_refused_with_their_reason(api, v1, v2, code, node):
    admin = api("admin")
    old = deploy(admin, v1)["version"]
    case = start(api("sly"), "pc_unsafe")
    new = deploy(admin, v2)["version"]
    plan = admin.ok("POST", "/definitions/pc_unsafe/migrations/plan", json={"from_version": old, "to_version": new})
    [instance] = plan["instances"]
    assert not instance["can_migrate"]
    assert (code, node) in [(r["code"], r["node_id"]) for r in instance["reasons"]], instance["reasons"]
    english = admin.post("/definitions/pc_unsafe/migrations", json={"from_version": old, "to_version": new},
                         headers={"Accept-Language": "en"}).json()
    assert english["migrated"] == [] and english["refused"][0]["case_no"] == case["case_no"]
    assert english["refused"][0]["reasons"][0]["message"].isascii()
    for task in case["open_tasks"]:
        api("sly").complete(case["case_no"], task["node_id"], {})
    assert admin.ok("GET", f"/cases/{case['case_no']}")["status"] == "completed"


PARALLEL = """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="left"/>
    <bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="right"/>
    <bpmn:userTask id="left" name="左" camunda:candidateGroups="acceptor"/>
    <bpmn:userTask id="right" name="右" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="ja" sourceRef="left" targetRef="join"/>
    <bpmn:sequenceFlow id="jb" sourceRef="right" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="{after_join}"/>
    {extra}
    <bpmn:endEvent id="end"/>"""


def test_a_case_waiting_at_a_parallel_join_moves_and_runs_the_added_step(api):
    admin, sly = api("admin"), api("sly")
    old = deploy(admin, process("pc_parallel", PARALLEL.format(after_join="end", extra="")))["version"]
    case = start(sly, "pc_parallel")
    sly.complete(case["case_no"], "left", {"left_done": True})  # the join now holds one token
    new = deploy(admin, process("pc_parallel", PARALLEL.format(after_join="close", extra="""
    <bpmn:userTask id="close" name="结案" camunda:candidateGroups="shift_leader"/>
    <bpmn:sequenceFlow id="f3" sourceRef="close" targetRef="end"/>""")))["version"]
    report = admin.ok("POST", "/definitions/pc_parallel/migrations", json={"from_version": old, "to_version": new})
    assert [m["case_no"] for m in report["migrated"]] == [case["case_no"]], report
    sly.complete(case["case_no"], "right", {})
    close = api("zbz").task_for(case["case_no"], "close")
    detail = api("zbz").ok("GET", f"/tasks/{close['id']}")
    assert detail["data"]["left_done"] is True  # what the first branch wrote survived the move
    api("zbz").complete(case["case_no"], "close", {})
    assert admin.ok("GET", f"/cases/{case['case_no']}")["status"] == "completed"
