"""Firing due timers: one timer, one transaction.

The row is deleted first: on PostgreSQL it was picked with ``FOR UPDATE SKIP
LOCKED``, elsewhere the DELETE's row count decides, so of several schedulers
exactly one fires a timer. What the timer implies (the case moving on, events,
notifications, the next reminder) commits together with the deletion; a crash
before commit leaves the timer pending for whoever runs next.
"""
from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine import clock
from engine.calendar import TimeUnit
from engine.deadlines import OverdueAction, policy_for
from engine.errors import EngineError
from engine.identity import SYSTEM, usernames_for
from engine.models import Definition, Event, Instance, Task, TaskCandidate
from engine.notifications import notify_everywhere
from engine.operations.supervision import mark as mark_supervised
from engine.projection import CaseRef, Step, snapshot, write_step
from engine.state import load_state
from engine.timers import TIMERS, TimerKind

log = logging.getLogger(__name__)

RETRY_DELAY = _dt.timedelta(minutes=1)
MAX_TIMER_ATTEMPTS = 5
_EVENTS, _TASKS, _CANDIDATES = Event.__table__, Task.__table__, TaskCandidate.__table__
_INSTANCES = Instance.__table__
_NEXT = select(TIMERS).order_by(TIMERS.c.due_at, TIMERS.c.id).limit(1)


@dataclass
class FireReport:
    fired: int = 0
    failed: int = 0


