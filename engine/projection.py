"""Writing what a command did: the state, the open-task projection and the event log.

Everything here runs on the session's connection, in SQLAlchemy Core or, for the
statements of every command, straight on its cursor (engine.prepared): a command
writes a handful of rows, and ORM bookkeeping would cost more than the SQL.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.util.task import TaskState

from engine import expressions, live
from engine.assignment import resolve, resolve_with_settings
from engine.enforcement import effects as enforcement_effects
from engine.evaluation import rollups as evaluation_rollups
from engine.errors import ProcessError
from engine.models import Event, Instance, Task, TaskCandidate
from engine.parser import node_config
from engine.prepared import Prepared
from engine.process_config import DbDirectory, decider, setting_for_case
from engine.state import dump_state
from engine.subscriptions import publish_case_events
from engine.timers import TimerKind, add_timers, drop_case_timers, pending_bpmn_timers, sync_bpmn_timers

if TYPE_CHECKING:
    from engine.deadlines import DeadlinePlanner

# Variables copied onto the instance row so case lists can filter without the state.
LISTED_VARIABLES = ("source", "category_code", "grid_code", "address")
# The variable naming the department a case was dispatched to: it becomes the case's owner (data scopes).
OWNER_VARIABLE = "department"

INSTANCES, TASKS, CANDIDATES, EVENTS = (Instance.__table__, Task.__table__, TaskCandidate.__table__,
                                        Event.__table__)

# Every command runs these: straight to the cursor (engine.prepared). The events go through SQLAlchemy, whose
# execute hook counts completions for /metrics.
_INSERT_TASKS, _INSERT_CANDIDATES = Prepared(insert(TASKS)), Prepared(insert(CANDIDATES))
_INSERT_EVENTS = insert(EVENTS)
_DELETE_TASK = Prepared(delete(TASKS).where(TASKS.c.id == bindparam("task_id")))
_VERSIONED = (INSTANCES.c.id == bindparam("case_id")) & (INSTANCES.c.version == bindparam("expected_version"))
_UPDATE_RUNNING = Prepared(update(INSTANCES).where(_VERSIONED))


@dataclass
class CaseRef:
    """The instance columns a command needs, read without building ORM objects."""

    id: int
    case_no: str
    definition_id: int
    version: int
    stage: str | None
    state: str
    status: str = "running"
    started_by: str | None = None


@dataclass
class Step:
    """What one command did, collected while SpiffWorkflow runs."""

    actor: str
    now: _dt.datetime
    events: list[dict] = field(default_factory=list)
    stage: str | None = None
    outcome: str | None = None
    next_due: _dt.datetime | None = None  # the earliest timer this step wrote (wakes the scheduler)
    documents: list[dict] = field(default_factory=list)  # 文书 the step's nodes issue (engine.enforcement)
    # citybpm:caseTimeLimit of an automatic node that ran (自动派遣 has no task to start the case clock)
    case_time_limit: str | None = None

    def record(self, instance_id, type_, *, task_id=None, node_id=None, **data):
        self.events.append(dict(instance_id=instance_id, task_id=task_id, node_id=node_id, type=type_,
                                actor=self.actor, at=self.now, data=data))


def human_tasks(workflow) -> list:
    """READY tasks that wait for a person: what the projection holds."""
    return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]


@dataclass(frozen=True)
class Snapshot:
    """What the loaded state implied before the command acted: its open tasks and pending timers."""

    open_rows: dict[str, str]
    timers: dict[str, _dt.datetime]


def snapshot(workflow) -> Snapshot:
    return Snapshot({str(t.id): node_config(t.task_spec).node_id for t in human_tasks(workflow)},
                    pending_bpmn_timers(workflow))


EMPTY = Snapshot({}, {})


def write_step(conn: Connection, workflow, case: CaseRef, step: Step, before: Snapshot,
               planner: "DeadlinePlanner", completed: frozenset[str] = frozenset(), forms=None) -> list[dict] | None:
    """Write state, projection, timers and events. The instance UPDATE goes first and carries the
    version check (raises StaleDataError when another command committed first).

    Returns the case's open tasks when this command created all of them, else None."""
    ready = human_tasks(workflow)
    ready_ids = {str(t.id) for t in ready}
    gone = [row_id for row_id in before.open_rows if row_id not in ready_ids]
    for row_id in gone:
        if row_id not in completed:
            step.record(case.id, "task.cancelled", task_id=row_id, node_id=before.open_rows[row_id])
    new_tasks, new_candidates, new_timers = [], [], []
    for task in ready:
        if str(task.id) not in before.open_rows:
            row, candidates = task_row(task, case, step, planner, forms)
            new_tasks.append(row)
            new_candidates += candidates
            new_timers += deadline_timers(row)

    changes = _case_changes(workflow, ready, case, step)
    case_limit = step.case_time_limit or next(
        (node_config(t.task_spec).case_time_limit for t in ready
         if str(t.id) not in before.open_rows and node_config(t.task_spec).case_time_limit), None)
    if case_limit and not workflow.completed:
        new_timers += _start_case_clock(conn, case, step, planner, case_limit, changes)
    changes["state"] = dump_state(workflow)
    write_versioned(conn, case, changes)

    evaluation_rollups.stamp_due(conn, step.events, gone)  # 绩效考核: "on time" needs the due instant
    if gone:
        deleted = sum(_DELETE_TASK.execute(conn, {"task_id": row_id}).rowcount for row_id in gone)
        if deleted != len(gone):
            raise StaleDataError("task rows changed underneath")
        # their deadline timers went with them (ON DELETE CASCADE)
    if new_tasks:
        _INSERT_TASKS.executemany(conn, new_tasks)
    if new_candidates:
        _INSERT_CANDIDATES.executemany(conn, new_candidates)
    live.note_new_tasks(conn, case.case_no, new_tasks, new_candidates)  # told to browsers after commit
    if workflow.completed:
        drop_case_timers(conn, case.id)
    else:
        sync_bpmn_timers(conn, case.id, before.timers, pending_bpmn_timers(workflow))
        add_timers(conn, new_timers)
    if step.events:
        conn.execute(_INSERT_EVENTS, step.events)
        publish_case_events(conn, case_id=case.id, case_no=case.case_no, started_by=case.started_by or "",
                            events=step.events)
    enforcement_effects.after_step(conn, case.id, step, changes["variables"])  # 文书; outcome to a linked case
    step.next_due = min((t["due_at"] for t in new_timers), default=None)
    if len(new_tasks) != len(ready):
        return None
    for row in new_tasks:
        row["candidates"] = [f"{c['kind']}:{c['value']}" for c in new_candidates if c["task_id"] == row["id"]]
        row["case_no"] = case.case_no
    return new_tasks


