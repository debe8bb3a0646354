"""Deploying definitions over HTTP: versions, sha256 reuse, rejections with element ids."""
from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def tiny_process(process_id: str, task_name: str = "处理", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS} xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="{task_name}" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    {extra}
  </bpmn:process>
</bpmn:definitions>""".encode()


def upload(client, content: bytes, filename="p.bpmn", **params):
    return client.post("/definitions", params=params, files={"files": (filename, content, "application/xml")})


def test_deploy_versions_and_same_content_keeps_its_version(api):
    admin = api("admin")
    first = upload(admin, tiny_process("tiny_versions"))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["key"], body["version"], len(body["sha256"])) == ("tiny_versions", 1, 64)

    same = upload(admin, tiny_process("tiny_versions"))
    assert same.status_code == 200 and same.json()["version"] == 1

    changed = admin.post("/definitions", data=tiny_process("tiny_versions", "处理（新）"),
                         headers={"Content-Type": "application/xml"})
    assert changed.status_code == 201 and changed.json()["version"] == 2

    versions = admin.ok("GET", "/definitions/tiny_versions/versions")
    assert [v["version"] for v in versions] == [2, 1]
    xml = admin.get("/definitions/tiny_versions/versions/1/xml")
    assert xml.status_code == 200 and xml.headers["Content-Type"].startswith("application/xml")
    assert "处理（新）" not in xml.text and "处理" in xml.text
    assert admin.ok("GET", "/definitions/tiny_versions")["version"] == 2


def test_running_cases_keep_the_version_they_started_on(api):
    admin = api("admin")
    upload(admin, tiny_process("tiny_pinned"))
    case = api("sly").ok("POST", "/cases", 201, json={"process_key": "tiny_pinned"})
    upload(admin, tiny_process("tiny_pinned", "新版本"))
    fresh = api("sly").ok("POST", "/cases", 201, json={"process_key": "tiny_pinned"})
    assert case["process_version"] == 1 and fresh["process_version"] == 2
    task = api("sly").task_for(case["case_no"], "work")
    assert task["name"] == "处理"
    api("sly").ok("POST", f"/tasks/{task['id']}/complete", json={"data": {}})
    assert api("sly").ok("GET", f"/cases/{case['case_no']}")["status"] == "completed"


def test_only_designers_deploy(api):
    response = upload(api("sly"), tiny_process("tiny_forbidden"))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_malformed_file_is_rejected_with_line(api):
    response = upload(api("admin"), b"<bpmn:definitions " + BPMN_NS.encode() + b">\n<bpmn:process id='x'>\n</oops>")
    assert response.status_code == 422
    problems = response.json()["errors"]
    assert problems[0]["code"] == "xml.malformed" and problems[0]["line"] == 3


def test_xxe_upload_is_rejected(api):
    xxe = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           + tiny_process("tiny_xxe", "&xxe;").split(b"?>", 1)[1])
    response = upload(api("admin"), xxe)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "xml.doctype"
    assert "root:" not in response.text


def test_billion_laughs_is_rejected(api):
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    ) + b']><lolz>&lol9;</lolz>'
    response = upload(api("admin"), laughs)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] in ("xml.doctype", "xml.malformed")


def test_every_problem_is_reported_with_element_ids(api):
    extra = """
    <bpmn:scriptTask id="evil_script" scriptFormat="python"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="orphan_task" name="无人办理"/>
    <bpmn:userTask id="formless" camunda:formKey="no_such_form" camunda:candidateGroups="acceptor"/>"""
    response = upload(api("admin"), tiny_process("tiny_lint", extra=extra))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "deployment_rejected"
    found = {(p["code"], p["element_id"]) for p in body["errors"]}
    assert {("lint.script_task", "evil_script"), ("lint.no_assignee", "orphan_task"),
            ("lint.unknown_form", "formless")} <= found
    assert all(p["message"] for p in body["errors"])
    # nothing was stored
    assert api("admin").get("/definitions/tiny_lint").status_code == 404


def test_bpmn_js_camunda_file_deploys_unchanged_and_runs(api):
    content = (FIXTURES / "bpmnjs_camunda.bpmn").read_bytes()
    response = upload(api("admin"), content, filename="bpmnjs_camunda.bpmn")
    assert response.status_code in (200, 201), response.text
    definition = response.json()
    xml = api("admin").get(f"/definitions/{definition['key']}/versions/{definition['version']}/xml")
    assert xml.content == content
    # camunda:assignee="${initiator}" puts the task in the starter's inbox
    case = api("sly").ok("POST", "/cases", 201, json={"process_key": "bpmnjs_sample"})
    assert case["open_tasks"][0]["assignee"] == "sly"


def test_unsupported_upload_type(api):
    response = api("admin").post("/definitions", data="hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_multipart_without_files_names_the_missing_field(api):
    response = api("admin").post("/definitions", files={"other": ("x.txt", b"x", "text/plain")})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "files", "message": "必填"}]


def test_absurd_versions_and_pages_are_not_found_or_empty(api):
    admin = api("admin")
    assert admin.get("/definitions/closed_loop/versions/99999999999999999999").status_code == 404
    huge_page = admin.get("/cases", params={"page": 10**15})
    assert huge_page.status_code == 200 and huge_page.json() == []


def test_validate_checks_like_a_deploy_and_stores_nothing(api):
    admin = api("admin")
    good = admin.post("/definitions/validate", files={"files": ("p.bpmn", tiny_process("tiny_validate"), "text/xml")})
    assert good.status_code == 200 and good.json() == {"valid": True, "process_id": "tiny_validate", "name": None}
    extra = '<bpmn:userTask id="orphan_task" name="无人办理"/>'
    bad = admin.post("/definitions/validate",
                     files={"files": ("p.bpmn", tiny_process("tiny_validate", extra=extra), "text/xml")})
    assert bad.status_code == 422
    assert ("lint.no_assignee", "orphan_task") in {(p["code"], p["element_id"]) for p in bad.json()["errors"]}
    assert admin.get("/definitions/tiny_validate").status_code == 404
    assert api("sw").post("/definitions/validate",
                          files={"files": ("p.bpmn", tiny_process("x"), "text/xml")}).status_code == 403
