"""Working calendars in the database: windows by season, holidays and 调休 by date, admin edits.

Every change bumps ``WorkCalendar.revision``; ``load_calendar`` keeps built ``Calendar`` objects
per (database, code, revision), so a hot path pays one small query to learn the revision.

The functions here flush but never commit: the caller owns the transaction.
"""
from __future__ import annotations

import datetime as _dt
import functools
import threading
import weakref
from dataclasses import dataclass, field
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, scoped_session

from engine.calendar import (DEFAULT_WINDOWS, Calendar, CalendarConfigError, DayKind, Season,
                             check_seasons_cover_the_year, parse_week_windows)
from engine.db import Base
from engine.errors import Conflict, NotFound

DEFAULT_CODE = "default"
DEFAULT_NAME = "默认工作日历"
DEFAULT_TIMEZONE = "Asia/Shanghai"
SOURCE_SEED, SOURCE_ADMIN = "seed", "admin"
_MORNING = ["08:30", "12:00"]


def _weekdays(*pairs) -> dict[str, list[list[str]]]:
    """Mon–Fri with the given windows; Saturday and Sunday without."""
    return {str(day): [list(p) for p in pairs] if day <= 5 else [] for day in range(1, 8)}


# The default seasonal variants: mornings alike, winter afternoons end half an hour earlier.
DEFAULT_SEASONS = (
    {"name": "夏季", "start": "05-01", "end": "09-30", "windows": _weekdays(_MORNING, ["14:00", "17:30"])},
    {"name": "冬季", "start": "10-01", "end": "04-30", "windows": _weekdays(_MORNING, ["14:00", "17:00"])},
)
ALL_YEAR = "全年"


# --- models -----------------------------------------------------------------------------------

class WorkCalendar(Base):
    __tablename__ = "work_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(default=False)
    hours_per_work_day: Mapped[float] = mapped_column(Float, default=8.0)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    # Bumped by every change (UPDATE … SET revision = revision + 1): the cache key of load_calendar.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    seasons: Mapped[list["CalendarSeason"]] = relationship(
        order_by="CalendarSeason.id", cascade="all, delete-orphan", passive_deletes=True)


class CalendarSeason(Base):
    """Windows per ISO weekday between two month-days (inclusive, may wrap the year end)."""

    __tablename__ = "work_calendar_season"

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendar.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    start_md: Mapped[str] = mapped_column(String(5))  # "MM-DD"
    end_md: Mapped[str] = mapped_column(String(5))
    windows: Mapped[dict] = mapped_column()  # {"1": [["08:30", "12:00"], ...], ..., "7": []}


class CalendarDay(Base):
    """One date that is not what its weekday says: a holiday, or a 调休 working day.

    ``source`` is 'seed' (from the holidays package) or 'admin'. When an admin overrides a seeded
    date, the seeded value moves to ``seeded_kind``/``seeded_name`` so clearing the override
    restores it; re-seeding refreshes those two and never touches kind/name of an admin row.
    """

    __tablename__ = "work_calendar_day"
    __table_args__ = (
        # Serves both the one-date lookup and the date-range list of a calendar (calendar_id first).
        UniqueConstraint("calendar_id", "day"),
        CheckConstraint("kind in ('holiday', 'workday')", name="kind"),
        CheckConstraint("source in ('seed', 'admin')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendar.id", ondelete="CASCADE"))
    day: Mapped[_dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(10))
    seeded_kind: Mapped[str | None] = mapped_column(String(10))
    seeded_name: Mapped[str | None] = mapped_column(String(100))


# --- errors -------------------------------------------------------------------------------------

class CalendarNotFound(NotFound):
    def __init__(self, code: str | None):
        if code is None:
            super().__init__("尚未配置默认工作日历", "no default calendar is configured")
        else:
            super().__init__(f"工作日历 {code} 不存在", f"calendar {code!r} not found")


class CalendarExists(Conflict):
    def __init__(self, code: str):
        super().__init__(f"工作日历 {code} 已存在", f"calendar {code!r} already exists")


class DayNotOverridden(NotFound):
    def __init__(self, day: _dt.date):
        super().__init__(f"{day.isoformat()} 没有人工设置，无需恢复", f"{day.isoformat()} has no admin override")


# --- the holidays package -----------------------------------------------------------------------

@dataclass(frozen=True)
class OfficialDay:
    day: _dt.date
    kind: DayKind
    name: str


WORKDAY_NAME = "调休上班"


