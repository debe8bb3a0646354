"""Working calendars: windows by season, holidays and 调休 by date, and a calculator to check the maths.

Anyone logged in may read and compute; only admins change calendars.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import re

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.errors import ApiProblem
from api.extensions import db
from api.i18n import pick
from api.pagination import page_of
from api.strict_fields import StrictBoolean
from engine import clock
from engine.calendar import CalendarConfigError, TimeUnit, format_week_windows
from engine.calendar_store import (CalendarDay, CalendarExists, CalendarNotFound, DayNotOverridden, WorkCalendar,
                                   clear_day, create_calendar, get_calendar_row, list_days, load_calendar,
                                   seasons_of, set_day, set_default, set_seasons, update_calendar, zone)

blp = Blueprint("calendars", __name__, url_prefix="/api/v1/calendars", description="工作日历 / Work calendars")

CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,39}$"
MAX_RANGE_DAYS = 2 * 366
_DAY_IN_PATH = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WINDOWS_FIELD = {
    "keys": fields.String(metadata={"description": "ISO 星期 1（周一）… 7（周日）"}),
    "values": fields.List(fields.List(fields.String(), metadata={"example": ["08:30", "12:00"]})),
}


# --- schemas ------------------------------------------------------------------------------------

class SeasonSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata={"example": "夏季"})
    start = fields.String(required=True, validate=validate.Length(equal=5), metadata={"example": "05-01"})
    end = fields.String(required=True, validate=validate.Length(equal=5), metadata={"example": "09-30"})
    windows = fields.Dict(required=True, **WINDOWS_FIELD)


class CalendarSummarySchema(Schema):
    code = fields.String()
    name = fields.String()
    is_default = fields.Boolean()
    hours_per_work_day = fields.Float(metadata={"description": "1 工作日 = 多少工作时"})
    timezone = fields.String()
    revision = fields.Integer()


class CalendarDetailSchema(CalendarSummarySchema):
    seasons = fields.List(fields.Nested(SeasonSchema))
    current_season = fields.String(allow_none=True)
    windows = fields.Dict(metadata={"description": "今日所在季节的每周作息时间 / this season's weekly windows"},
                          **WINDOWS_FIELD)


class CalendarCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    hours_per_work_day = fields.Float(load_default=8.0, validate=validate.Range(min=0, max=24, min_inclusive=False))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(min=1, max=64))
    seasons = fields.List(fields.Nested(SeasonSchema), validate=validate.Length(min=1, max=12))
    windows = fields.Dict(**WINDOWS_FIELD)
    holiday_years = fields.List(fields.Integer(strict=True, validate=validate.Range(min=2000, max=2100)),
                                load_default=list, validate=validate.Length(max=10),
                                metadata={"description": "从 holidays 包导入这些年份的节假日与调休"})
    is_default = StrictBoolean(load_default=False)


class CalendarUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    hours_per_work_day = fields.Float(validate=validate.Range(min=0, max=24, min_inclusive=False))
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    is_default = StrictBoolean(validate=validate.Equal(True),
                                metadata={"description": "设为默认日历（另一个日历随之取消默认）"})


class SeasonsUpdateSchema(Schema):
    seasons = fields.List(fields.Nested(SeasonSchema), validate=validate.Length(min=1, max=12))
    windows = fields.Dict(metadata={"description": "全年统一的作息时间（与 seasons 二选一）"}, **WINDOWS_FIELD)


class DayRangeQuerySchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class SeededSchema(Schema):
    kind = fields.String()
    name = fields.String()


class DaySchema(Schema):
    day = fields.Date()
    weekday = fields.Integer(metadata={"description": "ISO 星期 1–7"})
    kind = fields.String(metadata={"description": "holiday 休息 | workday 上班（调休）"})
    name = fields.String()
    source = fields.String(metadata={"description": "seed 来自节假日数据 | admin 人工设置"})
    seeded = fields.Nested(SeededSchema, allow_none=True,
                           metadata={"description": "被人工覆盖的原值；删除覆盖后恢复为它"})


class DayOverrideSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    name = fields.String(load_default="", validate=validate.Length(max=100))


class PauseSchema(Schema):
    begin = fields.DateTime(required=True)
    end = fields.DateTime(allow_none=True, load_default=None, metadata={"description": "空 = 暂停尚未结束"})


class ComputeSchema(Schema):
    start = fields.DateTime(required=True, metadata={"example": "2026-02-13T16:00:00+08:00"})
    unit = fields.Enum(TimeUnit, by_value=True, required=True)
    amount = fields.Float(validate=validate.Range(min=0, max=100_000), metadata={"description": "求到期时间"})
    end = fields.DateTime(metadata={"description": "求两时刻间的用时"})
    pauses = fields.List(fields.Nested(PauseSchema), load_default=list, validate=validate.Length(max=100))


class ComputeResultSchema(Schema):
    unit = fields.Enum(TimeUnit, by_value=True)
    unit_name = fields.String()
    due = fields.DateTime(allow_none=True, metadata={"description": "到期时刻；暂停尚未结束时为空"})
    elapsed = fields.Float()


# --- helpers ------------------------------------------------------------------------------------

def _invalid(field: str, zh: str, en: str) -> ApiProblem:
    return ApiProblem(422, "validation_failed", "工作日历数据未通过校验", "the calendar data is invalid",
                      [{"field": field, "message": pick(zh, en)}])


@contextlib.contextmanager
def _answering_store_errors():
    """The store's errors as problem+json: 404 unknown code/day, 409 duplicate code, 422 bad settings."""
    try:
        yield
    except (CalendarNotFound, DayNotOverridden) as exc:
        raise ApiProblem(404, "not_found", exc.message_zh, exc.message_en) from None
    except CalendarExists as exc:
        raise ApiProblem(409, "calendar_exists", exc.message_zh, exc.message_en) from None
    except CalendarConfigError as exc:
        raise _invalid(exc.field, exc.message_zh, exc.message_en) from None


