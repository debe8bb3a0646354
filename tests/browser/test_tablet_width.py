"""Every main page fits a 1024×768 tablet: the page itself never scrolls sideways (tables and the diagram
may scroll inside their own boxes)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import log_in

TABLET = {"width": 1024, "height": 768}
# page → something that shows once its data is there
PAGES = {
    "/designer/modeler.html": ".cb-modeler-canvas",
    "/forms/designer.html": "main",
    "/stats/index.html": "main",
    "/admin/index.html": "main",
    "/admin/orgs.html": ".el-table, .el-tree",
    "/admin/users.html": ".el-table",
    "/admin/roles.html": "main",
    "/admin/process.html": "main",
    "/admin/settings.html": ".el-table, form",
    "/admin/catalog.html": "main",
    "/admin/calendars.html": "main",
    "/admin/tokens.html": "main",
    "/admin/audit.html": ".el-table",
}


def test_main_pages_fit_a_tablet(new_page, screenshot):
    page = new_page()
    page.set_viewport_size(TABLET)
    log_in(page, "admin", "/index.html")
    for path, content in PAGES.items():
        page.goto(path)
        expect(page.locator(content).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path} is {width[0]}px wide on a {width[1]}px tablet"
    screenshot(page, "tablet-admin-audit")