@functools.lru_cache(maxsize=64)
def official_days(year: int) -> tuple[OfficialDay, ...]:
    """China's holidays and 调休 working days of one year, from the ``holidays`` package.

    Holidays are its PUBLIC entries (zh-CN names; the days given in exchange read
    "休息日（由 2026-02-14 调休）"). The 调休 working days are its ``weekend_workdays`` set, which
    also carries cross-year dates of other years, hence the filter. Weekend days inside a holiday
    week are not listed: they are weekend days anyway.
    """
    import holidays  # imported here: only seeding needs it

    china = holidays.country_holidays("CN", years=year, language="zh_CN")
    found = {day: OfficialDay(day, DayKind.HOLIDAY, str(name)[:100]) for day, name in china.items()
             if day.year == year}
    for day in sorted(china.weekend_workdays):
        if day.year == year and day not in found:
            found[day] = OfficialDay(day, DayKind.WORKDAY, WORKDAY_NAME)
    return tuple(found[day] for day in sorted(found))


def years_without_workday_data(years: Iterable[int]) -> list[int]:
    """Years for which the package knows no 调休 working days (usually: the notice is not out yet)."""
    return [year for year in years if not any(d.kind is DayKind.WORKDAY for d in official_days(year))]


@dataclass
class SeedReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    admin_kept: int = 0
    years_without_workdays: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


# --- reading ------------------------------------------------------------------------------------

def get_calendar_row(session: Session, code: str | None = None) -> WorkCalendar:
    statement = select(WorkCalendar)
    statement = (statement.where(WorkCalendar.code == code) if code is not None
                 else statement.where(WorkCalendar.is_default.is_(True)).order_by(WorkCalendar.id).limit(1))
    row = session.scalars(statement).first()
    if row is None:
        raise CalendarNotFound(code)
    return row


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise CalendarConfigError("timezone", f"未知时区 {name!r}", f"unknown time zone {name!r}") from None


def seasons_of(row: WorkCalendar) -> tuple[Season, ...]:
    return tuple(Season.parse(s.name, s.start_md, s.end_md, s.windows, f"seasons.{i}")
                 for i, s in enumerate(row.seasons))


def build_calendar(row: WorkCalendar, days: Iterable[CalendarDay]) -> Calendar:
    """Dates no season covers keep the default office hours (admin edits always cover the year)."""
    return Calendar(windows=DEFAULT_WINDOWS, seasons=seasons_of(row),
                    days={d.day: DayKind(d.kind) for d in days},
                    hours_per_work_day=row.hours_per_work_day, tz=zone(row.timezone))


def list_days(session: Session, code: str, start: _dt.date, end: _dt.date) -> list[CalendarDay]:
    calendar = get_calendar_row(session, code)
    return list(session.scalars(select(CalendarDay).where(
        CalendarDay.calendar_id == calendar.id, CalendarDay.day >= start, CalendarDay.day <= end)
        .order_by(CalendarDay.day)))


class _CalendarCache:
    """Built calendars per database engine, keyed by (code, revision).

    Keyed per engine (weakly) so two databases with a 'default' calendar at the same revision
    never share an entry. A session that changed a calendar never fills the cache: its revision
    is not committed and might be rolled back, then reused by a different change.
    """

    def __init__(self, per_engine_limit: int = 64):
        self.limit = per_engine_limit
        self._by_engine: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _entries(self, session: Session) -> dict:
        bind = session.get_bind()
        engine = getattr(bind, "engine", bind)
        with self._lock:
            return self._by_engine.setdefault(engine, {})

    def get(self, session: Session, key: tuple[str, int]) -> Calendar | None:
        return self._entries(session).get(key)

    def put(self, session: Session, key: tuple[str, int], calendar: Calendar) -> None:
        entries = self._entries(session)
        if len(entries) >= self.limit:
            entries.clear()
        entries[key] = calendar

    def clear(self) -> None:
        with self._lock:
            self._by_engine.clear()


CALENDAR_CACHE = _CalendarCache()
_CHANGED = "citybpm.calendar_changed"


def _mark_changed(session: Session) -> None:
    """Until this transaction ends, what the session sees of calendars may never be committed."""
    real = session() if isinstance(session, scoped_session) else session
    if _CHANGED not in real.info:  # first change in this session: learn when its transactions end
        event.listen(real, "after_commit", _transaction_ended)
        event.listen(real, "after_rollback", _transaction_ended)
    real.info[_CHANGED] = True


def _transaction_ended(session: Session, *_args) -> None:
    session.info[_CHANGED] = False


def _revision_of(session: Session, code: str | None) -> tuple[int, str, int]:
    statement = select(WorkCalendar.id, WorkCalendar.code, WorkCalendar.revision)
    statement = (statement.where(WorkCalendar.code == code) if code is not None
                 else statement.where(WorkCalendar.is_default.is_(True)).order_by(WorkCalendar.id).limit(1))
    found = session.execute(statement).first()
    if found is None:
        raise CalendarNotFound(code)
    return found.id, found.code, found.revision


