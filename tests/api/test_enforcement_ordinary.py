"""普通程序 end to end through the API on the virtual clock: 立案 → 调查 → 法制审核 (three approvals, each able to
send back) → 集体讨论 when serious → 事先告知 → 听证 race (message against the 5-day timer) → decision within 90 days
(warning, one +30 extension) → 送达 → payment with the late surcharge → 结案."""
from __future__ import annotations

import datetime as dt

from tests.api.enforcement_helpers import PARTY, case, events, field_errors, fire_timers, open_nodes, start

ORDINARY = "enforcement_ordinary"
DAY = dt.timedelta(days=1)


def open_case(api, fine: float = 10000) -> str:
    response = start(api, ORDINARY, {**PARTY, "party_type": "organisation", "clue_source": "patrol",
                                     "fine_amount": fine})
    assert response.status_code == 201, response.text
    case_no = response.json()["case_no"]
    api("zfdz").complete(case_no, "file_approval", {"filing_result": "file", "filing_opinion": "符合立案条件"})
    return case_no


def investigate(api, case_no: str, *, preserved: str = "no") -> None:
    api("zf").complete(case_no, "investigate", {"officer_1": "zf", "officer_2": "zf2", "inquiry_record": "询问笔录",
                                                "evidence_preserved": preserved})


def report(api, case_no: str, serious: str = "no", fine: float = 10000) -> None:
    api("zf").complete(case_no, "investigation_report", {
        "violated_article": "第十五条", "penalty_article": "第四十条", "circumstance": "一般", "fine_amount": fine,
        "case_serious": serious, "report_opinion": "建议罚款"})


def approve_all(api, case_no: str) -> None:
    for user, who in (("zfdz", "head"), ("fzk", "legal"), ("fgld", "leader")):
        api(user).complete(case_no, f"review_{who}", {f"review_{who}_result": "approve",
                                                       f"review_{who}_opinion": "同意"})


def until_prior_notice(api, case_no: str, serious: str = "no") -> None:
    investigate(api, case_no)
    report(api, case_no, serious)
    approve_all(api, case_no)
    if serious == "yes":
        api("fgld").complete(case_no, "collective_discussion", {
            "discussion_participants": "局务会成员", "discussion_record": "讨论记录", "discussion_conclusion": "同意处罚"})


def decide_and_serve(api, case_no: str, fine: float = 10000) -> None:
    api("fgld").complete(case_no, "decide", {"decision_result": "penalty", "fine_amount": fine,
                                             "decision_opinion": "事实清楚"})
    assert open_nodes(api, case_no) == ["serve"]
    api("zf").complete(case_no, "serve", {"service_method": "direct", "service_receiver": "某某"})


def task_data(api, case_no: str, node_id: str, user: str = "admin") -> dict:
    task = [t for t in api("admin").inbox(case_no=case_no, scope="all") if t["node_id"] == node_id][0]
    return api(user).ok("GET", f"/tasks/{task['id']}")["data"]


