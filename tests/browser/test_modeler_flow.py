"""Issue 8 流程设计 in a real browser: a designer opens the closed loop in the modeler, changes a user task's
time limit in the properties panel, takes the condition off a gateway's flow and sees the engine's lint error
on that flow in the diagram, fixes it by making the flow the default, deploys a new version, and opens
version 1 read-only. The new version is suspended afterwards so later tests start cases on the shipped one."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from lxml import etree

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")
expect = sync_api.expect

KEY = "closed_loop"
TASK = "accept"                      # 受理: citybpm:timeLimit="accept" as shipped
NEW_LIMIT = "check"                  # a time-limit standard code (engine.deadlines.LIMIT_STAGES)
GATEWAY, FLOW = "gw_check", "flow_gw_check_rework"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
CITYBPM = "{http://citybpm.dev/schema/1.0/bpmn}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def log_in(page, username: str, next_page: str) -> None:
    page.goto(f"/login.html?next={next_page}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("citybpm123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: urlparse(url).path == next_page)


def shape(page, element_id: str):
    return page.locator(f'.djs-element[data-element-id="{element_id}"]')


def panel_shows(page, element_id: str) -> None:
    expect(page.locator(".cb-mp-head")).to_contain_text(element_id)


def choose(page, select, option_text: str) -> None:
    """Opens an Element Plus select and picks the visible option containing option_text."""
    select.click()
    page.locator(".el-select-dropdown__item:visible", has_text=option_text).first.click()


def find_element(page, element_id: str) -> None:
    """The toolbar's 定位元素: thin flows are easier to reach by id than by a click on the line."""
    finder = page.locator(".cb-find-element")
    finder.click()
    page.keyboard.type(element_id)
    page.locator(".el-select-dropdown__item:visible", has_text=element_id).first.click()
    panel_shows(page, element_id)


def stored_xml(client, version: int) -> etree._Element:
    response = client.get(f"/definitions/{KEY}/versions/{version}/xml")
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)


