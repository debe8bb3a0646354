"""Working-time calendar maths: windows, seasons, holidays, 调休 and pauses.

Pure and fast: no database, no clock. ``engine.calendar_store`` builds a Calendar from the
database; ``engine.calendar_functions`` exposes it to expressions.

How time is counted (DOMAIN.md §4):

- 紧急工作时 ``urgent_hours`` and 自然日 ``natural_days`` run continuously, nights and holidays
  included (1 自然日 = 24 h; Asia/Shanghai has no DST, so that is also "the same wall-clock time
  n dates later").
- 工作时 ``work_hours`` counts only inside the working windows of working days;
  工作日 ``work_days`` is ``hours_per_work_day`` 工作时 (8 by default).
- Paused intervals (挂账, approved extension windows, 申诉) never count, whatever the unit.

Internally every instant is an integer number of microseconds since the Unix epoch, so sums
and differences are exact; the calendar walks window by window and day by day (each day's
windows are computed once and cached), never minute by minute.
"""
from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import count, pairwise
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping, Sequence

from engine.clock import DEFAULT_TZ

Pause = tuple[_dt.datetime, "_dt.datetime | None"]
"""A paused interval [begin, end); end None = paused until further notice (open)."""

Window = tuple[int, int]
"""One working window as seconds after local midnight, [start, end); end may be 86400 (24:00)."""

WeekWindows = tuple[tuple[Window, ...], ...]
"""Seven entries, index 0 = Monday (ISO weekday 1)."""

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MICROSECOND = _dt.timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_SECOND
_FOREVER = 2 ** 62  # "no end": later than any instant a datetime can hold
MAX_SCAN_DAYS = 100 * 366  # a calendar question that needs more than a century is a mistake
_DAY_CACHE_LIMIT = 20_000


class TimeUnit(StrEnum):
    URGENT_HOURS = "urgent_hours"
    WORK_HOURS = "work_hours"
    WORK_DAYS = "work_days"
    NATURAL_DAYS = "natural_days"

    @property
    def zh(self) -> str:
        return _UNIT_NAMES_ZH[self]

    @property
    def counts_working_time_only(self) -> bool:
        return self in (TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS)


_UNIT_NAMES_ZH = {
    TimeUnit.URGENT_HOURS: "紧急工作时",
    TimeUnit.WORK_HOURS: "工作时",
    TimeUnit.WORK_DAYS: "工作日",
    TimeUnit.NATURAL_DAYS: "自然日",
}


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # no work, whatever the weekday
    WORKDAY = "workday"  # work, whatever the weekday (调休上班)


class CalendarConfigError(ValueError):
    """A window, season or setting that cannot be right; ``field`` says where (API field errors)."""

    def __init__(self, field: str, message_zh: str, message_en: str):
        super().__init__(f"{field}: {message_en}")
        self.field, self.message_zh, self.message_en = field, message_zh, message_en


# --- parsing and formatting the stored/API shapes -----------------------------------------------

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_MONTH_DAY = re.compile(r"^(\d\d)-(\d\d)$")
MAX_WINDOWS_PER_DAY = 8


