"""绩效考核 from a fixed small history in June 2027, driven over the API with the virtual clock."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from engine.clock import DEFAULT_TZ
from tests.api.test_closed_loop_flow import file_and_dispatch, handle_and_feed_back, report

MONTH = {"month": "2027-06"}


@pytest.fixture
def june_history(api, virtual_clock):
    """A: on time.  B: feedback 20 days late (overdue).  C: one 返工.  D: 回退 by D_WATER, redispatched to
    D_ROADS.  E: a public report verified by jdy2 (one 漏报 for jdy2).  All reported by jdy unless public."""
    virtual_clock.set(dt.datetime(2027, 6, 1, 9, 0, tzinfo=DEFAULT_TZ))
    a = report(api)["case_no"]
    file_and_dispatch(api, a)
    handle_and_feed_back(api, a)
    api("jdy").complete(a, "check", {"check_result": "pass", "check_opinion": "ok"})
    api("zbz").complete(a, "close", {"close_opinion": "结案"})

    b = report(api)["case_no"]
    file_and_dispatch(api, b)
    api("sw").complete(b, "handle", {"handle_sign": True, "handle_measures": "处理中"})
    virtual_clock.advance(dt.timedelta(days=20))
    api("sw").complete(b, "feedback", {"feedback_result": "处置完毕", "feedback_photos": ["file:after.jpg"]})
    api("jdy").complete(b, "check", {"check_result": "pass", "check_opinion": "ok"})
    api("zbz").complete(b, "close", {"close_opinion": "结案"})

    c = report(api)["case_no"]
    file_and_dispatch(api, c)
    handle_and_feed_back(api, c)
    api("jdy").complete(c, "check", {"check_result": "fail", "check_opinion": "仍松动"})
    handle_and_feed_back(api, c)
    api("jdy").complete(c, "check", {"check_result": "pass", "check_opinion": "ok"})
    api("zbz").complete(c, "close", {"close_opinion": "结案"})

    d = report(api)["case_no"]
    file_and_dispatch(api, d)
    api("sw").complete(d, "handle", {"handle_action": "return", "return_reason": "不属本部门"})
    api("pqy").complete(d, "dispatch", {"department": "D_ROADS", "dispatch_opinion": "改派"})
    handle_and_feed_back(api, d, who="sz")
    api("jdy").complete(d, "check", {"check_result": "pass", "check_opinion": "ok"})
    api("zbz").complete(d, "close", {"close_opinion": "结案"})

    e = report(api, reporter="rx", source="hotline_12345", reporter_phone="13800000000")["case_no"]
    api("jdy2").complete(e, "verify", {"verify_result": "confirmed", "verify_opinion": "属实"})
    file_and_dispatch(api, e, department="D_ROADS")
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def rows(api, party, **params):
    body = api("ld").ok("GET", "/evaluation/report", params={"party": party, **MONTH, **params})
    return body, {row["key"]: row for row in body["rows"]}


def figure(row, code):
    f = row["indicators"][code]
    return f["numerator"], f["denominator"], f["value"]


def test_department_indicators_from_the_history(api, june_history):
    body, by_key = rows(api, "department")
    assert body["period"] == {"from": "2027-06-01", "to": "2027-06-30"}
    assert "处置率×30%" in body["composite_formula"]
    water, roads = by_key["D_WATER"], by_key["D_ROADS"]
    # D_WATER: handles completed without 回退 = A, B, C×2 = 4; feedbacks = A, B, C×2 = 4; B late → 3 on time;
    # 返工 1 (C); 回退 1 (D)
    assert figure(water, "handled_rate") == (4, 4, 1.0)
    assert figure(water, "handled_on_time_rate") == (3, 4, 0.75)
    assert figure(water, "rework_rate") == (1, 4, 0.25)
    assert water["counts"]["returned"] == 1 and water["counts"]["handled_overdue"] == 1
    # composite: 100×0.3 + 75×0.4 + 75×0.3 = 82.5 → B
    assert water["score"] == 82.5 and water["grade"] == "B"
    # D_ROADS: D handled and fed back on time; E only dispatched (no handle yet)
    assert figure(roads, "handled_rate") == (1, 1, 1.0)
    assert roads["score"] == 100.0 and roads["grade"] == "A"


def test_dispatcher_supervisor_shift_leader_and_region(api, june_history):
    _, dispatchers = rows(api, "dispatcher")
    # pqy: A, B, C, D, D again, E = 6 dispatches, 1 回退 (D's first)
    assert figure(dispatchers["pqy"], "dispatched_count") == (6, None, 6)
    assert figure(dispatchers["pqy"], "dispatch_accuracy_rate") == (5, 6, 0.8333)
    _, supervisors = rows(api, "supervisor")
    # jdy reported A–D, all filed; checked A, B, C×2, D = 5 on time
    assert figure(supervisors["jdy"], "valid_report_rate") == (4, 4, 1.0)
    assert figure(supervisors["jdy"], "check_on_time_rate") == (5, 5, 1.0)
    # jdy2 verified E (public) which was filed: one 漏报 of one 立案 in its area
    assert figure(supervisors["jdy2"], "missed_report_rate") == (1, 1, 1.0)
    assert figure(supervisors["jdy2"], "verify_on_time_rate") == (1, 1, 1.0)
    _, leaders = rows(api, "shift_leader")
    # zbz filed A–E (5, none voided) and closed A–D (4)
    assert figure(leaders["zbz"], "file_accuracy_rate") == (5, 5, 1.0)
    assert leaders["zbz"]["counts"]["close_due"] == 4
    _, regions = rows(api, "region")
    (district,) = regions
    # 5 filed, 4 from supervisors, 4 closed
    assert figure(regions[district], "supervision_report_rate") == (4, 5, 0.8)
    assert figure(regions[district], "closed_rate") == (4, 5, 0.8)
    _, acceptors = rows(api, "acceptor")
    assert figure(acceptors["sly"], "accepted_count") == (5, None, 5)
    assert figure(acceptors["rx"], "verify_dispatch_on_time_rate") == (1, 1, 1.0)


def test_drilldown_lists_the_cases_behind_a_number(api, june_history):
    page = api("ld").ok("GET", "/evaluation/cases", params={"party": "department", "key": "D_WATER",
                                                           "indicator": "rework_rate", "part": "numerator", **MONTH})
    assert [c["case_no"] for c in page["items"]] == [june_history["C"]] and page["total"] == 1
    page = api("ld").ok("GET", "/evaluation/cases", params={"party": "dispatcher", "key": "pqy",
                                                           "indicator": "dispatch_accuracy_rate", **MONTH})
    assert sorted(c["case_no"] for c in page["items"]) == sorted(june_history[k] for k in "ABCE")
    # another month has nothing
    empty = api("ld").ok("GET", "/evaluation/report", params={"party": "department", "month": "2027-05"})
    assert empty["rows"] == []


def test_excel_has_the_same_figures(api, june_history):
    body, by_key = rows(api, "department")
    response = api("ld").request("GET", "/evaluation/report.xlsx", params={"party": "department", **MONTH})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert "处置数 ÷ 应处置数" in values[1][2]
    header = values[2]
    for line in values[3:]:
        row = by_key[line[0]]
        assert line[header.index("综合得分")] == row["score"]
        assert line[header.index("处置率分子")] == row["indicators"]["handled_rate"]["numerator"]
        assert line[header.index("返工率值")] == row["indicators"]["rework_rate"]["value"]
    assert len(values) - 3 == len(body["rows"])


def test_bad_period_is_a_problem_not_a_crash(api):
    api("ld").ok("GET", "/evaluation/report", 422, params={"party": "department", "month": "2027-13"})
    api("ld").ok("GET", "/evaluation/report", 404, params={"party": "nobody", **MONTH})


JULY = {"month": "2027-07"}


@pytest.fixture
def july_history(api, virtual_clock):
    """All handled by D_WATER, filed and closed by zbz, dispatched by pqy, each case started and finished before
    the next; the clock only moves where a step is meant to be late (or a case paused).
    P: 立案 2 days late.  Q: 派遣 2 days late.  R: 结案 10 days late (past the 5-work-day case limit too).
    S: one 延期 of its 处置 approved.  T: 挂账 approved during 反馈, 5 days paused, resumed, fed back at once.
    V: filed, then terminated (作废 after 立案)."""
    virtual_clock.set(dt.datetime(2027, 7, 1, 9, 0, tzinfo=DEFAULT_TZ))
    late = dt.timedelta(days=2)

    def rest(case_no, close_late=None):
        handle_and_feed_back(api, case_no)
        api("jdy").complete(case_no, "check", {"check_result": "pass", "check_opinion": "ok"})
        if close_late:
            virtual_clock.advance(close_late)
        api("zbz").complete(case_no, "close", {"close_opinion": "结案"})

    p = report(api)["case_no"]
    api("sly").complete(p, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    virtual_clock.advance(late)
    api("zbz").complete(p, "register", {"register_result": "file", "register_opinion": "立案"})
    api("pqy").complete(p, "dispatch", {"department": "D_WATER", "dispatch_opinion": "派遣"})
    rest(p)

    q = report(api)["case_no"]
    api("sly").complete(q, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    api("zbz").complete(q, "register", {"register_result": "file", "register_opinion": "立案"})
    virtual_clock.advance(late)
    api("pqy").complete(q, "dispatch", {"department": "D_WATER", "dispatch_opinion": "派遣"})
    rest(q)

    r = report(api)["case_no"]
    file_and_dispatch(api, r)
    rest(r, close_late=dt.timedelta(days=10))

    s = report(api)["case_no"]
    file_and_dispatch(api, s)
    task = api("sw").task_for(s, "handle")
    request = api("sw").ok("POST", f"/tasks/{task['id']}/extension-requests", 201,
                           json={"reason": "等待配件到货", "amount": 2})
    api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={"note": "同意"})
    rest(s)

    t = report(api)["case_no"]
    file_and_dispatch(api, t)
    api("sw").complete(t, "handle", {"handle_sign": True, "handle_measures": "处理中"})
    task = api("sw").task_for(t, "feedback")
    request = api("sw").ok("POST", f"/tasks/{task['id']}/hang-requests", 201, json={"reason": "雨季施工，挂账"})
    api("zbz").ok("POST", f"/approvals/{request['id']}/approve", json={"note": "同意挂账"})
    virtual_clock.advance(dt.timedelta(days=5))  # far past the 反馈 limit, but the case clock is stopped
    api("zbz").ok("POST", f"/cases/{t}/resume", json={"reason": "施工完毕"})
    api("sw").complete(t, "feedback", {"feedback_result": "处置完毕", "feedback_photos": ["file:after.jpg"]})
    api("jdy").complete(t, "check", {"check_result": "pass", "check_opinion": "ok"})
    api("zbz").complete(t, "close", {"close_opinion": "结案"})

    v = report(api)["case_no"]
    api("sly").complete(v, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    api("zbz").complete(v, "register", {"register_result": "file", "register_opinion": "立案"})
    api("ld").ok("POST", f"/cases/{v}/terminate", json={"reason": "重复上报，作废"})
    assert virtual_clock.now() < dt.datetime(2027, 7, 31, tzinfo=DEFAULT_TZ)  # all of it in July
    return {"P": p, "Q": q, "R": r, "S": s, "T": t, "V": v}


def july(api, party, **period):
    body = api("ld").ok("GET", "/evaluation/report", params={"party": party, **(period or JULY)})
    return {row["key"]: row for row in body["rows"]}


def test_extension_hang_voiding_and_late_steps_are_counted(api, july_history):
    water = july(api, "department")["D_WATER"]
    # 延期: S's one approved extension; 挂账: T's approved hang
    assert water["counts"]["extended"] == 1 and water["counts"]["hung"] == 1
    # feedbacks P, Q, R, S, T all on time: T's 5 paused days do not count against its 反馈 limit
    assert figure(water, "handled_on_time_rate") == (5, 5, 1.0)
    assert water["counts"]["handled_overdue"] == 0

    zbz = july(api, "shift_leader")["zbz"]
    # 立案 P Q R S T V = 6, P's 2 days late → 5/6 on time
    assert figure(zbz, "file_on_time_rate") == (5, 6, 0.8333)
    # 6 filed, V voided afterwards → (6 − 1)/6
    assert figure(zbz, "file_accuracy_rate") == (5, 6, 0.8333)
    assert zbz["counts"]["voided_after_filing"] == 1
    # 结案 P Q R S T = 5, R's 10 days late → 4/5
    assert figure(zbz, "close_on_time_rate") == (4, 5, 0.8)

    pqy = july(api, "dispatcher")["pqy"]
    # 派遣 P Q R S T = 5, Q's 2 days late → 4/5
    assert figure(pqy, "dispatch_on_time_rate") == (4, 5, 0.8)

    (region,) = july(api, "region").values()
    # filed 6, closed 5; closed within the case limit: P Q S T (R 10 days after its check) → 4/6
    assert figure(region, "closed_rate") == (5, 6, 0.8333)
    assert figure(region, "closed_on_time_rate") == (4, 6, 0.6667)


def test_quarter_and_date_range_give_the_month_figures(api, july_history):
    for party in ("department", "shift_leader", "dispatcher", "region", "supervisor", "acceptor"):
        month = july(api, party)
        assert month
        assert july(api, party, quarter="2027Q3") == month
        assert july(api, party, **{"from": "2027-07-01", "to": "2027-07-31"}) == month


def test_day_counts_add_up_across_many_refreshes(api, app, virtual_clock):
    """Reports read per-day counts that each refresh adds to: refreshing after every step gives the same counts as
    grouping all the facts at the end (an upsert that overwrote instead of adding would lose all but the last)."""
    from sqlalchemy import func, select

    from api.extensions import db
    from engine.evaluation import rollups

    virtual_clock.set(dt.datetime(2027, 8, 3, 9, 0, tzinfo=DEFAULT_TZ))

    def refresh():
        api("ld").ok("GET", "/evaluation/report", params={"party": "department", "month": "2027-08"})

    for _ in range(2):
        case_no = report(api)["case_no"]
        refresh()
        file_and_dispatch(api, case_no)
        refresh()
        handle_and_feed_back(api, case_no)
        refresh()
        api("jdy").complete(case_no, "check", {"check_result": "pass", "check_opinion": "ok"})
        api("zbz").complete(case_no, "close", {"close_opinion": "结案"})
        refresh()

    facts, days = rollups.FACTS, rollups.DAY_COUNTS
    with app.app_context():
        conn = db.session.connection()
        grouped = {(row.party, row.day, row.counter, row.key, row.org or "", row.district or ""): row.n
                   for row in conn.execute(select(facts.c.party, facts.c.day, facts.c.counter, facts.c.key,
                                                  facts.c.org, facts.c.district, func.count().label("n"))
                                           .group_by(facts.c.party, facts.c.day, facts.c.counter, facts.c.key,
                                                     facts.c.org, facts.c.district))}
        counted = {(row.party, row.day, row.counter, row.key, row.org, row.district): row.n
                   for row in conn.execute(select(days))}
        db.session.rollback()
    assert counted == grouped
    # the same day, party, counter and key, added by two refreshes
    assert [n for key, n in counted.items() if key[:4] == ("supervisor", dt.date(2027, 8, 3), "reported", "jdy")] \
        == [2]
    assert sum(n for key, n in counted.items() if key[:3] == ("department", dt.date(2027, 8, 3), "handled")) == 2
