"""Does every case agree with itself? The workflow state, the open-task rows, the event log and the timer rows are
written in one transaction per command; after a crash they must still tell the same story.

``disagreements(app)`` reads every case straight from the database (no API, no cache) and returns what does not
agree, one line each; an empty list means every case is whole. It covers what the fault tests' processes use
(user tasks with deadlines, BPMN timers); 加签 / 会签 rows (kind ``sign``) and case-level deadlines are left out.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import undefer

from api.extensions import db
from engine.models import Event, Instance, Task
from engine.projection import deadline_timers, human_tasks
from engine.state import load_state
from engine.timers import Timer, TimerKind, pending_bpmn_timers

CLOSING = ("task.completed", "task.cancelled", "task.auto_completed")
# a fired deadline timer is gone and leaves this event instead
FIRED_AS = {TimerKind.TASK_WARNING: "task.warning", TimerKind.TASK_DUE: "task.overdue"}


def disagreements(app) -> list[str]:
    problems: list[str] = []
    with app.app_context():
        session = db.session
        engine = app.extensions["citybpm_engine"]
        for case in session.scalars(select(Instance).options(undefer(Instance.state)).order_by(Instance.id)):
            loaded = engine.specs.get_by_id(session, case.definition_id)
            workflow = load_state(case.state, loaded.spec, loaded.subprocess_specs)
            rows = {row.id: row for row in session.scalars(
                select(Task).where(Task.instance_id == case.id, Task.kind == "bpmn"))}
            events = session.execute(select(Event.type, Event.task_id).where(Event.instance_id == case.id)).all()
            timers = session.scalars(select(Timer).where(Timer.instance_id == case.id)).all()
            problems += [f"{case.case_no}: {problem}" for problem in
                         _state_vs_rows(workflow, rows) + _events_vs_rows(events, rows)
                         + _timers_vs_state_and_rows(workflow, rows, events, timers)
                         + _ended_case(case, workflow, rows, timers)]
        session.rollback()
    return problems


def _state_vs_rows(workflow, rows: dict) -> list[str]:
    ready = {str(task.id) for task in human_tasks(workflow)}
    problems = [f"READY task {task_id} in the state has no task row" for task_id in sorted(ready - rows.keys())]
    problems += [f"task row {task_id} is not READY in the state" for task_id in sorted(rows.keys() - ready)]
    return problems


def _events_vs_rows(events, rows: dict) -> list[str]:
    created = Counter(task_id for type_, task_id in events if type_ == "task.created")
    closed = Counter(task_id for type_, task_id in events if type_ in CLOSING)
    completed = Counter(task_id for type_, task_id in events if type_ == "task.completed")
    problems = [f"task {task_id} created {count} times" for task_id, count in created.items() if count != 1]
    for task_id in created:
        outcomes = closed[task_id] + (task_id in rows)
        if outcomes != 1:
            problems.append(f"task {task_id}: {closed[task_id]} closing events and "
                            f"{'an' if task_id in rows else 'no'} open row")
    problems += [f"task {task_id} completed {count} times" for task_id, count in completed.items() if count > 1]
    problems += [f"task {task_id} closed but never created" for task_id in closed if task_id not in created]
    problems += [f"open row {task_id} has no task.created event" for task_id in rows if task_id not in created]
    return problems


def _timers_vs_state_and_rows(workflow, rows: dict, events, timers) -> list[str]:
    problems = []
    pending = pending_bpmn_timers(workflow)
    stored = {timer.task_id: timer.due_at for timer in timers if timer.kind == TimerKind.BPMN}
    if stored.keys() != pending.keys():
        problems.append(f"BPMN timer rows {sorted(stored)} but the state waits on {sorted(pending)}")
    problems += [f"BPMN timer {task_id} due {stored[task_id]} in its row, {due} in the state"
                 for task_id, due in pending.items() if task_id in stored and stored[task_id] != due]

    fired = {(task_id, type_) for type_, task_id in events}
    for task_id, row in rows.items():
        expected = {timer["kind"] for timer in deadline_timers(
            {"id": row.id, "instance_id": row.instance_id, "due_at": row.due_at, "warn_at": row.warn_at})
            if (task_id, FIRED_AS[timer["kind"]]) not in fired}
        present = {timer.kind for timer in timers if timer.deadline_task_id == task_id
                   and timer.kind in FIRED_AS}
        if expected != present:
            problems.append(f"task {task_id} (due {row.due_at}) has deadline timers {sorted(present)}, "
                            f"expected {sorted(expected)}")
    problems += [f"deadline timer {timer.id} ({timer.kind}) for task {timer.deadline_task_id}, which is not open"
                 for timer in timers if timer.deadline_task_id is not None and timer.deadline_task_id not in rows]
    return problems


def _ended_case(case, workflow, rows: dict, timers) -> list[str]:
    if case.status == "running" and workflow.completed:
        return ["the state has ended but the case is running"]
    if case.status == "completed" and (rows or timers or not workflow.completed):
        return [f"completed case with {len(rows)} open rows, {len(timers)} timers, state ended={workflow.completed}"]
    return []