class TimerFirer:
    def __init__(self, engine, session_factory: sessionmaker):
        self.engine, self.session_factory = engine, session_factory

    def fire_due(self, now: _dt.datetime | None = None, limit: int = 1000) -> FireReport:
        """Fire timers due before ``now`` (strictly: SpiffWorkflow fires after its instant), oldest first."""
        report = FireReport()
        now = now or clock.now()
        while report.fired + report.failed < limit:
            with self.session_factory() as session:
                claimed = self._claim(session, now)
                if claimed is None:
                    return report
                try:
                    self._fire(session, claimed, now)
                    session.commit()
                    report.fired += 1
                except (EngineError, StaleDataError, ValueError, LookupError) as exc:
                    session.rollback()
                    self._retry_later(claimed, now, exc)
                    report.failed += 1
        return report

    # ----------------------------------------------------------------- claiming

    @staticmethod
    def _claim(session: Session, now: _dt.datetime):
        conn = session.connection()
        statement = _NEXT.where(TIMERS.c.due_at < now)
        if conn.dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        while True:
            row = conn.execute(statement).first()
            if row is None:
                return None
            if conn.execute(delete(TIMERS).where(TIMERS.c.id == row.id)).rowcount == 1:
                return row
            # another scheduler took it between our read and delete: look again

    def _retry_later(self, row, now: _dt.datetime, exc: Exception) -> None:
        """A timer whose action failed is kept (re-inserted) with a delay, then given up with a record."""
        attempts = int((row.data or {}).get("attempts", 0)) + 1
        log.warning("timer %s (%s) failed (attempt %s): %s", row.id, row.kind, attempts, exc)
        with self.session_factory() as session:
            conn = session.connection()
            if attempts < MAX_TIMER_ATTEMPTS:
                conn.execute(insert(TIMERS).values(
                    kind=row.kind, due_at=now + RETRY_DELAY * attempts, instance_id=row.instance_id,
                    task_id=row.task_id, definition_id=row.definition_id, deadline_task_id=row.deadline_task_id,
                    data=dict(row.data or {}, attempts=attempts, last_error=str(exc)[:500])))
            else:
                conn.execute(insert(_EVENTS).values(
                    instance_id=row.instance_id, task_id=row.task_id, node_id=None, type="timer.failed",
                    actor=SYSTEM.username, at=now, data={"kind": row.kind, "error": str(exc)[:500]}))
            session.commit()

    # ----------------------------------------------------------------- firing

    def _fire(self, session: Session, row, now: _dt.datetime) -> None:
        handler = {
            TimerKind.BPMN: self._bpmn,
            TimerKind.TASK_WARNING: self._task_warning,
            TimerKind.TASK_DUE: self._task_due,
            TimerKind.TASK_REMIND: self._task_remind,
            TimerKind.CASE_WARNING: self._case_deadline,
            TimerKind.CASE_DUE: self._case_deadline,
            TimerKind.PROCESS_START: self._process_start,
            TimerKind.RESUME: self._resume,
        }.get(row.kind)
        if handler is None:
            raise ValueError(f"unknown timer kind {row.kind!r}")
        with self.engine.calendar_scope(session):
            handler(session, row, now)

    def _bpmn(self, session: Session, row, now: _dt.datetime) -> None:
        """A BPMN timer event: refresh timers and let the case move on."""
        conn = session.connection()
        case = _case_ref(conn, row.instance_id)
        if case is None:
            return
        loaded = self.engine.specs.get_by_id(session, case.definition_id)
        workflow = load_state(case.state, loaded.spec, loaded.subprocess_specs)
        before = snapshot(workflow)
        step = Step(SYSTEM.username, now)
        waiting = workflow.get_task_from_id(UUID(row.task_id)) if row.task_id else None
        step.record(case.id, "timer.fired", task_id=row.task_id,
                    node_id=waiting.task_spec.name if waiting else None, due_at=row.due_at.isoformat())
        self.engine.advance(workflow, case, step)
        write_step(conn, workflow, case, step, before, self.engine.planner(session), forms=self.engine.forms)
        self.engine.note_next_due(session, step)

    def _task_warning(self, session: Session, row, now: _dt.datetime) -> None:
        task = _task(session.connection(), row.task_id)
        if task is None:
            return  # completed meanwhile
        self._record(session, task, "task.warning", now)
        self._tell(session, task, "task.warning", "任务即将超时", f"“{task.name}”将于 {_local(task.due_at)} 到期", now)

    def _task_due(self, session: Session, row, now: _dt.datetime) -> None:
        conn = session.connection()
        task = _task(conn, row.task_id)
        if task is None:
            return
        self._record(session, task, "task.overdue", now)
        self._tell(session, task, "task.overdue", "任务已超时", f"“{task.name}”已于 {_local(task.due_at)} 超时", now)
        policy = policy_for(conn, task.process_key, task.node_id)
        if policy["action"] == OverdueAction.ESCALATE:
            self._escalate(session, task, policy, now)
        elif policy["action"] == OverdueAction.AUTO_COMPLETE:
            self._record(session, task, "task.auto_completed", now, data=policy["auto_complete_data"])
            self.engine.complete_task(session, task.id, dict(policy["auto_complete_data"]), SYSTEM,
                                      on_behalf_of_process=True)
        else:
            self._next_reminder(session, task, policy, now, sent=0)

    def _task_remind(self, session: Session, row, now: _dt.datetime) -> None:
        conn = session.connection()
        task = _task(conn, row.task_id)
        if task is None:
            return
        sent = int((row.data or {}).get("sent", 0)) + 1
        self._record(session, task, "task.reminded", now, count=sent)
        self._tell(session, task, "task.reminder", f"催办：任务已超时（第 {sent} 次提醒）",
                   f"“{task.name}”已于 {_local(task.due_at)} 超时，请尽快办理", now)
        self._next_reminder(session, task, policy_for(conn, task.process_key, task.node_id), now, sent=sent)

    def _case_deadline(self, session: Session, row, now: _dt.datetime) -> None:
        conn = session.connection()
        case = conn.execute(select(_INSTANCES.c.id, _INSTANCES.c.case_no, _INSTANCES.c.status, _INSTANCES.c.due_at)
                            .where(_INSTANCES.c.id == row.instance_id)).first()
        if case is None or case.status != "running":
            return
        kind = "case.warning" if row.kind == TimerKind.CASE_WARNING else "case.overdue"
        conn.execute(insert(_EVENTS).values(instance_id=case.id, task_id=None, node_id=None, type=kind,
                                            actor=SYSTEM.username, at=now, data={"due_at": case.due_at.isoformat()}))
        leaders = usernames_for(conn, [("role", "shift_leader")])
        title = "案件即将超过结案时限" if kind == "case.warning" else "案件已超过结案时限"
        notify_everywhere(conn, leaders, kind=kind, title=f"{title}：{case.case_no}",
                          body=f"结案时限 {_local(case.due_at)}", case_no=case.case_no, at=now)

    def _process_start(self, session: Session, row, now: _dt.datetime) -> None:
        """A timer start event: start a case of the latest version, then plan the next cycle."""
        definition = session.get(Definition, row.definition_id)
        if definition is None or definition.status != "active":
            return
        self.engine.start_case(session, definition.key, dict((row.data or {}).get("variables", {})), SYSTEM,
                               fire_start_timers=True)
        self.engine.schedule_next_start(session, row, now)

    def _resume(self, session: Session, row, now: _dt.datetime) -> None:
        self.engine.resume_case(session, row.instance_id, SYSTEM, reason="挂账期满自动恢复", automatic=True)

    # ----------------------------------------------------------------- helpers

    def _escalate(self, session: Session, task, policy: dict, now: _dt.datetime) -> None:
        conn = session.connection()
        role = policy.get("escalate_to_role") or "leader"
        # the same flag and event a leader's 督办 sets (engine.operations.supervision)
        mark_supervised(conn, task.instance_id, SYSTEM.username, now)
        self._record(session, task, "case.supervised", now, reason="超时自动督办", role=role, automatic=True)
        leaders = usernames_for(conn, [("role", role)])
        notify_everywhere(conn, leaders, kind="case.supervised", title=f"督办：{task.case_no} “{task.name}”已超时",
                          body=f"到期时间 {_local(task.due_at)}", case_no=task.case_no, task_id=task.id, at=now)

    def _next_reminder(self, session: Session, task, policy: dict, now: _dt.datetime, *, sent: int) -> None:
        if sent >= int(policy.get("max_reminders") or 0):
            return
        calendar = self.engine.calendar(session)
        due = calendar.add(now, float(policy.get("remind_every") or 1), TimeUnit(policy.get("remind_unit")
                                                                                  or "work_hours"))
        if due is not None:
            session.connection().execute(insert(TIMERS).values(
                kind=TimerKind.TASK_REMIND, due_at=due, instance_id=task.instance_id, task_id=task.id,
                deadline_task_id=task.id, definition_id=None, data={"sent": sent}))
            self.engine.note_due(session, due)

    @staticmethod
    def _record(session: Session, task, type_: str, now: _dt.datetime, **data) -> None:
        session.connection().execute(insert(_EVENTS).values(
            instance_id=task.instance_id, task_id=task.id, node_id=task.node_id, type=type_,
            actor=SYSTEM.username, at=now, data={"due_at": task.due_at.isoformat() if task.due_at else None,
                                                  **data}))

    @staticmethod
    def _tell(session: Session, task, kind: str, title: str, body: str, now: _dt.datetime) -> None:
        conn = session.connection()
        candidates = conn.execute(select(_CANDIDATES.c.kind, _CANDIDATES.c.value)
                                  .where(_CANDIDATES.c.task_id == task.id)).all()
        people = usernames_for(conn, [tuple(c) for c in candidates], assignee=task.assignee)
        notify_everywhere(conn, people, kind=kind, title=f"{title}：{task.case_no}", body=body,
                          case_no=task.case_no, task_id=task.id, at=now)


