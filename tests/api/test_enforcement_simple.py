"""简易程序 (行政处罚法 Art. 51–52, 68–71) through the API: the limits are enforced on the server."""
from __future__ import annotations

import datetime as dt

from tests.api.enforcement_helpers import PARTY, case, events, field_errors, open_nodes, start

SIMPLE = "enforcement_simple"


def simple_case(party_type: str = "individual", fine: float = 50) -> dict:
    return {**PARTY, "party_type": party_type, "violated_article": "《示范市市容和环境卫生管理条例》第十五条",
            "penalty_article": "《示范市市容和环境卫生管理条例》第四十条", "penalty_kind": "fine", "fine_amount": fine}


def work_until_decision(api, case_no: str) -> None:
    api("zf").complete(case_no, "show_id", {"id_shown": True, "officer_1": "冯执法", "officer_cert_no": "ZF-0001"})
    api("zf").complete(case_no, "hear", {"facts_told": True, "statement_adopted": "none"})


def test_simple_procedure_is_refused_over_the_individual_limit(api):
    refused = start(api, SIMPLE, simple_case("individual", 201))
    errors = field_errors(refused)
    assert list(errors) == ["fine_amount"]
    assert errors["fine_amount"].endswith("超过简易程序限额（200 元），请适用普通程序")
    english = api("zf").request("POST", "/cases", headers={"Accept-Language": "en"},
                                json={"process_key": SIMPLE, "variables": simple_case("individual", 201)})
    assert "ordinary procedure" in field_errors(english)["fine_amount"]
    assert start(api, SIMPLE, simple_case("individual", 200)).status_code == 201


def test_simple_procedure_is_refused_over_the_organisation_limit(api):
    errors = field_errors(start(api, SIMPLE, simple_case("organisation", 3001)))
    assert "3000 元" in errors["fine_amount"] and "普通程序" in errors["fine_amount"]
    assert start(api, SIMPLE, simple_case("organisation", 3000)).status_code == 201


def test_raising_the_fine_at_the_decision_is_refused_too(api):
    case_no = start(api, SIMPLE, simple_case("individual", 100)).json()["case_no"]
    work_until_decision(api, case_no)
    task = api("zf").task_for(case_no, "decide")
    raised = api("zf").post(f"/tasks/{task['id']}/complete", json={"data": {
        "fine_amount": 500, "party_signed": "signed", "collect_on_site": "no"}})
    assert "请适用普通程序" in field_errors(raised)["fine_amount"]
    assert open_nodes(api, case_no) == ["decide"]  # nothing half-done


def test_on_site_collection_is_refused_over_100_yuan(api):
    case_no = start(api, SIMPLE, simple_case("individual", 101)).json()["case_no"]
    work_until_decision(api, case_no)
    task = api("zf").task_for(case_no, "decide")
    refused = api("zf").post(f"/tasks/{task['id']}/complete", json={"data": {
        "fine_amount": 101, "party_signed": "signed", "collect_on_site": "yes"}})
    assert "超过当场收缴限额（100 元）" in field_errors(refused)["collect_on_site"]
    api("zf").complete(case_no, "decide", {"fine_amount": 101, "party_signed": "signed", "collect_on_site": "no"})
    assert open_nodes(api, case_no) == ["filing"]  # no collection: the party pays at the bank


def test_on_site_collection_hands_the_money_in_within_two_days_then_files(api):
    case_no = start(api, SIMPLE, simple_case("individual", 100)).json()["case_no"]
    work_until_decision(api, case_no)
    api("zf").complete(case_no, "decide", {"fine_amount": 100, "party_signed": "refused",
                                           "refusal_note": "当事人拒绝签收，已在决定书上注明", "collect_on_site": "yes"})
    api("zf").complete(case_no, "collect", {"receipt_no": "CZ-2026-000123"})
    hand_in = api("zf").task_for(case_no, "hand_in")
    created = dt.datetime.fromisoformat(hand_in["created_at"])
    assert dt.datetime.fromisoformat(hand_in["due_at"]) - created == dt.timedelta(days=2)
    api("zf").complete(case_no, "hand_in", {"handed_in": True})
    assert open_nodes(api, case_no) == ["filing"]
    assert api("zf").inbox(case_no=case_no, scope="candidate") == []  # 备案 is the agency head's
    api("zfdz").complete(case_no, "filing", {"filing_no": "BA-2026-001"})
    detail = case(api, case_no)
    assert detail["status"] == "completed" and detail["outcome"] == "closed"
    assert detail["variables"]["party_signed"] == "refused"  # 拒绝签收 is noted with the case
    assert [e["node_id"] for e in events(api, case_no) if e["type"] == "task.completed"] == [
        "show_id", "hear", "decide", "collect", "hand_in", "filing"]
