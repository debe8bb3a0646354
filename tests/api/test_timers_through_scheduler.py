"""BPMN timers and deadlines fire at the right virtual instant, through the scheduler.

The scheduler runs in this process as it does in the server; the tests only move
the virtual clock and watch what the API shows (never calling the engine's timer
code directly).
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from api.extensions import db
from api.scheduling import start_scheduler, stop_scheduler
from engine.models import Event
from engine.timers import Timer
from tests.api.test_closed_loop_flow import file_and_dispatch, report
from tests.api.test_definitions_api import upload

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn"')


def process(process_id: str, body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}><bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture
def scheduler(app):
    running = start_scheduler(app, max_sleep=5.0)
    yield running
    stop_scheduler(app)


def wait_for(condition, what: str, seconds: float = 15.0):
    """Wait (real time) for the background scheduler to have done something."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def nodes(api, user, case_no):
    return sorted(t["node_id"] for t in api(user).ok("GET", f"/cases/{case_no}")["open_tasks"])


def events(api, case_no):
    return api("admin").ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})


BOUNDARY = """
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign"/>
<bpmn:userTask id="sign" name="签收" camunda:candidateGroups="acceptor"/>
<bpmn:boundaryEvent id="late" attachedToRef="sign" cancelActivity="true">
  <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:boundaryEvent id="nudge" attachedToRef="sign" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>PT30M</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end"/>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate"/>
<bpmn:sequenceFlow id="f4" sourceRef="nudge" targetRef="remind"/>
<bpmn:userTask id="escalate" name="超时督办" camunda:candidateGroups="shift_leader"/>
<bpmn:userTask id="remind" name="提醒签收" camunda:candidateGroups="shift_leader"/>
<bpmn:sequenceFlow id="f5" sourceRef="escalate" targetRef="end2"/>
<bpmn:sequenceFlow id="f6" sourceRef="remind" targetRef="end3"/>
<bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/><bpmn:endEvent id="end3"/>"""


def test_boundary_timers_fire_at_their_virtual_instant(api, app, scheduler, virtual_clock):
    assert upload(api("admin"), process("boundary_timers", BOUNDARY)).status_code in (200, 201)
    case_no = api("sly").ok("POST", "/cases", 201, json={"process_key": "boundary_timers"})["case_no"]
    assert nodes(api, "zbz", case_no) == ["sign"]

    virtual_clock.advance(dt.timedelta(minutes=29))
    time.sleep(0.3)  # give the scheduler every chance to fire early (it must not)
    assert nodes(api, "zbz", case_no) == ["sign"]

    virtual_clock.advance(dt.timedelta(minutes=2))  # 31 min: the non-interrupting timer fires
    wait_for(lambda: nodes(api, "zbz", case_no) == ["remind", "sign"], "the non-interrupting timer")

    virtual_clock.advance(dt.timedelta(minutes=30))  # 61 min: the interrupting one cancels 签收
    wait_for(lambda: nodes(api, "zbz", case_no) == ["escalate", "remind"], "the interrupting timer")
    log = events(api, case_no)
    assert [e["node_id"] for e in log if e["type"] == "timer.fired"] == ["nudge", "late"]
    assert [e["node_id"] for e in log if e["type"] == "task.cancelled"] == ["sign"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Timer)
                                 .where(Timer.kind == "bpmn")) == 0


INTERMEDIATE = """
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
<bpmn:intermediateCatchEvent id="wait">
  <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="visit"/>
<bpmn:userTask id="visit" name="回访" camunda:candidateGroups="acceptor"/>
<bpmn:sequenceFlow id="f3" sourceRef="visit" targetRef="end"/>
<bpmn:endEvent id="end"/>"""


def test_intermediate_timer_fires_once(api, app, scheduler, virtual_clock):
    assert upload(api("admin"), process("intermediate_timer", INTERMEDIATE)).status_code in (200, 201)
    case_no = api("sly").ok("POST", "/cases", 201, json={"process_key": "intermediate_timer"})["case_no"]
    assert nodes(api, "sly", case_no) == []
    virtual_clock.advance(dt.timedelta(hours=2, seconds=1))
    wait_for(lambda: nodes(api, "sly", case_no) == ["visit"], "the intermediate timer")
    virtual_clock.advance(dt.timedelta(hours=5))
    time.sleep(0.3)
    assert [e["type"] for e in events(api, case_no)].count("timer.fired") == 1


