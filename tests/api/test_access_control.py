"""权限配置 and authentication: every operation is covered, roles allow and deny, data scopes hide other
departments' cases, tokens have scopes and expiry, logins are rate-limited, web sessions need CSRF."""
from __future__ import annotations

import datetime as dt

import pytest
import requests

from api.permissions import CATALOG, PUBLIC_ENDPOINTS, UnknownEndpoint, permission_for
from tests.api.test_closed_loop_flow import file_and_dispatch, report


def test_every_api_operation_needs_a_known_permission(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            try:
                needed = permission_for(rule.endpoint, method)
            except UnknownEndpoint:
                pytest.fail(f"{method} {rule.rule} ({rule.endpoint}) has no permission")
            assert needed is None or needed in CATALOG, (rule.endpoint, method, needed)


# (user, method, path, allowed?) — allowed means anything but 403 (the resource may not exist: 404/422)
MATRIX = [
    ("jdy", "GET", "/cases", True), ("jdy", "POST", "/definitions", False), ("jdy", "GET", "/time-limits", True),
    ("jdy", "POST", "/time-limits", False), ("jdy", "GET", "/roles", False), ("jdy", "PUT", "/forms/x/draft", False),
    ("jdy", "GET", "/tokens", False), ("jdy", "POST", "/tasks/none/extend", False),
    ("sly", "GET", "/tasks", True), ("sly", "POST", "/cases/none/suspend", False),
    ("sly", "POST", "/tasks/none/extend", False), ("sly", "GET", "/deliveries", False),
    ("zbz", "POST", "/tasks/none/extend", True), ("zbz", "POST", "/cases/none/suspend", True),
    ("zbz", "POST", "/calendars", False), ("zbz", "PUT", "/roles/handler", False),
    ("sw", "GET", "/cases", True), ("sw", "POST", "/cases", False), ("sw", "GET", "/forms", True),
    ("sw", "POST", "/forms/x/publish", False), ("sw", "GET", "/notifications", True),
    ("admin", "GET", "/roles", True), ("admin", "GET", "/tokens", True), ("admin", "POST", "/forms/x/publish", True),
    ("admin", "GET", "/deliveries", True), ("admin", "POST", "/definitions", True),
]


@pytest.mark.parametrize("user,method,path,allowed", MATRIX)
def test_permission_matrix(api, user, method, path, allowed):
    response = api(user).request(method, path, json={})
    if allowed:
        assert response.status_code != 403, response.text
    else:
        assert response.status_code == 403 and response.json()["code"] == "forbidden", response.text


def test_a_department_never_sees_another_departments_case(api):
    case_no = report(api)["case_no"]
    file_and_dispatch(api, case_no, department="D_ROADS")
    roads_task = api("sz").task_for(case_no, "handle")
    for outsider in ("sw", "hw"):
        client = api(outsider)
        assert client.get(f"/cases/{case_no}").status_code == 404
        assert client.get(f"/cases/{case_no}/events").status_code == 404
        assert client.get(f"/tasks/{roads_task['id']}").status_code == 404
        assert case_no not in [c["case_no"] for c in client.ok("GET", "/cases", params={"page_size": 100})]
        assert client.post(f"/tasks/{roads_task['id']}/complete", json={"data": {}}).status_code == 404
    # the owning department sees it through its data scope
    assert api("sz").ok("GET", f"/cases/{case_no}")["case_no"] == case_no


def test_token_scopes_expiry_and_revocation(api, server, virtual_clock):
    admin = api("admin")
    created = admin.ok("POST", "/tokens", 201, json={"username": "sly", "name": "12345 热线接口",
                                                     "scopes": ["case.read"], "expires_in_days": 1})
    caller = requests.Session()
    caller.headers["Authorization"] = f"Bearer {created['token']}"
    base = f"{server}/api/v1"
    assert caller.get(f"{base}/cases").status_code == 200
    assert caller.post(f"{base}/cases", json={"variables": {}}).status_code == 403  # scope lacks case.start
    listed = admin.ok("GET", "/tokens")
    assert any(t["id"] == created["id"] and "token" not in t for t in listed)

    virtual_clock.advance(dt.timedelta(days=2))
    from api.auth import PRINCIPALS
    PRINCIPALS.clear()
    expired = caller.get(f"{base}/cases")
    assert expired.status_code == 401 and "过期" in expired.json()["detail"]

    second = admin.ok("POST", "/tokens", 201, json={"username": "sly", "name": "x", "scopes": ["*"]})
    caller.headers["Authorization"] = f"Bearer {second['token']}"
    assert caller.get(f"{base}/cases").status_code == 200
    assert admin.request("DELETE", f"/tokens/{second['id']}").status_code == 204
    assert caller.get(f"{base}/cases").status_code == 401
    bad = admin.post("/tokens", json={"username": "sly", "name": "x", "scopes": ["everything"]})
    assert bad.status_code == 422


def test_failed_logins_are_rate_limited_per_account(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_LOGIN_LIMIT_ACCOUNT", "3 per minute")
    anonymous = api()
    for _ in range(3):
        assert anonymous.post("/auth/login", json={"username": "pqy", "password": "wrong"}).status_code == 401
    blocked = anonymous.post("/auth/login", json={"username": "pqy", "password": "citybpm123"})
    assert blocked.status_code == 429
    assert blocked.headers["Content-Type"].startswith("application/problem+json")
    # other accounts are not affected
    assert anonymous.post("/auth/login", json={"username": "zbz", "password": "citybpm123"}).status_code == 200


def test_logins_are_rate_limited_per_address(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_LOGIN_LIMIT_ADDRESS", "2 per minute")
    anonymous = api()
    for username in ("zbz", "sly"):
        assert anonymous.post("/auth/login", json={"username": username, "password": "citybpm123"}).status_code == 200
    blocked = anonymous.post("/auth/login", json={"username": "pqy", "password": "citybpm123"})
    assert blocked.status_code == 429  # a third account from the same address
    assert anonymous.get("/openapi.json").status_code == 200  # routes without limits are not counted or blocked


def test_web_session_cookie_needs_csrf_for_changes(server):
    browser = requests.Session()
    base = f"{server}/api/v1"
    login = browser.post(f"{base}/auth/session", json={"username": "jdy", "password": "citybpm123"})
    assert login.status_code == 200
    cookie = next(c for c in browser.cookies if c.name == "citybpm_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert browser.get(f"{base}/cases").status_code == 200
    body = {"variables": {"source": "supervisor", "category_type": "part", "category_code": "0101",
                          "address": "和平路", "description": "井盖"}}
    refused = browser.post(f"{base}/cases", json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    accepted = browser.post(f"{base}/cases", json=body, headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert accepted.status_code == 201
    assert browser.delete(f"{base}/auth/session").status_code == 204
    assert browser.get(f"{base}/cases").status_code == 401


def test_me_shows_permissions_and_scope(api):
    me = api("sw").ok("GET", "/auth/me")
    assert me["data_scope"] == "org_tree" and "task.work" in me["permissions"]
    assert "case.start" not in me["permissions"]
