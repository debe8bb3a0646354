"""Calendar maths against hand-computed instants (2026, Asia/Shanghai).

The calendar below is written out by hand from the State Council's 2026 notice so these tests
check the maths alone; tests/engine/test_calendar_store.py checks the holidays package's data.
Winter (10-01..04-30) days have 6.5 工作时 (08:30–12:00, 14:00–17:00), summer days 7.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import (Calendar, CalendarConfigError, DayKind, Season, TimeUnit,
                             check_seasons_cover_the_year, parse_week_windows)

TZ = ZoneInfo("Asia/Shanghai")
MORNING = ["08:30", "12:00"]


def weekdays(*pairs):
    return {str(day): list(pairs) if day <= 5 else [] for day in range(1, 8)}


SUMMER = Season.parse("夏季", "05-01", "09-30", weekdays(MORNING, ["14:00", "17:30"]))
WINTER = Season.parse("冬季", "10-01", "04-30", weekdays(MORNING, ["14:00", "17:00"]))

HOLIDAYS_2026 = ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
                 "2026-02-20", "2026-02-23", "2026-04-05", "2026-04-06", "2026-05-01", "2026-05-02",
                 "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02",
                 "2026-10-03", "2026-10-05", "2026-10-06", "2026-10-07"]
WORKDAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

CITY = Calendar(seasons=(SUMMER, WINTER),
                days={**{dt.date.fromisoformat(d): DayKind.HOLIDAY for d in HOLIDAYS_2026},
                      **{dt.date.fromisoformat(d): DayKind.WORKDAY for d in WORKDAYS_2026}})


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- work hours ---------------------------------------------------------------------------------

def test_work_hours_skip_the_lunch_break():
    assert CITY.add(at("2026-03-02 11:00"), 2, "work_hours") == at("2026-03-02 15:00")
    assert CITY.add(at("2026-07-06 11:30"), 1, TimeUnit.WORK_HOURS) == at("2026-07-06 14:30")
    assert CITY.elapsed(at("2026-03-02 11:00"), at("2026-03-02 15:00"), "work_hours") == 2


def test_a_limit_ending_at_a_window_end_is_due_at_that_end_not_after_lunch():
    assert CITY.add(at("2026-03-02 08:30"), 3.5, "work_hours") == at("2026-03-02 12:00")


def test_a_start_outside_working_time_begins_at_the_next_window():
    assert CITY.add(at("2026-03-07 11:00"), 1, "work_hours") == at("2026-03-09 09:30")  # Saturday → Monday
    assert CITY.add(at("2026-03-02 12:30"), 1, "work_hours") == at("2026-03-02 15:00")  # lunch
    assert CITY.add(at("2026-03-02 06:00"), 0, "work_hours") == at("2026-03-02 08:30")  # 0 = next working instant
    assert CITY.add(at("2026-03-02 09:00"), 0, "work_hours") == at("2026-03-02 09:00")


def test_fractional_amounts_are_exact_to_the_second():
    assert CITY.add(at("2026-03-02 08:30"), 0.25, "work_hours") == at("2026-03-02 08:45")
    assert CITY.add(at("2026-03-02 08:30"), 1 / 3600, "work_hours") == at("2026-03-02 08:30:01")
    # 1.5 工作日 = 12 工作时: Monday's 6.5, then Tuesday 08:30–12:00 and 14:00–16:00.
    assert CITY.add(at("2026-03-02 08:30"), 1.5, "work_days") == at("2026-03-03 16:00")


def test_a_tiaoxiu_saturday_is_worked_with_mondays_windows():
    # Friday 16:00–17:00 is 1 h; Saturday 02-14 is a 调休 working day: 08:30–10:30.
    assert CITY.add(at("2026-02-13 16:00"), 3, "work_hours") == at("2026-02-14 10:30")
    assert CITY.windows_on(dt.date(2026, 2, 14)) == CITY.windows_on(dt.date(2026, 2, 9))
    # New Year: Thu 01-01 and Fri 01-02 off, Saturday off, Sunday 01-04 worked.
    assert CITY.add(at("2025-12-31 16:30"), 2, "work_hours") == at("2026-01-04 10:00")
    assert not CITY.is_working_day(dt.date(2026, 2, 21)) and CITY.is_working_day(dt.date(2026, 2, 28))


def test_spring_festival_week_2026_does_not_count():
    # Sat 02-14 15:00–17:00 = 2 h; 02-15..02-23 off; Tue 02-24: 08:30–12:00 and 14:00–16:30.
    assert CITY.add(at("2026-02-14 15:00"), 1, "work_days") == at("2026-02-24 16:30")
    assert CITY.elapsed(at("2026-02-14 17:00"), at("2026-02-24 08:30"), "work_hours") == 0
    assert CITY.elapsed(at("2026-02-14 15:00"), at("2026-02-24 16:30"), "work_days") == 1


def test_seasonal_afternoons_july_against_december():
    assert CITY.add(at("2026-07-06 14:00"), 3.5, "work_hours") == at("2026-07-06 17:30")
    assert CITY.add(at("2026-12-07 14:00"), 3.5, "work_hours") == at("2026-12-08 09:00")
    assert CITY.elapsed(at("2026-07-06 00:00"), at("2026-07-07 00:00"), "work_hours") == 7
    assert CITY.elapsed(at("2026-12-07 00:00"), at("2026-12-08 00:00"), "work_hours") == 6.5
    # Summer's last afternoon, National Day week, then a winter morning.
    assert CITY.add(at("2026-09-30 17:00"), 1, "work_hours") == at("2026-10-08 09:00")


def test_a_season_may_wrap_the_year_end():
    assert WINTER.covers(dt.date(2026, 12, 31)) and WINTER.covers(dt.date(2027, 1, 1))
    assert not WINTER.covers(dt.date(2026, 5, 1)) and SUMMER.covers(dt.date(2026, 9, 30))


def test_one_work_day_is_hours_per_work_day_work_hours():
    rng = random.Random(8)
    seven_hour_days = Calendar(seasons=CITY.seasons, days=CITY.days, hours_per_work_day=7)
    for _ in range(200):
        start = at("2026-01-01 00:00") + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        days = rng.choice([0.5, 1, 2, 3, 30])
        assert CITY.add(start, days, "work_days") == CITY.add(start, 8 * days, "work_hours")
        assert seven_hour_days.add(start, days, "work_days") == CITY.add(start, 7 * days, "work_hours")


# --- continuous units -----------------------------------------------------------------------------

def test_urgent_hours_run_through_the_night_and_holidays():
    assert CITY.add(at("2026-02-13 22:00"), 4, "urgent_hours") == at("2026-02-14 02:00")
    assert CITY.add(at("2026-02-16 10:00"), 24, "urgent_hours") == at("2026-02-17 10:00")
    assert CITY.elapsed(at("2026-02-13 22:00"), at("2026-02-14 02:30"), "urgent_hours") == 4.5


def test_natural_days_keep_the_shanghai_wall_clock_across_other_zones_dst_changes():
    start = at("2026-03-06 10:00")  # US clocks change on 03-08, European ones on 03-29: not ours
    assert CITY.add(start, 90, "natural_days") == at("2026-06-04 10:00")
    same_instant_in_new_york = start.astimezone(ZoneInfo("America/New_York"))
    assert CITY.add(same_instant_in_new_york, 90, "natural_days") == at("2026-06-04 10:00")
    assert CITY.add(at("2026-09-30 12:00"), 1, "natural_days") == at("2026-10-01 12:00")  # holidays count
    assert CITY.elapsed(start, at("2026-06-04 10:00"), "natural_days") == 90


# --- pauses ------------------------------------------------------------------------------------

LABOUR_DAY_PAUSE = (at("2026-04-30 14:00"), at("2026-05-06 10:00"))


def test_a_pause_spanning_the_labour_day_holidays():
    start = at("2026-04-30 09:00")
    # 09:00–12:00 = 3 h before the pause; it resumes Wed 05-06 10:00 (summer now).
    assert CITY.add(start, 5, "work_hours", [LABOUR_DAY_PAUSE]) == at("2026-05-06 12:00")
    assert CITY.add(start, 6, "work_hours", [LABOUR_DAY_PAUSE]) == at("2026-05-06 15:00")
    # Continuous time pauses too: 5 h before, 19 h after.
    assert CITY.add(start, 24, "urgent_hours", [LABOUR_DAY_PAUSE]) == at("2026-05-07 05:00")
    assert CITY.elapsed(start, at("2026-05-06 15:00"), "work_hours", [LABOUR_DAY_PAUSE]) == 6


def test_overlapping_pauses_count_once():
    start = at("2026-04-30 09:00")
    pauses = [(at("2026-05-02 00:00"), at("2026-05-06 10:00")), (at("2026-04-30 14:00"), at("2026-05-03 00:00")),
              (at("2026-05-01 08:00"), at("2026-05-01 20:00"))]
    assert CITY.add(start, 6, "work_hours", pauses) == at("2026-05-06 15:00")
    assert CITY.elapsed(start, at("2026-05-07 09:00"), "urgent_hours", pauses) == 5 + 23


def test_pauses_before_the_start_and_at_night_change_nothing():
    start = at("2026-03-02 09:00")
    pauses = [(at("2026-02-01 00:00"), at("2026-02-02 00:00")), (at("2026-03-02 20:00"), at("2026-03-03 06:00"))]
    assert CITY.add(start, 8, "work_hours", pauses) == CITY.add(start, 8, "work_hours")


def test_an_open_pause_leaves_no_due_time_unless_the_limit_comes_first():
    start = at("2026-04-30 09:00")
    open_from_eleven = [(at("2026-04-30 11:00"), None)]
    assert CITY.add(start, 5, "work_hours", open_from_eleven) is None
    assert CITY.add(start, 2, "work_hours", open_from_eleven) == at("2026-04-30 11:00")
    assert CITY.add(start, 48, "urgent_hours", open_from_eleven) is None
    assert CITY.elapsed(start, at("2026-05-20 09:00"), "work_hours", open_from_eleven) == 2


# --- elapsed() agrees with add() ------------------------------------------------------------------

def test_elapsed_inverts_add_for_many_random_starts_units_and_pauses():
    rng = random.Random(2026)
    for _ in range(400):
        start = at("2025-12-20 00:00") + dt.timedelta(seconds=rng.randrange(380 * 86400))
        unit = rng.choice(list(TimeUnit))
        amount = rng.choice([0, 0.5, 1, 2.25, 8, 30, rng.uniform(0, 60)])
        pauses = []
        for _ in range(rng.randrange(3)):
            begin = start + dt.timedelta(seconds=rng.randrange(-5 * 86400, 40 * 86400))
            pauses.append((begin, begin + dt.timedelta(seconds=rng.randrange(1, 10 * 86400))))
        due = CITY.add(start, amount, unit, pauses)
        assert due is not None and due >= start
        assert math.isclose(CITY.elapsed(start, due, unit, pauses), amount, abs_tol=1e-6), (start, unit, amount)
        if amount:  # a hair less time is not enough
            assert CITY.elapsed(start, due - dt.timedelta(seconds=1), unit, pauses) < amount


def test_elapsed_is_negative_when_the_end_comes_first():
    assert CITY.elapsed(at("2026-03-02 15:00"), at("2026-03-02 11:00"), "work_hours") == -2


# --- refusals ------------------------------------------------------------------------------------

def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CITY.add(dt.datetime(2026, 3, 2, 9), 1, "work_hours")
    with pytest.raises(ValueError, match="timezone-aware"):
        CITY.elapsed(at("2026-03-02 09:00"), dt.datetime(2026, 3, 3), "work_hours")
    with pytest.raises(ValueError, match="timezone-aware"):
        CITY.add(at("2026-03-02 09:00"), 1, "work_hours", [(dt.datetime(2026, 3, 2, 10), None)])


@pytest.mark.parametrize("amount", [-1, float("nan"), float("inf"), "2", True])
def test_bad_amounts_are_refused(amount):
    with pytest.raises(ValueError):
        CITY.add(at("2026-03-02 09:00"), amount, "work_hours")


def test_a_calendar_without_working_time_fails_instead_of_looping():
    idle = Calendar(windows={})
    with pytest.raises(ValueError, match="100 years"):
        idle.add(at("2026-03-02 09:00"), 1, "work_hours")
    assert idle.add(at("2026-03-02 09:00"), 1, "urgent_hours") == at("2026-03-02 10:00")


def test_unknown_units_are_refused():
    with pytest.raises(ValueError):
        CITY.add(at("2026-03-02 09:00"), 1, "fortnights")


@pytest.mark.parametrize("windows, field", [
    ({"1": [["08:30", "12:00"], ["11:00", "13:00"]]}, "windows.1"),
    ({"1": [["25:00", "26:00"]]}, "windows.1.0"),
    ({"1": [["12:00", "08:30"]]}, "windows.1.0"),
    ({"8": []}, "windows.8"),
    ({"1": "08:30-12:00"}, "windows.1"),
])
def test_bad_windows_name_the_field(windows, field):
    with pytest.raises(CalendarConfigError) as error:
        parse_week_windows(windows)
    assert error.value.field == field and error.value.message_zh


def test_seasons_must_cover_the_year_once():
    check_seasons_cover_the_year([SUMMER, WINTER])
    with pytest.raises(CalendarConfigError, match="05-01"):
        check_seasons_cover_the_year([WINTER])
    with pytest.raises(CalendarConfigError, match="overlaps"):
        check_seasons_cover_the_year([SUMMER, WINTER, Season.parse("八月", "08-01", "08-31", {})])


def test_unit_names_in_chinese():
    assert [u.zh for u in TimeUnit] == ["紧急工作时", "工作时", "工作日", "自然日"]
    assert TimeUnit("work_days") is TimeUnit.WORK_DAYS