RACE = """
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="notice"/>
<bpmn:userTask id="notice" name="事先告知" camunda:candidateGroups="acceptor"/>
<bpmn:sequenceFlow id="f2" sourceRef="notice" targetRef="gate"/>
<bpmn:eventBasedGateway id="gate"/>
<bpmn:sequenceFlow id="f3" sourceRef="gate" targetRef="asked"/>
<bpmn:sequenceFlow id="f4" sourceRef="gate" targetRef="five_days"/>
<bpmn:intermediateCatchEvent id="asked"><bpmn:messageEventDefinition messageRef="hearing"/></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="five_days">
  <bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f5" sourceRef="asked" targetRef="hold_hearing"/>
<bpmn:sequenceFlow id="f6" sourceRef="five_days" targetRef="decide"/>
<bpmn:userTask id="hold_hearing" name="组织听证" camunda:candidateGroups="acceptor"/>
<bpmn:userTask id="decide" name="处罚决定" camunda:candidateGroups="acceptor"/>
<bpmn:sequenceFlow id="f7" sourceRef="hold_hearing" targetRef="end"/>
<bpmn:sequenceFlow id="f8" sourceRef="decide" targetRef="end2"/>
<bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>"""

def race_process() -> bytes:
    content = process("hearing_race", RACE).decode()
    return content.replace("</bpmn:definitions>",
                           '<bpmn:message id="hearing" name="hearing_requested"/></bpmn:definitions>').encode()


def start_race(api) -> str:
    assert upload(api("admin"), race_process()).status_code in (200, 201)
    case_no = api("sly").ok("POST", "/cases", 201, json={"process_key": "hearing_race"})["case_no"]
    api("sly").complete(case_no, "notice", {})
    return case_no


def test_event_gateway_message_wins_and_the_timer_is_dropped(api, app, scheduler, virtual_clock):
    case_no = start_race(api)
    virtual_clock.advance(dt.timedelta(days=2))
    api("sly").ok("POST", f"/cases/{case_no}/messages", json={"name": "hearing_requested",
                                                                "payload": {"requested_by": "当事人"}})
    assert nodes(api, "sly", case_no) == ["hold_hearing"]
    virtual_clock.advance(dt.timedelta(days=4))
    time.sleep(0.3)
    assert nodes(api, "sly", case_no) == ["hold_hearing"]
    assert "timer.fired" not in [e["type"] for e in events(api, case_no)]


def test_event_gateway_timer_wins_and_a_late_message_is_refused(api, app, scheduler, virtual_clock):
    case_no = start_race(api)
    virtual_clock.advance(dt.timedelta(days=5, seconds=1))
    wait_for(lambda: nodes(api, "sly", case_no) == ["decide"], "the 5-day timer")
    late = api("sly").post(f"/cases/{case_no}/messages", json={"name": "hearing_requested"})
    assert late.status_code == 409


def test_closed_loop_tasks_change_light_as_the_clock_moves(api, app, scheduler, virtual_clock):
    case = report(api)
    case_no = case["case_no"]
    accept = case["open_tasks"][0]
    assert accept["light"] == "green"
    due = dt.datetime.fromisoformat(accept["due_at"])
    started = dt.datetime.fromisoformat(accept["created_at"])
    assert due - started == dt.timedelta(minutes=15)  # 受理 15 min, clock time

    virtual_clock.advance(dt.timedelta(minutes=13))  # past 80 %: yellow, and a warning event
    assert api("sly").task_for(case_no, "accept")["light"] == "yellow"
    assert [t["id"] for t in api("sly").inbox(light="yellow", case_no=case_no)] == [accept["id"]]
    wait_for(lambda: "task.warning" in [e["type"] for e in events(api, case_no)], "the warning")

    virtual_clock.advance(dt.timedelta(minutes=3))  # overdue: red, event, notifications
    assert api("sly").task_for(case_no, "accept")["light"] == "red"
    assert api("sly").inbox(light="green", case_no=case_no) == []
    wait_for(lambda: "task.overdue" in [e["type"] for e in events(api, case_no)], "the overdue event")
    notes = api("sly").ok("GET", "/notifications", params={"page_size": 50})
    assert any(n["kind"] == "task.overdue" and n["case_no"] == case_no for n in notes)

    api("sly").complete(case_no, "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    register = api("zbz").task_for(case_no, "register")
    assert register["light"] == "green"


def test_overdue_policy_reminds_up_to_its_limit(api, app, scheduler, virtual_clock):
    case_no = report(api)["case_no"]
    virtual_clock.advance(dt.timedelta(minutes=16))  # accept overdue → reminders every 1 work hour (max 3)
    wait_for(lambda: "task.overdue" in [e["type"] for e in events(api, case_no)], "the overdue event")

    def reminders():
        return [e["type"] for e in events(api, case_no)].count("task.reminded")

    for _ in range(12):  # a day at a time: weekends and holidays have no work hours to count
        virtual_clock.advance(dt.timedelta(days=1))
        wait_for(lambda: not _due_now(app), "reminders due now to fire")
        if reminders() >= 3:
            break
    virtual_clock.advance(dt.timedelta(days=3))
    time.sleep(0.3)
    assert reminders() == 3


def _due_now(app) -> bool:
    from engine import clock

    with app.app_context():
        return bool(db.session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at < clock.now())))


