"""系统配置 and 统计配置 over HTTP: parameters, the category catalog with its 立结案标准, grids, weights."""
from __future__ import annotations

import pytest

from api import catalog as catalog_api
from api import evaluation_config as evaluation_api
from api import settings as settings_api
from api.extensions import db, rest
from api.seed import DEMO_CATEGORY_LIMITS
from engine import audit
from engine.catalog import seed_demo_catalog


@pytest.fixture(scope="module", autouse=True)
def catalog_app(app):
    """These blueprints and the demo catalog, whether or not the app factory and bootstrap have them yet.
    Flask refuses new blueprints once an app has served a request, so the flag is lifted for it; and the
    shared flask-smorest Api may have been bound to another app since (test_cli builds one)."""
    served, app._got_first_request = app._got_first_request, False
    bound, rest._app = rest._app, app
    try:
        for blueprint in (settings_api.blp, catalog_api.blp, evaluation_api.blp):
            if blueprint.name not in app.blueprints:
                rest.register_blueprint(blueprint)
    finally:
        app._got_first_request, rest._app = served, bound
    with app.app_context():
        seed_demo_catalog(db.session)
        db.session.commit()
    return app


@pytest.fixture
def audited(monkeypatch):
    """Every audit entry the API writes (and still writes it)."""
    entries = []
    real = audit.record

    def spy(conn, **entry):
        entries.append(entry)
        return real(conn, **entry)

    monkeypatch.setattr(audit, "record", spy)
    return entries


def field_errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- 系统参数 -------------------------------------------------------------------------------------------

def test_settings_list_every_parameter_with_default_and_description(api):
    settings = {s["key"]: s for s in api("admin").ok("GET", "/settings")}
    assert {"case_number_prefix", "case_number_pattern", "warn_share", "hang_max_days", "category_code_lengths",
            "grid_code_length", "part_id_length"} <= set(settings)
    assert settings["case_number_pattern"]["default"] == "{prefix}{date:%Y%m%d}{seq:04d}"
    assert settings["category_code_lengths"]["value"] == {"major": 2, "minor": 2}
    assert settings["grid_code_length"]["value"] == 15 and settings["part_id_length"]["value"] == 16
    assert settings["warn_share"]["description"].startswith("预警比例")
    english = api("admin").ok("GET", "/settings/warn_share", headers={"Accept-Language": "en"})
    assert english["description"].startswith("warning share")


def test_an_admin_changes_a_setting_and_the_change_is_audited(api, audited):
    admin = api("admin")
    changed = admin.ok("PUT", "/settings/warn_share", json={"value": 0.7})
    try:
        assert changed["value"] == 0.7 and changed["is_default"] is False and changed["updated_by"] == "admin"
        assert admin.ok("GET", "/settings/warn_share")["value"] == 0.7
        assert audited[-1] == {"actor": "admin", "action": "setting.update", "target_type": "setting",
                               "target_id": "warn_share", "before": {"value": 0.8}, "after": {"value": 0.7},
                               "ip": "127.0.0.1"}
    finally:
        restored = admin.ok("DELETE", "/settings/warn_share")
    assert restored["value"] == 0.8 and restored["is_default"] is True
    assert audited[-1]["action"] == "setting.reset"


def test_only_admins_change_settings(api):
    response = api("sly").request("PUT", "/settings/warn_share", json={"value": 0.5})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert api("admin").ok("GET", "/settings/warn_share")["value"] == 0.8


