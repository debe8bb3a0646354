"""Deadlines: time-limit standards, due and warning instants, the traffic light.

A task's limit comes from BPMN (``dueDate``: an instant) or from a standard
named by ``citybpm:timeLimit`` (a stage code such as ``handle``), looked up
for the case's category (小类) with a fallback to the stage default. Due and
warning instants are computed on the working-time calendar, minus the case's
paused intervals; the light is derived from them at read time.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint, and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine import expressions
from engine.calendar import Calendar, TimeUnit
from engine.clock import DEFAULT_TZ
from engine.db import Base

DEFAULT_WARN_SHARE = 0.8

# Stage codes a standard can be set for (DOMAIN §1, §4); "case" is the whole case from filing to closing.
LIMIT_STAGES = {
    "feedback": ("反馈", "feedback"),
    "accept": ("受理", "acceptance"), "verify": ("核实", "verification"), "file": ("立案", "filing"),
    "dispatch": ("派遣", "dispatch"), "sign": ("签收", "signing for"), "handle": ("处置", "disposal"),
    "check": ("核查", "check"), "close": ("结案", "closing"), "case": ("全案结案时限", "whole case"),
    # law enforcement (DOMAIN §5; processes/enforcement_*.bpmn)
    "enf_file": ("执法立案审批", "enforcement case filing"),
    "enf_preserve": ("先行登记保存处理决定", "decision on preserved evidence"),
    "enf_serve": ("处罚决定送达", "service of the decision"),
    "enf_court": ("申请法院强制执行", "application to court"),
    "enf_hand_in": ("当场收缴罚款上缴", "handing in fines collected on the spot"),
    "enf_filing": ("简易程序备案", "filing of a simple-procedure decision"),
    "enf_statement": ("陈述申辩期", "statement period"),
}


class Light:
    GREEN, YELLOW, RED = "green", "yellow", "red"
    ALL = (GREEN, YELLOW, RED)


class TimeLimit(Base):
    """A time-limit standard: for a stage, optionally for one category (小类)."""

    __tablename__ = "time_limit"
    __table_args__ = (UniqueConstraint("stage", "category_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    category_code: Mapped[str | None] = mapped_column(String(40))  # None: the stage's default
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    warn_share: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(200))


class CasePause(Base):
    """A paused interval of a case (挂账, approved suspension): its clock does not run."""

    __tablename__ = "case_pause"
    __table_args__ = (Index("ix_case_pause_instance_id_started_at", "instance_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # hang (挂账) | suspend
    started_at: Mapped[_dt.datetime]
    ended_at: Mapped[_dt.datetime | None]
    until: Mapped[_dt.datetime | None]  # automatic resumption at the latest
    reason: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))


class OverdueAction:
    REMIND = "remind"          # notify again, up to max_reminders times
    ESCALATE = "escalate"      # 督办: flag the case and notify the escalation role
    AUTO_COMPLETE = "auto_complete"  # move the flow on: complete the task with preset data
    ALL = (REMIND, ESCALATE, AUTO_COMPLETE)


class DeadlinePolicy(Base):
    """What happens when a task of a process node is overdue; admins set it per task type."""

    __tablename__ = "deadline_policy"
    __table_args__ = (UniqueConstraint("process_key", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    node_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20), default=OverdueAction.REMIND)
    max_reminders: Mapped[int] = mapped_column(default=3)
    remind_every: Mapped[float] = mapped_column(Float, default=1.0)
    remind_unit: Mapped[str] = mapped_column(String(20), default="work_hours")
    escalate_to_role: Mapped[str | None] = mapped_column(String(40))
    auto_complete_data: Mapped[dict] = mapped_column(default=dict)


DEFAULT_POLICY = dict(action=OverdueAction.REMIND, max_reminders=3, remind_every=1.0, remind_unit="work_hours",
                      escalate_to_role="leader", auto_complete_data={})


def policy_for(conn: Connection, process_key: str, node_id: str) -> dict:
    table = DeadlinePolicy.__table__
    row = conn.execute(select(table).where(table.c.process_key == process_key, table.c.node_id == node_id)).first()
    return dict(row._mapping) if row is not None else dict(DEFAULT_POLICY, process_key=process_key, node_id=node_id)


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: TimeUnit
    warn_share: float
    source: str  # "standard:<stage>[:<category>]" | "bpmn:dueDate"


@dataclass(frozen=True)
class Deadline:
    due_at: _dt.datetime
    warn_at: _dt.datetime
    limit: Limit | None  # None when BPMN gave an instant


class LimitBook:
    """The time-limit standards, read at most every ``ttl`` seconds (they change rarely)."""

    def __init__(self, ttl: float = 10.0):
        self.ttl = ttl
        self._rows: dict[tuple[str, str | None], TimeLimit] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._rows = None

    def lookup(self, conn: Connection, stage: str, category_code: str | None) -> tuple | None:
        rows = self._current(conn)
        return rows.get((stage, category_code)) or rows.get((stage, None))

    def _current(self, conn: Connection) -> dict:
        with self._lock:
            if self._rows is not None and time.monotonic() - self._loaded_at < self.ttl:
                return self._rows
        table = TimeLimit.__table__
        rows = {(r.stage, r.category_code): r for r in conn.execute(select(table))}
        with self._lock:
            self._rows, self._loaded_at = rows, time.monotonic()
        return rows


LIMITS = LimitBook()


class DeadlinePlanner:
    """Computes deadlines inside one command (one calendar, one connection)."""

    def __init__(self, conn: Connection, calendar: Calendar, *, warn_share: float = DEFAULT_WARN_SHARE,
                 book: LimitBook = LIMITS):
        self.conn, self.calendar, self.warn_share, self.book = conn, calendar, warn_share, book

    def limit(self, code: str, category_code: str | None) -> Limit | None:
        row = self.book.lookup(self.conn, code, category_code)
        if row is None:
            return None
        share = row.warn_share if row.warn_share is not None else self.warn_share
        source = f"standard:{code}" + (f":{row.category_code}" if row.category_code else "")
        return Limit(float(row.amount), TimeUnit(row.unit), share, source)

    def for_node(self, config, data: dict, start: _dt.datetime, pauses=()) -> Deadline | None:
        """The deadline of a task created now from a node's settings, or None when it has none."""
        if config.due_date:
            due = _instant(config.due_date, data)
            if due is not None:
                warn = start + (due - start) * self.warn_share if due > start else due
                return Deadline(due, warn, None)
        if config.time_limit:
            limit = self.limit(config.time_limit, _category(data))
            if limit is not None:
                return self.plan(start, limit, pauses)
        return None

    def plan(self, start: _dt.datetime, limit: Limit, pauses=()) -> Deadline | None:
        due = self.calendar.add(start, limit.amount, limit.unit, pauses)
        warn = self.calendar.add(start, limit.amount * limit.warn_share, limit.unit, pauses)
        if due is None or warn is None:
            return None  # paused until further notice
        return Deadline(due, warn, limit)


def light(now: _dt.datetime, warn_at: _dt.datetime | None, due_at: _dt.datetime | None) -> str | None:
    if due_at is None:
        return None
    if now >= due_at:
        return Light.RED
    if warn_at is not None and now >= warn_at:
        return Light.YELLOW
    return Light.GREEN


def light_condition(warn_column, due_column, wanted: str, now: _dt.datetime):
    """SQL for "has this light now" (served by the due/warn indexes of the table)."""
    if wanted == Light.RED:
        return due_column <= now
    if wanted == Light.YELLOW:
        return and_(warn_column <= now, due_column > now)
    return and_(due_column > now, warn_column > now)


def _category(data: dict) -> str | None:
    value = data.get("category_code")
    return None if value is None else str(value)


def _instant(text: str, data: dict) -> _dt.datetime | None:
    """``dueDate``: an ISO instant, or ``${expression}`` giving one (e.g. ``${add_work_hours(now(), 2)}``)."""
    try:
        value = expressions.evaluate(text, data) if expressions.is_template(text) else text
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
    except (expressions.ExpressionError, ValueError):
        return None
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=DEFAULT_TZ)
    return None
