"""The closed loop end to end over real HTTP, as the roles would do it."""
from __future__ import annotations

import pytest

REPORT = {
    "source": "supervisor", "category_type": "part", "category_code": "0101",
    "grid_code": "110101001001001", "address": "东城区和平路 12 号", "longitude": 116.41, "latitude": 39.91,
    "description": "上水井盖破损，存在安全隐患", "photos": ["file:photo-1.jpg"],
}


def report(api, reporter="jdy", **overrides):
    body = {"process_key": "closed_loop", "variables": {**REPORT, **overrides}}
    return api(reporter).ok("POST", "/cases", 201, json=body)


def file_and_dispatch(api, case_no, department="D_WATER"):
    api("sly").complete(case_no, "accept", {"accept_result": "accept", "accept_opinion": "属实，予以受理"})
    api("zbz").complete(case_no, "register", {"register_result": "file", "register_opinion": "符合立案标准"})
    api("pqy").complete(case_no, "dispatch", {"department": department, "dispatch_opinion": "请尽快处置"})


def handle_and_feed_back(api, case_no, who="sw"):
    api(who).complete(case_no, "handle", {"handle_sign": True, "handle_measures": "已更换井盖"})
    api(who).complete(case_no, "feedback", {"feedback_result": "处置完毕", "feedback_photos": ["file:after.jpg"]})


def revisit(api, case_no, satisfaction="satisfied", who="sly"):
    """回访 of a public report after 结案 (supervisor reports skip it)."""
    api(who).complete(case_no, "revisit", {"satisfaction": satisfaction, "revisit_note": "电话回访"})


def test_supervisor_report_closed_after_one_rework(api):
    case = report(api)
    case_no = case["case_no"]
    assert case["stage"] == "file" and case["status"] == "running"
    assert [t["node_id"] for t in case["open_tasks"]] == ["accept"]

    file_and_dispatch(api, case_no)
    # Only the chosen department sees the disposal task; another department does not.
    assert [t["node_id"] for t in api("sw").inbox(case_no=case_no)] == ["handle"]
    assert api("hw").inbox(case_no=case_no) == []

    handle_and_feed_back(api, case_no)
    api("jdy").complete(case_no, "check", {"check_result": "fail", "check_opinion": "井盖仍松动"})
    after_rework = api("zbz").ok("GET", f"/cases/{case_no}")
    assert after_rework["rework_count"] == 1
    assert [t["node_id"] for t in after_rework["open_tasks"]] == ["handle"]

    handle_and_feed_back(api, case_no)
    api("jdy2").complete(case_no, "check", {"check_result": "pass", "check_opinion": "已修复"})
    api("zbz").complete(case_no, "close", {"close_opinion": "结案"})

    closed = api("zbz").ok("GET", f"/cases/{case_no}")
    assert closed["status"] == "completed"
    assert closed["outcome"] == "closed"
    assert closed["stage"] == "evaluate"
    assert closed["rework_count"] == 1
    assert closed["open_tasks"] == []

    events = api("zbz").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})
    completed = [e["node_id"] for e in events if e["type"] == "task.completed"]
    assert completed == ["accept", "register", "dispatch", "handle", "feedback", "check",
                         "handle", "feedback", "check", "close"]
    assert [e["data"]["value"] for e in events if e["type"] == "counter.incremented"] == [1]
    assert events[-1]["type"] == "case.ended" and events[-1]["data"]["outcome"] == "closed"
    actors = {e["node_id"]: e["actor"] for e in events if e["type"] == "task.completed"}
    assert actors == {"accept": "sly", "register": "zbz", "dispatch": "pqy", "handle": "sw",
                      "feedback": "sw", "check": "jdy2", "close": "zbz"}


