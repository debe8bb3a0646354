"""表单配置 over HTTP: drafts and versions, publish-time checks, a task keeping its version,
per-node field permissions."""
from __future__ import annotations

import pytest

from tests.api.test_closed_loop_flow import report
from tests.api.test_definitions_api import upload

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn"')


def form(*components) -> dict:
    return {"type": "default", "id": "Form_1", "schemaVersion": 16, "components": list(components)}


def text(key, label, **validate) -> dict:
    return {"type": "textfield", "id": f"Field_{key}", "key": key, "label": label, "validate": validate}


def one_task_process(process_id: str, form_key: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}><bpmn:process id="{process_id}" isExecutable="true">
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inspect"/>
<bpmn:userTask id="inspect" name="检查" camunda:formKey="{form_key}" camunda:candidateGroups="acceptor"/>
<bpmn:sequenceFlow id="f2" sourceRef="inspect" targetRef="end"/><bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>""".encode()


def test_draft_publish_versions_diff_export_import(api):
    admin = api("admin")
    created = admin.ok("POST", "/forms", 201, json={"key": "demo_versions", "name": "示例",
                                                     "schema": form(text("result", "检查结果", required=True))})
    assert (created["version"], created["status"]) == (1, "draft")
    assert admin.post("/forms", json={"key": "demo_versions", "schema": form()}).status_code == 409
    assert admin.ok("POST", "/forms/demo_versions/publish")["status"] == "published"
    again = admin.post("/forms/demo_versions/publish")
    assert again.status_code == 409  # nothing left to publish

    draft = admin.ok("PUT", "/forms/demo_versions/draft", json={"schema": form(
        text("result", "检查结果", required=True, maxLength=50), text("note", "备注"))})
    assert (draft["version"], draft["status"]) == (2, "draft")
    detail = admin.ok("GET", "/forms/demo_versions")
    assert detail["draft"]["version"] == 2 and detail["published"]["version"] == 1
    assert [v["version"] for v in detail["versions"]] == [2, 1]

    changes = admin.ok("GET", "/forms/demo_versions/diff", params={"from": 1, "to": 2})["changes"]
    assert {(c["key"], c["change"]) for c in changes} == {("note", "added"), ("result", "changed")}

    exported = admin.get("/forms/demo_versions/versions/1/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    document = exported.json()
    document["key"] = "demo_imported"
    imported = admin.ok("POST", "/forms/import", 201, json=document)
    assert (imported["key"], imported["version"], imported["status"]) == ("demo_imported", 1, "draft")
    assert api("sly").post("/forms", json={"key": "x", "schema": form()}).status_code == 403


def test_an_invalid_definition_is_refused_at_publish(api):
    admin = api("admin")
    broken = form(text("a", "甲"), text("a", "重复的键"),
                  dict(text("b", "乙"), conditional={"hide": "=some_function(a)"}))
    admin.ok("POST", "/forms", 201, json={"key": "demo_broken", "schema": broken})
    refused = admin.post("/forms/demo_broken/publish")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "form_invalid" and len(body["errors"]) >= 2
    assert all(e["message"] for e in body["errors"])
    assert admin.ok("GET", "/forms/demo_broken")["published"] is None


def test_a_condition_nested_too_deeply_is_refused_not_a_500(api):
    admin = api("admin")
    deep = "=" + "(" * 3000 + "a" + ")" * 3000
    schema = form(text("a", "甲"), dict(text("b", "乙"), conditional={"hide": deep}))
    admin.ok("POST", "/forms", 201, json={"key": "demo_deep", "schema": schema})
    refused = admin.post("/forms/demo_deep/publish")
    assert refused.status_code == 422, refused.text  # was 500: RecursionError in the FEEL parser
    [error] = refused.json()["errors"]
    assert "隐藏条件" in error["message"] and "表达式过长" in error["message"]
    nested = "=" + "(" * 200 + "a" + ")" * 200
    schema["components"][1]["conditional"]["hide"] = nested
    checked = admin.post("/forms/anything/validate", json={"schema": schema, "data": {"a": "x"}})
    assert checked.status_code == 200 and checked.json()["valid"] is True  # an unreadable condition hides nothing
    admin.ok("PUT", "/forms/demo_deep/draft", json={"schema": schema})
    [error] = admin.post("/forms/demo_deep/publish").json()["errors"]
    assert "嵌套超过 32 层" in error["message"]
    assert admin.ok("GET", "/forms/demo_deep")["published"] is None


def test_live_validation_uses_the_server_rules(api):
    admin = api("admin")
    schema = form(text("result", "检查结果", required=True), {"type": "number", "id": "Field_fine", "key": "fine",
                                                          "label": "罚款金额", "validate": {"max": 200}})
    result = admin.ok("POST", "/forms/anything/validate", json={"schema": schema, "data": {"fine": 500}})
    assert result["valid"] is False
    assert {e["field"] for e in result["errors"]} == {"result", "fine"}
    assert any("检查结果" in e["message"] for e in result["errors"])


def test_a_running_task_keeps_its_form_version(api):
    admin = api("admin")
    admin.ok("POST", "/forms", 201, json={"key": "demo_keep", "schema": form(text("result", "检查结果",
                                                                                   required=True))})
    admin.ok("POST", "/forms/demo_keep/publish")
    assert upload(admin, one_task_process("keep_form", "demo_keep")).status_code in (200, 201)
    old_case = api("sly").ok("POST", "/cases", 201, json={"process_key": "keep_form"})
    old_task = api("sly").ok("GET", f"/tasks/{old_case['open_tasks'][0]['id']}")
    assert old_task["form_version"] == 1

    admin.ok("PUT", "/forms/demo_keep/draft", json={"schema": form(
        text("result", "检查结果", required=True), text("photo_ref", "照片编号", required=True))})
    admin.ok("POST", "/forms/demo_keep/publish")
    from forms.store import PUBLISHED_FORMS
    PUBLISHED_FORMS.forget()  # same process as the server: no need to wait out the cache
    new_case = api("sly").ok("POST", "/cases", 201, json={"process_key": "keep_form"})
    new_task_id = new_case["open_tasks"][0]["id"]
    assert api("sly").ok("GET", f"/tasks/{new_task_id}")["form_version"] == 2

    # the old task still validates against version 1: no photo_ref needed
    api("sly").ok("POST", f"/tasks/{old_task['id']}/complete", json={"data": {"result": "合格"}})
    refused = api("sly").post(f"/tasks/{new_task_id}/complete", json={"data": {"result": "合格"}})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["photo_ref"]


@pytest.fixture
def register_permissions(api):
    path = "/processes/closed_loop/nodes/register/field-permissions"
    api("admin").ok("PUT", path, json={"permissions": {"accept_opinion": "readonly", "description": "hidden"}})
    yield
    api("admin").ok("PUT", path, json={"permissions": {}})


def test_field_permissions_rewrite_the_form_and_guard_submissions(api, register_permissions):
    case_no = report(api)["case_no"]
    api("sly").complete(case_no, "accept", {"accept_result": "accept", "accept_opinion": "属实"})
    task = api("zbz").task_for(case_no, "register")
    detail = api("zbz").ok("GET", f"/tasks/{task['id']}")
    keys = {c.get("key"): c for c in detail["form"]["components"] if c.get("key")}
    assert "description" not in keys and "description" not in detail["data"]
    assert detail["field_permissions"] == {"accept_opinion": "readonly", "description": "hidden"}

    base = {"register_result": "file", "register_opinion": "立案"}
    hidden = api("zbz").post(f"/tasks/{task['id']}/complete", json={"data": dict(base, description="改写")})
    assert hidden.status_code == 422 and [e["field"] for e in hidden.json()["errors"]] == ["description"]
    changed = api("zbz").post(f"/tasks/{task['id']}/complete", json={"data": dict(base, accept_opinion="改了")})
    assert changed.status_code == 422 and [e["field"] for e in changed.json()["errors"]] == ["accept_opinion"]
    # nothing changed; the same value for a read-only field is fine
    api("zbz").ok("POST", f"/tasks/{task['id']}/complete", json={"data": dict(base, accept_opinion="属实")})
    case = api("zbz").ok("GET", f"/cases/{case_no}")
    assert case["variables"]["description"] == "上水井盖破损，存在安全隐患"


def test_configuration_changes_are_audited(api):
    admin = api("admin")
    path = "/processes/closed_loop/nodes/check/field-permissions"
    admin.ok("PUT", path, json={"permissions": {"description": "readonly"}})
    admin.ok("PUT", path, json={"permissions": {}})
    limits = admin.ok("GET", "/time-limits", params={"stage": "close"})
    row = limits[0]
    admin.ok("PUT", f"/time-limits/{row['id']}", json={"stage": "close", "category_code": None, "amount": 2,
                                                         "unit": "urgent_hours"})
    admin.ok("PUT", f"/time-limits/{row['id']}", json={"stage": "close", "category_code": None,
                                                         "amount": row["amount"], "unit": row["unit"]})
    entries = admin.ok("GET", "/audit", params={"page_size": 100})
    permission_changes = [e for e in entries if e["action"] == "field_permission.set"]
    assert permission_changes[1]["after"] == {"permissions": {"description": "readonly"}}
    limit_changes = [e for e in entries if e["action"] == "time_limit.save" and e["target_id"] == str(row["id"])]
    assert limit_changes[1]["before"]["amount"] == row["amount"] and limit_changes[1]["after"]["amount"] == 2
    assert all(e["actor"] == "admin" for e in limit_changes)
