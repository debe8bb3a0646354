"""Issue 8 in a real browser: a 监督员 reports a problem on the 上报 page (with a photo); the 受理员, 值班长,
派遣员 and the department work the closed loop from their workbench through the case view, with one 返工
(the supervisor's 核查 fails once); the case view's diagram carries the right marks after every step."""
from __future__ import annotations

import base64
import re
from urllib.parse import urlparse

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")
expect = sync_api.expect

# a 1×1 PNG: small enough for any upload limit, a real image type
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
COMPLETED, ACTIVE = re.compile(r"\bcb-node-completed\b"), re.compile(r"\bcb-node-active\b")


# --- what a person does on the pages ------------------------------------------------------------------

def log_in(page, username: str, next_page: str) -> None:
    page.goto(f"/login.html?next={next_page}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("citybpm123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: urlparse(url).path == next_page)


def node(page, element_id: str, diagram: str = "main"):
    return page.locator(f'.cb-diagram-{diagram} .djs-element[data-element-id="{element_id}"]')


def report_problem(page, screenshot) -> str:
    log_in(page, "jdy", "/report.html")
    page.locator(".cb-report-category").click()
    popper = page.locator(".cb-report-category-popper")
    popper.locator(".el-cascader-node", has_text=re.compile(r"^\s*01 ")).click()
    popper.locator(".el-cascader-node", has_text="0101").click()
    page.locator(".cb-report-grid").click()
    page.locator(".el-select-dropdown__item:visible", has_text="110101001001001").click()
    page.locator("input[name=address]").fill("东城区和平路 12 号")
    page.locator("textarea[name=description]").fill("上水井盖破损，存在安全隐患")
    page.locator("input[name=photo]").set_input_files(files=[{"name": "well.png", "mimeType": "image/png", "buffer": PNG}])
    expect(page.locator(".cb-photo.done img")).to_have_count(1)
    screenshot(page, "report-page")
    page.locator(".cb-report-submit").click()
    page.wait_for_url("**/cases/case.html?no=*")
    case_no = page.locator(".cb-case-no").inner_text().strip()
    expect(node(page, "accept")).to_have_class(ACTIVE)
    expect(node(page, "start")).to_have_class(COMPLETED)
    return case_no


def open_task(page, case_no: str, node_name: str) -> None:
    """From the workbench's 待办 to the case view with this task's form."""
    page.goto("/workbench.html")
    row = page.locator(".cb-todo-table tr", has_text=case_no)
    row.locator("a.cb-task-link", has_text=node_name).click()
    page.wait_for_url(f"**/cases/case.html?no={case_no}&task=*")
    expect(page.locator(".cb-task-name")).to_have_text(node_name)
    expect(page.locator(".cb-case-form .fjs-form")).to_be_visible()


def complete(page, then: str | None = None) -> None:
    """Presses 办结; the page then shows the user's next task on the case (`then`), or none."""
    page.locator(".cb-op-complete").click()
    expect(page.locator(".el-message--success", has_text="办结成功").last).to_be_visible()
    if then:
        expect(page.locator(".cb-task-name")).to_have_text(then)
    else:
        expect(page.locator(".cb-no-task")).to_be_visible()


def pick(page, label: str, option: str) -> None:
    """A form-js select: open it, choose the option."""
    field = page.locator(f'.fjs-form-field:has(> .fjs-form-field-label:has-text("{label}"))')
    field.locator(".fjs-input-group").click()
    field.locator(".fjs-dropdownlist-item", has_text=option).first.click()


def handle_and_feed_back(page, case_no: str, measures: str) -> None:
    open_task(page, case_no, "处置")
    expect(node(page, "call_flat")).to_have_class(ACTIVE)
    expect(node(page, "handle", "called")).to_have_class(ACTIVE)
    page.get_by_label("已签收").check()
    page.get_by_label("处置措施").fill(measures)
    complete(page, then="反馈")  # the same department reports back: the case view goes on to it
    expect(node(page, "handle", "called")).to_have_class(COMPLETED)
    expect(node(page, "feedback", "called")).to_have_class(ACTIVE)
    page.get_by_label("处置结果").fill("处置完毕")
    complete(page)
    expect(node(page, "check")).to_have_class(ACTIVE)
    expect(node(page, "call_flat")).to_have_class(COMPLETED)


# --- the scenario --------------------------------------------------------------------------------------

