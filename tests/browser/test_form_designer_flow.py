"""Issue 4 in a real browser: an admin designs a small form, publishes it, a process binds it to a node,
and a handler completes that node through the rendered form after a refused submission."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")
expect = sync_api.expect

FORM_KEY = "demo_inspect"
PROCESS_KEY = "demo_inspect_flow"
MAX_FINE = 200
FIELD_TYPE_NAMES = {"textfield": "单行文本", "number": "数字"}  # the designer's Chinese palette names

INSPECT_PROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_{PROCESS_KEY}"
                  targetNamespace="http://citybpm.dev/processes">
  <bpmn:process id="{PROCESS_KEY}" name="现场检查" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inspect"/>
    <bpmn:userTask id="inspect" name="现场检查" camunda:formKey="{FORM_KEY}" camunda:candidateGroups="acceptor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="inspect" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


# --- what a person does on the pages ------------------------------------------------------------------

def log_in(page, username: str, next_page: str) -> None:
    page.goto(f"/login.html?next={next_page}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("citybpm123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: urlparse(url).path == next_page)  # not the login URL's ?next=


def create_form(page, key: str, name: str) -> None:
    page.get_by_role("button", name="新建表单").click()
    dialog = page.locator(".cb-new-form-dialog")
    dialog.locator("input[name=key]").fill(key)
    dialog.locator("input[name=name]").fill(name)
    dialog.get_by_role("button", name="确定").click()
    expect(page.locator(".fjs-palette")).to_be_visible()


def open_properties_group(page, title: str, entry_id: str) -> None:
    """Properties panel groups start collapsed and stay as the user left them."""
    if not page.locator(f"#bio-properties-panel-{entry_id}").is_visible():
        page.locator(".bio-properties-panel-group-header", has_text=title).click()


def add_field(page, field_type: str, label: str, key: str) -> None:
    """Adds a field from the palette (Enter on a palette entry appends it), selects it, names it."""
    fields = page.locator(".fjs-editor-container .fjs-element[data-id]")
    before = fields.count()
    page.locator(f".fjs-palette-field[data-field-type={field_type}]").press("Enter")
    expect(fields).to_have_count(before + 1)
    fields.last.click()
    expect(page.locator(".bio-properties-panel-header-type")).to_have_text(FIELD_TYPE_NAMES[field_type])
    open_properties_group(page, "常规", "key")
    label_editor = page.locator("#bio-properties-panel-label")  # a template editor, not an <input>
    label_editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(label)
    page.locator("#bio-properties-panel-key").fill(key)
    expect(fields.last).to_contain_text(label)


def field_error(scope, label: str):
    """The error area form-js renders under the field with this label (scope: a page or a part of it)."""
    field = scope.locator(f'.fjs-form-field:has(> .fjs-form-field-label:has-text("{label}"))')
    return field.locator(".fjs-form-field-error")


# --- the scenario --------------------------------------------------------------------------------------

def design_and_publish(admin, screenshot) -> None:
    log_in(admin, "admin", "/forms/designer.html")
    expect(admin.locator(".cb-forms-table .el-table__row").first).to_be_visible()  # the shipped forms
    screenshot(admin, "form-designer-list")

    create_form(admin, FORM_KEY, "现场检查记录")
    add_field(admin, "textfield", "检查结果", "result")
    open_properties_group(admin, "校验", "required")
    admin.locator("#bio-properties-panel-required").check()
    add_field(admin, "number", "罚款金额", "fine")
    open_properties_group(admin, "校验", "max")
    admin.locator("#bio-properties-panel-max").fill(str(MAX_FINE))
    admin.locator("#bio-properties-panel-max").blur()
    screenshot(admin, "form-designer-editor")
    admin.get_by_role("button", name="保存草稿").click()
    expect(admin.get_by_text(re.compile(r"草稿已保存"))).to_be_visible()

    # the live preview runs the server's validation on the schema being designed
    admin.get_by_role("tab", name="预览与校验").click()
    preview = admin.locator(".cb-preview-form")
    preview.get_by_label("罚款金额").fill("500")
    admin.get_by_role("button", name="校验").click()
    expect(field_error(preview, "检查结果")).to_contain_text("「检查结果」")
    expect(field_error(preview, "罚款金额")).to_contain_text(str(MAX_FINE))
    screenshot(admin, "form-designer-preview")

    admin.get_by_role("button", name="发布").click()
    expect(admin.get_by_text(re.compile(r"已发布第 \d+ 版"))).to_be_visible()


def bind_and_start_case(api) -> tuple[dict, dict]:
    """A node names the form by formKey (deploying checks that it is published); sly starts a case."""
    deployed = api("admin").post("/definitions", params={"key": PROCESS_KEY},
                                 files={"files": ("inspect.bpmn", INSPECT_PROCESS, "application/xml")})
    assert deployed.status_code in (200, 201), deployed.text
    case = api("sly").ok("POST", "/cases", 201, json={"process_key": PROCESS_KEY})
    return case, api("sly").task_for(case["case_no"], "inspect")


def test_admin_designs_publishes_and_a_handler_completes_the_node(new_page, api, screenshot):
    design_and_publish(new_page(), screenshot)
    published = api("admin").ok("GET", f"/forms/{FORM_KEY}")["published"]
    fields = {c["key"]: c for c in published["schema"]["components"] if c.get("key")}
    assert fields["result"]["label"] == "检查结果" and fields["result"]["validate"]["required"] is True
    assert fields["fine"]["type"] == "number" and float(fields["fine"]["validate"]["max"]) == MAX_FINE

    case, task = bind_and_start_case(api)
    handler = new_page()
    log_in(handler, "sly", "/workbench.html")  # the workbench's 待办 lists it; the task page stands on its own
    expect(handler.locator(".cb-todo-table tr", has_text=case["case_no"])).to_be_visible()
    handler.goto(f"/tasks/task.html?id={task['id']}")
    expect(handler.get_by_label("检查结果")).to_be_visible()
    screenshot(handler, "task-page")

    # refused: the server's messages (they name the field in 「」) under each field, nothing leaves the page
    handler.get_by_label("罚款金额").fill("500")
    handler.get_by_role("button", name="提交").click()
    expect(field_error(handler, "检查结果")).to_contain_text("「检查结果」")
    expect(field_error(handler, "罚款金额")).to_contain_text(f"「罚款金额」不能大于 {MAX_FINE}")
    screenshot(handler, "task-page-refused")
    assert handler.url.endswith(f"/tasks/task.html?id={task['id']}")
    assert api("sly").task_for(case["case_no"], "inspect")["id"] == task["id"]

    handler.get_by_label("检查结果").fill("占道经营已清理")
    handler.get_by_label("罚款金额").fill("150")
    handler.get_by_role("button", name="提交").click()
    expect(handler.locator(".cb-next-tasks")).to_contain_text("没有后续待办")
    screenshot(handler, "task-page-completed")
    finished = api("sly").ok("GET", f"/cases/{case['case_no']}")
    assert finished["status"] == "completed"
    assert finished["variables"]["result"] == "占道经营已清理" and finished["variables"]["fine"] == 150