def _detail(row: WorkCalendar) -> dict:
    seasons = seasons_of(row)
    today = clock.now().astimezone(zone(row.timezone)).date()
    current = next((season for season in seasons if season.covers(today)), None)
    calendar = load_calendar(db.session, row.code)
    return {**_summary(row), "seasons": [season.to_config() for season in seasons],
            "current_season": current.name if current else None,
            "windows": format_week_windows(calendar.week_on(today))}


def _summary(row: WorkCalendar) -> dict:
    return {"code": row.code, "name": row.name, "is_default": row.is_default,
            "hours_per_work_day": row.hours_per_work_day, "timezone": row.timezone, "revision": row.revision}


def _day(row: CalendarDay) -> dict:
    seeded = {"kind": row.seeded_kind, "name": row.seeded_name} if row.seeded_kind else None
    return {"day": row.day, "weekday": row.day.isoweekday(), "kind": row.kind, "name": row.name,
            "source": row.source, "seeded": seeded}


def _path_day(text: str) -> _dt.date:
    try:
        if not _DAY_IN_PATH.match(text):
            raise ValueError
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise _invalid("day", f"日期格式应为 YYYY-MM-DD，收到 {text!r}", f"date must be YYYY-MM-DD, got {text!r}") \
            from None


def _aware(value: _dt.datetime | None, field: str) -> _dt.datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise _invalid(field, "时间须带时区，例如 2026-02-13T16:00:00+08:00",
                       "instants must carry a UTC offset, e.g. 2026-02-13T16:00:00+08:00")
    return value


def _pause(pause: dict, index: int) -> tuple[_dt.datetime, _dt.datetime | None]:
    begin, end = _aware(pause["begin"], f"pauses.{index}.begin"), _aware(pause["end"], f"pauses.{index}.end")
    if end is not None and end < begin:
        raise _invalid(f"pauses.{index}.end", "暂停的结束不能早于开始", "a pause must not end before it begins")
    return begin, end


# --- endpoints ----------------------------------------------------------------------------------