def test_hearing_requested_in_time_then_paid_ten_days_late(api, app, virtual_clock):
    case_no = open_case(api)
    until_prior_notice(api, case_no)
    api("zf").complete(case_no, "prior_notice", {"hearing_right": "yes", "notice_served": True})
    assert open_nodes(api, case_no) == []  # waiting for the party (or the 5 days)

    fire_timers(app, virtual_clock, 4 * DAY)  # day 4: the request arrives and wins the race
    api("zf").ok("POST", f"/cases/{case_no}/messages", json={"name": "hearing_requested", "payload": {"by": "当事人"}})
    assert open_nodes(api, case_no) == ["hearing_notice"]
    fire_timers(app, virtual_clock, 2 * DAY)  # the 5-day timer was cancelled with the race
    assert open_nodes(api, case_no) == ["hearing_notice"]

    too_soon = (virtual_clock.now() + 6 * DAY).isoformat()
    task = api("zf").task_for(case_no, "hearing_notice")
    refused = api("zf").post(f"/tasks/{task['id']}/complete", json={"data": {
        "hearing_at": too_soon, "hearing_place": "听证室", "hearing_host": "法制科"}})
    assert "7 日前" in field_errors(refused)["hearing_at"]
    hearing_at = (virtual_clock.now() + 8 * DAY).isoformat()
    api("zf").complete(case_no, "hearing_notice", {"hearing_at": hearing_at, "hearing_place": "听证室",
                                                   "hearing_host": "法制科"})
    assert open_nodes(api, case_no) == []
    fire_timers(app, virtual_clock, 8 * DAY + dt.timedelta(minutes=1))
    assert open_nodes(api, case_no) == ["hearing"]
    api("zf").complete(case_no, "hearing", {"hearing_record": "听证笔录", "hearing_opinion": "维持"})
    api("zf").complete(case_no, "statement_review", {"statement_adopted": "no", "review_opinion": "不采纳"})
    decide_and_serve(api, case_no)
    assert open_nodes(api, case_no) == []  # 15 days to pay

    fire_timers(app, virtual_clock, 15 * DAY + dt.timedelta(minutes=1))  # overdue: 催告
    assert open_nodes(api, case_no) == ["remind"]
    fire_timers(app, virtual_clock, 10 * DAY)
    api("zf").complete(case_no, "remind", {"reminder_content": "请于 10 日内缴纳罚款及加处罚款"})
    api("zf").ok("POST", f"/cases/{case_no}/messages", json={"name": "fine_paid", "payload": {"amount": 13000}})
    assert case(api, case_no)["variables"]["surcharge"] == 3000  # 10 000 × 3 % × 10 days
    api("zf").complete(case_no, "closing", {"closing_summary": "罚款及加处罚款已缴清"})
    detail = case(api, case_no)
    assert detail["status"] == "completed" and detail["outcome"] == "closed"
    fired = [e["node_id"] for e in events(api, case_no) if e["type"] == "timer.fired"]
    assert "hearing_window" not in fired and "wait_hearing" in fired


def test_hearing_window_expires_and_the_surcharge_is_capped(api, app, virtual_clock):
    case_no = open_case(api)
    until_prior_notice(api, case_no)
    api("zf").complete(case_no, "prior_notice", {"hearing_right": "yes", "notice_served": True})
    fire_timers(app, virtual_clock, 5 * DAY + dt.timedelta(minutes=1))  # no request within 5 days
    assert open_nodes(api, case_no) == ["statement_review"]
    late = api("zf").request("POST", f"/cases/{case_no}/messages", json={"name": "hearing_requested", "payload": {}})
    assert late.status_code == 409  # the window is closed
    api("zf").complete(case_no, "statement_review", {"statement_adopted": "none", "review_opinion": "未提出"})
    decide_and_serve(api, case_no)
    fire_timers(app, virtual_clock, 15 * DAY + dt.timedelta(minutes=1))
    api("zf").complete(case_no, "remind", {"reminder_content": "催告"})
    fire_timers(app, virtual_clock, 10 * DAY + dt.timedelta(minutes=1))  # 催告 period over: apply to court
    court = api("zf").task_for(case_no, "court_application")
    assert dt.datetime.fromisoformat(court["due_at"]) - dt.datetime.fromisoformat(court["created_at"]) == 90 * DAY
    fire_timers(app, virtual_clock, 190 * DAY)  # applied 200 days after the payment was due
    api("zf").complete(case_no, "court_application", {"court_name": "示范市人民法院", "application_note": "申请"})
    assert case(api, case_no)["variables"]["surcharge"] == 10000  # capped at the fine


def test_legal_review_sends_back_to_the_investigation_report(api):
    case_no = open_case(api)
    investigate(api, case_no)
    report(api, case_no)
    api("zfdz").complete(case_no, "review_head", {"review_head_result": "approve", "review_head_opinion": "同意"})
    api("fzk").complete(case_no, "review_legal", {"review_legal_result": "return", "review_legal_opinion": "证据不足"})
    assert open_nodes(api, case_no) == ["investigation_report"]
    report(api, case_no)
    approve_all(api, case_no)
    assert open_nodes(api, case_no) == ["prior_notice"]  # not serious: no collective discussion


def test_collective_discussion_only_when_marked_serious(api):
    case_no = open_case(api)
    investigate(api, case_no)
    report(api, case_no, serious="yes")
    approve_all(api, case_no)
    assert open_nodes(api, case_no) == ["collective_discussion"]
    assert api("zf").inbox(case_no=case_no, scope="candidate") == []  # the leadership's task