def parse_clock(text: str, field: str = "time") -> int:
    """'08:30' → 30600 seconds after midnight; '24:00' is allowed as the end of a day."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    seconds = int(match[1]) * 3600 + int(match[2]) * 60 if match else -1
    if not match or seconds > 86400:
        raise CalendarConfigError(field, f"时间格式应为 HH:MM（00:00–24:00），收到 {text!r}",
                                  f"time must be HH:MM (00:00-24:00), got {text!r}")
    return seconds


def format_clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_month_day(text: str, field: str = "month_day") -> tuple[int, int]:
    """'05-01' → (5, 1); checked against a leap year so '02-29' is accepted."""
    match = _MONTH_DAY.match(text) if isinstance(text, str) else None
    try:
        if not match:
            raise ValueError
        _dt.date(2000, int(match[1]), int(match[2]))
    except ValueError:
        raise CalendarConfigError(field, f"日期格式应为 MM-DD，收到 {text!r}",
                                  f"date must be MM-DD, got {text!r}") from None
    return int(match[1]), int(match[2])


def format_month_day(month_day: tuple[int, int]) -> str:
    return f"{month_day[0]:02d}-{month_day[1]:02d}"


def parse_day_windows(pairs, field: str) -> tuple[Window, ...]:
    """[["08:30","12:00"], ["14:00","17:30"]] → ((30600, 43200), (50400, 63000)); sorted, no overlap."""
    if not isinstance(pairs, (list, tuple)) or len(pairs) > MAX_WINDOWS_PER_DAY:
        raise CalendarConfigError(field, f"应为时间段列表（最多 {MAX_WINDOWS_PER_DAY} 段）",
                                  f"must be a list of at most {MAX_WINDOWS_PER_DAY} windows")
    windows = []
    for index, pair in enumerate(pairs):
        where = f"{field}.{index}"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise CalendarConfigError(where, "时间段应为 [开始, 结束]", "a window must be [start, end]")
        start, end = (value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 86400
                      else parse_clock(value, where) for value in pair)
        if start >= end:
            raise CalendarConfigError(where, "时间段的结束必须晚于开始", "a window must end after it starts")
        windows.append((start, end))
    windows.sort()
    for (_, previous_end), (start, _) in pairwise(windows):
        if start < previous_end:
            raise CalendarConfigError(field, "同一天的时间段不能重叠", "windows of one day must not overlap")
    return tuple(windows)


def parse_week_windows(mapping, field: str = "windows") -> WeekWindows:
    """{"1": [["08:30","12:00"], …], …, "7": []} → WeekWindows; weekdays not given have no work."""
    if isinstance(mapping, tuple) and len(mapping) == 7:
        mapping = {index + 1: day for index, day in enumerate(mapping)}
    if not isinstance(mapping, Mapping):
        raise CalendarConfigError(field, "应为以星期（1–7）为键的对象", "must map ISO weekdays 1-7 to windows")
    week: list[tuple[Window, ...]] = [()] * 7
    for key, pairs in mapping.items():
        weekday = int(key) if isinstance(key, int) or (isinstance(key, str) and key.isdigit()) else 0
        if not 1 <= weekday <= 7 or isinstance(key, bool):
            raise CalendarConfigError(f"{field}.{key}", "星期应为 1（周一）到 7（周日）",
                                      "weekday must be 1 (Monday) to 7 (Sunday)")
        week[weekday - 1] = parse_day_windows(pairs, f"{field}.{key}")
    return tuple(week)


def format_week_windows(week: WeekWindows) -> dict[str, list[list[str]]]:
    return {str(index + 1): [[format_clock(s), format_clock(e)] for s, e in day] for index, day in enumerate(week)}


_OFFICE_DAY = ((8 * 3600 + 1800, 12 * 3600), (14 * 3600, 17 * 3600 + 1800))
DEFAULT_WINDOWS: WeekWindows = (_OFFICE_DAY,) * 5 + ((), ())
"""Mon–Fri 08:30–12:00 and 14:00–17:30."""


@dataclass(frozen=True)
class Season:
    """Windows that apply between two month-days each year (inclusive; may wrap the year end)."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    windows: WeekWindows

    @classmethod
    def parse(cls, name: str, start: str, end: str, windows, field: str = "season") -> "Season":
        if not isinstance(name, str) or not name.strip() or len(name) > 50:
            raise CalendarConfigError(f"{field}.name", "季节名称不能为空（最多 50 字）",
                                      "a season needs a name (at most 50 characters)")
        return cls(name.strip(), parse_month_day(start, f"{field}.start"), parse_month_day(end, f"{field}.end"),
                   parse_week_windows(windows, f"{field}.windows"))

    def covers(self, day: _dt.date) -> bool:
        month_day = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= month_day <= self.end
        return month_day >= self.start or month_day <= self.end  # wraps the year end, e.g. 10-01..04-30

    def to_config(self) -> dict:
        return {"name": self.name, "start": format_month_day(self.start), "end": format_month_day(self.end),
                "windows": format_week_windows(self.windows)}


def check_seasons_cover_the_year(seasons: Sequence[Season], field: str = "seasons") -> None:
    """Admins edit seasons as a set: every day of a (leap) year in exactly one season."""
    owner: dict[tuple[int, int], int] = {}
    day = _dt.date(2000, 1, 1)
    while day.year == 2000:
        for index, season in enumerate(seasons):
            if season.covers(day):
                if (day.month, day.day) in owner:
                    raise CalendarConfigError(
                        f"{field}.{index}", f"季节“{season.name}”与“{seasons[owner[day.month, day.day]].name}”"
                        f"在 {day:%m-%d} 重叠", f"season {season.name!r} overlaps another on {day:%m-%d}")
                owner[day.month, day.day] = index
        if (day.month, day.day) not in owner:
            raise CalendarConfigError(field, f"季节没有覆盖 {day:%m-%d}，请覆盖全年每一天",
                                      f"no season covers {day:%m-%d}: seasons must cover the whole year")
        day += _dt.timedelta(days=1)