@blp.route("")
class Calendars(MethodView):
    @blp.response(200, CalendarSummarySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """工作日历列表 / List calendars"""
        return [_summary(row) for row in page_of(select(WorkCalendar), pagination_parameters, WorkCalendar.code)]

    @blp.arguments(CalendarCreateSchema)
    @blp.response(201, CalendarDetailSchema)
    def post(self, body):
        """新建工作日历（默认为夏季/冬季作息） / Create a calendar (summer/winter windows by default)"""
        with _answering_store_errors():
            try:
                row = create_calendar(db.session, **body)
                db.session.commit()
                _calendars_changed()
            except IntegrityError:  # created by someone else between our check and our insert
                db.session.rollback()
                raise CalendarExists(body["code"]) from None
        return _detail(row)


@blp.route("/<string:code>")
class OneCalendar(MethodView):
    @blp.response(200, CalendarDetailSchema)
    def get(self, code):
        """一个工作日历：季节、作息时间、每工作日工时 / One calendar: seasons, windows, hours per work day"""
        with _answering_store_errors():
            return _detail(get_calendar_row(db.session, code))

    @blp.arguments(CalendarUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, CalendarDetailSchema)
    def patch(self, body, code):
        """修改名称、每工作日工时、时区，或设为默认 / Rename, change hours per work day or zone, make default"""
        with _answering_store_errors():
            make_default = body.pop("is_default", False)
            row = update_calendar(db.session, code, **body)
            if make_default:
                set_default(db.session, code)
            db.session.commit()
            _calendars_changed()
            return _detail(row)


@blp.route("/<string:code>/seasons")
class Seasons(MethodView):
    @blp.arguments(SeasonsUpdateSchema)
    @blp.response(200, CalendarDetailSchema)
    def put(self, body, code):
        """替换季节作息（须覆盖全年），或给出全年统一的 windows / Replace seasons, or one week of windows"""
        with _answering_store_errors():
            row = set_seasons(db.session, code, seasons=body.get("seasons"), windows=body.get("windows"))
            db.session.commit()
            _calendars_changed()
            return _detail(row)


@blp.route("/<string:code>/days")
class Days(MethodView):
    @blp.arguments(DayRangeQuerySchema, location="query")
    @blp.response(200, DaySchema(many=True))
    def get(self, query, code):
        """某时间段内的节假日与调休上班日（最长两年） / Holidays and 调休 days in a range (at most 2 years)"""
        start, end = query["start"], query["end"]
        if end < start:
            raise _invalid("end", "结束日期不能早于开始日期", "end must not be before start")
        if (end - start).days > MAX_RANGE_DAYS:
            raise _invalid("end", "查询范围最长两年", "the range may span at most two years")
        with _answering_store_errors():
            return [_day(row) for row in list_days(db.session, code, start, end)]


@blp.route("/<string:code>/days/<string:day>")
class Day(MethodView):
    @blp.arguments(DayOverrideSchema)
    @blp.response(200, DaySchema)
    def put(self, body, code, day):
        """人工设置某日为休息或上班 / Override one date as a holiday or a working day"""
        date = _path_day(day)
        with _answering_store_errors():
            row = set_day(db.session, code, date, body["kind"], body["name"])
            db.session.commit()
            _calendars_changed()
            return _day(row)

    @blp.response(204)
    def delete(self, code, day):
        """删除人工设置，恢复节假日数据或平常日 / Drop the override: back to the seeded or plain day"""
        date = _path_day(day)
        with _answering_store_errors():
            clear_day(db.session, code, date)
            db.session.commit()
            _calendars_changed()


@blp.route("/<string:code>/compute")
class Compute(MethodView):
    @blp.arguments(ComputeSchema)
    @blp.response(200, ComputeResultSchema)
    def post(self, body, code):
        """试算：start + amount 的到期时刻，或 start 到 end 的用时 / Check the maths: a due time or elapsed time"""
        if ("amount" in body) == ("end" in body):
            raise _invalid("amount", "请给出 amount（求到期时刻）或 end（求用时）之一",
                           "give either amount (for a due time) or end (for elapsed time)")
        start, end = _aware(body["start"], "start"), _aware(body.get("end"), "end")
        pauses = [_pause(pause, index) for index, pause in enumerate(body["pauses"])]
        unit = body["unit"]
        with _answering_store_errors():
            calendar = load_calendar(db.session, code)
        answer = {"unit": unit, "unit_name": unit.zh}
        try:
            if end is None:
                answer["due"] = calendar.add(start, body["amount"], unit, pauses)
            else:
                answer["elapsed"] = calendar.elapsed(start, end, unit, pauses)
        except ValueError as exc:  # beyond what a calendar can answer (a century of work, year 9999)
            raise _invalid("amount" if end is None else "end", "超出可计算范围", f"cannot compute: {exc}") from None
        return answer


def _calendars_changed() -> None:
    """This process sees the change at once; other processes within the engine's calendar TTL."""
    current_app.extensions["citybpm_engine"].forget_calendar()
