"""Issue 8's 应用维护 in a real browser: an admin creates a department handler on the users page, and that
person then sees exactly their department's tasks; every admin page loads its data without console errors."""
from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

import pytest

from tests.api.test_closed_loop_flow import file_and_dispatch, report
from tests.browser.test_form_designer_flow import log_in
from tests.helpers import ApiClient

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")
expect = sync_api.expect

NEW_PASSWORD = "Roads2024x"
HANDLER_ROLE = "专业部门处置人员"
ROADS = "市政设施管理处"


def pick_option(page, select, text: str) -> None:
    """Opens an Element Plus select, types to filter, clicks the option with this text."""
    select.click()
    select.locator("input").fill(text)
    page.locator(".el-select-dropdown:visible .el-select-dropdown__item", has_text=text).first.click()
    page.keyboard.press("Escape")


def create_handler_in_browser(admin, username: str, screenshot) -> None:
    log_in(admin, "admin", "/admin/users.html")
    expect(admin.locator(".cb-users-table .el-table__row").first).to_be_visible()
    admin.get_by_role("button", name="新增人员").click()
    dialog = admin.locator(".cb-user-dialog")
    dialog.locator("input[name=username]").fill(username)
    dialog.locator("input[name=display_name]").fill("钱市政（新）")
    dialog.locator("input[name=password]").fill("short")  # refused: the server's message under the field
    pick_option(admin, dialog.locator(".cb-user-orgs"), ROADS)
    pick_option(admin, dialog.locator(".cb-user-roles"), HANDLER_ROLE)
    dialog.get_by_role("button", name="保存").click()
    password_item = dialog.locator(".el-form-item", has=admin.locator("input[name=password]"))
    expect(password_item.locator(".el-form-item__error")).to_contain_text("8")
    screenshot(admin, "admin-users-refused")

    dialog.locator("input[name=password]").fill(NEW_PASSWORD)
    dialog.get_by_role("button", name="保存").click()
    expect(admin.get_by_text("人员已创建")).to_be_visible()
    expect(dialog).to_be_hidden()
    admin.locator("input[name=q]").fill(username)
    admin.locator("input[name=q]").press("Enter")
    row = admin.locator(".cb-users-table .el-table__row", has_text=username)
    expect(row).to_contain_text(ROADS)
    expect(row).to_contain_text(HANDLER_ROLE)
    screenshot(admin, "admin-users")


def test_admin_creates_a_handler_who_sees_only_their_departments_tasks(new_page, api, server, screenshot):
    roads = report(api)["case_no"]
    file_and_dispatch(api, roads, department="D_ROADS")
    water = report(api, address="东城区和平路 30 号")["case_no"]
    file_and_dispatch(api, water, department="D_WATER")
    username = f"qsz{uuid.uuid4().hex[:6]}"
    try:
        create_handler_in_browser(new_page(), username, screenshot)
        created = api("admin").ok("GET", f"/users/{username}")
        assert created["roles"] == ["handler"]
        assert [m["org"] for m in created["memberships"]] == ["D_ROADS"]

        # /inbox.html may forward to the workbench: assert on what the task list shows, whichever page it is
        handler = new_page()
        log_in_as(handler, username, "/inbox.html")
        expect(handler.get_by_text(roads).first).to_be_visible()
        expect(handler.get_by_text(water)).to_have_count(0)
        screenshot(handler, "admin-new-handler-inbox")

        own = ApiClient(server).login(username, NEW_PASSWORD)
        cases = {task["case_no"] for task in own.inbox()}
        assert roads in cases and water not in cases
        assert own.get(f"/cases/{water}").status_code == 404  # another department's case does not exist for them
    finally:
        api("admin").post(f"/users/{username}/disable")


def log_in_as(page, username: str, next_page: str) -> None:
    page.goto(f"/login.html?next={next_page}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: urlparse(url).path != "/login.html")


# page → a selector that only appears once the page shows data from the API
ADMIN_PAGES = {
    "index": ".cb-tile",
    "orgs": ".cb-orgs-tree .el-tree-node",
    "users": ".cb-users-table .el-table__row",
    "roles": ".cb-roles-table .el-table__row",
    "process": ".cb-process-nodes .el-table__row",
    "settings": ".cb-settings-table .el-table__row",
    "catalog": ".cb-categories-table .el-table__row",
    "calendars": ".cb-calendar-days .el-table__row",
    "tokens": ".cb-tokens-table .el-table__row",
    "audit": ".cb-audit-table .el-table__row",
}


def test_every_admin_page_loads_its_data_without_console_errors(new_page, api, screenshot):
    # a token gives the tokens page a row and the audit log an entry, whatever ran before
    token = api("admin").ok("POST", "/tokens", 201, json={"username": "jdy", "name": "巡查 App", "scopes": ["case.read"],
                                                          "expires_in_days": 30})
    page = new_page()
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    try:
        log_in(page, "admin", "/admin/index.html")
        for name, ready in ADMIN_PAGES.items():
            page.goto(f"/admin/{name}.html")
            expect(page.locator(f"[data-admin-page={name}]")).to_be_visible()
            expect(page.locator(ready).first).to_be_visible()
            expect(page.locator(f".cb-admin-menu a[data-page={name}]")).to_have_class(re.compile("active"))
            screenshot(page, f"admin-{name}")
        expect(page.locator(".cb-audit-table .el-table__row", has_text="token.create").first).to_be_visible()
    finally:
        api("admin").request("DELETE", f"/tokens/{token['id']}")
    assert not console_errors, console_errors
