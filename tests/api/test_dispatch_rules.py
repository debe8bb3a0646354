"""The dispatch rules table edited over the API: read, change, try, refuse, audit."""
from __future__ import annotations

import copy

import pytest

from tests.api.test_dispatch_variants import file_case
from tests.api.test_closed_loop_flow import report

HEPING_GRID = "110101001001001"


@pytest.fixture
def rules(api):
    """The current table; the shipped table is saved back afterwards (definitions live per session)."""
    admin = api("admin")
    original = admin.ok("GET", "/dispatch-rules")
    yield original
    restored = admin.request("PUT", "/dispatch-rules", data=original["xml"].encode("utf-8"),
                             headers={"Content-Type": "application/xml"})
    assert restored.status_code in (200, 201), restored.text
    assert admin.ok("GET", "/dispatch-rules")["rules"] == original["rules"]


def versions(api):
    return [d["version"] for d in api("admin").ok("GET", "/definitions/closed_loop/versions")]


def proposal_of(api, case_no):
    task = api("pqy").task_for(case_no, "dispatch")
    data = api("pqy").ok("GET", f"/tasks/{task['id']}")["data"]
    return data["proposed_department"], data["proposed_mode"]


def with_first_rule_to(table, department):
    changed = copy.deepcopy(table)
    outputs = [o["name"] for o in changed["outputs"]]
    first = changed["rules"][0]
    first["outputs"][outputs.index("proposed_department")] = f'"{department}"'
    first["outputs"][outputs.index("proposed_departments")] = f'["{department}"]'
    first["annotation"] = f"井盖改派 {department}"
    return changed


def test_the_table_reads_as_columns_and_rules(api, rules):
    assert rules["decision_id"] == "dispatch_rules" and rules["hit_policy"] == "UNIQUE"
    assert [c["expression"] for c in rules["inputs"]] == ["category_type", "category_code", "district_code",
                                                         "street_code"]
    assert [c["name"] for c in rules["outputs"]] == ["proposed_department", "proposed_departments", "proposed_mode",
                                                    "auto_dispatch"]
    first = rules["rules"][0]
    assert first["id"] == "r_water_covers" and "水务局" in first["annotation"]
    assert first["inputs"][1] == '? in ("0101", "0102", "0103")' and first["outputs"][0] == '"D_WATER"'
    assert "<definitions" in rules["xml"] and rules["definition"]["key"] == "closed_loop"


def test_a_changed_rule_sends_new_cases_elsewhere_while_running_cases_keep_their_version(api, rules):
    running = report(api)["case_no"]  # started on the shipped table: 井盖 → 水务局
    before = versions(api)

    saved = api("admin").ok("PUT", "/dispatch-rules", 201, json={"rules": with_first_rule_to(rules, "D_ROADS")["rules"]})
    assert saved["created"] and saved["definition"]["version"] == max(before) + 1
    assert saved["rules"][0]["annotation"] == "井盖改派 D_ROADS"

    new_case = file_case(api)
    assert proposal_of(api, new_case) == ("D_ROADS", "flat")
    api("sly").complete(running, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    api("zbz").complete(running, "register", {"register_result": "file", "register_opinion": "立案"})
    assert proposal_of(api, running) == ("D_WATER", "flat")  # its own version's table

    again = api("admin").ok("PUT", "/dispatch-rules", 200, json={"rules": saved["rules"]})
    assert not again["created"] and again["definition"]["version"] == saved["definition"]["version"]

    (entry,) = [e for e in api("admin").ok("GET", "/audit", params={"action": "dispatch_rules.update"})
                if e["after"]["version"] == saved["definition"]["version"]]
    assert entry["actor"] == "admin" and entry["before"]["version"] == max(before)
    assert entry["before"]["rules"][0][1][0] == '"D_WATER"' and entry["after"]["rules"][0][1][0] == '"D_ROADS"'


def test_a_table_can_be_tried_before_it_is_saved(api, rules):
    trial = {"category_type": "event", "category_code": "1001", "grid_code": HEPING_GRID}
    proposal = api("admin").ok("POST", "/dispatch-rules/evaluate", json=trial)
    assert (proposal["rule_id"], proposal["rule_index"]) == ("r_garbage_heping", 4)
    assert proposal["outputs"]["proposed_department"] == "ST_HEPING" and proposal["outputs"]["auto_dispatch"] == "yes"
    assert proposal["inputs"]["street_code"] == "110101001"  # derived from the grid as the process does

    unsaved = with_first_rule_to(rules, "D_GREEN")
    tried = api("admin").ok("POST", "/dispatch-rules/evaluate",
                            json={"category_type": "part", "category_code": "0102", "grid_code": HEPING_GRID,
                                  "table": {"rules": unsaved["rules"]}})
    assert tried["outputs"]["proposed_department"] == "D_GREEN" and tried["rule_index"] == 0
    assert api("admin").ok("GET", "/dispatch-rules")["rules"] == rules["rules"]  # nothing saved

    nothing = api("admin").ok("POST", "/dispatch-rules/evaluate", json={"category_type": "other"})
    assert nothing["matched"] is False and nothing["outputs"] == {}


def test_bad_tables_are_refused_with_field_errors_and_nothing_is_deployed(api, rules):
    before = versions(api)
    bad = copy.deepcopy(rules)
    bad["rules"][1]["outputs"][0] = '"D_NOWHERE"'
    bad["rules"][2]["outputs"][2] = '"fast"'
    bad["rules"][3]["inputs"][1] = 'in ("0401", "0402")'
    bad["rules"][5]["outputs"][2:] = ['"multi"', '"yes"']
    bad["rules"][6]["outputs"] = ['"D_ENFORCE"']
    response = api("admin").request("PUT", "/dispatch-rules", json={"rules": bad["rules"]})
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"rules[1].outputs.proposed_department", "rules[2].outputs.proposed_mode",
                           "rules[5].outputs.auto_dispatch", "rules[6].outputs"}
    assert errors["rules[1].outputs.proposed_department"].startswith("第 2 条规则") and "D_NOWHERE" in \
        errors["rules[1].outputs.proposed_department"]

    bad["rules"][6]["outputs"] = rules["rules"][6]["outputs"]  # the cell check runs once every row is whole
    response = api("admin").request("PUT", "/dispatch-rules", json={"rules": bad["rules"]})
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "第 4 条规则" in errors["rules[3].inputs.category_code"]

    for body in (b"<definitions", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>',
                 b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x"/>'):
        response = api("admin").request("PUT", "/dispatch-rules", data=body,
                                        headers={"Content-Type": "application/xml"})
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["xml"]
    assert versions(api) == before
    assert api("admin").ok("GET", "/dispatch-rules")["rules"] == rules["rules"]


def test_only_designers_and_admins_change_the_rules(api, rules):
    before = versions(api)
    changed = with_first_rule_to(rules, "D_ROADS")["rules"]
    for who in ("pqy", "sw"):
        response = api(who).request("PUT", "/dispatch-rules", json={"rules": changed})
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    assert versions(api) == before
