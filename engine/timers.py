"""Durable timers: one ``timer`` row per pending due instant.

BPMN timers (boundary, intermediate, event-based gateway branches), task
deadlines (warning and due) and timer start events all become rows here,
written in the same transaction as the state that implies them. The scheduler
(engine.scheduler) wakes at the earliest ``due_at`` and fires rows one
transaction each; firing deletes the row, so a timer fires exactly once and a
crash before commit leaves it pending for the next leader.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import ForeignKey, Index, String, bindparam, delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.db import Base
from engine.prepared import Prepared


class TimerKind:
    BPMN = "bpmn"                  # a BPMN timer event waiting in a case
    TASK_WARNING = "task_warning"  # an open task reaches its warning point (yellow)
    TASK_DUE = "task_due"          # an open task is overdue (red)
    TASK_REMIND = "task_remind"    # the next reminder for an overdue task
    CASE_WARNING = "case_warning"
    CASE_DUE = "case_due"
    PROCESS_START = "process_start"  # a timer start event: start a case of a definition
    RESUME = "resume"              # a paused (挂账) case reaches its longest allowed pause

    DEADLINES = (TASK_WARNING, TASK_DUE, TASK_REMIND, CASE_WARNING, CASE_DUE)


class Timer(Base):
    __tablename__ = "timer"
    __table_args__ = (
        # The scheduler's only queries: the earliest due row, and due rows in order.
        Index("ix_timer_due_at", "due_at"),
        Index("ix_timer_instance_id_kind", "instance_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[_dt.datetime]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    # BPMN timers: the waiting SpiffWorkflow task; deadlines: the task row (same id space).
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Deadline timers belong to their task row: deleting the row (task done) deletes them in the same statement.
    deadline_task_id: Mapped[str | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(default=dict)


TIMERS = Timer.__table__
# run by most commands (engine.prepared): a new task's deadlines, a case's timers going with its end or a new clock
_INSERT = Prepared(insert(TIMERS))
_DROP_CASE = Prepared(delete(TIMERS).where(TIMERS.c.instance_id == bindparam("case_id")))
_DROP_CASE_KIND = Prepared(delete(TIMERS).where(TIMERS.c.instance_id == bindparam("case_id"),
                                                TIMERS.c.kind == bindparam("kind")))
_DELETE_FOR_TASKS = delete(TIMERS).where(TIMERS.c.task_id.in_(bindparam("task_ids", expanding=True)))
_NEXT_DUE = select(func.min(TIMERS.c.due_at))


def pending_bpmn_timers(workflow) -> dict[str, _dt.datetime]:
    """Waiting BPMN timer tasks → their next due instant (UTC-aware)."""
    pending = {}
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if task.state != TaskState.WAITING:
            continue
        if isinstance(definition, TimerEventDefinition):
            value = definition.details(task).value
        elif isinstance(definition, MultipleEventDefinition) and any(
                isinstance(d, TimerEventDefinition) for d in definition.event_definitions):
            # an event-based gateway racing a timer: the gateway task holds the timer's instant
            value = task._get_internal_data("event_value")
            value = value.get("next") if isinstance(value, dict) else value
        else:
            continue
        if value is None:
            continue
        due = TimerEventDefinition.parse_time_or_duration(value) if isinstance(value, str) else None
        if isinstance(due, _dt.datetime):
            pending[str(task.id)] = due
    return pending


def sync_bpmn_timers(conn: Connection, case_id: int, before: dict[str, _dt.datetime],
                     after: dict[str, _dt.datetime]) -> None:
    """Make the timer rows of a case match its waiting timer tasks (only what changed)."""
    gone = [task_id for task_id, due in before.items() if after.get(task_id) != due]
    if gone:
        conn.execute(_DELETE_FOR_TASKS, {"task_ids": gone})
    new = [dict(kind=TimerKind.BPMN, due_at=due, instance_id=case_id, task_id=task_id, definition_id=None, data={},
                deadline_task_id=None) for task_id, due in after.items() if before.get(task_id) != due]
    if new:
        _INSERT.executemany(conn, new)


def add_timers(conn: Connection, rows: list[dict]) -> None:
    if rows:
        _INSERT.executemany(conn, [dict(dict(definition_id=None, data={}, instance_id=None, task_id=None,
                                             deadline_task_id=None), **row) for row in rows])


def drop_task_timers(conn: Connection, task_ids: list[str]) -> None:
    if task_ids:
        conn.execute(_DELETE_FOR_TASKS, {"task_ids": task_ids})


def drop_case_timers(conn: Connection, case_id: int, kinds: tuple[str, ...] | None = None) -> None:
    if kinds:
        _DROP_CASE_KIND.executemany(conn, [{"case_id": case_id, "kind": kind} for kind in kinds])
    else:
        _DROP_CASE.execute(conn, {"case_id": case_id})


def next_due(conn: Connection) -> _dt.datetime | None:
    return conn.execute(_NEXT_DUE).scalar()
