"""Calendar functions for expressions: ``add_work_hours(start, 2)``, ``work_hours_between(a, b)`` …

Importing this module registers them with ``engine.expressions``.

Which calendar? Expressions run inside engine commands, each with a Session. The engine sets
``current_calendar`` around a command::

    with using_default_calendar(session):      # one cached load_calendar() per command
        ... evaluate expressions ...

or, with a calendar already in hand (e.g. from ``EngineSettings.calendar_for``)::

    with using_calendar(calendar): ...

so no function call queries the database. Outside such a block (a unit test, a lint pass) the
functions use ``FALLBACK_CALENDAR``: default office hours, no holidays. ContextVars follow
threads and asyncio tasks, so concurrent commands never see each other's calendar.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import logging
from contextvars import ContextVar
from typing import Iterator

from engine.calendar import Calendar, TimeUnit
from engine.expressions import register_function

log = logging.getLogger(__name__)

FALLBACK_CALENDAR = Calendar()
"""Mon–Fri 08:30–12:00 and 14:00–17:30, no holidays: used when no calendar is set."""

current_calendar: ContextVar[Calendar | None] = ContextVar("citybpm_current_calendar", default=None)


def active_calendar() -> Calendar:
    return current_calendar.get() or FALLBACK_CALENDAR


@contextlib.contextmanager
def using_calendar(calendar: Calendar) -> Iterator[Calendar]:
    token = current_calendar.set(calendar)
    try:
        yield calendar
    finally:
        current_calendar.reset(token)


def default_calendar_for(session) -> Calendar:
    """The database's default calendar (cached per revision), or FALLBACK_CALENDAR if none is configured.

    Fits ``EngineSettings.calendar_for``.
    """
    from engine.calendar_store import CalendarNotFound, load_calendar  # models load only when needed

    try:
        return load_calendar(session)
    except CalendarNotFound:
        if not _warned_no_default:
            _warn_no_default()
        return FALLBACK_CALENDAR


_warned_no_default = False


def _warn_no_default() -> None:
    global _warned_no_default
    _warned_no_default = True  # once per process: the log is for the operator, not per command
    log.warning("no default work calendar in the database: using office hours without holidays")


@contextlib.contextmanager
def using_default_calendar(session) -> Iterator[Calendar]:
    """Set the database's default calendar for the block (FALLBACK_CALENDAR if none is configured)."""
    with using_calendar(default_calendar_for(session)) as active:
        yield active


def _instant(value, calendar: Calendar) -> _dt.datetime:
    """Datetimes must be aware; ISO strings without an offset are read in the calendar's zone,
    like expressions' own ``datetime("2026-03-02T09:00")``."""
    if isinstance(value, str):
        try:
            parsed = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO date-time: {value!r}") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=calendar.tz)
    if isinstance(value, _dt.datetime):
        return value
    raise ValueError(f"expected a datetime or an ISO string, got {type(value).__name__}")


def _adder(unit: TimeUnit):
    def add(start, n):
        calendar = active_calendar()
        return calendar.add(_instant(start, calendar), n, unit)

    add.__name__ = f"add_{unit.value}"
    add.__doc__ = f"start + n {unit.zh} ({unit.value}) on the current calendar"
    return add


add_work_hours = _adder(TimeUnit.WORK_HOURS)
add_work_days = _adder(TimeUnit.WORK_DAYS)
add_urgent_hours = _adder(TimeUnit.URGENT_HOURS)
add_natural_days = _adder(TimeUnit.NATURAL_DAYS)


def work_hours_between(a, b) -> float:
    """工作时 from a to b on the current calendar (negative when b is before a)."""
    calendar = active_calendar()
    return calendar.elapsed(_instant(a, calendar), _instant(b, calendar), TimeUnit.WORK_HOURS)


for _function in (add_work_hours, add_work_days, add_urgent_hours, add_natural_days, work_hours_between):
    register_function(_function.__name__, _function)