def test_two_distinct_officers_and_evidence_decided_within_seven_days(api):
    case_no = open_case(api)
    task = api("zf").task_for(case_no, "investigate")
    same = api("zf").post(f"/tasks/{task['id']}/complete", json={"data": {
        "officer_1": "zf", "officer_2": "zf", "inquiry_record": "笔录", "evidence_preserved": "no"}})
    assert "两" in field_errors(same)["officer_2"]
    investigate(api, case_no, preserved="yes")
    api("zf").complete(case_no, "preserve_evidence", {"preserved_items": "三轮车一辆", "preservation_approved_by": "卫支队长"})
    decision = api("zf").task_for(case_no, "preservation_decision")
    assert dt.datetime.fromisoformat(decision["due_at"]) - dt.datetime.fromisoformat(decision["created_at"]) == 7 * DAY


def test_filing_approval_has_the_fifteen_day_limit(api):
    response = start(api, ORDINARY, {**PARTY, "party_type": "individual", "clue_source": "complaint"})
    case_no = response.json()["case_no"]
    task = api("zfdz").task_for(case_no, "file_approval")
    assert dt.datetime.fromisoformat(task["due_at"]) - dt.datetime.fromisoformat(task["created_at"]) == 15 * DAY
    api("zfdz").complete(case_no, "file_approval", {"filing_result": "not_filed", "filing_opinion": "不属于管辖"})
    assert case(api, case_no)["outcome"] == "not_filed"


def test_decision_deadline_warns_and_one_extension_adds_thirty_days(api, app, virtual_clock):
    case_no = open_case(api)
    fire_timers(app, virtual_clock, 79 * DAY)
    assert open_nodes(api, case_no) == ["investigate"]
    fire_timers(app, virtual_clock, 1 * DAY + dt.timedelta(minutes=1))  # day 80: the warning
    assert open_nodes(api, case_no) == ["deadline_warning", "investigate"]
    api("zf").complete(case_no, "deadline_warning", {"extension_request": "apply", "extension_reason": "案情复杂"})
    api("fgld").complete(case_no, "extension_approval", {"extension_result": "approved"})
    fire_timers(app, virtual_clock, 15 * DAY)  # day 95: past the original 90 days, nothing overdue
    assert open_nodes(api, case_no) == ["investigate"]
    fire_timers(app, virtual_clock, 15 * DAY)  # day 110: warned again, and no second extension
    assert open_nodes(api, case_no) == ["deadline_warning", "investigate"]
    api("zf").complete(case_no, "deadline_warning", {"extension_request": "apply", "extension_reason": "再次"})
    assert open_nodes(api, case_no) == ["investigate"]
    fire_timers(app, virtual_clock, 10 * DAY)  # day 120: overdue → 督办
    assert open_nodes(api, case_no) == ["decision_overdue", "investigate"]
    api("fgld").complete(case_no, "decision_overdue", {"overdue_explanation": "说明"})
    until_prior_notice(api, case_no)
    api("zf").complete(case_no, "prior_notice", {"hearing_right": "no", "notice_served": True})
    fire_timers(app, virtual_clock, 3 * DAY + dt.timedelta(minutes=1))  # 陈述申辩期
    api("zf").complete(case_no, "statement_review", {"statement_adopted": "none", "review_opinion": "无"})
    api("fgld").complete(case_no, "decide", {"decision_result": "no_penalty", "decision_opinion": "已改正"})
    assert open_nodes(api, case_no) == ["closing"]


def test_decision_ends_the_deadline_clock(api, app, virtual_clock):
    case_no = open_case(api)
    fire_timers(app, virtual_clock, 80 * DAY + dt.timedelta(minutes=1))
    assert "deadline_warning" in open_nodes(api, case_no)
    until_prior_notice(api, case_no)
    api("zf").complete(case_no, "prior_notice", {"hearing_right": "no", "notice_served": True})
    fire_timers(app, virtual_clock, 3 * DAY + dt.timedelta(minutes=1))
    api("zf").complete(case_no, "statement_review", {"statement_adopted": "none", "review_opinion": "无"})
    api("fgld").complete(case_no, "decide", {"decision_result": "no_penalty", "decision_opinion": "不予处罚"})
    assert open_nodes(api, case_no) == ["closing"]  # the open warning task went with the clock
    fire_timers(app, virtual_clock, 60 * DAY)
    assert open_nodes(api, case_no) == ["closing"]
