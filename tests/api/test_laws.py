"""法律法规库: CRUD with field errors and audit; picking a cause fills the rest, procedure by the fine."""
from __future__ import annotations

CAUSE = {
    "code": "TEST01", "name": "测试案由：违规晾晒", "violated_law": "某市市容管理条例", "violated_article": "第十条",
    "penalty_law": "某市市容管理条例", "penalty_article": "第四十条", "other_penalties": ["警告"],
    "bands": [
        {"party_type": "individual", "circumstance": "一般", "min_amount": 50, "max_amount": 200},
        {"party_type": "individual", "circumstance": "较重", "min_amount": 200, "max_amount": 500},
        {"party_type": "organisation", "circumstance": "一般", "min_amount": 1000, "max_amount": 3000},
        {"party_type": "organisation", "circumstance": "较重", "min_amount": 3000, "max_amount": 3001},
    ],
}


def test_seeded_causes_fill_the_case(api):
    causes = api("zf").ok("GET", "/laws/causes", params={"page_size": 100})
    assert {"占道经营", "擅自占用城市道路"} <= {c["name"] for c in causes}
    filled = api("zf").ok("GET", "/laws/causes/CG0101/fill", params={"party_type": "individual",
                                                                      "circumstance": "一般"})
    fields = filled["fields"]
    assert fields["cause_name"] == "占道经营" and fields["violated_article"].startswith("《城市市容和环境卫生管理条例》")
    assert (fields["fine_min"], fields["fine_max"], fields["procedure"]) == (50, 200, "simple")


def test_cause_crud_with_field_errors_and_audit(api):
    admin = api("admin")
    created = admin.ok("POST", "/laws/causes", 201, json=CAUSE)
    try:
        assert [b["circumstance"] for b in created["bands"] if b["party_type"] == "individual"] == ["一般", "较重"]
        assert admin.request("POST", "/laws/causes", json=CAUSE).status_code == 409

        bad = admin.request("PATCH", "/laws/causes/TEST01", json={"bands": [
            {"party_type": "individual", "circumstance": "一般", "min_amount": 300, "max_amount": 100}]})
        assert bad.status_code == 422 and "bands.0.max_amount" in bad.json()["errors"][0].get("field", "") + bad.text
        assert len(admin.ok("GET", "/laws/causes/TEST01")["bands"]) == 4  # nothing changed

        changed = admin.ok("PATCH", "/laws/causes/TEST01", json={"name": "违规晾晒衣物", "bands": CAUSE["bands"][:1]})
        assert changed["name"] == "违规晾晒衣物" and len(changed["bands"]) == 1
        assert api("zf").request("PATCH", "/laws/causes/TEST01", json={"name": "x"}).status_code == 403

        log = admin.ok("GET", "/audit", params={"target_type": "law_cause", "target_id": "TEST01"})
        assert {"law_cause.create", "law_cause.update"} <= {e["action"] for e in log}
    finally:
        assert admin.request("DELETE", "/laws/causes/TEST01").status_code == 204
    assert admin.request("GET", "/laws/causes/TEST01").status_code == 404


def test_procedure_follows_the_simple_procedure_limits(api):
    admin = api("admin")
    admin.ok("POST", "/laws/causes", 201, json={**CAUSE, "code": "TEST02"})
    try:
        def fill(**params):
            return admin.ok("GET", "/laws/causes/TEST02/fill", params=params)

        assert fill(party_type="individual", circumstance="一般")["fields"]["procedure"] == "simple"      # ≤ 200
        assert fill(party_type="individual", circumstance="较重")["fields"]["procedure"] == "ordinary"    # up to 500
        assert fill(party_type="individual", circumstance="较重", amount=200)["fields"]["procedure"] == "simple"
        assert fill(party_type="organisation", circumstance="一般")["fields"]["procedure"] == "simple"    # ≤ 3000
        organisation = fill(party_type="organisation", circumstance="较重", amount=3001)
        assert organisation["fields"]["procedure"] == "ordinary" and organisation["procedure_name"] == "普通程序"
        assert organisation["simple_procedure_limit"] == 3000 and organisation["on_site_collection_allowed"] is False
        assert fill(party_type="individual", circumstance="一般", amount=100)["on_site_collection_allowed"] is True
        assert fill(party_type="individual", circumstance="一般", amount=101)["on_site_collection_allowed"] is False

        outside = admin.request("GET", "/laws/causes/TEST02/fill",
                                params={"party_type": "individual", "circumstance": "一般", "amount": 201})
        assert outside.status_code == 422
        unknown = admin.request("GET", "/laws/causes/TEST02/fill",
                                params={"party_type": "individual", "circumstance": "严重"})
        assert unknown.status_code == 422 and "circumstance" in unknown.text

        # the limit is a system setting: changing it moves the line
        admin.ok("PUT", "/settings/simple_procedure_limit_individual", json={"value": 500})
        try:
            assert fill(party_type="individual", circumstance="较重")["fields"]["procedure"] == "simple"
        finally:
            admin.ok("PUT", "/settings/simple_procedure_limit_individual", json={"value": 200})
    finally:
        admin.request("DELETE", "/laws/causes/TEST02")


def test_limits_are_readable_from_the_engine(app_context):
    from api.extensions import db
    from engine.enforcement.laws import on_site_collection_limit, simple_procedure_limit
    assert simple_procedure_limit(db.session, "individual") == 200
    assert simple_procedure_limit(db.session, "organisation") == 3000
    assert on_site_collection_limit(db.session) == 100
