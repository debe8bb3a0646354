"""机构配置, 人员配置, 离职转办 and the audit log, over real HTTP.

Organisations and people live for the whole test session, so every test makes its own (unique codes)
and leaves the demo tree and demo users as they were.
"""
from __future__ import annotations

import uuid

import pytest

from engine import org_service
from tests.helpers import ApiClient

PASSWORD = "Passw0rd-x"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6].upper()}"


def create_org(admin, code, parent="CITY", kind="department", name=None, **extra):
    body = {"code": code, "name": name or f"机构{code}", "kind": kind, "parent": parent, **extra}
    return admin.ok("POST", "/orgs", 201, json=body)


def create_user(admin, username, *, roles=("handler",), orgs=("D_WATER",), **extra):
    body = {"username": username, "display_name": f"测试{username}", "password": PASSWORD, "roles": list(roles),
            "memberships": [{"org": o} for o in orgs], **extra}
    return admin.ok("POST", "/users", 201, json=body)


def audit(admin, **params) -> list[dict]:
    return admin.ok("GET", "/audit", params={"page_size": 100, **params})


def login(server, username, password=PASSWORD) -> ApiClient:
    return ApiClient(server).login(username, password)


# --- the organisation tree ----------------------------------------------------------------------

def test_move_rewrites_the_subtree_paths_and_refuses_cycles(api):
    admin = api("admin")
    a, b, c, d = (unique(p) for p in ("MA", "MB", "MC", "MD"))
    create_org(admin, a)
    create_org(admin, b, parent=a, kind="team")
    create_org(admin, c, parent=b, kind="team")
    create_org(admin, d)
    assert admin.ok("GET", f"/orgs/{c}")["path"] == f"/CITY/{a}/{b}/{c}/"

    for target in (a, c):  # itself, and its own grandchild
        refused = admin.post(f"/orgs/{a}/move", json={"parent": target})
        assert refused.status_code == 409 and refused.json()["code"] == "org_cycle", refused.text
    assert admin.ok("GET", f"/orgs/{c}")["path"] == f"/CITY/{a}/{b}/{c}/"

    moved = admin.ok("POST", f"/orgs/{a}/move", json={"parent": d})
    assert (moved["parent"], moved["path"], moved["depth"]) == (d, f"/CITY/{d}/{a}/", 3)
    assert admin.ok("GET", f"/orgs/{b}")["path"] == f"/CITY/{d}/{a}/{b}/"
    assert admin.ok("GET", f"/orgs/{c}")["path"] == f"/CITY/{d}/{a}/{b}/{c}/"
    assert [o["code"] for o in admin.ok("GET", "/orgs", params={"under": d})] == [d, a, b, c]
    assert [o["code"] for o in admin.ok("GET", "/orgs", params={"parent": d})] == [a]

    tree = admin.ok("GET", "/orgs/tree", params={"root": d})
    assert [n["code"] for n in tree] == [d]
    assert tree[0]["children"][0]["code"] == a
    assert tree[0]["children"][0]["children"][0]["children"][0]["code"] == c

    # to the root and back: paths follow
    admin.ok("POST", f"/orgs/{b}/move", json={"parent": None})
    assert admin.ok("GET", f"/orgs/{c}")["path"] == f"/{b}/{c}/"
    admin.ok("POST", f"/orgs/{b}/move", json={"parent": a})
    assert admin.ok("GET", f"/orgs/{c}")["path"] == f"/CITY/{d}/{a}/{b}/{c}/"

    entry = audit(admin, action="org.move", target_id=a)[0]
    assert entry["before"]["path"] == f"/CITY/{a}/" and entry["after"]["path"] == f"/CITY/{d}/{a}/"
    assert (entry["before"]["parent"], entry["after"]["parent"]) == ("CITY", d)