def test_closed_loop_with_one_rework_in_the_browser(new_page, api, screenshot):
    case_no = report_problem(new_page(), screenshot)
    photos = api("zbz").ok("GET", f"/cases/{case_no}")["variables"]["photos"]
    assert len(photos) == 1 and photos[0].startswith("attachment:")

    acceptor = new_page()
    log_in(acceptor, "sly", "/workbench.html")
    expect(acceptor.locator(".cb-todo-table tr", has_text=case_no)).to_be_visible()
    screenshot(acceptor, "workbench")
    open_task(acceptor, case_no, "受理")
    acceptor.get_by_label("受理", exact=True).check()
    acceptor.get_by_label("受理意见").fill("属实，予以受理")
    complete(acceptor)
    expect(node(acceptor, "accept")).to_have_class(COMPLETED)
    expect(node(acceptor, "register")).to_have_class(ACTIVE)

    leader = new_page()
    log_in(leader, "zbz", "/workbench.html")
    open_task(leader, case_no, "立案")
    leader.get_by_label("立案", exact=True).check()
    complete(leader)
    expect(node(leader, "register")).to_have_class(COMPLETED)
    expect(node(leader, "dispatch")).to_have_class(ACTIVE)

    dispatcher = new_page()
    log_in(dispatcher, "pqy", "/workbench.html")
    open_task(dispatcher, case_no, "派遣")
    dispatcher.get_by_label("扁平化派遣（一级）").check()
    pick(dispatcher, "处置部门", "水务局")
    complete(dispatcher)
    expect(node(dispatcher, "dispatch")).to_have_class(COMPLETED)
    expect(node(dispatcher, "call_flat")).to_have_class(ACTIVE)
    expect(node(dispatcher, "handle", "called")).to_have_class(ACTIVE)

    department = new_page()
    log_in(department, "sw", "/workbench.html")
    handle_and_feed_back(department, case_no, "已临时围挡")

    supervisor = new_page()
    log_in(supervisor, "jdy", "/workbench.html")
    open_task(supervisor, case_no, "核查")
    supervisor.get_by_label("不通过（返工）").check()
    supervisor.get_by_label("核查意见").fill("井盖仍松动")
    complete(supervisor)
    # 返工: back in the department's hands; the failed check is completed, disposal is active again
    expect(node(supervisor, "check")).to_have_class(COMPLETED)
    expect(node(supervisor, "call_flat")).to_have_class(ACTIVE)
    expect(node(supervisor, "handle", "called")).to_have_class(ACTIVE)
    expect(supervisor.locator(".cb-case-rework")).to_contain_text("1")
    expect(supervisor.locator(".cb-case-timeline")).to_contain_text("返工/回退计数")

    handle_and_feed_back(department, case_no, "已更换井盖")
    screenshot(department, "case-view")

    open_task(supervisor, case_no, "核查")
    supervisor.get_by_label("通过", exact=True).check()
    supervisor.get_by_label("核查意见").fill("已修复")
    complete(supervisor)
    expect(node(supervisor, "close")).to_have_class(ACTIVE)

    open_task(leader, case_no, "结案")
    leader.get_by_label("结案意见").fill("结案")
    complete(leader)
    expect(leader.locator(".cb-case-status")).to_have_text("已办结")
    expect(node(leader, "close")).to_have_class(COMPLETED)
    expect(leader.locator(".cb-case-timeline")).to_contain_text("案件结束")
    # a tablet: the page itself must not scroll sideways (tables may scroll inside)
    leader.set_viewport_size({"width": 1024, "height": 768})
    pages = {f"/cases/case.html?no={case_no}": ".cb-diagram-main .djs-element", "/workbench.html": ".cb-todo-table",
             "/report.html": ".cb-report-form"}  # the workbench's event stream never lets the network idle
    for path, content in pages.items():
        leader.goto(path)
        expect(leader.locator(content).first).to_be_visible()
        assert leader.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path

    closed = api("zbz").ok("GET", f"/cases/{case_no}")
    assert (closed["status"], closed["outcome"], closed["rework_count"]) == ("completed", "closed", 1)
    events = api("zbz").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
    assert [e["node_id"] for e in events if e["type"] == "task.completed"] == [
        "accept", "register", "dispatch", "handle", "feedback", "check", "handle", "feedback", "check", "close"]
