"""Stopping and moving the clock: 挂账 / suspension (pause, resume) and approved extensions (延期).

A pause stops every deadline of the case: its warning and due timers are
dropped, and on resumption each due instant moves by the working time the pause
took (in the unit of its limit), so paused time never counts. An extension moves
one task's due instant by an amount of its limit's unit. Each is recorded in the
event log and is one transaction with a version check on the case.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from engine import clock, settings_store
from engine.calendar import TimeUnit
from engine.deadlines import CasePause
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity import Actor
from engine.models import Event, Instance, Task
from engine.projection import CaseRef, deadline_timers, write_versioned
from engine.subscriptions import publish_case_events
from engine.timers import TIMERS, TimerKind, add_timers, drop_case_timers, drop_task_timers

DEFAULT_MAX_HANG = _dt.timedelta(days=365)  # 挂账 resumes by itself after a year unless told otherwise
PAUSE_KINDS = {"hang": "挂账", "suspend": "暂停"}

_INSTANCES, _TASKS, _EVENTS, _PAUSES = Instance.__table__, Task.__table__, Event.__table__, CasePause.__table__


def _case(session: Session, case_id: int) -> CaseRef:
    row = session.connection().execute(
        select(_INSTANCES.c.id, _INSTANCES.c.case_no, _INSTANCES.c.definition_id, _INSTANCES.c.version,
               _INSTANCES.c.stage, _INSTANCES.c.status, _INSTANCES.c.started_by)
        .where(_INSTANCES.c.id == case_id)).first()
    if row is None:
        raise NotFound("案件不存在", "case not found")
    return CaseRef(row.id, row.case_no, row.definition_id, row.version, row.stage, "", row.status, row.started_by)


def _event(session: Session, case: CaseRef, type_: str, actor: Actor, now, task_id=None, node_id=None, **data):
    event = dict(instance_id=case.id, task_id=task_id, node_id=node_id, type=type_, actor=actor.username, at=now,
                 data=data)
    conn = session.connection()
    conn.execute(insert(_EVENTS).values(**event))
    publish_case_events(conn, case_id=case.id, case_no=case.case_no, started_by=case.started_by or "",
                        events=[event])


def pause_case(session: Session, case_id: int, actor: Actor, *, kind: str = "hang", reason: str,
               until: _dt.datetime | None = None) -> _dt.datetime | None:
    """Stop the case's clock. Returns when it resumes by itself (None: only when told)."""
    if kind not in PAUSE_KINDS:
        raise InvalidData({"kind": "应为 hang（挂账）或 suspend（暂停）"}, {"kind": "must be hang or suspend"})
    now = clock.now()
    case = _case(session, case_id)
    if case.status != "running":
        raise Conflict("只有办理中的案件可以挂账或暂停", "only a running case can be paused")
    if until is not None and until <= now:
        raise InvalidData({"until": "恢复时间应晚于当前时间"}, {"until": "must be in the future"})
    if kind == "hang" and until is None:
        until = now + DEFAULT_MAX_HANG
    write_versioned(session.connection(), case, {"status": "suspended"})
    conn = session.connection()
    conn.execute(insert(_PAUSES).values(instance_id=case.id, kind=kind, started_at=now, ended_at=None,
                                        until=until, reason=reason, actor=actor.username))
    drop_case_timers(conn, case.id, kinds=TimerKind.DEADLINES)
    if until is not None:
        add_timers(conn, [dict(kind=TimerKind.RESUME, due_at=until, instance_id=case.id)])
    _event(session, case, "case.suspended", actor, now, kind=kind, reason=reason,
           until=until.isoformat() if until else None)
    return until


