"""Timer start events: a definition that starts cases by itself (daily inspections, periodic checks).

Only the latest active version of a key starts cases: deploying a new version
replaces the pending start timers of the older ones. A cycle ``R[n]/start/PnD``
plans its next occurrence when the current one fires.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from engine import clock, expressions
from engine.models import Definition
from engine.timers import TIMERS, TimerKind, add_timers


def start_timer_definitions(spec) -> list[TimerEventDefinition]:
    return [s.event_definition for s in spec.task_specs.values()
            if isinstance(s, StartEvent) and isinstance(getattr(s, "event_definition", None), TimerEventDefinition)]


def first_occurrence(definition: TimerEventDefinition, now: _dt.datetime) -> tuple[_dt.datetime, dict] | None:
    """(due, plan) for the first start; plan carries what the next occurrence needs."""
    expression = expressions.evaluate(definition.expression, {})
    if isinstance(definition, CycleTimerEventDefinition):
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        if cycles == 0:
            return None
        while start <= now and cycles != 0:  # a start in the past: the next occurrence from now on
            start, cycles = start + duration, cycles - 1 if cycles > 0 else -1
        if cycles == 0:
            return None
        return start, {"cycles_left": cycles, "every_s": duration.total_seconds()}
    if isinstance(definition, DurationTimerEventDefinition):
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now), {"cycles_left": 1}
    if isinstance(definition, TimeDateEventDefinition):
        due = TimerEventDefinition.get_datetime(expression)
        return (due, {"cycles_left": 1}) if due > now else None
    return None


def schedule_first(engine, session: Session, definition_id: int) -> None:
    definition = session.get(Definition, definition_id)
    loaded = engine.specs.get(definition)
    older = select(Definition.id).where(Definition.key == definition.key, Definition.id != definition.id)
    conn = session.connection()
    conn.execute(delete(TIMERS).where(TIMERS.c.kind == TimerKind.PROCESS_START,
                                      TIMERS.c.definition_id.in_(older.scalar_subquery())))
    now = clock.now()
    for timer in start_timer_definitions(loaded.spec):
        found = first_occurrence(timer, now)
        if found is not None:
            due, plan = found
            add_timers(conn, [dict(kind=TimerKind.PROCESS_START, due_at=due, definition_id=definition.id, data=plan)])
            engine.note_due(session, due)


def schedule_next(engine, session: Session, fired_row, now: _dt.datetime) -> None:
    plan = dict(fired_row.data or {})
    cycles = int(plan.get("cycles_left", 1))
    if cycles == 1 or not plan.get("every_s"):
        return
    due = fired_row.due_at + _dt.timedelta(seconds=float(plan["every_s"]))
    while due <= now:  # the scheduler was down: one case for the missed run, then back on the rhythm
        due += _dt.timedelta(seconds=float(plan["every_s"]))
    plan["cycles_left"] = cycles - 1 if cycles > 0 else -1
    plan.pop("attempts", None)
    add_timers(session.connection(), [dict(kind=TimerKind.PROCESS_START, due_at=due,
                                           definition_id=fired_row.definition_id, data=plan)])
    engine.note_due(session, due)