def _task(conn, task_id: str):
    definitions = Definition.__table__
    return conn.execute(
        select(_TASKS.c.id, _TASKS.c.instance_id, _TASKS.c.node_id, _TASKS.c.name, _TASKS.c.assignee,
               _TASKS.c.due_at, _INSTANCES.c.case_no, definitions.c.key.label("process_key"))
        .join(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id)
        .join(definitions, definitions.c.id == _INSTANCES.c.definition_id)
        .where(_TASKS.c.id == task_id)).first()


def _case_ref(conn, case_id: int) -> CaseRef | None:
    row = conn.execute(select(_INSTANCES.c.id, _INSTANCES.c.case_no, _INSTANCES.c.definition_id,
                              _INSTANCES.c.version, _INSTANCES.c.stage, _INSTANCES.c.state, _INSTANCES.c.status,
                              _INSTANCES.c.started_by)
                       .where(_INSTANCES.c.id == case_id)).first()
    if row is None or row.status == "completed":
        return None
    return CaseRef(row.id, row.case_no, row.definition_id, row.version, row.stage, row.state, row.status,
                   row.started_by)


def _local(instant: _dt.datetime | None) -> str:
    return instant.astimezone(clock.DEFAULT_TZ).strftime("%Y-%m-%d %H:%M") if instant else "—"