def resume_case(session: Session, case_id: int, actor: Actor, *, calendar, reason: str | None = None,
                automatic: bool = False) -> dict:
    """Restart the clock: every due instant moves by the working time the pause took."""
    now = clock.now()
    case = _case(session, case_id)
    if case.status != "suspended":
        if automatic:
            return {}
        raise Conflict("案件未处于挂账或暂停状态", "the case is not paused")
    conn = session.connection()
    pause = conn.execute(select(_PAUSES).where(_PAUSES.c.instance_id == case.id, _PAUSES.c.ended_at.is_(None))
                         .order_by(_PAUSES.c.started_at.desc()).limit(1)).first()
    started = pause.started_at if pause else now
    shift = _Shift(calendar, started, now)

    case_row = conn.execute(select(_INSTANCES.c.due_at, _INSTANCES.c.warn_at, _INSTANCES.c.limit_unit)
                            .where(_INSTANCES.c.id == case.id)).first()
    changes = {"status": "running"}
    timers = []
    if case_row.due_at is not None:
        changes["due_at"] = shift.move(case_row.due_at, case_row.limit_unit)
        changes["warn_at"] = shift.move(case_row.warn_at, case_row.limit_unit)
        timers += [t for t in _case_timers(case.id, changes["warn_at"], changes["due_at"], now) if t["due_at"] > now]
    write_versioned(conn, case, changes)
    if pause is not None:
        conn.execute(update(_PAUSES).where(_PAUSES.c.id == pause.id).values(ended_at=now))
    conn.execute(TIMERS.delete().where(TIMERS.c.instance_id == case.id, TIMERS.c.kind == TimerKind.RESUME))

    for task in conn.execute(select(_TASKS.c.id, _TASKS.c.instance_id, _TASKS.c.due_at, _TASKS.c.warn_at,
                                    _TASKS.c.limit_unit).where(_TASKS.c.instance_id == case.id)).all():
        if task.due_at is None:
            continue
        due, warn = shift.move(task.due_at, task.limit_unit), shift.move(task.warn_at, task.limit_unit)
        conn.execute(update(_TASKS).where(_TASKS.c.id == task.id).values(due_at=due, warn_at=warn))
        # an instant already passed was already announced before the pause
        timers += [t for t in deadline_timers(dict(id=task.id, instance_id=case.id, due_at=due, warn_at=warn))
                   if t["due_at"] > now]
    add_timers(conn, timers)
    paused_hours = calendar.elapsed(started, now, TimeUnit.WORK_HOURS)
    _event(session, case, "case.resumed", actor, now, reason=reason, automatic=automatic,
           paused_from=started.isoformat(), paused_work_hours=round(paused_hours, 4))
    return {"due_at": changes.get("due_at"), "paused_work_hours": paused_hours}


@dataclass(frozen=True)
class ExtensionRules:
    """DOMAIN §1 延期 rules, from the system settings (read when asked and again when granted)."""

    max_grants: int
    max_share: float
    when_overdue: bool

    @classmethod
    def current(cls, conn) -> "ExtensionRules":
        return cls(int(settings_store.get(conn, "extension_max_grants")),
                   float(settings_store.get(conn, "extension_max_share")),
                   bool(settings_store.get(conn, "extension_when_overdue")))


def check_extension(conn, task, amount: float | None, now: _dt.datetime) -> tuple[float, float, int]:
    """Whether ``task`` (a task row with due_at, limit_amount) may be extended by ``amount`` now under the
    current rules. Returns (amount, original limit, grants so far); raises Conflict or InvalidData."""
    rules = ExtensionRules.current(conn)
    if task.due_at is None or task.limit_amount is None:
        raise Conflict("该任务没有按时限标准计算的期限，不能延期", "the task has no time limit to extend")
    if now >= task.due_at and not rules.when_overdue:
        raise Conflict("任务已超时，不能再申请延期", "an overdue task cannot be extended")
    earlier = extensions_granted(conn, task.id)
    if earlier >= rules.max_grants:
        raise Conflict(f"每个任务最多延期 {rules.max_grants} 次", f"at most {rules.max_grants} extensions per task")
    original = _original_amount(conn, task.id, task.limit_amount)
    longest = original * rules.max_share
    amount = min(original, longest) if amount is None else float(amount)
    if not 0 < amount <= longest:
        raise InvalidData({"amount": f"延期时长应大于 0 且不超过 {longest:g}（原时限 {original:g} 的 "
                                     f"{rules.max_share:g} 倍）"},
                          {"amount": f"must be > 0 and at most {longest:g} ({rules.max_share:g} × the original "
                                     f"limit {original:g})"})
    return amount, original, earlier


