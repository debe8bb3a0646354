"""The checker the fault tests rely on must see a half-written case (otherwise their assertions prove nothing)."""
from __future__ import annotations

import sqlalchemy as sa

from api.extensions import db
from tests.production.consistency import disagreements
from tests.production.processes import CHAIN, deploy


def started_case(api) -> dict:
    deploy(api("admin"), CHAIN)
    return api("sly").ok("POST", "/cases", 201, json={"process_key": "fault_chain"})


def execute(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(sa.text(statement), params)
        db.session.commit()


def test_a_whole_case_agrees(api, app):
    case = started_case(api)
    api("sly").ok("POST", f"/tasks/{case['open_tasks'][0]['id']}/complete", json={"data": {}})
    assert disagreements(app) == []


def test_a_lost_task_row_is_seen(api, app):
    task_id = started_case(api)["open_tasks"][0]["id"]
    execute(app, "DELETE FROM task WHERE id = :id", id=task_id)  # its deadline timers go with it
    problems = " | ".join(disagreements(app))
    assert f"READY task {task_id} in the state has no task row" in problems
    assert f"task {task_id}: 0 closing events and no open row" in problems


def test_a_lost_timer_and_a_second_completion_are_seen(api, app):
    case = started_case(api)
    task_id = case["open_tasks"][0]["id"]
    execute(app, "DELETE FROM timer WHERE kind = 'bpmn'")
    execute(app, "DELETE FROM timer WHERE deadline_task_id = :id AND kind = 'task_due'", id=task_id)
    execute(app, "INSERT INTO event (instance_id, task_id, node_id, type, actor, at, data) "
                 "SELECT instance_id, task_id, node_id, 'task.completed', actor, at, data FROM event "
                 "WHERE task_id = :id AND type = 'task.created'", id=task_id)
    problems = " | ".join(disagreements(app))
    assert "BPMN timer rows [] but the state waits on" in problems
    assert f"task {task_id} (due" in problems and "expected ['task_due', 'task_warning']" in problems
    assert f"task {task_id}: 1 closing events and an open row" in problems