@pytest.mark.parametrize("key,value,words", [
    ("case_number_pattern", "{prefix}{seq:04d}", "完整日期"),            # numbers would repeat the next day
    ("case_number_pattern", "{prefix}{date:%Y%m}{seq:04d}", "完整日期"),  # … or the same day next month
    ("case_number_pattern", "{prefix}{date.year}{seq}", "只能使用"),      # attribute access
    ("case_number_pattern", "{prefix}{date:%Y%m%d}{other}", "只能使用"),
    ("case_number_pattern", "{prefix}{date:%Y%m%d}{seq:040d}", "超过 40 位"),
    ("case_number_pattern", "{prefix}{date:%Y%m%d}{seq:s}", "无法生成"),
    # a nine-digit width rendered a gigabyte per sample while checking (eight samples)
    ("case_number_pattern", "{prefix}{date:%Y%m%d}{seq:0999999999d}", "宽度最多两位数"),
    ("case_number_pattern", "{prefix}{date:%Y%m%d}{seq:{prefix}}", "不能嵌套字段"),
    ("case_number_pattern", "{prefix}/{date:%Y%m%d}/{seq:04d}", "只能包含字母"),  # case numbers are in URLs
    ("case_number_prefix", "城管", "字母或数字"),
    ("warn_share", 1.5, "大于 0 且小于 1"),
    ("warn_share", "0.8", "应为数字"),
    ("hang_max_days", 0, "1 到 3650"),
    ("hang_max_days", 2.5, "整数"),
    ("grid_code_length", True, "整数"),
    ("category_code_lengths", {"major": 2}, "major"),
    ("part_id_length", 10, "至少 11 位"),
    ("evaluation_grades", [{"grade": "A", "min": 60}, {"grade": "B", "min": 75}, {"grade": "C", "min": 0}], "从高到低"),
])
def test_bad_setting_values_are_refused_field_by_field_in_chinese(api, key, value, words):
    errors = field_errors(api("admin").request("PUT", f"/settings/{key}", json={"value": value}))
    assert words in errors["value"], errors
    assert api("admin").ok("GET", f"/settings/{key}")["is_default"] is True


def test_a_pattern_with_the_full_date_is_taken_and_errors_speak_english_when_asked(api):
    admin = api("admin")
    try:
        taken = admin.ok("PUT", "/settings/case_number_pattern", json={"value": "DC-{date:%Y%m%d}-{seq:05d}"})
        assert taken["value"] == "DC-{date:%Y%m%d}-{seq:05d}"
    finally:
        admin.ok("DELETE", "/settings/case_number_pattern")
    english = admin.request("PUT", "/settings/case_number_pattern", json={"value": "{seq}"},
                            headers={"Accept-Language": "en"})
    assert "full date" in field_errors(english)["value"]


def test_unknown_settings_are_404_and_a_value_is_required(api):
    missing = api("admin").request("PUT", "/settings/no_such_thing", json={"value": 1})
    assert missing.status_code == 404 and "no_such_thing" in missing.json()["detail"]
    assert api("admin").get("/settings/no_such_thing").status_code == 404
    assert "value" in field_errors(api("admin").request("PUT", "/settings/warn_share", json={}))


def test_code_lengths_cannot_change_under_active_codes(api):
    errors = field_errors(api("admin").request("PUT", "/settings/category_code_lengths",
                                               json={"value": {"major": 2, "minor": 3}}))
    assert "停用" in errors["value"]
    errors = field_errors(api("admin").request("PUT", "/settings/grid_code_length", json={"value": 12}))
    assert "停用" in errors["value"]


# --- 分类目录 -------------------------------------------------------------------------------------------

def test_demo_catalog_matches_the_demo_time_limits(api):
    for stage, code, amount, unit, _note in DEMO_CATEGORY_LIMITS:
        category = api("sly").ok("GET", f"/categories/{code}")
        assert stage == "handle" and category["level"] == "minor"
        assert (category["handle_amount"], category["handle_unit"]) == (amount, unit), code
        assert category["filing_standard"] and category["closing_standard"]