def extensions_granted(conn, task_id: str) -> int:
    return conn.execute(select(func.count()).where(_EVENTS.c.task_id == task_id,
                                                   _EVENTS.c.type == "task.extended")).scalar_one()


def extend_task(session: Session, task_id: str, actor: Actor, *, calendar, reason: str,
                amount: float | None = None, warn_share: float = 0.8) -> dict:
    """An approved extension (延期), within the rules of :class:`ExtensionRules`."""
    now = clock.now()
    conn = session.connection()
    task = conn.execute(select(_TASKS.c.id, _TASKS.c.instance_id, _TASKS.c.node_id, _TASKS.c.created_at,
                               _TASKS.c.due_at, _TASKS.c.warn_at, _TASKS.c.limit_amount, _TASKS.c.limit_unit)
                        .where(_TASKS.c.id == task_id)).first()
    if task is None:
        raise NotFound("任务不存在或已办结", "task not found")
    case = _case(session, task.instance_id)
    if case.status != "running":
        raise Conflict("案件挂账或暂停期间不能延期", "a paused case cannot be extended")
    amount, original, earlier = check_extension(conn, task, amount, now)
    unit = TimeUnit(task.limit_unit)
    due = calendar.add(task.due_at, amount, unit)
    total = task.limit_amount + amount
    warn = calendar.add(task.created_at, total * warn_share, unit, _pauses(conn, case.id))
    warn = min(warn, due) if warn else due
    write_versioned(conn, case, {})
    conn.execute(update(_TASKS).where(_TASKS.c.id == task_id).values(due_at=due, warn_at=warn, limit_amount=total))
    drop_task_timers(conn, [task_id])
    add_timers(conn, [t for t in deadline_timers(dict(id=task_id, instance_id=case.id, due_at=due, warn_at=warn))
                      if t["due_at"] > now])
    _event(session, case, "task.extended", actor, now, task_id=task_id, node_id=task.node_id, amount=amount,
           unit=str(unit), original_amount=original, reason=reason, due_from=task.due_at.isoformat(),
           due_to=due.isoformat())
    return {"due_at": due, "warn_at": warn, "extensions": earlier + 1}


class _Shift:
    """Moves an instant by the length of one pause, measured in a limit's unit."""

    def __init__(self, calendar, started: _dt.datetime, ended: _dt.datetime):
        self.calendar, self.started, self.ended = calendar, started, ended

    def move(self, instant: _dt.datetime | None, unit: str | None) -> _dt.datetime | None:
        if instant is None:
            return None
        if unit is None:  # an instant given by BPMN: move by the wall-clock length of the pause
            return instant + (self.ended - self.started)
        unit = TimeUnit(unit)
        paused = self.calendar.elapsed(self.started, self.ended, unit)
        moved = self.calendar.add(instant, paused, unit)
        return moved or instant


def _case_timers(case_id: int, warn: _dt.datetime | None, due: _dt.datetime, now) -> list[dict]:
    timers = []
    if warn is not None and now < warn < due:
        timers.append(dict(kind=TimerKind.CASE_WARNING, due_at=warn, instance_id=case_id))
    timers.append(dict(kind=TimerKind.CASE_DUE, due_at=due, instance_id=case_id))
    return timers


def _original_amount(conn, task_id: str, current: float) -> float:
    first = conn.execute(select(_EVENTS.c.data).where(_EVENTS.c.task_id == task_id, _EVENTS.c.type == "task.extended")
                         .order_by(_EVENTS.c.id).limit(1)).scalar()
    return float(first["original_amount"]) if first else float(current)


def _pauses(conn, case_id: int) -> list[tuple]:
    return [(r.started_at, r.ended_at) for r in
            conn.execute(select(_PAUSES.c.started_at, _PAUSES.c.ended_at).where(_PAUSES.c.instance_id == case_id))]