def test_public_report_goes_through_verification(api):
    case = report(api, reporter="rx", source="hotline_12345", reporter_phone="13800000000")
    case_no = case["case_no"]
    assert [t["node_id"] for t in case["open_tasks"]] == ["verify"]
    assert case["stage"] == "collect"
    # the acceptor has nothing to accept before the supervisor verified
    assert api("sly").inbox(case_no=case_no) == []

    api("jdy").complete(case_no, "verify", {"verify_result": "confirmed", "verify_opinion": "现场核实属实"})
    assert [t["node_id"] for t in api("sly").inbox(case_no=case_no)] == ["accept"]
    file_and_dispatch(api, case_no, department="D_ROADS")
    handle_and_feed_back(api, case_no, who="sz")
    api("jdy").complete(case_no, "check", {"check_result": "pass", "check_opinion": "合格"})
    api("zbz").complete(case_no, "close", {"close_opinion": "结案"})
    # a public report is not over at 结案: the acceptor calls the citizen back (回访)
    after_close = api("sly").ok("GET", f"/cases/{case_no}")
    assert after_close["status"] == "running" and after_close["stage"] == "evaluate"
    assert [t["node_id"] for t in after_close["open_tasks"]] == ["revisit"]
    revisit(api, case_no, "basically_satisfied")
    closed = api("sly").ok("GET", f"/cases/{case_no}")
    assert (closed["status"], closed["outcome"], closed["rework_count"]) == ("completed", "closed", 0)
    assert closed["variables"]["satisfaction"] == "basically_satisfied"


def test_public_report_not_confirmed_ends_with_reason(api):
    case_no = report(api, reporter="rx", source="wechat")["case_no"]
    api("jdy").complete(case_no, "verify", {"verify_result": "not_confirmed", "verify_opinion": "现场无此问题"})
    ended = api("sly").ok("GET", f"/cases/{case_no}")
    assert (ended["status"], ended["outcome"]) == ("completed", "not_verified")
    events = api("sly").ok("GET", f"/cases/{case_no}/events")
    assert events[-1]["data"] == {"outcome": "not_verified", "reason": "现场无此问题"}


def test_not_filed_ends_the_case_with_recorded_reason(api):
    case_no = report(api)["case_no"]
    api("sly").complete(case_no, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    api("zbz").complete(case_no, "register", {"register_result": "not_filed", "register_opinion": "不属于城管职责"})
    ended = api("zbz").ok("GET", f"/cases/{case_no}")
    assert (ended["status"], ended["outcome"], ended["open_tasks"]) == ("completed", "not_filed", [])
    last = api("zbz").ok("GET", f"/cases/{case_no}/events")[-1]
    assert last["type"] == "case.ended"
    assert last["data"] == {"outcome": "not_filed", "reason": "不属于城管职责"}


@pytest.mark.parametrize("result,outcome", [("not_accepted", "not_accepted"), ("voided", "voided"),
                                            ("duplicate", "duplicate")])
def test_acceptor_can_end_a_report(api, result, outcome):
    case_no = report(api)["case_no"]
    data = {"accept_result": result, "accept_opinion": "见意见"}
    if result == "duplicate":
        data["duplicate_of"] = "CG202603010001"
    api("sly").complete(case_no, "accept", data)
    assert api("sly").ok("GET", f"/cases/{case_no}")["outcome"] == outcome


def test_retried_start_with_same_idempotency_key_returns_same_case(api):
    body = {"process_key": "closed_loop", "variables": REPORT}
    first = api("jdy").post("/cases", json=body, headers={"Idempotency-Key": "report-42"})
    again = api("jdy").post("/cases", json=body, headers={"Idempotency-Key": "report-42"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["case_no"] == first.json()["case_no"]
    other = api("jdy").post("/cases", json=body, headers={"Idempotency-Key": "report-43"})
    assert other.status_code == 201 and other.json()["case_no"] != first.json()["case_no"]
    listed = api("zbz").ok("GET", "/cases", params={"page_size": 100})
    assert len(listed) == 2


def test_case_numbers_follow_the_default_pattern(api, virtual_clock):
    first = report(api)["case_no"]
    second = report(api)["case_no"]
    day = virtual_clock.now().strftime("%Y%m%d")
    assert first == f"CG{day}0001" and second == f"CG{day}0002"