def load_calendar(session: Session, code: str | None = None) -> Calendar:
    """The Calendar of ``code`` (None = the default calendar); one small query when cached."""
    calendar_id, code, revision = _revision_of(session, code)
    cached = CALENDAR_CACHE.get(session, (code, revision))
    if cached is not None:
        return cached
    row = session.get(WorkCalendar, calendar_id)
    days = session.scalars(select(CalendarDay).where(CalendarDay.calendar_id == calendar_id))
    calendar = build_calendar(row, days)
    # Re-read: under READ COMMITTED a change may have committed between the queries above.
    if not session.info.get(_CHANGED) and _revision_of(session, code)[2] == revision:
        CALENDAR_CACHE.put(session, (code, revision), calendar)
    return calendar


# --- changing -----------------------------------------------------------------------------------

def _bump(session: Session, calendar: WorkCalendar) -> None:
    _mark_changed(session)
    calendar.revision = WorkCalendar.revision + 1  # in SQL: concurrent admins never lose a bump
    session.flush()


def _day_row(session: Session, calendar: WorkCalendar, day: _dt.date) -> CalendarDay | None:
    return session.scalars(select(CalendarDay).where(
        CalendarDay.calendar_id == calendar.id, CalendarDay.day == day)).first()


def _check_kind(kind: str) -> DayKind:
    try:
        return DayKind(kind)
    except ValueError:
        raise CalendarConfigError("kind", "类型应为 holiday（休息）或 workday（上班）",
                                  "kind must be 'holiday' or 'workday'") from None


def _check_name(name: str | None, default: str) -> str:
    name = (name or "").strip() or default
    if len(name) > 100:
        raise CalendarConfigError("name", "名称最多 100 字", "name must be at most 100 characters")
    return name


def set_day(session: Session, code: str, day: _dt.date, kind: str, name: str | None = None) -> CalendarDay:
    """An admin override of one date; a seeded value underneath is kept for clear_day."""
    kind = _check_kind(kind)
    name = _check_name(name, "休息日" if kind is DayKind.HOLIDAY else "上班日")
    calendar = get_calendar_row(session, code)
    row = _day_row(session, calendar, day)
    if row is None:
        row = CalendarDay(calendar_id=calendar.id, day=day, source=SOURCE_ADMIN)
        session.add(row)
    elif row.source == SOURCE_SEED:
        row.seeded_kind, row.seeded_name, row.source = row.kind, row.name, SOURCE_ADMIN
    row.kind, row.name = kind.value, name
    _bump(session, calendar)
    return row


def clear_day(session: Session, code: str, day: _dt.date) -> CalendarDay | None:
    """Drop an admin override: back to the seeded value (returned) or to the plain weekday (None)."""
    calendar = get_calendar_row(session, code)
    row = _day_row(session, calendar, day)
    if row is None or row.source != SOURCE_ADMIN:
        raise DayNotOverridden(day)
    if row.seeded_kind is None:
        session.delete(row)
        row = None
    else:
        row.kind, row.name, row.source = row.seeded_kind, row.seeded_name, SOURCE_SEED
        row.seeded_kind = row.seeded_name = None
    _bump(session, calendar)
    return row


def _season_rows(seasons: Sequence[Season]) -> list[CalendarSeason]:
    return [CalendarSeason(name=s.name, start_md=c["start"], end_md=c["end"], windows=c["windows"])
            for s, c in ((s, s.to_config()) for s in seasons)]


def parse_seasons(seasons: Sequence[dict] | None = None, windows: dict | None = None) -> tuple[Season, ...]:
    """Admin input → checked seasons: either seasons covering the year, or one week of windows."""
    if (seasons is None) == (windows is None):
        raise CalendarConfigError("seasons", "请提供 seasons 或 windows 之一", "give either seasons or windows")
    if windows is not None:
        return (Season(ALL_YEAR, (1, 1), (12, 31), parse_week_windows(windows)),)
    if not isinstance(seasons, (list, tuple)) or not seasons:
        raise CalendarConfigError("seasons", "至少需要一个季节", "at least one season is needed")
    parsed = []
    for index, season in enumerate(seasons):
        if not isinstance(season, dict):
            raise CalendarConfigError(f"seasons.{index}", "季节应为对象", "a season must be an object")
        parsed.append(Season.parse(season.get("name"), season.get("start"), season.get("end"),
                                   season.get("windows"), f"seasons.{index}"))
    check_seasons_cover_the_year(parsed)
    return tuple(parsed)


def set_seasons(session: Session, code: str, seasons: Sequence[dict] | None = None,
                windows: dict | None = None) -> WorkCalendar:
    """Replace a calendar's seasons (or give one week of windows for the whole year)."""
    parsed = parse_seasons(seasons, windows)
    calendar = get_calendar_row(session, code)
    calendar.seasons = _season_rows(parsed)
    _bump(session, calendar)
    return calendar


