"""Public satisfaction (回访) per department and district, and the process heat map (issue 9), from cases
walked over real HTTP on the virtual clock. Expected figures are worked out by hand below."""
from __future__ import annotations

import datetime as _dt

import pytest

from api.extensions import db
from engine.calendar_functions import default_calendar_for
from engine.clock import DEFAULT_TZ
from tests.api.test_closed_loop_flow import handle_and_feed_back, report, revisit

CONFIRM = {"verify_result": "confirmed", "verify_opinion": "属实"}
ACCEPT = {"accept_result": "accept", "accept_opinion": "受理"}


@pytest.fixture
def working_morning(app, virtual_clock):
    """Move the clock forward to 09:00 of the next working day whose morning window holds 08:30–12:00."""
    with app.app_context():
        calendar = default_calendar_for(db.session)
        day = virtual_clock.now().astimezone(DEFAULT_TZ).date() + _dt.timedelta(days=1)
        for _ in range(60):
            windows = calendar.windows_on(day)
            if calendar.is_working_day(day) and windows and windows[0][0] <= 8.5 * 3600 and windows[0][1] >= 12 * 3600:
                break
            day += _dt.timedelta(days=1)
        else:
            pytest.fail("no working morning in the next 60 days")
    start = _dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=DEFAULT_TZ)
    virtual_clock.advance(start - virtual_clock.now())
    return day


def at(virtual_clock, day, hh, mm):
    virtual_clock.advance(_dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=DEFAULT_TZ) - virtual_clock.now())


def finish(api, case_no, department, who, satisfaction=None):
    api("zbz").complete(case_no, "register", {"register_result": "file", "register_opinion": "立案"})
    api("pqy").complete(case_no, "dispatch", {"department": department, "dispatch_opinion": "请处置"})
    handle_and_feed_back(api, case_no, who=who)
    api("jdy").complete(case_no, "check", {"check_result": "pass", "check_opinion": "合格"})
    api("zbz").complete(case_no, "close", {"close_opinion": "结案"})
    if satisfaction:
        revisit(api, case_no, satisfaction)
    assert api("zbz").ok("GET", f"/cases/{case_no}")["outcome"] == "closed"


def test_satisfaction_and_heatmap(api, virtual_clock, working_morning):
    day = working_morning
    # 09:00 three public reports: 核实 tasks are created (limit 30 min)
    a = report(api, reporter="rx", source="hotline_12345")["case_no"]
    b = report(api, reporter="rx", source="wechat")["case_no"]
    c = report(api, reporter="rx", source="hotline_12319")["case_no"]
    at(virtual_clock, day, 9, 10)
    api("jdy").complete(a, "verify", CONFIRM)   # 10 min, on time
    at(virtual_clock, day, 9, 20)
    api("jdy").complete(b, "verify", CONFIRM)   # 20 min, on time
    at(virtual_clock, day, 9, 40)
    api("jdy").complete(c, "verify", CONFIRM)   # 40 min > 30: overdue
    # 受理 (limit 15 min): created 09:10 (a), 09:20 (b), 09:40 (c)
    at(virtual_clock, day, 9, 45)
    api("sly").complete(c, "accept", ACCEPT)    # 5 min, on time
    at(virtual_clock, day, 9, 50)
    api("sly").complete(b, "accept", ACCEPT)    # 30 min: overdue
    at(virtual_clock, day, 10, 10)
    api("sly").complete(a, "accept", ACCEPT)    # 60 min: overdue
    s = report(api)["case_no"]                  # a supervisor report: no 核实, no 回访
    api("sly").complete(s, "accept", ACCEPT)    # 0 min, on time
    assert api("zbz").ok("GET", f"/cases/{s}")["open_tasks"][0]["node_id"] == "register"

    finish(api, a, "D_WATER", "sw", "satisfied")
    finish(api, b, "D_WATER", "sw", "dissatisfied")
    finish(api, c, "D_ROADS", "sz", "basically_satisfied")
    finish(api, s, "D_WATER", "sw")

    period = {"from": day.isoformat(), "to": day.isoformat()}
    by_department = api("ld").ok("GET", "/evaluation/satisfaction", params={**period, "group": "department"})
    assert by_department["formula"] == "满意率 = (满意数 + 基本满意数) ÷ 回访数"
    assert by_department["period"] == period
    rows = {r["key"]: r for r in by_department["rows"]}
    assert rows == {
        "D_WATER": {"key": "D_WATER", "name": "水务局", "surveyed": 2, "satisfied": 1, "basically_satisfied": 0,
                    "dissatisfied": 1, "satisfaction_rate": 0.5},
        "D_ROADS": {"key": "D_ROADS", "name": "市政设施管理处", "surveyed": 1, "satisfied": 0,
                    "basically_satisfied": 1, "dissatisfied": 0, "satisfaction_rate": 1.0},
    }
    assert by_department["total"]["surveyed"] == 3 and by_department["total"]["satisfaction_rate"] == 0.6667

    by_district = api("ld").ok("GET", "/evaluation/satisfaction", params={**period, "group": "district"})
    assert [(r["key"], r["name"], r["surveyed"], r["satisfaction_rate"]) for r in by_district["rows"]] == [
        ("DIST_A", "东城区", 3, 0.6667)]

    heat = api("ld").ok("GET", "/evaluation/heatmap", params={**period, "process_key": "closed_loop"})
    assert heat["process_key"] == "closed_loop" and 'id="revisit"' in heat["xml"]
    nodes = heat["nodes"]
    # 核实: 10, 20, 40 min → median 20 min; one of three after its 30-minute limit
    assert nodes["verify"] == {"passed": 3, "median_work_hours": 0.33, "overdue": 1, "overdue_share": 0.3333}
    # 受理: 60, 30, 5, 0 min → median (5 + 30) / 2 = 17.5 min = 0.29 h; two of four after 15 minutes
    assert nodes["accept"] == {"passed": 4, "median_work_hours": 0.29, "overdue": 2, "overdue_share": 0.5}
    assert nodes["revisit"]["passed"] == 3 and nodes["close"]["passed"] == 4
    assert nodes["revisit"]["median_work_hours"] == 0.0
    flat = heat["called"]["call_flat"]
    assert flat["process_id"] == "dispatch_flat"
    assert flat["nodes"]["handle"]["passed"] == 4 and "handle" not in nodes
    assert nodes["call_flat"]["passed"] == 8  # handle + feedback of four cases

    before = (day - _dt.timedelta(days=1)).isoformat()
    empty = api("ld").ok("GET", "/evaluation/heatmap", params={"from": before, "to": before})
    assert empty["nodes"] == {} and empty["called"]["call_flat"]["nodes"] == {}
    assert api("ld").ok("GET", "/evaluation/satisfaction", params={"from": before, "to": before})["rows"] == []


def test_bad_period_and_permission(api):
    bad = api("ld").request("GET", "/evaluation/satisfaction", params={"month": "2026-13"})
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("application/problem+json")
    assert api("ld").request("GET", "/evaluation/heatmap", params={"process_key": "nope"}).status_code == 404
    assert api("sly").request("GET", "/evaluation/satisfaction").status_code == 403