def test_the_tree_nests_minors_under_majors_and_lists_filter(api):
    events = api("jdy").ok("GET", "/categories/tree", params={"kind": "event"})
    assert [m["code"] for m in events][:4] == ["10", "11", "12", "13"]
    street = next(m for m in events if m["code"] == "11")
    assert street["name"] == "街面秩序" and {"1101", "1102"} <= {c["code"] for c in street["children"]}
    assert all(c["kind"] == "event" and c["parent_code"] == "11" for c in street["children"])

    parts = api("jdy").ok("GET", "/categories", params={"kind": "part", "level": "minor", "page_size": 100})
    assert parts and all(c["kind"] == "part" and c["level"] == "minor" for c in parts)
    assert [c["code"] for c in parts if c["parent_code"] == "01"][:3] == ["0101", "0102", "0103"]
    found = api("jdy").ok("GET", "/categories", params={"q": "井盖", "page_size": 100})
    assert "0101" in {c["code"] for c in found} and all("井盖" in c["name"] for c in found)


def test_an_admin_builds_a_category_and_its_limit_shows_in_the_time_limits(api, audited):
    admin = api("admin")
    major = admin.ok("POST", "/categories", 201, json={"code": "05", "name": "房屋土地", "kind": "part",
                                                       "level": "major"})
    assert major["is_active"] is True and major["handle_amount"] is None
    minor = admin.ok("POST", "/categories", 201, json={
        "code": "0501", "name": "房屋外立面", "level": "minor", "parent_code": "05",
        "filing_standard": "外立面瓷砖、构件脱落或有脱落危险", "closing_standard": "已排险修复",
        "handle_amount": 3, "handle_unit": "work_days"})
    assert minor["kind"] == "part" and (minor["handle_amount"], minor["handle_unit"]) == (3, "work_days")
    assert [e["action"] for e in audited] == ["category.create", "category.create"]

    def limits():
        return admin.ok("GET", "/time-limits", params={"stage": "handle", "category_code": "0501"})

    assert [(r["amount"], r["unit"]) for r in limits()] == [(3, "work_days")]
    changed = admin.ok("PATCH", "/categories/0501", json={"handle_amount": 8, "handle_unit": "urgent_hours"})
    assert (changed["handle_amount"], changed["handle_unit"]) == (8, "urgent_hours")
    assert [(r["amount"], r["unit"]) for r in limits()] == [(8, "urgent_hours")]
    assert audited[-1]["before"]["handle_amount"] == 3 and audited[-1]["after"]["handle_amount"] == 8

    # edited on the time-limit side, the category shows it too: one source
    limit_id = limits()[0]["id"]
    admin.ok("PUT", f"/time-limits/{limit_id}", json={"stage": "handle", "category_code": "0501", "amount": 2,
                                                      "unit": "work_hours"})
    assert admin.ok("GET", "/categories/0501")["handle_amount"] == 2

    cleared = admin.ok("PATCH", "/categories/0501", json={"handle_amount": None, "handle_unit": None})
    assert cleared["handle_amount"] is None and limits() == []


@pytest.mark.parametrize("body,field,words", [
    ({"code": "5", "name": "x", "kind": "part", "level": "major"}, "code", "2 位数字"),
    ({"code": "0a", "name": "x", "kind": "part", "level": "major"}, "code", "数字"),
    ({"code": "07", "name": "x", "level": "major"}, "kind", "部件"),
    ({"code": "0601", "name": "x", "level": "minor", "parent_code": "01"}, "code", "以所属大类编码 01 开头"),
    ({"code": "011", "name": "x", "level": "minor", "parent_code": "01"}, "code", "4 位数字"),
    ({"code": "9901", "name": "x", "level": "minor", "parent_code": "99"}, "parent_code", "不存在"),
    ({"code": "0199", "name": "x", "level": "minor"}, "parent_code", "所属大类"),
    ({"code": "0199", "name": "x", "level": "minor", "parent_code": "01", "kind": "event"}, "kind", "一致"),
    ({"code": "0199", "name": "x", "level": "minor", "parent_code": "01", "handle_amount": 2}, "handle_unit",
     "同时给出"),
    ({"code": "0199", "name": "x", "level": "minor", "parent_code": "01", "handle_amount": -1,
      "handle_unit": "work_days"}, "handle_amount", "大于 0"),
    ({"code": "0199", "name": "x", "level": "minor", "parent_code": "01", "handle_amount": 1,
      "handle_unit": "fortnights"}, "handle_unit", "时限单位"),
    ({"code": "08", "name": "x", "kind": "part", "level": "major", "filing_standard": "…"}, "filing_standard",
     "只属于小类"),
    ({"code": "08", "name": "x", "kind": "part", "level": "grand"}, "level", "取值不在允许范围内"),
])
def test_bad_categories_are_refused_field_by_field_in_chinese(api, body, field, words):
    errors = field_errors(api("admin").request("POST", "/categories", json=body))
    assert words in errors[field], errors
    assert api("admin").get(f"/categories/{body['code']}").status_code == 404


