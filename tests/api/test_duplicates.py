"""重复案件: proposed on report (same grid + 小类 within the window), listed, and merged into the earlier case."""
from __future__ import annotations

import datetime as dt

from tests.api.case_ops_helpers import case, events, start
from tests.api.test_closed_loop_flow import report
from tests.api.test_definitions_api import tiny_process, upload


def test_report_proposes_open_cases_in_the_same_grid_and_category(api):
    first = report(api)
    assert first["possible_duplicates"] == []
    second = report(api, description="同一井盖，再次上报")
    assert [d["case_no"] for d in second["possible_duplicates"]] == [first["case_no"]]
    other_category = report(api, category_code="0102")
    assert other_category["possible_duplicates"] == []
    other_grid = report(api, grid_code="110101001001002")
    assert other_grid["possible_duplicates"] == []
    listed = api("sly").ok("GET", f"/cases/{second['case_no']}/duplicates")
    assert [d["case_no"] for d in listed] == [first["case_no"]]


def test_reports_outside_the_window_are_not_proposed(api, virtual_clock):
    first = report(api)
    virtual_clock.advance(dt.timedelta(hours=25))  # the default window is 24 hours
    later = report(api)
    assert later["possible_duplicates"] == []
    admin = api("admin")
    admin.ok("PUT", "/settings/duplicate_window_hours", json={"value": 48})
    try:
        assert [d["case_no"] for d in api("sly").ok("GET", f"/cases/{later['case_no']}/duplicates")] \
            == [first["case_no"]]
    finally:
        admin.ok("DELETE", "/settings/duplicate_window_hours")


def test_merge_ends_the_duplicate_and_records_on_both_cases(api):
    first = report(api)["case_no"]
    second = report(api)["case_no"]
    assert api("jdy").post(f"/cases/{second}/merge", json={"into": first, "reason": "x"}).status_code == 403
    merged = api("sly").ok("POST", f"/cases/{second}/merge", json={"into": first, "reason": "同一井盖重复上报"})
    assert merged == {"case_no": second, "merged_into": first}
    ended = case(api, second)
    earlier = case(api, first)
    assert (ended["status"], ended["outcome"], ended["open_tasks"]) == ("completed", "duplicate", [])
    assert ended["merged_into_id"] == earlier["id"]
    duplicate_events = events(api, second)
    assert any(e["type"] == "case.merged" and e["data"]["into"] == first for e in duplicate_events)
    assert any(e["type"] == "task.cancelled" and e["node_id"] == "accept" for e in duplicate_events)
    assert any(e["type"] == "case.duplicate_merged" and e["data"]["duplicate"] == second
               for e in events(api, first))
    # the earlier case runs on
    assert earlier["status"] == "running"
    api("sly").complete(first, "accept", {"accept_result": "accept", "accept_opinion": "属实"})
    moved_on = case(api, first)
    assert moved_on["status"] == "running" and "accept" not in [t["node_id"] for t in moved_on["open_tasks"]]


def test_merge_refusals(api):
    first = report(api)["case_no"]
    second = report(api)["case_no"]
    into_itself = api("sly").post(f"/cases/{second}/merge", json={"into": second, "reason": "x"})
    assert into_itself.status_code == 422 and into_itself.json()["errors"][0]["field"] == "into"
    unknown = api("sly").post(f"/cases/{second}/merge", json={"into": "CG000", "reason": "x"})
    assert unknown.status_code == 422

    upload(api("admin"), tiny_process("dup_other"))
    elsewhere = start(api, "dup_other", grid_code="110101001001001", category_code="0101")["case_no"]
    across = api("sly").post(f"/cases/{second}/merge", json={"into": elsewhere, "reason": "x"})
    assert across.status_code == 409

    api("ld").ok("POST", f"/cases/{first}/terminate", json={"reason": "终止"})
    closed = api("sly").post(f"/cases/{second}/merge", json={"into": first, "reason": "x"})
    assert closed.status_code == 409
    assert case(api, second)["status"] == "running"
    assert api("sly").ok("GET", f"/cases/{second}/duplicates") == []  # a closed case is no longer proposed