# --- instants ---------------------------------------------------------------------------------

def _require_aware(value, name: str) -> _dt.datetime:
    if not isinstance(value, _dt.datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")
    return value


def _to_us(instant: _dt.datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND


def _from_us(us: int, tz: _dt.tzinfo) -> _dt.datetime:
    try:
        return (_EPOCH + _dt.timedelta(microseconds=us)).astimezone(tz)
    except OverflowError:
        raise ValueError("the result is beyond the last date a datetime can hold") from None


def _amount_in_us(amount, unit_us: float) -> int:
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise ValueError(f"amount must be a number, got {type(amount).__name__}")
    amount = float(amount)
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"amount must be a finite number >= 0, got {amount}")
    total = amount * unit_us
    if total >= _FOREVER:
        raise ValueError(f"amount {amount} is too large")
    return round(total)


def _merged_pauses(pauses: Iterable[Pause]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping [begin, end) in µs; an open pause ends at _FOREVER."""
    spans = []
    for index, pause in enumerate(pauses):
        begin, end = pause
        begin_us = _to_us(_require_aware(begin, f"pauses[{index}].begin"))
        end_us = _FOREVER if end is None else _to_us(_require_aware(end, f"pauses[{index}].end"))
        if end_us < begin_us:
            raise ValueError(f"pauses[{index}] ends before it begins")
        if end_us > begin_us:
            spans.append((begin_us, end_us))
    spans.sort()
    merged: list[list[int]] = []
    for begin_us, end_us in spans:
        if merged and begin_us <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end_us)
        else:
            merged.append([begin_us, end_us])
    return [(b, e) for b, e in merged]


def _without_pauses(spans: Iterator[tuple[int, int]], pauses: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The counting spans minus the paused ones; stops for good inside an open pause."""
    if not pauses:
        yield from spans
        return
    first = 0
    for begin, end in spans:
        while first < len(pauses) and pauses[first][1] <= begin:
            first += 1  # pauses are sorted and spans move forward: never look back
        index = first
        while begin < end:
            if index == len(pauses) or pauses[index][0] >= end:
                yield begin, end
                break
            pause_begin, pause_end = pauses[index]
            if pause_begin > begin:
                yield begin, pause_begin
            begin = max(begin, pause_end)
            index += 1
        if begin >= _FOREVER:
            return  # inside a pause with no end: nothing after it counts (yet)


# --- the calendar ------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Calendar:
    """Immutable working-time calendar.

    ``windows`` apply on dates no season covers; ``seasons`` are checked in order. ``days`` overrides
    single dates: a holiday has no windows; a 调休 workday has its own weekday's windows, or those of
    ``workday_pattern`` (ISO weekday, Monday by default) when its weekday has none (a Saturday).
    """

    windows: WeekWindows = DEFAULT_WINDOWS
    seasons: tuple[Season, ...] = ()
    days: Mapping[_dt.date, DayKind] = field(default_factory=dict)
    hours_per_work_day: float = 8.0
    tz: _dt.tzinfo = DEFAULT_TZ
    workday_pattern: int = 1
    _spans_by_ordinal: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "windows", parse_week_windows(self.windows))
        set_(self, "seasons", tuple(self.seasons))
        set_(self, "days", MappingProxyType({day: DayKind(kind) for day, kind in dict(self.days).items()}))
        hours = self.hours_per_work_day
        if isinstance(hours, bool) or not isinstance(hours, numbers.Real) or not 0 < hours <= 24:
            raise CalendarConfigError("hours_per_work_day", "每个工作日的工作时数应在 0–24 之间",
                                      "hours_per_work_day must be > 0 and <= 24")
        set_(self, "hours_per_work_day", float(hours))
        if not isinstance(self.tz, _dt.tzinfo):
            raise CalendarConfigError("timezone", "时区无效", "tz must be a tzinfo")
        if not 1 <= self.workday_pattern <= 7:
            raise CalendarConfigError("workday_pattern", "星期应为 1–7", "workday_pattern must be 1-7")

    # -- what a date looks like

    def week_on(self, day: _dt.date) -> WeekWindows:
        return next((season.windows for season in self.seasons if season.covers(day)), self.windows)

    def season_on(self, day: _dt.date) -> Season | None:
        return next((season for season in self.seasons if season.covers(day)), None)

    def windows_on(self, day: _dt.date) -> tuple[Window, ...]:
        """The working windows of a local date (seconds after midnight); () on a non-working day."""
        kind = self.days.get(day)
        if kind is DayKind.HOLIDAY:
            return ()
        week = self.week_on(day)
        own = week[day.weekday()]
        if kind is DayKind.WORKDAY and not own:
            return week[self.workday_pattern - 1]
        return own

    def is_working_day(self, day: _dt.date) -> bool:
        return bool(self.windows_on(day))

    def unit_length_us(self, unit: TimeUnit) -> float:
        unit = TimeUnit(unit)
        if unit is TimeUnit.NATURAL_DAYS:
            return 24 * _US_PER_HOUR
        if unit is TimeUnit.WORK_DAYS:
            return self.hours_per_work_day * _US_PER_HOUR
        return _US_PER_HOUR

    # -- the two questions

    def add(self, start: _dt.datetime, amount: float, unit: TimeUnit | str,
            pauses: Iterable[Pause] = ()) -> _dt.datetime | None:
        """The instant at which ``amount`` of ``unit`` has elapsed since ``start``.

        Work units begin at the next window when ``start`` is outside working time (so an amount of
        0 gives the next working instant), and a limit that ends exactly at a window's end is due at
        that end (12:00, not 14:00). Paused intervals do not count.

        Returns ``None`` when an open pause (end ``None``) begins before the amount is used up: the
        case is paused until further notice, so it has no due time until the pause is closed. A
        due time reached before the open pause begins is returned as usual.
        Raises ValueError for naive instants, negative or non-finite amounts.
        """
        unit = TimeUnit(unit)
        start_us = _to_us(_require_aware(start, "start"))
        remaining = _amount_in_us(amount, self.unit_length_us(unit))
        for begin, end in _without_pauses(self._counting_spans(start_us, unit), _merged_pauses(pauses)):
            if remaining <= end - begin:
                return _from_us(begin + remaining, self.tz)
            remaining -= end - begin
        return None

    def elapsed(self, start: _dt.datetime, end: _dt.datetime, unit: TimeUnit | str,
                pauses: Iterable[Pause] = ()) -> float:
        """Counting time between two instants, in ``unit``, minus paused intervals.

        Pauses may overlap each other, nights and holidays; an open pause counts as paused up to
        ``end``. If ``end`` is before ``start`` the result is negative.
        """
        unit = TimeUnit(unit)
        start_us = _to_us(_require_aware(start, "start"))
        end_us = _to_us(_require_aware(end, "end"))
        if end_us < start_us:
            return -self.elapsed(end, start, unit, pauses)
        total = 0
        for begin, stop in _without_pauses(self._counting_spans(start_us, unit), _merged_pauses(pauses)):
            if begin >= end_us:
                break
            total += min(stop, end_us) - begin
        return total / self.unit_length_us(unit)

    # -- walking forward

    def _counting_spans(self, start_us: int, unit: TimeUnit) -> Iterator[tuple[int, int]]:
        if not unit.counts_working_time_only:
            yield start_us, _FOREVER
            return
        first = _from_us(start_us, self.tz).date().toordinal()
        for ordinal in count(first):
            if ordinal - first > MAX_SCAN_DAYS:
                raise ValueError("no answer within 100 years of working time: check the calendar's windows")
            for begin, end in self._spans_on(ordinal):
                if end > start_us:
                    yield max(begin, start_us), end

    def _spans_on(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        """A date's windows as absolute µs spans, computed once per date (whole days skip in O(1))."""
        spans = self._spans_by_ordinal.get(ordinal)
        if spans is None:
            try:
                day = _dt.date.fromordinal(ordinal)
            except (ValueError, OverflowError):
                raise ValueError("the result is beyond the last date a datetime can hold") from None
            spans = tuple(span for span in (self._span(day, window) for window in self.windows_on(day))
                          if span[0] < span[1])
            if len(self._spans_by_ordinal) >= _DAY_CACHE_LIMIT:
                self._spans_by_ordinal.clear()
            self._spans_by_ordinal[ordinal] = spans
        return spans

    def _span(self, day: _dt.date, window: Window) -> tuple[int, int]:
        midnight = _dt.datetime.combine(day, _dt.time())
        # Wall-clock times: the zone decides the offset of each end (matters only in zones with DST).
        begin = (midnight + _dt.timedelta(seconds=window[0])).replace(tzinfo=self.tz)
        end = (midnight + _dt.timedelta(seconds=window[1])).replace(tzinfo=self.tz)
        return _to_us(begin), _to_us(end)