def test_designer_changes_time_limit_fixes_gateway_lint_and_deploys_new_version(new_page, api, screenshot):
    admin = api("admin")
    before = admin.ok("GET", f"/definitions/{KEY}")["version"]
    deployed = None
    try:
        page = new_page()
        log_in(page, "admin", "/designer/modeler.html")
        page.locator(f'.cb-modeler-item[data-key="{KEY}"]').click()
        expect(shape(page, TASK)).to_be_visible()
        expect(page.locator(".cb-modeler-version")).to_have_text(f"第 {before} 版")
        expect(page.locator(".cb-modeler-bundle")).to_contain_text("dispatch_rules.dmn")

        # the time limit of 受理, in the panel
        shape(page, TASK).click()
        panel_shows(page, TASK)
        limit = page.locator(".cb-mp-time-limit")
        expect(limit).to_contain_text("受理")
        choose(page, limit, f"（{NEW_LIMIT}）")
        expect(limit).to_contain_text(f"（{NEW_LIMIT}）")
        expect(page.locator(".cb-dirty")).to_be_visible()

        # a way out of 核查结果 without a condition: the server's lint refuses it, drawn on the flow
        find_element(page, FLOW)
        condition = page.locator("textarea[name=condition]")
        expect(condition).to_have_value('check_result == "fail"')
        condition.fill("")
        condition.blur()
        page.locator(".cb-validate-button").click()  # 校验: every deploy check, nothing stored
        overlay = page.locator(f'.cb-lint-overlay[data-element-id="{FLOW}"]')
        expect(overlay).to_be_visible()
        expect(overlay).to_contain_text("没有条件表达式")
        expect(page.locator(f'.djs-connection.cb-lint-error[data-element-id="{FLOW}"]')).to_have_count(1)
        problem = page.locator(".cb-modeler-problems .cb-problem-row", has_text=FLOW)
        expect(problem).to_contain_text("默认流")
        assert admin.ok("GET", f"/definitions/{KEY}")["version"] == before  # nothing was stored

        # clicking the problem selects the flow; making it the default flow fixes it
        page.get_by_role("button", name="适应画布").click()   # finding the flow zoomed in on it
        shape(page, TASK).click()
        panel_shows(page, TASK)
        problem.click()
        panel_shows(page, FLOW)
        screenshot(page, "modeler_lint")
        page.locator(".cb-mp-default").click()
        expect(condition).to_be_disabled()
        page.locator(".cb-validate-button").click()
        expect(page.locator(".el-message--success")).to_contain_text("校验通过")
        expect(page.locator(".cb-lint-overlay")).to_have_count(0)
        assert admin.ok("GET", f"/definitions/{KEY}")["version"] == before  # validating stores nothing
        page.locator(".cb-deploy-button").click()
        deployed = before + 1
        expect(page.locator(".el-message--success", has_text=f"已部署第 {deployed} 版")).to_be_visible()
        expect(page.locator(".cb-modeler-version")).to_have_text(f"第 {deployed} 版")
        expect(page.locator(".cb-lint-overlay")).to_have_count(0)
        page.get_by_role("button", name="适应画布").click()
        screenshot(page, "modeler")

        # the server stored what the panel changed, with the called processes and the rules table
        versions = admin.ok("GET", f"/definitions/{KEY}/versions")
        assert [v["version"] for v in versions][:2] == [deployed, before]
        assert {f["filename"] for f in versions[0]["files"]} == {f["filename"] for f in versions[1]["files"]}
        root = stored_xml(admin, deployed)
        task = root.xpath(f"//bpmn:userTask[@id='{TASK}']", namespaces=NS)[0]
        assert task.get(f"{CITYBPM}timeLimit") == NEW_LIMIT
        assert root.xpath(f"//bpmn:exclusiveGateway[@id='{GATEWAY}']", namespaces=NS)[0].get("default") == FLOW
        assert not root.xpath(f"//bpmn:sequenceFlow[@id='{FLOW}']/bpmn:conditionExpression", namespaces=NS)
        original = stored_xml(admin, before)
        assert original.xpath(f"//bpmn:userTask[@id='{TASK}']", namespaces=NS)[0].get(f"{CITYBPM}timeLimit") == "accept"
        # what the panel did not touch comes back as it was, in every namespace
        for xpath, attribute in (("//bpmn:businessRuleTask[@id='propose']", f"{CAMUNDA}decisionRef"),
                                 ("//bpmn:task[@id='returned']", f"{CITYBPM}set"),
                                 ("//bpmn:lane[@id='Lane_supervisor']", f"{CITYBPM}role"),
                                 (f"//bpmn:userTask[@id='{TASK}']", f"{CAMUNDA}candidateGroups")):
            value = original.xpath(xpath, namespaces=NS)[0].get(attribute)
            assert value and root.xpath(xpath, namespaces=NS)[0].get(attribute) == value, (xpath, attribute)

        # version 1, read-only: the panel shows its own settings and nothing can be deployed
        page.locator(".cb-versions-button").click()
        page.locator('.cb-versions-drawer .cb-open-version[data-version="1"]').click()
        expect(page.locator(".cb-readonly-badge")).to_be_visible()
        expect(page.locator(".cb-modeler-version")).to_have_text("第 1 版")
        expect(page.locator(".cb-deploy-button")).to_have_count(0)
        expect(page.locator(".djs-palette")).to_have_count(0)
        shape(page, TASK).click()
        panel_shows(page, TASK)
        expect(page.locator(".cb-mp-time-limit")).to_contain_text("受理")
        expect(page.locator(".cb-mp-time-limit input")).to_be_disabled()
        assert re.search(r"[?&]version=1\b", page.url)
        screenshot(page, "modeler_readonly")
    finally:
        # later tests in this session start closed-loop cases: they must get the shipped definition
        latest = admin.ok("GET", f"/definitions/{KEY}")["version"]
        if latest > before:
            admin.ok("POST", f"/definitions/{KEY}/versions/{latest}/suspend")