def test_duplicate_codes_conflict_and_only_admins_change_the_catalog(api):
    duplicate = api("admin").request("POST", "/categories", json={"code": "01", "name": "重复", "kind": "part",
                                                                  "level": "major"})
    assert duplicate.status_code == 409
    for method, path, body in (("POST", "/categories", {"code": "06", "name": "x", "kind": "part", "level": "major"}),
                               ("PATCH", "/categories/0101", {"name": "改名"}),
                               ("POST", "/categories/0101/disable", None),
                               ("POST", "/grids", {"code": "110101009009009", "name": "x", "org_code": "DIST_A"}),
                               ("PATCH", "/grids/110101001001001", {"name": "改名"})):
        response = api("sly").request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
    assert api("sly").ok("GET", "/categories/0101")["name"] == "上水井盖"


def test_disabling_a_major_disables_its_minors_and_codes_never_change(api, audited):
    admin = api("admin")
    admin.ok("POST", "/categories", 201, json={"code": "09", "name": "扩展部件", "kind": "part", "level": "major"})
    admin.ok("POST", "/categories", 201, json={"code": "0901", "name": "充电桩", "level": "minor",
                                               "parent_code": "09"})
    disabled = admin.ok("POST", "/categories/09/disable")
    assert disabled["is_active"] is False and audited[-1]["action"] == "category.disable"
    admin.ok("POST", "/categories/09/disable")  # already disabled: nothing changes, nothing is recorded
    assert len(audited) == 3
    assert admin.ok("GET", "/categories/0901")["is_active"] is False
    assert "0901" in {c["code"] for c in admin.ok("GET", "/categories", params={"active": "false",
                                                                               "page_size": 100})}
    assert "09" not in {m["code"] for m in admin.ok("GET", "/categories/tree", params={"active": "true"})}

    errors = field_errors(admin.request("PATCH", "/categories/0901", json={"is_active": True}))
    assert "先启用大类" in errors["is_active"]
    assert "code" in field_errors(admin.request("PATCH", "/categories/0901", json={"code": "0902"}))
    errors = field_errors(admin.request("POST", "/categories", json={"code": "0902", "name": "x", "level": "minor",
                                                                     "parent_code": "09"}))
    assert "已停用" in errors["parent_code"]
    admin.ok("PATCH", "/categories/09", json={"is_active": True})
    assert admin.ok("PATCH", "/categories/0901", json={"is_active": True})["is_active"] is True


# --- 单元网格 -------------------------------------------------------------------------------------------

def test_grids_list_by_organisation_and_an_admin_maintains_them(api, audited):
    admin = api("admin")
    district = admin.ok("GET", "/grids", params={"org_code": "DIST_A", "page_size": 100})
    assert "110101001001001" in {g["code"] for g in district} and all(g["org_code"] == "DIST_A" for g in district)
    assert admin.ok("GET", "/grids", params={"org_code": "D_WATER"}) == []

    errors = field_errors(admin.request("POST", "/grids", json={"code": "11010100100100", "name": "短",
                                                               "org_code": "NOWHERE"}))
    assert "15 位数字" in errors["code"] and "不存在" in errors["org_code"]
    created = admin.ok("POST", "/grids", 201, json={"code": "110101005001001", "name": "北新桥街道 第1网格",
                                                     "org_code": "DIST_A"})
    assert created["is_active"] is True
    assert admin.ok("PATCH", "/grids/110101005001001", json={"name": "北新桥街道 民安社区 第1网格"})["name"] \
        == "北新桥街道 民安社区 第1网格"
    assert admin.ok("POST", "/grids/110101005001001/disable")["is_active"] is False
    assert [e["action"] for e in audited] == ["grid.create", "grid.update", "grid.disable"]
    active = {g["code"] for g in admin.ok("GET", "/grids", params={"active": "true", "page_size": 100})}
    assert "110101005001001" not in active and "110101001001001" in active
    assert admin.request("POST", "/grids", json={"code": "110101005001001", "name": "x",
                                                 "org_code": "DIST_A"}).status_code == 409
    assert admin.get("/grids/110101999999999").status_code == 404


