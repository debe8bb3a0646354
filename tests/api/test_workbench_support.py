"""What the workbench reads besides the lists: tab counts and the category / grid / 我发起的 filters (issue 8)."""
from __future__ import annotations

import json

from tests.api.test_closed_loop_flow import file_and_dispatch, report


def counts(api, who):
    return api(who).ok("GET", "/tasks/counts")


def test_counts_follow_the_lists(api):
    before = {who: counts(api, who) for who in ("jdy", "sly", "sw")}
    first = report(api)["case_no"]
    report(api)
    assert counts(api, "jdy")["started"] == before["jdy"]["started"] + 2
    assert counts(api, "sly")["todo"] == before["sly"]["todo"] + 2

    file_and_dispatch(api, first)
    sly = counts(api, "sly")
    assert sly["todo"] == before["sly"]["todo"] + 1
    assert sly["done"] == before["sly"]["done"] + 1
    sw = counts(api, "sw")
    assert sw["todo"] == before["sw"]["todo"] + 1 and sw["mine"] == before["sw"]["mine"]

    handle = api("sw").task_for(first, "handle")
    api("sw").ok("POST", f"/tasks/{handle['id']}/claim")
    assert counts(api, "sw")["mine"] == before["sw"]["mine"] + 1

    # each count is what the list it stands for reports
    for who in ("jdy", "sly", "sw"):
        shown = counts(api, who)
        client = api(who)
        assert shown["todo"] == _total(client, "/tasks", scope="all")
        assert shown["mine"] == _total(client, "/tasks", scope="mine")
        assert shown["done"] == _total(client, "/tasks/done")
        assert shown["copies_unread"] == _total(client, "/copies", unread="true")
        assert shown["started"] == _total(client, "/cases", started_by="me")


def _total(client, path, **params) -> int:
    response = client.request("GET", path, params={"page_size": 1, **params})
    assert response.status_code == 200, response.text
    return json.loads(response.headers["X-Pagination"])["total"]


def test_task_list_filters_by_the_case_category_and_grid(api):
    water = report(api, category_code="0101", grid_code="110101001001001")["case_no"]
    other = report(api, category_code="0102", grid_code="110101001001002")["case_no"]
    by_category = {t["case_no"] for t in api("sly").inbox(category_code="0101")}
    assert water in by_category and other not in by_category
    by_grid = {t["case_no"] for t in api("sly").inbox(grid_code="110101001001002")}
    assert other in by_grid and water not in by_grid
    assert api("sly").inbox(case_no=water, grid_code="110101001001002") == []


def test_case_list_started_by_me(api):
    mine = report(api, reporter="jdy")["case_no"]
    theirs = report(api, reporter="sly")["case_no"]
    listed = {c["case_no"] for c in api("sly").ok("GET", "/cases", params={"started_by": "me", "page_size": 100})}
    assert theirs in listed and mine not in listed
    wrong = api("sly").request("GET", "/cases", params={"started_by": "jdy"})
    assert wrong.status_code == 422