def test_subtree_queries_do_not_treat_underscore_as_a_wildcard(api):
    admin = api("admin")
    suffix = uuid.uuid4().hex[:6].upper()
    create_org(admin, f"U_{suffix}")
    create_org(admin, f"UX{suffix}")  # would match LIKE '/CITY/U_…/%' unescaped
    create_org(admin, f"CHILD{suffix}", parent=f"UX{suffix}", kind="team")
    assert [o["code"] for o in admin.ok("GET", "/orgs", params={"under": f"U_{suffix}"})] == [f"U_{suffix}"]


def test_codes_are_unique_regardless_of_case_and_validated(api):
    admin = api("admin")
    code = unique("CASE")
    create_org(admin, code)
    again = admin.post("/orgs", json={"code": code.lower(), "name": "重复", "kind": "department", "parent": "CITY"})
    assert again.status_code == 409 and again.json()["code"] == "org_exists"
    bad = admin.post("/orgs", json={"code": "有/斜杠", "name": "x", "kind": "nope", "parent": "CITY"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"code", "kind"}
    missing = admin.post("/orgs", json={"code": unique("NP"), "name": "x", "kind": "team", "parent": "NO_SUCH"})
    assert missing.status_code == 404 and missing.json()["code"] == "org_not_found"
    assert admin.get("/orgs/NO_SUCH_ORG").status_code == 404


def test_patch_sets_name_leader_grids_and_sort(api):
    admin = api("admin")
    code = unique("PT")
    create_org(admin, code)
    changed = admin.ok("PATCH", f"/orgs/{code}", json={"name": "新名称", "leader_username": "swld",
                                                       "grids": ["110101001001001", "110101001001001"], "sort": 5})
    assert (changed["name"], changed["leader_username"], changed["leader_name"]) == ("新名称", "swld", "何局长（水务局局长）")
    assert changed["grids"] == ["110101001001001"] and changed["sort"] == 5
    unknown = admin.request("PATCH", f"/orgs/{code}", json={"leader_username": "nobody-here"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "leader_username"
    cleared = admin.ok("PATCH", f"/orgs/{code}", json={"leader_username": None})
    assert cleared["leader_username"] is None and cleared["name"] == "新名称"


def test_disable_works_bottom_up_and_keeps_history_readable(api, server):
    admin = api("admin")
    parent, child = unique("DP"), unique("DC")
    create_org(admin, parent)
    create_org(admin, child, parent=parent, kind="team")

    refused = admin.post(f"/orgs/{parent}/disable")
    assert refused.status_code == 409 and refused.json()["code"] == "org_in_use"
    assert child in refused.json()["detail"]
    assert admin.ok("POST", f"/orgs/{child}/disable")["is_active"] is False
    assert admin.ok("POST", f"/orgs/{parent}/disable")["is_active"] is False

    # still readable, in the tree too; the code stays taken; nothing new goes under it
    assert admin.ok("GET", f"/orgs/{parent}")["is_active"] is False
    tree = admin.ok("GET", "/orgs/tree", params={"root": parent})
    assert tree[0]["code"] == parent and tree[0]["children"][0]["is_active"] is False
    assert admin.ok("GET", "/orgs/tree", params={"root": parent, "active": "true"}) == []
    assert admin.post("/orgs", json={"code": parent, "name": "x", "kind": "team"}).json()["code"] == "org_exists"
    under_disabled = admin.post("/orgs", json={"code": unique("X"), "name": "x", "kind": "team", "parent": parent})
    assert under_disabled.status_code == 409 and under_disabled.json()["code"] == "org_disabled"
    joining = admin.post("/users", json={"username": unique("j"), "display_name": "x", "password": PASSWORD,
                                         "memberships": [{"org": child}]})
    assert joining.status_code == 422 and joining.json()["errors"][0]["field"] == "memberships"
    early = admin.post(f"/orgs/{child}/enable")
    assert early.status_code == 409 and early.json()["code"] == "org_disabled"

    admin.ok("POST", f"/orgs/{parent}/enable")
    assert admin.ok("POST", f"/orgs/{child}/enable")["is_active"] is True
    actions = [e["action"] for e in audit(admin, target_type="org", target_id=child)]
    assert actions == ["org.enable", "org.disable", "org.create"]


def test_an_organisation_with_open_tasks_is_not_disabled(api):
    admin = api("admin")
    code = unique("TK")
    create_org(admin, code)
    deploy(admin, "org_work_" + code.lower(), f'camunda:candidateGroups="org:{code}"')
    case = admin.ok("POST", "/cases", 201, json={"process_key": "org_work_" + code.lower()})
    refused = admin.post(f"/orgs/{code}/disable")
    assert refused.status_code == 409 and refused.json()["code"] == "org_in_use"
    assert "1" in refused.json()["detail"]
    assert case["case_no"]


def test_leaders_up_the_tree_follow_the_seeded_demo_tree(app_context):
    from api.extensions import db

    conn = db.session.connection()
    assert org_service.leader_of(conn, "D_WATER") == "swld"
    assert org_service.leader_of(conn, "DIST_A") is None
    assert [o.code for o in org_service.ancestors(conn, "CM_HEPING")] == ["ST_HEPING", "DIST_A", "CITY"]
    assert org_service.subtree_codes(conn, "DIST_A") == ["DIST_A", "ST_HEPING", "CM_HEPING"]
    # a team member's leader is the team's leader, then the department's, then the city's
    assert org_service.leader_above(conn, "jdy", 1) == "ld"  # 东城区 has no leader: skipped
    assert org_service.leader_above(conn, "sw", 1) == "swld"
    assert org_service.leader_above(conn, "gw", 1) == "swld"  # gw leads the team: their leader is above
    assert org_service.leader_above(conn, "gw", 2) == "ld"
    assert org_service.leader_above(conn, "gw", 3) is None
    db.session.rollback()


# --- people -------------------------------------------------------------------------------------

def test_created_user_logs_in_and_a_disabled_users_token_stops_working(api, server):
    admin = api("admin")
    username = unique("u").lower()
    created = create_user(admin, username, roles=["acceptor"], orgs=["CENTRE"], post="受理员",
                          phone="13800000000", email="u@example.cn")
    assert "password" not in created and "password_hash" not in created
    assert created["memberships"] == [{"org": "CENTRE", "org_name": "城市运行管理服务指挥中心", "is_primary": True}]
    assert (created["post"], created["primary_org"], created["open_tasks"]) == ("受理员", "CENTRE",
                                                                                {"assigned": 0, "candidate": 0})
    listed = admin.ok("GET", "/users", params={"org": "CENTRE", "role": "acceptor", "q": username})
    assert [u["username"] for u in listed] == [username]
    assert all("password_hash" not in u for u in admin.ok("GET", "/users", params={"page_size": 100}))

    person = login(server, username)
    assert person.ok("GET", "/auth/me")["username"] == username
    assert admin.ok("POST", f"/users/{username}/disable")["is_active"] is False
    refused = person.get("/auth/me")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    again = ApiClient(server).http.post(f"{server}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert again.status_code == 401
    assert username not in [u["username"] for u in admin.ok("GET", "/users", params={"active": "true", "q": username})]

    admin.ok("POST", f"/users/{username}/enable")
    assert login(server, username).ok("GET", "/auth/me")["username"] == username
    duplicate = admin.post("/users", json={"username": username.upper(), "display_name": "x", "password": PASSWORD})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "user_exists"


def test_password_policy_errors_are_field_level_in_chinese(api, server):
    admin = api("admin")
    username = unique("p").lower()
    for password, message in (("abc1", "密码至少 8 位"), ("abcdefghij", "密码须同时包含字母和数字"),
                              ("12345678", "密码须同时包含字母和数字")):
        response = admin.post("/users", json={"username": username, "display_name": "x", "password": password})
        assert response.status_code == 422, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["errors"] == [{"field": "password", "message": message}]
    english = admin.post("/users", json={"username": username, "display_name": "x", "password": "abc1"},
                         headers={"Accept-Language": "en"})
    assert english.json()["errors"][0]["message"].startswith("password: at least 8 characters")
    assert admin.get(f"/users/{username}").status_code == 404  # nothing was created

    create_user(admin, username)
    weak = admin.post(f"/users/{username}/password", json={"password": "short"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    assert admin.post(f"/users/{username}/password", json={"password": "NewPassw0rd"}).status_code == 204
    login(server, username, "NewPassw0rd")
    assert api("sly").post(f"/users/{username}/password", json={"password": "Other1234"}).status_code == 403


def test_roles_and_memberships_are_replaced_and_only_admins_change_people(api, server):
    admin = api("admin")
    username = unique("r").lower()
    create_user(admin, username, roles=["handler"], orgs=["D_WATER"])
    person = login(server, username)
    assert person.ok("GET", "/auth/me")["orgs"] == ["D_WATER"]

    changed = admin.ok("PUT", f"/users/{username}/memberships",
                       json={"memberships": [{"org": "D_WATER"}, {"org": "T_WATER_PIPE", "is_primary": True}]})
    assert changed["primary_org"] == "T_WATER_PIPE"
    assert [(m["org"], m["is_primary"]) for m in changed["memberships"]] == [("D_WATER", False),
                                                                             ("T_WATER_PIPE", True)]
    assert [u["username"] for u in admin.ok("GET", "/users", params={"under": "CITY", "q": username})] == [username]
    admin.ok("PUT", f"/users/{username}/memberships", json={"memberships": [{"org": "T_WATER_PIPE"}]})
    assert [u["username"] for u in admin.ok("GET", "/users", params={"under": "D_WATER", "q": username})] == [username]
    assert admin.ok("GET", "/users", params={"org": "D_WATER", "q": username}) == []
    assert admin.ok("GET", "/users", params={"under": "CENTRE", "q": username}) == []
    admin.ok("PUT", f"/users/{username}/memberships",
             json={"memberships": [{"org": "D_WATER"}, {"org": "T_WATER_PIPE", "is_primary": True}]})
    two_primaries = admin.request("PUT", f"/users/{username}/memberships",
                                  json={"memberships": [{"org": "D_WATER", "is_primary": True},
                                                        {"org": "CENTRE", "is_primary": True}]})
    assert two_primaries.status_code == 422
    roles = admin.ok("PUT", f"/users/{username}/roles", json={"roles": ["handler", "leader"]})
    assert roles["roles"] == ["handler", "leader"]
    unknown = admin.request("PUT", f"/users/{username}/roles", json={"roles": ["no_such_role"]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "roles"
    me = person.ok("GET", "/auth/me")  # takes effect at once
    assert me["orgs"] == ["D_WATER", "T_WATER_PIPE"] and me["roles"] == ["handler", "leader"]

    updated = admin.ok("PATCH", f"/users/{username}", json={"post": "副队长", "phone": None})
    assert updated["post"] == "副队长" and updated["phone"] is None
    bad = admin.request("PATCH", f"/users/{username}", json={"email": "not-an-email"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"

    for method, path, body in (("POST", "/users", {"username": "x1", "display_name": "x", "password": PASSWORD}),
                               ("PATCH", f"/users/{username}", {"post": "x"}),
                               ("POST", f"/users/{username}/disable", None),
                               ("PUT", f"/users/{username}/roles", {"roles": ["admin"]}),
                               ("POST", f"/users/{username}/hand-over", {"to": "sw", "reason": "x"}),
                               ("POST", "/orgs", {"code": "X1", "name": "x", "kind": "team"}),
                               ("POST", "/orgs/D_WATER/disable", None)):
        response = api("sly").request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
    assert api("sly").get("/audit").status_code == 403


def test_the_last_active_admin_is_never_disabled_or_demoted(api):
    admin = api("admin")
    others = [u["username"] for u in admin.ok("GET", "/users", params={"role": "admin", "active": "true",
                                                                          "page_size": 100})
              if u["username"] != "admin"]
    for username in others:  # earlier tests may have made admins: the guard is about *active* ones
        admin.ok("POST", f"/users/{username}/disable")
    try:
        refused = admin.post("/users/admin/disable")
        assert refused.status_code == 409 and refused.json()["code"] == "last_admin"
        demoted = admin.request("PUT", "/users/admin/roles", json={"roles": ["designer"]})
        assert demoted.status_code == 409
        assert admin.ok("GET", "/users/admin")["is_active"] is True
    finally:
        for username in others:
            admin.ok("POST", f"/users/{username}/enable")


# --- 离职转办 -------------------------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="处理" {assignment}/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def deploy(admin, key: str, assignment: str) -> None:
    content = BPMN.format(key=key, assignment=assignment).encode()
    response = admin.post("/definitions", files={"files": (f"{key}.bpmn", content, "application/xml")})
    assert response.status_code in (200, 201), response.text


def test_hand_over_moves_assigned_and_named_candidate_tasks(api, server):
    admin = api("admin")
    leaver, successor = unique("leave").lower(), unique("succ").lower()
    create_user(admin, leaver)
    create_user(admin, successor)
    key = "handover_" + uuid.uuid4().hex[:6]
    deploy(admin, key + "_a", 'camunda:assignee="${person}"')
    deploy(admin, key + "_c", 'camunda:candidateUsers="${person}"')
    deploy(admin, key + "_both", 'camunda:candidateUsers="${person},${other}"')
    deploy(admin, key + "_role", 'camunda:candidateGroups="handler"')
    variables = {"person": leaver, "other": successor}
    cases = {kind: admin.ok("POST", "/cases", 201, json={"process_key": f"{key}_{kind}", "variables": variables})
             for kind in ("a", "c", "both", "role")}

    old, new = login(server, leaver), login(server, successor)
    named = {cases[k]["case_no"] for k in ("a", "c", "both")}
    assert named <= {t["case_no"] for t in old.inbox()}
    assert cases["c"]["case_no"] not in {t["case_no"] for t in new.inbox()}

    disabled = unique("off").lower()
    create_user(admin, disabled)
    admin.ok("POST", f"/users/{disabled}/disable")
    refused = admin.post(f"/users/{leaver}/hand-over", json={"to": disabled, "reason": "调岗"})
    assert refused.status_code == 409 and refused.json()["code"] == "user_disabled"
    assert admin.ok("GET", f"/users/{leaver}")["open_tasks"] == {"assigned": 1, "candidate": 2}

    result = admin.ok("POST", f"/users/{leaver}/hand-over", json={"to": successor, "reason": "调岗"})
    assert result == {"transferred": 3}

    assert not named & {t["case_no"] for t in old.inbox()}
    mine = {t["case_no"]: t for t in new.inbox()}
    assert named <= set(mine)
    assert mine[cases["a"]["case_no"]]["assignee"] == successor
    assert mine[cases["c"]["case_no"]]["candidates"] == [f"user:{successor}"]
    assert mine[cases["both"]["case_no"]]["candidates"] == [f"user:{successor}"]  # no duplicate entry
    # a role task is not the person's own: it stays with the role
    assert cases["role"]["case_no"] in {t["case_no"] for t in old.inbox()}
    assert admin.ok("GET", f"/users/{leaver}")["open_tasks"] == {"assigned": 0, "candidate": 0}

    for kind in ("a", "c", "both"):
        events = admin.ok("GET", f"/cases/{cases[kind]['case_no']}/events", params={"page_size": 100})
        transferred = [e for e in events if e["type"] == "task.transferred"]
        assert len(transferred) == 1 and transferred[0]["actor"] == "admin"
        assert {k: transferred[0]["data"][k] for k in ("from", "to", "reason", "bulk")} == \
            {"from": leaver, "to": successor, "reason": "调岗", "bulk": True}
    entry = audit(admin, action="user.hand_over", target_id=leaver)[0]
    assert entry["after"] == {"to": successor, "transferred": 3, "reason": "调岗"}
    assert entry["before"]["assigned"] == 1 and entry["before"]["candidate"] == 2

    task = mine[cases["a"]["case_no"]]
    new.ok("POST", f"/tasks/{task['id']}/complete", json={"data": {}})
    assert admin.ok("GET", f"/cases/{cases['a']['case_no']}")["status"] == "completed"
    nothing = admin.ok("POST", f"/users/{leaver}/hand-over", json={"to": successor, "reason": "再次"})
    assert nothing == {"transferred": 0}
    same = admin.post(f"/users/{leaver}/hand-over", json={"to": leaver, "reason": "x"})
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "to"


# --- the audit log ------------------------------------------------------------------------------

def test_every_change_is_audited_with_before_and_after(api, virtual_clock):
    admin = api("admin")
    code, username = unique("AU"), unique("au").lower()
    started = virtual_clock.now()
    create_org(admin, code, grids=["110101009001001"])
    admin.ok("PATCH", f"/orgs/{code}", json={"name": "改名后", "leader_username": "ld"})
    create_user(admin, username, orgs=[code])
    admin.ok("PATCH", f"/users/{username}", json={"post": "巡查员"})
    admin.ok("PUT", f"/users/{username}/roles", json={"roles": ["handler", "supervisor"]})
    admin.ok("PUT", f"/users/{username}/memberships", json={"memberships": [{"org": "D_WATER"}]})
    admin.post(f"/users/{username}/password", json={"password": "Changed123"})
    admin.ok("POST", f"/users/{username}/disable")

    org_entries = audit(admin, target_type="org", target_id=code)
    assert [e["action"] for e in org_entries] == ["org.update", "org.create"]
    update, create = org_entries
    assert create["before"] is None and create["after"]["grids"] == ["110101009001001"]
    assert (update["before"]["name"], update["after"]["name"]) == (f"机构{code}", "改名后")
    assert (update["before"]["leader_username"], update["after"]["leader_username"]) == (None, "ld")
    assert update["actor"] == "admin" and update["ip"] == "127.0.0.1"

    user_entries = audit(admin, target_type="user", target_id=username)
    assert [e["action"] for e in user_entries] == ["user.disable", "user.reset_password", "user.set_memberships",
                                                   "user.set_roles", "user.update", "user.create"]
    by_action = {e["action"]: e for e in user_entries}
    assert by_action["user.set_roles"]["before"]["roles"] == ["handler"]
    assert by_action["user.set_roles"]["after"]["roles"] == ["handler", "supervisor"]
    assert by_action["user.set_memberships"]["after"]["memberships"] == [{"org": "D_WATER", "is_primary": True}]
    assert (by_action["user.update"]["before"]["post"], by_action["user.update"]["after"]["post"]) == (None, "巡查员")
    assert (by_action["user.disable"]["before"]["is_active"], by_action["user.disable"]["after"]["is_active"]) == \
        (True, False)
    assert "hash" not in str(user_entries) and PASSWORD not in str(user_entries)

    prefixed = audit(admin, action="user.", target_id=username)
    assert len(prefixed) == 6
    assert audit(admin, actor="sly", target_id=username) == []
    assert len(audit(admin, target_id=username, **{"from": started.isoformat()})) == 6
    assert audit(admin, target_id=username, to=started.isoformat()) == []
    paged = admin.get("/audit", params={"target_id": username, "page_size": 2})
    assert len(paged.json()) == 2 and "X-Pagination" in paged.headers


@pytest.mark.parametrize("path", ["/orgs", "/orgs/tree", "/orgs/CITY", "/users", "/users/sly"])
def test_reads_need_a_token(api, path):
    assert api().get(path).status_code == 401
