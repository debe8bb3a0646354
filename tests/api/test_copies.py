"""抄送 over HTTP: sending a copy, the "抄送我的" list, marking read, and reading a copied case."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.test_task_handover import deploy, events, start


@pytest.fixture(scope="module")
def process(server):
    return deploy(server, "cc_two_steps")


def test_a_copy_reaches_the_recipient_who_may_then_read_the_case(api, process):
    case_no, task_id = start(api, process)
    # sw (a department handler) has no part in this case and no data scope over it
    assert api("sw").get(f"/cases/{case_no}").status_code == 404
    sent = api("sly").ok("POST", f"/tasks/{task_id}/cc", json={"users": ["sw", "hw"], "note": "请知悉"})
    assert sent["users"] == ["sw", "hw"] and len(sent["ids"]) == 2

    [copy] = api("sw").ok("GET", "/copies")
    assert (copy["case_no"], copy["task_id"], copy["sent_by"], copy["note"], copy["read"]) == (
        case_no, task_id, "sly", "请知悉", False)
    assert api("sw").ok("GET", f"/cases/{case_no}")["case_no"] == case_no
    assert "case.copied" in [e["type"] for e in api("sw").ok("GET", f"/cases/{case_no}/events")]
    # a copy gives no work
    assert api("sw").inbox(case_no=case_no) == []
    assert api("sw").get(f"/tasks/{task_id}").status_code == 404
    notes = api("sw").ok("GET", "/notifications", params={"unread": "true"})
    assert [n["case_no"] for n in notes if n["kind"] == "case.copied"] == [case_no]
    [event] = events(api, case_no, "case.copied")
    assert event["actor"] == "sly" and event["data"] == {"to": ["sw", "hw"], "note": "请知悉"}
    # someone not copied still cannot read it
    assert api("yl").get(f"/cases/{case_no}").status_code == 404


def test_copies_to_me_newest_first_unread_filter_and_marking_read(api, process, virtual_clock):
    first_case, first_task = start(api, process)
    api("sly").ok("POST", f"/tasks/{first_task}/cc", json={"users": ["sw"]})
    virtual_clock.advance(dt.timedelta(minutes=1))
    second_case, second_task = start(api, process)
    api("sly").ok("POST", f"/tasks/{second_task}/cc", json={"users": ["sw"], "note": "第二件"})

    listed = api("sw").ok("GET", "/copies")
    assert [c["case_no"] for c in listed] == [second_case, first_case]
    older = listed[1]["id"]
    # only the recipient marks a copy read
    assert api("hw").post(f"/copies/{older}/read").status_code == 404
    read = api("sw").ok("POST", f"/copies/{older}/read")
    assert read["read"] is True and read["read_at"] is not None
    assert api("sw").ok("POST", f"/copies/{older}/read")["read_at"] == read["read_at"]  # the first reading stays
    assert [c["case_no"] for c in api("sw").ok("GET", "/copies", params={"unread": "true"})] == [second_case]
    assert api("hw").ok("GET", "/copies") == []
    page = api("sw").get("/copies", params={"page_size": 1, "page": 2})
    assert [c["case_no"] for c in page.json()] == [first_case]


def test_copying_is_checked(api, process):
    case_no, task_id = start(api, process)
    refused = api("sly").post(f"/tasks/{task_id}/cc", json={"users": ["nobody"]})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["users"]
    assert api("sly").post(f"/tasks/{task_id}/cc", json={"users": []}).status_code == 422
    # whoever may not act on the task may not copy its case
    assert api("sw").post(f"/tasks/{task_id}/cc", json={"users": ["hw"]}).status_code == 404
    assert events(api, case_no, "case.copied") == []
    assert api("hw").ok("GET", "/copies") == []