def test_missed_timers_fire_once_at_start_up(api, app, virtual_clock):
    assert upload(api("admin"), process("intermediate_timer", INTERMEDIATE)).status_code in (200, 201)
    case_no = api("sly").ok("POST", "/cases", 201, json={"process_key": "intermediate_timer"})["case_no"]
    virtual_clock.advance(dt.timedelta(hours=3))  # no scheduler running: nothing fires
    assert nodes(api, "sly", case_no) == []
    start_scheduler(app, max_sleep=5.0)
    try:
        wait_for(lambda: nodes(api, "sly", case_no) == ["visit"], "the missed timer")
        assert [e["type"] for e in events(api, case_no)].count("timer.fired") == 1
    finally:
        stop_scheduler(app)


def test_pause_stops_the_clock_and_resume_moves_deadlines(api, app, scheduler, virtual_clock):
    case_no = report(api)["case_no"]
    file_and_dispatch(api, case_no)
    handle = api("sw").task_for(case_no, "handle")  # 0101 上水井盖: 4 紧急工作时
    due_before = dt.datetime.fromisoformat(handle["due_at"])
    paused = api("zbz").ok("POST", f"/cases/{case_no}/suspend", json={"reason": "雨季施工，挂账处理"})
    assert paused["status"] == "suspended" and paused["light"] is None
    # a paused case cannot be worked on
    blocked = api("sw").post(f"/tasks/{handle['id']}/complete",
                             json={"data": {"handle_sign": True, "handle_measures": "x"}})
    assert blocked.status_code == 409
    virtual_clock.advance(dt.timedelta(hours=10))
    time.sleep(0.3)
    assert "task.overdue" not in [e["type"] for e in events(api, case_no)]
    resumed = api("zbz").ok("POST", f"/cases/{case_no}/resume", json={"reason": "天气转好"})
    assert resumed["status"] == "running"
    due_after = dt.datetime.fromisoformat(api("sw").task_for(case_no, "handle")["due_at"])
    assert due_after - due_before == dt.timedelta(hours=10)  # urgent hours: the whole pause counts back
    types = [e["type"] for e in events(api, case_no)]
    assert "case.suspended" in types and "case.resumed" in types


def test_extensions_move_the_due_instant_twice_at_most(api, app, virtual_clock):
    case_no = report(api, category_code="0110")["case_no"]  # 路灯: 2 工作日
    file_and_dispatch(api, case_no, department="D_ROADS")
    handle = api("sz").task_for(case_no, "handle")
    assert api("sz").post(f"/tasks/{handle['id']}/extend", json={"reason": "配件"}).status_code == 403
    first = api("zbz").ok("POST", f"/tasks/{handle['id']}/extend", json={"reason": "等待配件", "amount": 1})
    second = api("zbz").ok("POST", f"/tasks/{handle['id']}/extend", json={"reason": "再等配件"})
    assert dt.datetime.fromisoformat(second["due_at"]) > dt.datetime.fromisoformat(first["due_at"])
    third = api("zbz").post(f"/tasks/{handle['id']}/extend", json={"reason": "第三次"})
    assert third.status_code == 409
    too_long = api("zbz").post(f"/tasks/{handle['id']}/extend", json={"reason": "x", "amount": 3})
    assert too_long.status_code in (409, 422)
    assert [e["type"] for e in events(api, case_no)].count("task.extended") == 2


def test_timer_rows_match_waiting_timers(app):
    """Sanity: every BPMN timer row points at a case (rows never outlive their case)."""
    with app.app_context():
        orphans = db.session.scalar(select(func.count()).select_from(Timer).where(
            Timer.kind == "bpmn", Timer.instance_id.is_(None)))
        assert orphans == 0
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.type == "timer.failed")) == 0


def cycle_start(start: dt.datetime) -> bytes:
    return process("daily_patrol", f"""
<bpmn:startEvent id="every_hour">
  <bpmn:timerEventDefinition><bpmn:timeCycle>R3/{start.isoformat()}/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
</bpmn:startEvent>
<bpmn:sequenceFlow id="f1" sourceRef="every_hour" targetRef="patrol"/>
<bpmn:userTask id="patrol" name="巡查" camunda:candidateGroups="supervisor"/>
<bpmn:sequenceFlow id="f2" sourceRef="patrol" targetRef="end"/>
<bpmn:endEvent id="end"/>""")


