"""行政强制 through the API: 查封/扣押 with leader approval, at most 30 days, one 30-day extension;
强制执行 via written 催告 → 陈述申辩 → 强制执行决定."""
from __future__ import annotations

import datetime as dt

from tests.api.enforcement_helpers import PARTY, case, field_errors, fire_timers, open_nodes, start

COERCION = "enforcement_coercion"
DAY = dt.timedelta(days=1)


def coercion_case(api, kind: str) -> str:
    response = start(api, COERCION, {**PARTY, "party_type": "individual", "coercion_type": kind,
                                     "legal_basis": "《中华人民共和国行政强制法》"})
    assert response.status_code == 201, response.text
    return response.json()["case_no"]


def seize(api, case_no: str) -> None:
    api("zfdz").complete(case_no, "measure_approval", {"approval_result": "approved"})
    api("zf").complete(case_no, "execute_measure", {"measure_kind": "seize", "officer_1": "zf", "officer_2": "zf2",
                                                    "seized_items": "三轮车一辆", "scene_record": "现场笔录"})


def test_seizure_ends_after_thirty_days_without_a_decision(api, app, virtual_clock):
    case_no = coercion_case(api, "measure")
    seize(api, case_no)
    fire_timers(app, virtual_clock, 29 * DAY)
    assert open_nodes(api, case_no) == ["disposal"]
    fire_timers(app, virtual_clock, 1 * DAY + dt.timedelta(minutes=1))  # day 30: must be released
    assert open_nodes(api, case_no) == ["release"]
    api("zf").complete(case_no, "release", {"release_note": "期限届满，解除扣押"})
    assert case(api, case_no)["outcome"] == "closed"


def test_one_thirty_day_extension_and_no_second(api, app, virtual_clock):
    case_no = coercion_case(api, "measure")
    seize(api, case_no)
    fire_timers(app, virtual_clock, 20 * DAY)
    api("zf").complete(case_no, "disposal", {"disposal": "extend", "disposal_opinion": "情况复杂"})
    api("zfdz").complete(case_no, "extension_approval", {"extension_result": "approved"})
    assert open_nodes(api, case_no) == ["disposal"]
    fire_timers(app, virtual_clock, 20 * DAY)  # day 40: still held, the limit is now day 60
    assert open_nodes(api, case_no) == ["disposal"]
    task = api("zf").task_for(case_no, "disposal")
    again = api("zf").post(f"/tasks/{task['id']}/complete", json={"data": {"disposal": "extend"}})
    assert "不得再次延长" in field_errors(again)["disposal"]
    fire_timers(app, virtual_clock, 20 * DAY + dt.timedelta(minutes=1))  # day 60
    assert open_nodes(api, case_no) == ["release"]


def test_seizure_needs_two_distinct_officers_and_approval(api):
    case_no = coercion_case(api, "measure")
    assert api("zf").inbox(case_no=case_no, scope="candidate") == []  # the leader approves first
    api("zfdz").complete(case_no, "measure_approval", {"approval_result": "approved"})
    task = api("zf").task_for(case_no, "execute_measure")
    alone = api("zf").post(f"/tasks/{task['id']}/complete", json={"data": {
        "measure_kind": "seal", "officer_1": "zf", "officer_2": "zf", "seized_items": "门面", "scene_record": "笔录"}})
    assert "officer_2" in field_errors(alone)
    refused = coercion_case(api, "measure")
    api("zfdz").complete(refused, "measure_approval", {"approval_result": "rejected"})
    assert case(api, refused)["outcome"] == "not_approved"


def test_enforcement_runs_demand_statement_then_decision(api):
    case_no = coercion_case(api, "execution")
    api("zf").complete(case_no, "demand", {"demand_content": "限 10 日内履行"})
    statement = api("zf").task_for(case_no, "statement")
    assert dt.datetime.fromisoformat(statement["due_at"]) - dt.datetime.fromisoformat(statement["created_at"]) == 3 * DAY
    api("zf").complete(case_no, "statement", {"statement_adopted": "no"})
    api("zfdz").complete(case_no, "execution_decision", {"execution_result": "execute", "execution_opinion": "逾期未履行"})
    assert case(api, case_no)["outcome"] == "closed"
