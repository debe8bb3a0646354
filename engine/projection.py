"""Writing what a command did: the state, the open-task projection and the event log.

Everything here is SQLAlchemy Core on the session's connection: a command
writes a handful of rows, and ORM bookkeeping would cost more than the SQL.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.util.task import TaskState

from engine import clock, expressions
from engine.assignment import resolve
from engine.errors import ProcessError
from engine.models import Event, Instance, Task, TaskCandidate
from engine.parser import node_config
from engine.state import dump_state

# Variables copied onto the instance row so case lists can filter without the state.
LISTED_VARIABLES = ("source", "category_code", "grid_code", "address")

INSTANCES, TASKS, CANDIDATES, EVENTS = (Instance.__table__, Task.__table__, TaskCandidate.__table__,
                                        Event.__table__)

# Built once: every command runs these, and building a statement costs more than running it.
_INSERT_TASKS, _INSERT_CANDIDATES, _INSERT_EVENTS = insert(TASKS), insert(CANDIDATES), insert(EVENTS)
_DELETE_TASKS = delete(TASKS).where(TASKS.c.id.in_(bindparam("ids", expanding=True)))
_VERSIONED = (INSTANCES.c.id == bindparam("case_id")) & (INSTANCES.c.version == bindparam("expected_version"))
_UPDATE_RUNNING = update(INSTANCES).where(_VERSIONED)


@dataclass
class CaseRef:
    """The instance columns a command needs, read without building ORM objects."""

    id: int
    case_no: str
    definition_id: int
    version: int
    stage: str | None
    state: str


@dataclass
class Step:
    """What one command did, collected while SpiffWorkflow runs."""

    actor: str
    now: _dt.datetime
    events: list[dict] = field(default_factory=list)
    stage: str | None = None
    outcome: str | None = None

    def record(self, instance_id, type_, *, task_id=None, node_id=None, **data):
        self.events.append(dict(instance_id=instance_id, task_id=task_id, node_id=node_id, type=type_,
                                actor=self.actor, at=self.now, data=data))


def human_tasks(workflow) -> list:
    """READY tasks that wait for a person: what the projection holds."""
    return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]


def write_step(conn: Connection, workflow, case: CaseRef, step: Step, *, open_rows: dict[str, str],
               completed: frozenset[str] = frozenset()) -> list[dict] | None:
    """Write state, projection and events. The instance UPDATE goes first and carries the version
    check (raises StaleDataError when another command committed first).

    Returns the case's open tasks when this command created all of them, else None."""
    ready = human_tasks(workflow)
    ready_ids = {str(t.id) for t in ready}
    gone = [row_id for row_id in open_rows if row_id not in ready_ids]
    for row_id in gone:
        if row_id not in completed:
            step.record(case.id, "task.cancelled", task_id=row_id, node_id=open_rows[row_id])
    new_tasks, new_candidates = [], []
    for task in ready:
        if str(task.id) not in open_rows:
            row, candidates = task_row(task, case, step)
            new_tasks.append(row)
            new_candidates += candidates

    data = ready[0].data if ready else (workflow.last_task.data if workflow.last_task else {})
    changes = {"variables": json_safe(data)}
    for name in LISTED_VARIABLES:
        value = data.get(name)
        changes[name] = None if value is None else str(value)[:300]
    stages = [node_config(t.task_spec).stage for t in ready if node_config(t.task_spec).stage]
    changes["stage"] = stages[0] if stages else (step.stage or case.stage)
    if workflow.completed:
        changes.update(status="completed", outcome=step.outcome or "completed", ended_at=step.now)
        step.record(case.id, "case.ended", outcome=changes["outcome"], reason=_reason(changes["variables"]))
    changes["state"] = dump_state(workflow)
    write_versioned(conn, case, changes)

    if gone:
        deleted = conn.execute(_DELETE_TASKS, {"ids": gone}).rowcount
        if deleted != len(gone):
            raise StaleDataError("task rows changed underneath")
    if new_tasks:
        conn.execute(_INSERT_TASKS, new_tasks)
    if new_candidates:
        conn.execute(_INSERT_CANDIDATES, new_candidates)
    if step.events:
        conn.execute(_INSERT_EVENTS, step.events)
    if len(new_tasks) != len(ready):
        return None
    for row in new_tasks:
        row["candidates"] = [f"{c['kind']}:{c['value']}" for c in new_candidates if c["task_id"] == row["id"]]
        row["case_no"] = case.case_no
    return new_tasks


def write_versioned(conn: Connection, case: CaseRef, changes: dict) -> None:
    """UPDATE … WHERE version = N SET version = N+1: the optimistic lock, in one statement."""
    matched = conn.execute(_UPDATE_RUNNING, {**changes, "version": case.version + 1,
                                             "case_id": case.id, "expected_version": case.version}).rowcount
    if matched != 1:
        raise StaleDataError(f"case {case.case_no} changed since version {case.version}")
    case.version += 1


def task_row(task, case: CaseRef, step: Step) -> tuple[dict, list[dict]]:
    config = node_config(task.task_spec)
    try:
        assignment = resolve(config, task.data)
    except expressions.ExpressionError as exc:
        raise ProcessError(f"任务“{config.name or config.node_id}”的办理人表达式有误：{exc}",
                           f"assignment of '{config.node_id}' failed: {exc}") from None
    task_id = str(task.id)
    row = dict(id=task_id, instance_id=case.id, node_id=task.task_spec.name,
               name=config.name or task.task_spec.bpmn_name, stage=config.stage, form_key=config.form_key,
               assignee=assignment.assignee, status="open", created_at=step.now,
               due_at=_due_at(config, task.data))
    candidates = [dict(task_id=task_id, kind=kind, value=value) for kind, value in assignment.candidates]
    step.record(case.id, "task.created", task_id=task_id, node_id=row["node_id"], stage=row["stage"],
                assignee=row["assignee"], candidates=[f"{k}:{v}" for k, v in assignment.candidates])
    return row, candidates


def _reason(variables: dict) -> str | None:
    """The opinion the deciding person wrote: the last non-empty *_opinion field."""
    for key in ("close_opinion", "check_opinion", "register_opinion", "accept_opinion", "verify_opinion"):
        if variables.get(key):
            return variables[key]
    return None


def _due_at(config, data) -> _dt.datetime | None:
    if not config.due_date:
        return None
    text = config.due_date
    try:
        value = (expressions.evaluate(text[2:-1], data) if text.startswith("${") and text.endswith("}")
                 else text)
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        if isinstance(value, _dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=clock.DEFAULT_TZ)
    except (expressions.ExpressionError, ValueError):
        return None
    return None


def json_safe(data: dict) -> dict:
    safe = {}
    for key, value in data.items():
        if isinstance(value, (_dt.datetime, _dt.date)):
            safe[key] = value.isoformat()
        elif isinstance(value, (str, int, float, bool, type(None), list, dict)):
            safe[key] = value
        else:
            safe[key] = str(value)
    return safe
