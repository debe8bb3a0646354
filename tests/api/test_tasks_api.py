"""Task access, claiming, form validation and error shapes over real HTTP."""
from __future__ import annotations

import threading

from tests.api.test_closed_loop_flow import file_and_dispatch, report

PROBLEM = "application/problem+json"


def test_every_endpoint_needs_a_token(api):
    anonymous = api()
    for path in ("/tasks", "/cases", "/definitions", "/auth/me"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith(PROBLEM)
        assert response.json()["code"] == "unauthorized"
        assert response.json()["detail"] == "未登录或登录已过期"
    wrong = anonymous.get("/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"


def test_wrong_password_is_refused_without_saying_which_part(api):
    response = api().post("/auth/login", json={"username": "sly", "password": "nope"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    unknown = api().post("/auth/login", json={"username": "nobody", "password": "nope"})
    assert unknown.json()["detail"] == response.json()["detail"]


def test_login_validation_errors_are_field_level_in_chinese(api):
    response = api().post("/auth/login", json={"username": "sly"})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith(PROBLEM)
    assert response.json()["errors"] == [{"field": "password", "message": "此项为必填项"}]


def test_users_see_and_act_only_on_their_tasks(api):
    case_no = report(api)["case_no"]
    accept = api("sly").task_for(case_no, "accept")
    assert accept["candidates"] == ["role:acceptor"]
    # a department handler neither sees nor completes the acceptor's task
    assert api("sw").inbox(case_no=case_no) == []
    assert api("sw").get(f"/tasks/{accept['id']}").status_code == 404
    response = api("sw").post(f"/tasks/{accept['id']}/complete", json={"data": {"accept_result": "accept"}})
    assert response.status_code == 404
    # nothing changed
    assert [t["node_id"] for t in api("sly").inbox(case_no=case_no)] == ["accept"]


def test_task_detail_has_data_and_form(api):
    case_no = report(api)["case_no"]
    task = api("sly").task_for(case_no, "accept")
    detail = api("sly").ok("GET", f"/tasks/{task['id']}")
    assert detail["form_key"] == "closed_loop_accept"
    assert detail["form"]["id"] == "closed_loop_accept"
    assert detail["data"]["description"] == "上水井盖破损，存在安全隐患"
    assert detail["data"]["case_no"] == case_no


def test_claim_makes_the_task_mine_and_hides_it_from_other_candidates(api):
    case_no = report(api)["case_no"]
    file_and_dispatch(api, case_no)
    task = api("sw").task_for(case_no, "handle")
    assert api("sw").inbox(scope="candidate", case_no=case_no)[0]["id"] == task["id"]
    claimed = api("sw").ok("POST", f"/tasks/{task['id']}/claim")
    assert claimed["assignee"] == "sw"
    assert api("sw").inbox(scope="mine", case_no=case_no)[0]["id"] == task["id"]
    assert api("sw").inbox(scope="candidate", case_no=case_no) == []


def test_two_racing_claims_one_wins(api):
    case_no = report(api)["case_no"]
    task = api("sly").task_for(case_no, "accept")
    api("rx")  # log in before the race
    barrier, results = threading.Barrier(2), {}

    def claim(user):
        barrier.wait()
        results[user] = api(user).post(f"/tasks/{task['id']}/claim").status_code

    threads = [threading.Thread(target=claim, args=(u,)) for u in ("sly", "rx")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results.values()) == [200, 409]


def test_missing_required_fields_are_rejected_and_change_nothing(api):
    case_no = report(api)["case_no"]
    task = api("sly").task_for(case_no, "accept")
    response = api("sly").post(f"/tasks/{task['id']}/complete", json={"data": {"accept_result": "accept"}})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [e["field"] for e in body["errors"]] == ["accept_opinion"]
    assert "受理意见" in body["errors"][0]["message"]
    english = api("sly").post(f"/tasks/{task['id']}/complete", json={"data": {"accept_result": "accept"}},
                              headers={"Accept-Language": "en"})
    assert english.json()["detail"] == "the submitted data is invalid"
    # still open, nothing recorded
    assert api("sly").task_for(case_no, "accept")["id"] == task["id"]
    events = api("sly").ok("GET", f"/cases/{case_no}/events")
    assert [e["type"] for e in events] == ["case.started", "task.created"]


def test_a_value_outside_the_options_is_rejected(api):
    case_no = report(api)["case_no"]
    task = api("sly").task_for(case_no, "accept")
    response = api("sly").post(f"/tasks/{task['id']}/complete",
                               json={"data": {"accept_result": "maybe", "accept_opinion": "?"}})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["accept_result"]


def test_bad_bodies_get_4xx_problems_not_500(api):
    client = api("sly")
    for kwargs in ({"data": "not json", "headers": {"Content-Type": "application/json"}},
                   {"json": ["a", "list"]}, {"json": {"data": "not a dict"}}):
        response = client.post("/tasks/00000000-0000-0000-0000-000000000000/complete", **kwargs)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["Content-Type"].startswith(PROBLEM)
    assert client.get("/tasks", params={"scope": "everything"}).status_code == 422
    assert client.get("/cases/NO-SUCH-CASE").status_code == 404
    assert client.post("/cases", json={"process_key": "nope"}).status_code == 404


def test_completed_task_completes_only_once(api):
    case_no = report(api)["case_no"]
    task = api("sly").task_for(case_no, "accept")
    data = {"data": {"accept_result": "accept", "accept_opinion": "受理"}}
    assert api("sly").post(f"/tasks/{task['id']}/complete", json=data).status_code == 200
    again = api("sly").post(f"/tasks/{task['id']}/complete", json=data)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