def _case_changes(workflow, ready: list, case: CaseRef, step: Step) -> dict:
    data = ready[0].data if ready else (workflow.last_task.data if workflow.last_task else {})
    changes = {"variables": json_safe(data)}
    for name in LISTED_VARIABLES:
        value = data.get(name)
        changes[name] = None if value is None else str(value)[:300]
    if data.get(OWNER_VARIABLE):
        changes["org_code"] = str(data[OWNER_VARIABLE])[:40]
    stages = [node_config(t.task_spec).stage for t in ready if node_config(t.task_spec).stage]
    changes["stage"] = stages[0] if stages else (step.stage or case.stage)
    if changes["stage"] != case.stage and case.stage is not None:
        step.record(case.id, "case.stage_changed", **{"from": case.stage, "to": changes["stage"]})
    if workflow.completed:
        changes.update(status="completed", outcome=step.outcome or "completed", ended_at=step.now)
        step.record(case.id, "case.ended", outcome=changes["outcome"], reason=_reason(changes["variables"]))
    return changes


def _start_case_clock(conn, case: CaseRef, step: Step, planner, code: str, changes: dict) -> list[dict]:
    """The case-level deadline starts (or restarts) here: 结案时限 from filing, by default."""
    limit = planner.limit(code, changes.get("category_code"))
    deadline = planner.plan(step.now, limit) if limit else None
    if deadline is None:
        return []
    changes.update(due_at=deadline.due_at, warn_at=deadline.warn_at, limit_unit=str(limit.unit))
    drop_case_timers(conn, case.id, kinds=(TimerKind.CASE_WARNING, TimerKind.CASE_DUE))
    step.record(case.id, "case.deadline_set", due_at=deadline.due_at.isoformat(), limit=limit.source)
    return [dict(kind=TimerKind.CASE_WARNING, due_at=deadline.warn_at, instance_id=case.id),
            dict(kind=TimerKind.CASE_DUE, due_at=deadline.due_at, instance_id=case.id)]