# --- 统计配置 -------------------------------------------------------------------------------------------

def test_weights_show_the_default_formulas_and_grades(api):
    overview = api("admin").ok("GET", "/evaluation/weights")
    parties = {p["party"]: p for p in overview["parties"]}
    assert set(parties) == {"supervisor", "acceptor", "shift_leader", "dispatcher", "department", "region"}
    assert parties["department"]["formula_zh"] == "处置率×30% + 按期处置率×40% + (1−返工率)×30%"
    assert parties["supervisor"]["formula_zh"] == \
        "有效上报率×40% + (1−漏报率)×20% + 按时核实率×20% + 按时核查率×20%"
    assert parties["acceptor"]["formula_zh"].startswith("受理数分值×25%")
    for party in parties.values():
        assert abs(sum(i["weight"] for i in party["indicators"]) - 1) < 1e-9 and party["is_default"]
    assert [(g["grade"], g["min"]) for g in overview["grades"]] == [("A", 90), ("B", 75), ("C", 60), ("D", 40),
                                                                    ("E", 0)]


def test_weights_must_sum_to_100_percent(api, audited):
    admin = api("admin")
    short = admin.request("PUT", "/evaluation/weights/department",
                          json={"weights": {"handled_rate": 0.3, "handled_on_time_rate": 0.4, "rework_rate": 0.25}})
    assert "100%" in field_errors(short)["weights"] and "95%" in field_errors(short)["weights"]
    unknown = admin.request("PUT", "/evaluation/weights/department", json={"weights": {"smiles": 1}})
    assert "没有指标" in field_errors(unknown)["weights.smiles"]
    over = admin.request("PUT", "/evaluation/weights/department", json={"weights": {"handled_rate": 1.5}})
    assert "0 到 1" in field_errors(over)["weights.handled_rate"]
    assert admin.request("PUT", "/evaluation/weights/mayor", json={"weights": {"x": 1}}).status_code == 404
    assert api("sly").request("PUT", "/evaluation/weights/department",
                              json={"weights": {"handled_rate": 1}}).status_code == 403
    assert audited == []

    changed = admin.ok("PUT", "/evaluation/weights/department",
                       json={"weights": {"handled_rate": 0.5, "handled_on_time_rate": 0.5}})
    try:
        assert changed["formula_zh"] == "处置率×50% + 按期处置率×50%" and changed["is_default"] is False
        assert {i["indicator"]: i["points"] for i in changed["indicators"]} == {
            "handled_rate": 50, "handled_on_time_rate": 50, "rework_rate": 0}
        assert audited[-1]["before"]["rework_rate"] == 0.3 and audited[-1]["after"]["rework_rate"] == 0
    finally:
        restored = admin.ok("DELETE", "/evaluation/weights/department")
    assert restored["is_default"] is True


def test_openapi_documents_the_configuration_endpoints(api):
    paths = api().ok("GET", "/openapi.json")["paths"]
    for path in ("/api/v1/settings", "/api/v1/settings/{key}", "/api/v1/categories", "/api/v1/categories/tree",
                 "/api/v1/categories/{code}", "/api/v1/categories/{code}/disable", "/api/v1/grids",
                 "/api/v1/grids/{code}", "/api/v1/evaluation/weights", "/api/v1/evaluation/weights/{party}"):
        assert path in paths, path