def _check_hours(hours) -> float:
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24:
        raise CalendarConfigError("hours_per_work_day", "每个工作日的工作时数应在 0–24 之间",
                                  "hours_per_work_day must be > 0 and <= 24")
    return float(hours)


def create_calendar(session: Session, code: str, name: str, *, hours_per_work_day: float = 8.0,
                    timezone: str = DEFAULT_TIMEZONE, seasons: Sequence[dict] | None = None,
                    windows: dict | None = None, holiday_years: Iterable[int] = (),
                    is_default: bool = False) -> WorkCalendar:
    """A new calendar; without seasons or windows it gets the default 夏季/冬季 seasons."""
    parsed = parse_seasons(list(DEFAULT_SEASONS)) if seasons is None and windows is None \
        else parse_seasons(seasons, windows)
    zone(timezone)
    if session.scalars(select(WorkCalendar.id).where(WorkCalendar.code == code)).first() is not None:
        raise CalendarExists(code)
    calendar = WorkCalendar(code=code, name=_check_name(name, code), is_default=False,
                            hours_per_work_day=_check_hours(hours_per_work_day), timezone=timezone, revision=1,
                            seasons=_season_rows(parsed))
    session.add(calendar)
    _mark_changed(session)
    session.flush()
    seed_holidays(session, calendar, holiday_years)
    if is_default:
        set_default(session, code)
    return calendar


def update_calendar(session: Session, code: str, *, name: str | None = None,
                    hours_per_work_day: float | None = None, timezone: str | None = None) -> WorkCalendar:
    calendar = get_calendar_row(session, code)
    if name is not None:
        calendar.name = _check_name(name, calendar.name)
    if hours_per_work_day is not None:
        calendar.hours_per_work_day = _check_hours(hours_per_work_day)
    if timezone is not None:
        zone(timezone)
        calendar.timezone = timezone
    _bump(session, calendar)
    return calendar


def set_default(session: Session, code: str) -> WorkCalendar:
    """Make ``code`` the default calendar (the one expressions and `load_calendar(None)` use)."""
    calendar = get_calendar_row(session, code)
    others = session.scalars(select(WorkCalendar).where(WorkCalendar.is_default.is_(True),
                                                         WorkCalendar.id != calendar.id)).all()
    for other in others:
        other.is_default = False
        _bump(session, other)
    calendar.is_default = True
    _bump(session, calendar)
    return calendar


# --- seeding ------------------------------------------------------------------------------------

def seed_holidays(session: Session, calendar: WorkCalendar | str, years: Iterable[int]) -> SeedReport:
    """Bring the seeded dates of ``years`` in line with the holidays package. Idempotent.

    Seed rows are added, updated or removed to match the package (a newer package may replace
    estimated days with the State Council's notice); admin rows keep their kind and name, only the
    value they would restore to is refreshed.
    """
    if isinstance(calendar, str):
        calendar = get_calendar_row(session, calendar)
    years = sorted(set(years))
    report = SeedReport(years_without_workdays=years_without_workday_data(years))
    for year in years:
        wanted = {d.day: d for d in official_days(year)}
        existing = {row.day: row for row in session.scalars(select(CalendarDay).where(
            CalendarDay.calendar_id == calendar.id,
            CalendarDay.day >= _dt.date(year, 1, 1), CalendarDay.day <= _dt.date(year, 12, 31)))}
        for day, row in existing.items():
            official = wanted.get(day)
            if row.source == SOURCE_ADMIN:
                report.admin_kept += 1
                seeded = (official.kind.value, official.name) if official else (None, None)
                if (row.seeded_kind, row.seeded_name) != seeded:
                    row.seeded_kind, row.seeded_name = seeded
                    report.updated += 1
            elif official is None:
                session.delete(row)
                report.removed += 1
            elif (row.kind, row.name) != (official.kind.value, official.name):
                row.kind, row.name = official.kind.value, official.name
                report.updated += 1
        for day, official in wanted.items():
            if day not in existing:
                session.add(CalendarDay(calendar_id=calendar.id, day=day, kind=official.kind.value,
                                        name=official.name, source=SOURCE_SEED))
                report.added += 1
    if report.changed:
        _bump(session, calendar)
    return report


def seed_default_calendar(session: Session, years: Iterable[int]) -> SeedReport:
    """Create calendar 'default' (默认工作日历, 夏季/冬季 seasons) if missing; seed the years' holidays.

    Idempotent: an existing calendar keeps its seasons and settings (admins may have edited them).
    """
    existing = session.scalars(select(WorkCalendar).where(WorkCalendar.code == DEFAULT_CODE)).first()
    if existing is None:
        has_default = session.scalars(select(WorkCalendar.id).where(WorkCalendar.is_default.is_(True))).first()
        existing = create_calendar(session, DEFAULT_CODE, DEFAULT_NAME, is_default=has_default is None)
    return seed_holidays(session, existing, years)