def deadline_timers(row: dict) -> list[dict]:
    timers = []
    if row.get("warn_at") is not None and row.get("due_at") is not None and row["warn_at"] < row["due_at"]:
        timers.append(dict(kind=TimerKind.TASK_WARNING, due_at=row["warn_at"], instance_id=row["instance_id"],
                           task_id=row["id"], deadline_task_id=row["id"]))
    if row.get("due_at") is not None:
        timers.append(dict(kind=TimerKind.TASK_DUE, due_at=row["due_at"], instance_id=row["instance_id"],
                           task_id=row["id"], deadline_task_id=row["id"]))
    return timers


def write_versioned(conn: Connection, case: CaseRef, changes: dict) -> None:
    """UPDATE … WHERE version = N SET version = N+1: the optimistic lock, in one statement."""
    matched = _UPDATE_RUNNING.execute(conn, {**changes, "version": case.version + 1,
                                            "case_id": case.id, "expected_version": case.version}).rowcount
    if matched != 1:
        raise StaleDataError(f"case {case.case_no} changed since version {case.version}")
    case.version += 1
    if "state" in changes:
        case.state = changes["state"]


def task_row(task, case: CaseRef, step: Step, planner: "DeadlinePlanner", forms=None) -> tuple[dict, list[dict]]:
    config = node_config(task.task_spec)
    # 流程配置 (engine.process_config): an admin's per-node setting, from an in-memory table
    setting = setting_for_case(planner.conn, case.definition_id, config.node_id)
    try:
        assignment = (resolve(config, task.data) if setting is None else
                      resolve_with_settings(config, task.data, setting, DbDirectory(planner.conn),
                                            decide=decider(planner.conn, case.definition_id)))
    except expressions.ExpressionError as exc:
        raise ProcessError(f"任务“{config.name or config.node_id}”的办理人表达式有误：{exc}",
                           f"assignment of '{config.node_id}' failed: {exc}") from None
    if setting is not None and setting.time_limit:
        # the configured time-limit code replaces the BPMN's (a dueDate instant included)
        config = replace(config, time_limit=setting.time_limit, due_date=None)
    deadline = planner.for_node(config, task.data, step.now)
    task_id = str(task.id)
    form_version = (forms.version_for(planner.conn, config.form_key, config.form_version)
                    if forms is not None and config.form_key else config.form_version)
    row = dict(id=task_id, instance_id=case.id, node_id=config.node_id,
               name=config.name or task.task_spec.bpmn_name, stage=config.stage, form_key=config.form_key,
               form_version=form_version,
               assignee=assignment.assignee, status="open", created_at=step.now,
               due_at=deadline.due_at if deadline else None, warn_at=deadline.warn_at if deadline else None,
               limit_amount=deadline.limit.amount if deadline and deadline.limit else None,
               limit_unit=str(deadline.limit.unit) if deadline and deadline.limit else None)
    candidates = [dict(task_id=task_id, kind=kind, value=value) for kind, value in assignment.candidates]
    step.record(case.id, "task.created", task_id=task_id, node_id=row["node_id"], stage=row["stage"],
                assignee=row["assignee"], candidates=[f"{k}:{v}" for k, v in assignment.candidates],
                due_at=row["due_at"].isoformat() if row["due_at"] else None, **called_from(task))
    if assignment.unresolved:
        step.record(case.id, "task.unassigned", task_id=task_id, node_id=row["node_id"],
                    reason=assignment.unresolved, fallback=assignment.fallback,
                    candidates=[f"{k}:{v}" for k, v in assignment.candidates])
    return row, candidates


def called_from(task) -> dict:
    """For a task inside a call activity: its process and the top-level call activity (the case diagram)."""
    workflow = task.workflow
    if workflow.parent_task_id is None:
        return {}
    process_id = workflow.spec.name
    while workflow.parent_workflow.parent_task_id is not None:
        workflow = workflow.parent_workflow
    call = workflow.parent_workflow.get_task_from_id(workflow.parent_task_id)
    return {"process_id": process_id, "call_activity": call.task_spec.bpmn_id}


def _reason(variables: dict) -> str | None:
    """The opinion the deciding person wrote: the last non-empty *_opinion field."""
    for key in ("close_opinion", "check_opinion", "register_opinion", "accept_opinion", "verify_opinion"):
        if variables.get(key):
            return variables[key]
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
