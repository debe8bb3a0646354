"""Node passages for the process heat map, counted per day as the evaluation refresh reads the event log.

Every ``task.completed`` event is one pass through its node. The refresh counts passes per process key, day,
called activity, node and working hours spent there (task created → completed, in the default work calendar,
to 0.01 h), with how many of them completed after their due instant (the ``due_at`` stamped on the completion:
延期 included). The heat map of a period then reads a few rows per node and day and takes the median from the
counts, instead of reading every completion of the period and its task's creation.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter

from sqlalchemy import Date, Integer, String, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.calendar import TimeUnit
from engine.db import Base, add_counts

UNKNOWN_HOURS = -1  # the task's creation is not in the log (a history imported without it)


class EvaluationPassage(Base):
    __tablename__ = "evaluation_passage"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the table: a period's range scan reads the counts

    process_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[_dt.date] = mapped_column(Date, primary_key=True)
    call: Mapped[str] = mapped_column(String(100), primary_key=True)  # the called activity's id, '' for the main
    node: Mapped[str] = mapped_column(String(100), primary_key=True)
    centihours: Mapped[int] = mapped_column(Integer, primary_key=True)  # working hours × 100, UNKNOWN_HOURS
    passed: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)


PASSAGES = EvaluationPassage.__table__
_KEY = ("process_key", "day", "call", "node", "centihours")


class PassageCounter:
    """Collects the passes of one refresh's batches; the calendar and process keys are read once."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._calendar = None
        self._process_keys: dict[int, str] = {}

    def calendar(self):
        if self._calendar is None:
            from engine.calendar_functions import default_calendar_for
            self._calendar = default_calendar_for(Session(bind=self.conn))
        return self._calendar

    def process_key(self, definition_id: int) -> str:
        if definition_id not in self._process_keys:
            from engine.models import Definition
            d = Definition.__table__
            self._process_keys.update(self.conn.execute(select(d.c.id, d.c.key)).all())
        return self._process_keys.get(definition_id, "")

    def count(self, events, histories, local_day, overdue) -> None:
        """Add the batch's completions (``histories``: the batch's cases and their task events)."""
        tally: Counter = Counter()
        for event in events:
            if event.type != "task.completed" or event.instance_id is None:
                continue
            case = histories.cases.get(event.instance_id)
            if case is None:
                continue
            created = histories.created(event)
            done = _aware(event.at)
            hours = (round(self.calendar().elapsed(_aware(created.at), done, TimeUnit.WORK_HOURS) * 100)
                     if created is not None else UNKNOWN_HOURS)
            call = str(((created.data or {}) if created is not None else {}).get("call_activity") or "")
            key = (self.process_key(case.definition_id), local_day(event.at), call[:100], (event.node_id or "")[:100],
                   hours)
            passed, late = tally.get(key, (0, 0))
            tally[key] = (passed + 1, late + (1 if overdue(event) else 0))
        if tally:
            _add(self.conn, tally)


def _add(conn: Connection, tally: dict) -> None:
    add_counts(conn, PASSAGES, _KEY, [dict(zip(_KEY, key), passed=passed, overdue=late)
                                      for key, (passed, late) in tally.items()])


def _aware(value) -> _dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


def median_hours(counts: dict[int, int]) -> float | None:
    """The median of the known hours given as {centihours: passes} (the mean of the two middle ones for an even
    number, as statistics.median), in hours to 0.01."""
    known = sorted((hours, n) for hours, n in counts.items() if hours != UNKNOWN_HOURS and n)
    total = sum(n for _, n in known)
    if not total:
        return None
    wanted, values, seen = {(total - 1) // 2, total // 2}, [], 0
    for hours, n in known:
        for position in sorted(wanted):
            if seen <= position < seen + n:
                values.append(hours)
        seen += n
    return round(sum(values) / len(values) / 100, 2)