def test_timer_start_event_with_a_cycle_starts_cases_by_itself(api, app, scheduler, virtual_clock):
    start = (virtual_clock.now() + dt.timedelta(minutes=30)).replace(microsecond=0)
    assert upload(api("admin"), cycle_start(start)).status_code in (200, 201)

    def patrols():
        return len([c for c in api("zbz").ok("GET", "/cases", params={"page_size": 100})
                    if c["process_key"] == "daily_patrol"])

    assert patrols() == 0
    for expected in (1, 2, 3):
        virtual_clock.advance(dt.timedelta(minutes=30 if expected == 1 else 60, seconds=1))
        wait_for(lambda: patrols() == expected, f"patrol case {expected}")
    virtual_clock.advance(dt.timedelta(hours=5))  # R3: no fourth one
    time.sleep(0.3)
    assert patrols() == 3
    assert all(t["node_id"] == "patrol" for t in api("jdy").inbox())


def test_overdue_policy_can_escalate_or_move_the_flow_on(api, app, scheduler, virtual_clock):
    admin = api("admin")
    escalate = admin.post("/deadline-policies", json={"process_key": "closed_loop", "node_id": "accept",
                                                       "action": "escalate", "escalate_to_role": "shift_leader"})
    assert escalate.status_code == 201, escalate.text
    try:
        case_no = report(api)["case_no"]
        virtual_clock.advance(dt.timedelta(minutes=16))
        wait_for(lambda: "case.supervised" in [e["type"] for e in events(api, case_no)], "督办")
        assert any(n["kind"] == "case.supervised" for n in api("zbz").ok("GET", "/notifications"))
    finally:
        admin.request("DELETE", f"/deadline-policies/{escalate.json()['id']}")

    moving = admin.post("/deadline-policies", json={
        "process_key": "closed_loop", "node_id": "accept", "action": "auto_complete",
        "auto_complete_data": {"accept_result": "accept", "accept_opinion": "超时自动受理"}})
    assert moving.status_code == 201, moving.text
    try:
        case_no = report(api)["case_no"]
        virtual_clock.advance(dt.timedelta(minutes=16))
        wait_for(lambda: nodes(api, "zbz", case_no) == ["register"], "the flow to move on")
        completed = [e for e in events(api, case_no) if e["type"] == "task.completed"]
        assert completed[0]["actor"] == "system" and completed[0]["node_id"] == "accept"
    finally:
        admin.request("DELETE", f"/deadline-policies/{moving.json()['id']}")


def test_time_limit_standards_are_editable_and_apply_to_new_tasks(api):
    admin = api("admin")
    stages = {(row["stage"], row["category_code"]): row
              for row in admin.ok("GET", "/time-limits", params={"page_size": 100})}
    assert stages[("accept", None)]["amount"] == 0.25 and stages[("accept", None)]["unit"] == "urgent_hours"
    assert stages[("handle", "0101")]["unit"] == "urgent_hours"
    bad = admin.post("/time-limits", json={"stage": "accept", "amount": -1, "unit": "fortnights"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"amount", "unit"}
    duplicate = admin.post("/time-limits", json={"stage": "accept", "amount": 1, "unit": "work_hours"})
    assert duplicate.status_code == 409
    assert api("sly").post("/time-limits", json={"stage": "verify", "category_code": "9999", "amount": 1,
                                                 "unit": "work_hours"}).status_code == 403

    accept = stages[("accept", None)]
    changed = admin.ok("PUT", f"/time-limits/{accept['id']}",
                       json={"stage": "accept", "category_code": None, "amount": 0.5, "unit": "urgent_hours"})
    try:
        from engine.deadlines import LIMITS
        LIMITS.invalidate()  # the server process is this process: no need to wait for the cache
        task = report(api)["open_tasks"][0]
        created, due = (dt.datetime.fromisoformat(task[k]) for k in ("created_at", "due_at"))
        assert due - created == dt.timedelta(minutes=30) and changed["amount"] == 0.5
    finally:
        admin.ok("PUT", f"/time-limits/{accept['id']}",
                 json={"stage": "accept", "category_code": None, "amount": 0.25, "unit": "urgent_hours"})


def test_case_lists_filter_and_sort_by_the_case_deadline(api, virtual_clock):
    early = report(api)["case_no"]
    file_and_dispatch(api, early)  # the case clock (3 工作日) starts when the dispatch task appears
    virtual_clock.advance(dt.timedelta(hours=1))
    late = report(api)["case_no"]
    file_and_dispatch(api, late)
    unfiled = report(api)["case_no"]
    by_due = [c["case_no"] for c in api("zbz").ok("GET", "/cases", params={"sort": "due", "page_size": 100})]
    assert by_due.index(early) < by_due.index(late) < by_due.index(unfiled)
    green = {c["case_no"] for c in api("zbz").ok("GET", "/cases", params={"light": "green"})}
    assert {early, late} <= green and unfiled not in green
    virtual_clock.advance(dt.timedelta(days=30))
    red = {c["case_no"] for c in api("zbz").ok("GET", "/cases", params={"light": "red"})}
    assert {early, late} <= red
