"""The case page's diagram marks, as the closed loop moves on (issue 8)."""
from __future__ import annotations

import datetime as _dt

from tests.api.test_closed_loop_flow import file_and_dispatch, handle_and_feed_back, report


def diagram(api, case_no, who="zbz"):
    return api(who).ok("GET", f"/cases/{case_no}/diagram")


def test_new_case_marks_its_first_task_active(api):
    case_no = report(api)["case_no"]
    shown = diagram(api, case_no)
    assert shown["process_key"] == "closed_loop" and shown["process_id"] == "closed_loop"
    assert 'id="accept"' in shown["xml"]
    assert shown["nodes"]["accept"] == "active"
    assert shown["nodes"]["start"] == "completed"
    assert "register" not in shown["nodes"]
    assert shown["called"] == {}


def test_dispatched_case_marks_the_called_variant(api):
    case_no = report(api)["case_no"]
    file_and_dispatch(api, case_no)
    shown = diagram(api, case_no)
    for node in ("accept", "register", "dispatch"):
        assert shown["nodes"][node] == "completed", node
    assert shown["nodes"]["call_flat"] == "active"
    assert "call_standard" not in shown["nodes"]
    flat = shown["called"]["call_flat"]
    assert flat["process_id"] == "dispatch_flat" and 'id="dispatch_flat"' in flat["xml"]
    assert flat["nodes"]["handle"] == "active"
    assert "handle" not in shown["nodes"]  # the node lives in the variant, not in the parent

    handle_and_feed_back(api, case_no)
    shown = diagram(api, case_no)
    assert shown["nodes"]["call_flat"] == "completed"
    assert shown["called"]["call_flat"]["nodes"]["handle"] == "completed"
    assert shown["called"]["call_flat"]["nodes"]["feedback"] == "completed"
    assert shown["nodes"]["check"] == "active"


def test_task_past_its_due_time_is_overdue(api, virtual_clock):
    case_no = report(api)["case_no"]
    due = _dt.datetime.fromisoformat(api("sly").inbox(case_no=case_no)[0]["due_at"])
    virtual_clock.advance(due - virtual_clock.now() + _dt.timedelta(minutes=1))
    assert diagram(api, case_no)["nodes"]["accept"] == "overdue"


def test_diagram_of_an_invisible_case_is_not_found(api):
    case_no = report(api)["case_no"]
    body = api("hw").request("GET", f"/cases/{case_no}/diagram")
    assert body.status_code == 404
    assert body.headers["Content-Type"].startswith("application/problem+json")
