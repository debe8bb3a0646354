"""Calendars in the database: seeding from the holidays package, admin overrides, the cache."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine import expressions
from engine.calendar import CalendarConfigError, DayKind
from engine.calendar_functions import FALLBACK_CALENDAR, using_calendar, using_default_calendar
from engine.calendar_store import (CalendarDay, CalendarExists, CalendarNotFound, CalendarSeason, DayNotOverridden,
                                   WorkCalendar, clear_day, create_calendar, get_calendar_row, load_calendar,
                                   official_days, seed_default_calendar, seed_holidays, set_day, set_default,
                                   set_seasons, years_without_workday_data)
from engine.db import Base, make_engine, make_sessionmaker

TZ = ZoneInfo("Asia/Shanghai")
TIAOXIU_2026 = {dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9),
                dt.date(2026, 9, 20), dt.date(2026, 10, 10)}


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'calendars.sqlite3'}")
    Base.metadata.create_all(engine, tables=[WorkCalendar.__table__, CalendarSeason.__table__,
                                             CalendarDay.__table__])
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def seeded(session):
    seed_default_calendar(session, [2026])
    session.commit()
    return session


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def day_rows(session) -> list[tuple]:
    return list(session.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name, CalendarDay.source)
                                .order_by(CalendarDay.day)))


# --- the package's data ----------------------------------------------------------------------------

def test_2026_data_has_the_tiaoxiu_saturdays_and_sundays():
    days = official_days(2026)
    assert {d.day for d in days if d.kind is DayKind.WORKDAY} == TIAOXIU_2026
    assert 2026 not in years_without_workday_data([2025, 2026])
    assert years_without_workday_data([2100]) == [2100]  # no State Council notice that far ahead


def test_2026_spring_festival_week_is_off():
    holidays = {d.day for d in official_days(2026) if d.kind is DayKind.HOLIDAY}
    assert {dt.date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)} <= holidays
    assert all(d.day.year == 2026 for d in official_days(2026))  # the package's cross-year extras are dropped


# --- seeding -----------------------------------------------------------------------------------------

def test_seeding_creates_the_default_calendar_with_summer_and_winter(seeded):
    row = get_calendar_row(seeded, None)
    assert (row.code, row.name, row.is_default, row.hours_per_work_day) == ("default", "默认工作日历", True, 8)
    assert [(s.name, s.start_md, s.end_md, s.windows["1"]) for s in row.seasons] == [
        ("夏季", "05-01", "09-30", [["08:30", "12:00"], ["14:00", "17:30"]]),
        ("冬季", "10-01", "04-30", [["08:30", "12:00"], ["14:00", "17:00"]])]
    calendar = load_calendar(seeded)
    assert calendar.add(at("2026-02-14 15:00"), 1, "work_days") == at("2026-02-24 16:30")
    assert calendar.add(at("2026-02-13 16:00"), 3, "work_hours") == at("2026-02-14 10:30")


def test_seeding_is_idempotent(seeded):
    before, revision = day_rows(seeded), get_calendar_row(seeded, "default").revision
    report = seed_default_calendar(seeded, [2026])
    seeded.commit()
    assert not report.changed and report.added == 0
    assert day_rows(seeded) == before and get_calendar_row(seeded, "default").revision == revision
    assert seeded.scalar(select(func.count()).select_from(WorkCalendar)) == 1
    assert seeded.scalar(select(func.count()).select_from(CalendarSeason)) == 2


def test_reseeding_drops_seed_rows_the_package_no_longer_has(seeded):
    calendar = get_calendar_row(seeded, "default")
    seeded.add(CalendarDay(calendar_id=calendar.id, day=dt.date(2026, 3, 11), kind="holiday",
                           name="旧版本的推定假日", source="seed"))
    seeded.commit()
    report = seed_holidays(seeded, "default", [2026])
    seeded.commit()
    assert report.removed == 1 and dt.date(2026, 3, 11) not in {r.day for r in day_rows(seeded)}


def test_admin_overrides_survive_reseeding_and_clearing_restores_the_seeded_day(seeded):
    seeded_name = {r.day: r.name for r in day_rows(seeded)}[dt.date(2026, 10, 7)]
    overridden = set_day(seeded, "default", dt.date(2026, 10, 7), "workday", "本市国庆值守")
    seeded.commit()
    assert (overridden.source, overridden.seeded_kind, overridden.seeded_name) == ("admin", "holiday", seeded_name)
    seed_default_calendar(seeded, [2026])
    seeded.commit()
    row = seeded.scalars(select(CalendarDay).where(CalendarDay.day == dt.date(2026, 10, 7))).one()
    assert (row.kind, row.name, row.source, row.seeded_kind) == ("workday", "本市国庆值守", "admin", "holiday")
    assert load_calendar(seeded).is_working_day(dt.date(2026, 10, 7))

    restored = clear_day(seeded, "default", dt.date(2026, 10, 7))
    seeded.commit()
    assert (restored.kind, restored.name, restored.source) == ("holiday", seeded_name, "seed")
    assert not load_calendar(seeded).is_working_day(dt.date(2026, 10, 7))


def test_clearing_an_admin_only_day_returns_to_the_weekday(seeded):
    set_day(seeded, "default", dt.date(2026, 3, 10), "holiday", "停电检修")
    seeded.commit()
    assert not load_calendar(seeded).is_working_day(dt.date(2026, 3, 10))
    assert clear_day(seeded, "default", dt.date(2026, 3, 10)) is None
    seeded.commit()
    assert load_calendar(seeded).is_working_day(dt.date(2026, 3, 10))
    with pytest.raises(DayNotOverridden):
        clear_day(seeded, "default", dt.date(2026, 2, 16))  # seeded, never overridden


def test_bad_kinds_are_refused(seeded):
    with pytest.raises(CalendarConfigError) as error:
        set_day(seeded, "default", dt.date(2026, 3, 10), "half_day", "")
    assert error.value.field == "kind"


# --- the cache --------------------------------------------------------------------------------------

def test_the_cache_serves_the_same_calendar_until_the_revision_moves(seeded):
    first = load_calendar(seeded)
    assert load_calendar(seeded) is first and load_calendar(seeded, "default") is first
    set_day(seeded, "default", dt.date(2026, 3, 10), "holiday", "停电检修")
    seeded.commit()
    second = load_calendar(seeded)
    assert second is not first
    assert not second.is_working_day(dt.date(2026, 3, 10)) and first.is_working_day(dt.date(2026, 3, 10))


def test_a_rolled_back_change_never_reaches_the_cache(session, tmp_path):
    seed_default_calendar(session, [2026])
    session.commit()
    other_engine = session.get_bind()
    with make_sessionmaker(other_engine)() as editor:
        set_day(editor, "default", dt.date(2026, 3, 10), "holiday", "未提交")
        assert not load_calendar(editor).is_working_day(dt.date(2026, 3, 10))  # sees its own change
        editor.rollback()
    with make_sessionmaker(other_engine)() as editor:  # the same revision number, other content
        set_day(editor, "default", dt.date(2026, 3, 12), "holiday", "已提交")
        editor.commit()
    calendar = load_calendar(session)
    assert calendar.is_working_day(dt.date(2026, 3, 10)) and not calendar.is_working_day(dt.date(2026, 3, 12))


# --- administration ---------------------------------------------------------------------------------

def test_seasons_must_cover_the_year_and_windows_make_one_season(seeded):
    with pytest.raises(CalendarConfigError) as error:
        set_seasons(seeded, "default", seasons=[{"name": "夏季", "start": "05-01", "end": "09-30", "windows": {}}])
    assert error.value.field == "seasons"
    seeded.rollback()
    revision = get_calendar_row(seeded, "default").revision
    set_seasons(seeded, "default", windows={str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(1, 6)})
    seeded.commit()
    row = get_calendar_row(seeded, "default")
    assert row.revision == revision + 1 and [(s.name, s.start_md, s.end_md) for s in row.seasons] == [
        ("全年", "01-01", "12-31")]
    assert load_calendar(seeded).add(at("2026-03-02 11:00"), 2, "work_hours") == at("2026-03-02 14:00")


def test_create_calendars_and_move_the_default(seeded):
    create_calendar(seeded, "district_a", "东城区日历", hours_per_work_day=7, holiday_years=[2026])
    seeded.commit()
    with pytest.raises(CalendarExists):
        create_calendar(seeded, "district_a", "重复")
    seeded.rollback()
    assert load_calendar(seeded, "district_a").hours_per_work_day == 7
    assert not load_calendar(seeded, "district_a").is_working_day(dt.date(2026, 2, 17))
    set_default(seeded, "district_a")
    seeded.commit()
    assert get_calendar_row(seeded, None).code == "district_a"
    assert [c.code for c in seeded.scalars(select(WorkCalendar).where(WorkCalendar.is_default))] == ["district_a"]
    with pytest.raises(CalendarNotFound):
        load_calendar(seeded, "nowhere")


def test_no_default_calendar_is_reported(session):
    with pytest.raises(CalendarNotFound):
        load_calendar(session)


# --- expression functions ---------------------------------------------------------------------------

def test_expressions_use_the_calendar_the_engine_sets(seeded):
    expression = "add_work_hours('2026-02-13T16:00:00+08:00', 3)"
    with using_default_calendar(seeded):
        assert expressions.evaluate(expression) == at("2026-02-14 10:30")  # the 调休 Saturday
        assert expressions.evaluate("work_hours_between(a, b)", {"a": at("2026-02-13 16:00"),
                                                                  "b": at("2026-02-24 09:30")}) == 8.5
    # Without a calendar: office hours to 17:30, no holidays: Friday 1.5 h, Saturday off, Monday 02-16.
    assert expressions.evaluate(expression) == at("2026-02-16 10:00")


def test_every_calendar_function_is_registered():
    names = {"add_work_hours", "add_work_days", "add_urgent_hours", "add_natural_days", "work_hours_between"}
    assert names <= expressions.function_names()
    with using_calendar(FALLBACK_CALENDAR):
        # 8 工作时 from Monday 08:30: Monday's 7, then one more on Tuesday.
        assert expressions.evaluate("add_work_days(datetime('2026-03-02T08:30'), 1)") == at("2026-03-03 09:30")
        assert expressions.evaluate("add_urgent_hours('2026-03-02T23:00', 2)") == at("2026-03-03 01:00")
        assert expressions.evaluate("add_natural_days('2026-03-02T09:00+08:00', 1.5)") == at("2026-03-03 21:00")


def test_expression_functions_refuse_naive_datetimes_and_bad_text():
    with pytest.raises(expressions.ExpressionError):
        expressions.evaluate("add_work_hours(start, 1)", {"start": dt.datetime(2026, 3, 2, 9)})
    with pytest.raises(expressions.ExpressionError):
        expressions.evaluate("add_work_hours('yesterday', 1)")


def test_no_default_calendar_falls_back_to_office_hours(session):
    with using_default_calendar(session) as calendar:
        assert calendar is FALLBACK_CALENDAR
