"""统计考核 page: loads without JavaScript errors, shows public satisfaction and the heat-map overlays (issue 9)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.api.test_closed_loop_flow import file_and_dispatch, handle_and_feed_back, report, revisit
from tests.browser.test_closed_loop_in_browser import log_in


def test_stats_page_shows_satisfaction_and_heatmap(new_page, api, screenshot):
    case_no = report(api, reporter="rx", source="hotline_12345")["case_no"]
    api("jdy").complete(case_no, "verify", {"verify_result": "confirmed", "verify_opinion": "属实"})
    file_and_dispatch(api, case_no)
    handle_and_feed_back(api, case_no)
    api("jdy").complete(case_no, "check", {"check_result": "pass", "check_opinion": "合格"})
    api("zbz").complete(case_no, "close", {"close_opinion": "结案"})
    revisit(api, case_no, "satisfied")

    page = new_page()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    log_in(page, "ld", "/stats/index.html")
    row = page.locator(".cb-satisfaction-table .el-table__row", has_text="水务局")
    expect(row).to_be_visible()
    expect(row).to_contain_text("100.0%")
    expect(page.locator(".cb-heat").first).to_be_visible()
    expect(page.locator(".cb-heat", has_text="经过 1").first).to_be_visible()
    # the report: a table or a clear empty state, never a blank card
    expect(page.locator(".cb-stats-report-table, .cb-stats-report-empty").first).to_be_visible()
    screenshot(page, "stats")
    assert [e for e in console_errors if "Failed to load resource" not in e] == []
