"""Bad input the fuzzer (test_api_fuzz.py) found or led to: each was a 500, a silent guess or a false promise in
the OpenAPI document; now a 4xx problem+json, zh-CN first, and nothing changed."""
from __future__ import annotations

import pytest

POLICY = {"process_key": "closed_loop", "node_id": "accept", "action": "remind", "remind_every": 1,
          "remind_unit": "work_hours"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def raw_json(client, method: str, path: str, text: str):
    return client.request(method, path, data=text.encode("utf-8", "surrogatepass"),
                          headers={"Content-Type": "application/json"})


def policies(api) -> list:
    return api("admin").ok("GET", "/deadline-policies", params={"page_size": 100})


# ------------------------------------------------------------------ text no database can store

@pytest.mark.parametrize("text", ["a\\u0000b", "a\\ud800b"], ids=["NUL", "lone surrogate"])
def test_unstorable_text_in_a_body_names_the_field(api, text):
    before = policies(api)
    response = raw_json(api("admin"), "POST", "/deadline-policies",
                        '{"process_key": "closed_loop", "node_id": "%s", "action": "remind"}' % text)
    body = problem(response, 422)
    assert body["errors"] == [{"field": "node_id", "message": "含有无法保存的字符（NUL 或不成对的 UTF-16 代理项）"}]
    assert policies(api) == before


def test_unstorable_text_in_keys_lists_query_and_path_is_refused(api):
    admin = api("admin")
    nested = raw_json(admin, "POST", "/cases", '{"process_key": "closed_loop", "variables": {"photos": ["\\u0000"]}}')
    assert problem(nested, 422)["errors"][0]["field"] == "variables.photos.0"
    key = raw_json(admin, "POST", "/cases", '{"process_key": "closed_loop", "variables": {"a\\u0000": 1}}')
    assert problem(key, 422)["errors"][0]["field"] == "variables.a\x00"
    assert problem(admin.get("/cases", params={"q": "井盖\x00"}), 422)["errors"][0]["field"] == "q"
    assert problem(admin.get("/cases/CG%00"), 422)["errors"][0]["field"] == "case_no"


def test_english_on_request(api):
    response = api("admin").request("POST", "/deadline-policies", json={**POLICY, "node_id": "a\x00"},
                                    headers={"Accept-Language": "en"})
    assert problem(response, 422)["errors"][0]["message"].startswith("contains characters that cannot be stored")


# ------------------------------------------------------------------ JSON that is not quite JSON

@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_json_cannot_carry_are_refused(api, number):
    before = policies(api)
    response = raw_json(api("admin"), "POST", "/deadline-policies",
                        '{"process_key": "closed_loop", "node_id": "accept", "action": "auto_complete", '
                        '"auto_complete_data": {"x": %s}}' % number)
    assert problem(response, 422)["errors"][0]["message"] == f"JSON 中不能有 {number}"
    assert policies(api) == before


def test_what_the_raw_bytes_hide_is_found_too(api):
    """A surrogate written straight in UTF-8, an upper-case escape and a float without an exponent past its range."""
    admin = api("admin")
    for text in ("a\ud800b", "a\\uDBFFb"):
        response = raw_json(admin, "POST", "/deadline-policies", '{"process_key": "%s", "node_id": "x"}' % text)
        assert problem(response, 422)["errors"][0]["field"] == "process_key"
    huge = "9" * 400 + ".0"
    response = raw_json(admin, "POST", "/deadline-policies",
                        '{"process_key": "closed_loop", "node_id": "accept", "action": "auto_complete", '
                        '"auto_complete_data": {"x": %s}}' % huge)
    assert problem(response, 422)["errors"][0]["message"] == f"JSON 中不能有 {huge}"


def test_json_nested_100_000_deep_is_a_400_not_a_crash(api):
    deep = '{"process_key": "closed_loop", "variables": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    assert problem(raw_json(api("admin"), "POST", "/cases", deep), 400)["code"] == "json_too_deep"
    modest = '{"process_key": "closed_loop", "variables": {"x": ' + "[" * 70 + "]" * 70 + "}}"
    assert problem(raw_json(api("admin"), "POST", "/cases", modest), 400)["code"] == "json_too_deep"


@pytest.mark.parametrize("path", ["/auth/login", "/auth/session"])
@pytest.mark.parametrize("body", ["[null, null]", '"admin"', "42"])
def test_login_with_a_body_that_is_not_an_object(api, path, body):
    assert problem(raw_json(api(), "POST", path, body), 422)["errors"] == [{"field": None, "message": "应为对象"}]


# ------------------------------------------------------------------ values marshmallow used to guess at

def test_a_fraction_is_not_an_integer(api):
    before = policies(api)
    response = api("admin").post("/deadline-policies", json={**POLICY, "max_reminders": 2.5})
    assert problem(response, 422)["errors"] == [{"field": "max_reminders", "message": "不是有效的整数"}]
    assert policies(api) == before


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_a_boolean_is_true_or_false(api, value):
    before = api("admin").ok("GET", "/categories/0101")
    response = api("admin").request("PATCH", "/categories/0101", json={"is_active": value})
    assert problem(response, 422)["errors"] == [{"field": "is_active", "message": "不是有效的布尔值"}]
    assert api("admin").ok("GET", "/categories/0101") == before


def test_range_messages_are_chinese_by_default(api):
    response = api("admin").post("/time-limits", json={"stage": "accept", "amount": 0, "unit": "work_hours"})
    assert problem(response, 422)["errors"][0]["message"].startswith("数值超出允许范围")


# ------------------------------------------------------------------ the dispatch table is written as XML

def test_control_characters_in_a_dispatch_rule_are_named_not_a_500(api):
    response = api("admin").post("/dispatch-rules/evaluate", json={
        "category_type": "part", "table": {"rules": [], "description": "说明\x19"}})
    assert problem(response, 422)["errors"] == [{"field": "description",
                                                 "message": "含有不能写入 DMN 文件的控制字符"}]


# ------------------------------------------------------------------ the document says what the API does

def test_the_document_tells_the_truth(api):
    spec = api().ok("GET", "/openapi.json")
    paths = spec["paths"]
    assert paths["/api/v1/auth/login"]["post"]["security"] == []          # no token needed to get one
    assert paths["/api/v1/auth/session"]["delete"]["security"] == []      # logging out needs none either
    assert "security" not in paths["/api/v1/auth/me"]["get"]              # the document-wide bearer applies
    assert paths["/api/v1/orgs/{code}"]["patch"]["requestBody"]["required"] is False  # no body, no change
    amount = spec["components"]["schemas"]["TimeLimit"]["properties"]["amount"]
    assert amount["minimum"] == 0 and amount["exclusiveMinimum"] is True


def test_a_patch_without_a_body_changes_nothing(api):
    before = api("admin").ok("GET", "/orgs/CENTRE")
    assert api("admin").ok("PATCH", "/orgs/CENTRE") == before


def test_absurd_page_numbers_are_an_empty_page_or_refused(api):
    admin = api("admin")
    assert admin.ok("GET", "/tasks/done", params={"page": 10**18}) == []
    response = admin.get("/evaluation/cases", params={"page": 10**18, "month": "2026-03", "party": "department",
                                                      "key": "D_WATER", "indicator": "handled"})
    assert problem(response, 422)["errors"][0]["field"] == "page"
