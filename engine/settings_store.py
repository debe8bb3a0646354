"""System parameters (系统配置): typed, validated, stored in ``system_setting``, read through a short cache.

Each parameter is registered here with its type, default, description and check. A row exists only
for a parameter an admin has changed; reading one that has no row gives its default. Reads go through
``SETTINGS``, reloaded at most every ``ttl`` seconds (like engine.deadlines.LimitBook): a change applies
at once in the process that made it and within the TTL everywhere else.

``set`` validates against the other current values (the case-number prefix and pattern together must
fit ``case_no``), runs the guards other modules register (the catalog refuses code lengths its active
codes do not have), flushes and never commits: the caller owns the transaction.
"""
from __future__ import annotations

import copy
import datetime as _dt
import re
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import JSON, String, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from engine import clock
from engine.case_number_patterns import DEFAULT_PATTERN, BadPattern, check_pattern
from engine.db import Base
from engine.deadlines import DEFAULT_WARN_SHARE
from engine.errors import InvalidData, NotFound

CASE_NO_MAX_LENGTH = 40  # engine.models.Instance.case_no
REGION_CODE_LENGTH = 6   # 行政区划代码 (GB/T 2260), the head of a part ID
DEFAULT_GRADES = [{"grade": "A", "min": 90}, {"grade": "B", "min": 75}, {"grade": "C", "min": 60},
                  {"grade": "D", "min": 40}, {"grade": "E", "min": 0}]


class SystemSetting(Base):
    """A parameter an admin has changed (the others keep their registered default)."""

    __tablename__ = "system_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[_dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(100))


class UnknownSetting(NotFound):
    code = "unknown_setting"

    def __init__(self, key: str):
        super().__init__(f"没有名为“{key}”的系统参数", f"there is no system setting '{key}'")


class Refused(Exception):
    """A check's answer: why the value cannot be taken (zh and en)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


# A check takes the proposed value and every current value (the proposed one included), and returns
# the value to store (normalised) or raises Refused. A guard also sees the database.
Check = Callable[[Any, dict], Any]
Guard = Callable[[Connection, Any], None]


@dataclass(frozen=True)
class Parameter:
    key: str
    type: str  # string | number | integer | boolean | object | list
    default: Any
    zh: str
    en: str
    check: Check
    engine: bool = False  # read by the engine on every command (see engine_settings_from)


# --- checks ---------------------------------------------------------------------------------------

def _number(value, *, integer: bool = False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Refused("应为整数" if integer else "应为数字", "must be an integer" if integer else "must be a number")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise Refused("应为整数", "must be an integer")
        return int(value)
    return float(value)


def _integer_between(low: int, high: int) -> Check:
    def check(value, _current):
        value = _number(value, integer=True)
        if not low <= value <= high:
            raise Refused(f"应在 {low} 到 {high} 之间", f"must be between {low} and {high}")
        return value
    return check


_CASE_NO_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")
# the next day, the same day next month, the same day next year: each must give different numbers
_SAMPLE_DAYS = [_dt.datetime(y, m, d, 9, tzinfo=clock.DEFAULT_TZ) for y, m, d in
                ((2026, 1, 1), (2026, 1, 2), (2026, 2, 1), (2027, 1, 1))]


def _check_case_numbers(prefix: str, pattern: str) -> None:
    """The pattern renders, fits ``case_no``, and tells days apart: the sequence restarts every day, so a
    pattern without the full date would repeat yesterday's numbers."""
    try:
        check_pattern(pattern)
        samples = [pattern.format(prefix=prefix, date=day, seq=seq) for day in _SAMPLE_DAYS for seq in (1, 99999)]
    except BadPattern as exc:
        raise Refused(f"案件编号格式无效：只能使用 {{prefix}}、{{date}}、{{seq}}，且必须包含 {{seq}}（{exc.zh}）",
                      f"invalid case-number pattern: use only {{prefix}}, {{date}} and {{seq}}, "
                      f"with {{seq}} ({exc.en})") from None
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise Refused(f"案件编号格式无法生成编号：{exc}", f"the case-number pattern cannot render: {exc}") from None
    longest = max(len(s) for s in samples)
    if longest > CASE_NO_MAX_LENGTH:
        raise Refused(f"生成的案件编号最长 {longest} 位，超过 {CASE_NO_MAX_LENGTH} 位",
                      f"case numbers would be up to {longest} characters, more than {CASE_NO_MAX_LENGTH}")
    if not all(_CASE_NO_CHARACTERS.fullmatch(s) for s in samples):
        raise Refused("案件编号只能包含字母、数字、“-”和“_”（编号会出现在网址中）",
                      "case numbers may hold only letters, digits, '-' and '_' (they appear in URLs)")
    first_of_each_day = samples[::2]  # seq 1 on four different days
    if len(dict.fromkeys(first_of_each_day)) < len(first_of_each_day):
        raise Refused("案件编号格式须包含完整日期（年、月、日）：序号每天从 1 开始，否则编号会重复",
                      "the pattern needs the full date (year, month, day): the sequence restarts daily")


def _check_prefix(value, current):
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]{0,10}", value):
        raise Refused("前缀只能是 0–10 位字母或数字", "the prefix must be 0–10 letters or digits")
    _check_case_numbers(value, current["case_number_pattern"])
    return value


def _check_pattern(value, current):
    if not isinstance(value, str) or not 0 < len(value) <= 100:
        raise Refused("应为 1–100 个字符的文本", "must be a text of 1–100 characters")
    _check_case_numbers(current["case_number_prefix"], value)
    return value


def _share_between(value, low: float, high: float) -> float:
    number = _number(value)
    if not low <= number <= high:
        raise Refused(f"应在 {low:g} 到 {high:g} 之间", f"must be between {low:g} and {high:g}")
    return number


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise Refused("应为 true 或 false", "must be true or false")
    return value


def _check_warn_share(value, _current):
    value = _number(value)
    if not 0 < value < 1:
        raise Refused("预警比例应大于 0 且小于 1（如 0.8 表示用去 80% 时限时亮黄灯）",
                      "must be between 0 and 1, exclusive (0.8: yellow at 80 % of the limit)")
    return value


def _part_id_fits(part_id_length: int, lengths: dict) -> None:
    needed = REGION_CODE_LENGTH + lengths["major"] + lengths["minor"] + 1
    if part_id_length < needed:
        raise Refused(f"部件标识码至少 {needed} 位（6 位行政区划 + 大类 {lengths['major']} 位 + 小类 "
                      f"{lengths['minor']} 位 + 流水号）",
                      f"part IDs need at least {needed} digits (6 region + {lengths['major']} major + "
                      f"{lengths['minor']} minor + a serial)")


def _check_code_lengths(value, current):
    if not isinstance(value, dict) or value.keys() != {"major", "minor"}:
        raise Refused("应为 {\"major\": 大类位数, \"minor\": 小类位数}", "must be {\"major\": n, \"minor\": n}")
    lengths = {}
    for level, name in (("major", "大类"), ("minor", "小类")):
        try:
            lengths[level] = _integer_between(1, 8)(value[level], current)
        except Refused as exc:
            raise Refused(f"{name}位数{exc.zh}", f"{level}: {exc.en}") from None
    _part_id_fits(current["part_id_length"], lengths)
    return lengths


def _check_part_id_length(value, current):
    value = _integer_between(8, 40)(value, current)
    _part_id_fits(value, current["category_code_lengths"])
    return value


def _check_grades(value, _current):
    """Grades from best to worst, each with its lowest score; the last one starts at 0."""
    shape = Refused("应为等级列表，如 [{\"grade\": \"A\", \"min\": 90}, …, {\"grade\": \"E\", \"min\": 0}]",
                    "must be a list like [{\"grade\": \"A\", \"min\": 90}, …, {\"grade\": \"E\", \"min\": 0}]")
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise shape
    bands = []
    for band in value:
        if not isinstance(band, dict) or band.keys() != {"grade", "min"} or not isinstance(band["grade"], str) \
                or not 1 <= len(band["grade"].strip()) <= 10:
            raise shape
        bands.append({"grade": band["grade"].strip(), "min": _number(band["min"])})
    mins = [b["min"] for b in bands]
    if any(later >= earlier for earlier, later in zip(mins, mins[1:])) or mins[0] > 100 or mins[-1] != 0:
        raise Refused("各等级的最低分须从高到低排列，不超过 100，最后一级从 0 分起",
                      "minimum scores must fall from best to worst, at most 100, the last one 0")
    if len({b["grade"] for b in bands}) < len(bands):
        raise Refused("等级名称不能重复", "grade names must differ")
    return bands


# the types engine.attachments can recognise by content (magic bytes)
SNIFFABLE_ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")


def _check_attachment_types(value, _current):
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Refused("应为非空的类型列表，如 [\"image/jpeg\", \"application/pdf\"]",
                      "must be a non-empty list like [\"image/jpeg\", \"application/pdf\"]")
    unknown = [v for v in value if v not in SNIFFABLE_ATTACHMENT_TYPES]
    if unknown:
        raise Refused(f"无法按内容识别的类型：{'、'.join(unknown)}（可选：{'、'.join(SNIFFABLE_ATTACHMENT_TYPES)}）",
                      f"types that cannot be recognised by content: {', '.join(unknown)} "
                      f"(choose from {', '.join(SNIFFABLE_ATTACHMENT_TYPES)})")
    return list(dict.fromkeys(value))


REGISTRY: dict[str, Parameter] = {p.key: p for p in (
    Parameter("case_number_prefix", "string", "CG", "案件编号前缀", "case-number prefix", _check_prefix, engine=True),
    Parameter("case_number_pattern", "string", DEFAULT_PATTERN,
              "案件编号格式：{prefix} 前缀、{date:%Y%m%d} 日期、{seq:04d} 当日序号",
              "case-number pattern: {prefix}, {date:%Y%m%d}, {seq:04d} (daily sequence)", _check_pattern,
              engine=True),
    Parameter("warn_share", "number", DEFAULT_WARN_SHARE,
              "预警比例：时限用去该比例时亮黄灯（时限标准未单独设置时）",
              "warning share: yellow light once this share of the limit is used (unless a standard says "
              "otherwise)", _check_warn_share, engine=True),
    Parameter("hang_max_days", "integer", 365, "挂账最长天数（自然日），到期自动恢复计时",
              "longest 挂账 (hang) in natural days; the clock resumes by itself", _integer_between(1, 3650),
              engine=True),
    Parameter("extension_max_grants", "integer", 2, "每个任务最多批准延期次数", "most extensions granted per task",
              _integer_between(0, 10), engine=True),
    Parameter("extension_max_share", "number", 1.0, "每次延期最多为原时限的倍数（1 = 不超过一个原时限）",
              "longest single extension as a multiple of the original limit (1 = one original limit)",
              lambda value, _current: _share_between(value, 0.1, 10), engine=True),
    Parameter("extension_when_overdue", "boolean", False, "超时后是否仍可申请/批准延期",
              "whether an overdue task may still be extended", lambda value, _current: _boolean(value),
              engine=True),
    Parameter("urge_interval_minutes", "integer", 30,
              "催办间隔（分钟）：同一任务在此时间内不能再次催办，避免重复打扰办理人",
              "urge interval (minutes): a task cannot be urged again within it, so nobody is spammed",
              _integer_between(0, 24 * 60)),
    Parameter("duplicate_window_hours", "integer", 24,
              "重复案件判定窗口（小时）：同一网格、同一小类在此时间内的未结案件提示为疑似重复",
              "duplicate window (hours): an open case in the same grid and 小类 within it is proposed as a "
              "duplicate", _integer_between(0, 24 * 90), engine=True),
    Parameter("category_code_lengths", "object", {"major": 2, "minor": 2},
              "部件/事件分类编码位数：大类、小类（GB/T 30428 为 2+2；新标准可加长）",
              "category code lengths: major and minor digits (GB/T 30428: 2 + 2; newer standards widen them)",
              _check_code_lengths),
    Parameter("grid_code_length", "integer", 15, "单元网格编码位数", "unit grid code length (digits)",
              _integer_between(6, 30)),
    Parameter("part_id_length", "integer", 16, "部件标识码位数（6 位行政区划 + 大类 + 小类 + 流水号）",
              "part ID length (6 region + major + minor + serial)", _check_part_id_length),
    Parameter("evaluation_grades", "list", DEFAULT_GRADES, "综合评价等级：各等级最低分（从高到低）",
              "evaluation grades: each grade's lowest score, best first", _check_grades),
    # 行政处罚法 Art. 51 / 68 (issue 7): read through engine.enforcement.laws
    Parameter("simple_procedure_limit_individual", "integer", 200,
              "简易程序罚款上限（元，公民）：超过须走普通程序", "simple-procedure fine limit for individuals (元)",
              _integer_between(0, 1_000_000)),
    Parameter("simple_procedure_limit_organisation", "integer", 3000,
              "简易程序罚款上限（元，法人或其他组织）：超过须走普通程序",
              "simple-procedure fine limit for organisations (元)", _integer_between(0, 10_000_000)),
    Parameter("on_site_collection_limit", "integer", 100, "当场收缴罚款上限（元）",
              "on-the-spot collection limit (元)", _integer_between(0, 1_000_000)),
    # 附件 (issue 10): read by engine.attachments on every upload
    Parameter("attachment_max_mb", "integer", 10, "附件大小上限（MB）", "largest attachment (MB)",
              _integer_between(1, 100)),
    Parameter("attachment_types", "list", ["image/jpeg", "image/png", "image/webp", "application/pdf"],
              "允许上传的附件类型（按文件内容识别）", "attachment types accepted (recognised by content)",
              _check_attachment_types),
)}

_GUARDS: dict[str, list[Guard]] = {}
_DEFAULT_OVERRIDES: dict[str, Any] = {}


def register_guard(key: str, guard: Guard) -> None:
    """Let another module veto a value in the light of its own data (it raises Refused)."""
    parameter(key)
    if guard not in _GUARDS.setdefault(key, []):
        _GUARDS[key].append(guard)


def use_defaults(**values) -> None:
    """Deployment defaults (e.g. from CITYBPM_* variables) in place of the registered ones; an admin's
    stored value still wins. Checked like a stored value."""
    current = {**defaults(), **values}
    checked = {}
    for key, value in values.items():
        try:
            checked[key] = parameter(key).check(value, current)
        except Refused as exc:
            raise ValueError(f"default for {key}: {exc.en}") from None
    _DEFAULT_OVERRIDES.update(checked)


def defaults() -> dict[str, Any]:
    return {key: copy.deepcopy(_DEFAULT_OVERRIDES.get(key, p.default)) for key, p in REGISTRY.items()}


def parameter(key: str) -> Parameter:
    try:
        return REGISTRY[key]
    except KeyError:
        raise UnknownSetting(key) from None


# --- reading ----------------------------------------------------------------------------------------

class SettingsBook:
    """The stored values, per database, re-read at most every ``ttl`` seconds."""

    def __init__(self, ttl: float = 10.0):
        self.ttl = ttl
        self._by_engine: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._by_engine.clear()

    def stored(self, conn: Connection) -> dict[str, Any]:
        with self._lock:
            cached = self._by_engine.get(conn.engine)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        rows = _read_stored(conn)
        with self._lock:
            self._by_engine[conn.engine] = (time.monotonic(), rows)
        return rows


SETTINGS = SettingsBook()


def _read_stored(conn: Connection) -> dict[str, Any]:
    table = SystemSetting.__table__
    return {row.key: row.value for row in conn.execute(select(table.c.key, table.c.value))}


def get(conn: Connection, key: str) -> Any:
    """The current value of a parameter (cached up to the TTL); unknown keys raise UnknownSetting."""
    parameter(key)
    stored = SETTINGS.stored(conn)
    value = stored[key] if key in stored else _DEFAULT_OVERRIDES.get(key, REGISTRY[key].default)
    return copy.deepcopy(value)


def current_values(conn: Connection, *, cached: bool = True) -> dict[str, Any]:
    stored = SETTINGS.stored(conn) if cached else _read_stored(conn)
    return {**defaults(), **{k: copy.deepcopy(v) for k, v in stored.items() if k in REGISTRY}}


def engine_settings_from(conn: Connection) -> dict[str, Any]:
    """What the engine reads per command: case_number_prefix, case_number_pattern, warn_share,
    hang_max_days (cached; cheap to call on every command)."""
    # engine parameters are scalars: no deep copies of every setting on every command
    stored = SETTINGS.stored(conn)
    return {key: stored[key] if key in stored else _DEFAULT_OVERRIDES.get(key, p.default)
            for key, p in REGISTRY.items() if p.engine}


def describe(session: Session) -> list[dict]:
    """Every parameter with its value, default, type, descriptions and last change (fresh from the database)."""
    rows = {row.key: row for row in session.scalars(select(SystemSetting))}
    out = []
    for key, p in REGISTRY.items():
        row = rows.get(key)
        default = copy.deepcopy(_DEFAULT_OVERRIDES.get(key, p.default))
        out.append({"key": key, "type": p.type, "value": row.value if row is not None else default,
                    "default": default, "is_default": row is None, "description_zh": p.zh,
                    "description_en": p.en, "updated_at": row.updated_at if row else None,
                    "updated_by": row.updated_by if row else None})
    return out


# --- changing ---------------------------------------------------------------------------------------

# Named like the brief's API (settings_store.set); it shadows the builtin in this module, which
# therefore never uses the builtin ``set``.
def set(session: Session, key: str, value: Any, actor: str) -> tuple[Any, Any]:  # noqa: A001
    """Check and store a value; returns (before, after). Raises UnknownSetting or InvalidData (field "value")."""
    param = parameter(key)
    conn = session.connection()
    current = current_values(conn, cached=False)
    before = current[key]
    try:
        after = param.check(value, {**current, key: value})
        for guard in _GUARDS.get(key, ()):
            guard(conn, after)
    except Refused as exc:
        raise InvalidData({"value": exc.zh}, {"value": exc.en}) from None
    row = session.get(SystemSetting, key)
    if row is None:
        row = SystemSetting(key=key)
        session.add(row)
    row.value, row.updated_at, row.updated_by = after, clock.now(), actor
    session.flush()
    _forget_when_transaction_ends(session)
    return before, after


def reset(session: Session, key: str) -> tuple[Any, Any]:
    """Back to the default; returns (before, after). The default must pass the checks against the others."""
    param = parameter(key)
    conn = session.connection()
    current = current_values(conn, cached=False)
    default = defaults()[key]
    try:
        param.check(default, {**current, key: default})
        for guard in _GUARDS.get(key, ()):
            guard(conn, default)
    except Refused as exc:
        raise InvalidData({"value": "恢复默认值失败：" + exc.zh}, {"value": "cannot restore the default: " + exc.en}) \
            from None
    row = session.get(SystemSetting, key)
    if row is not None:
        session.delete(row)
        session.flush()
    _forget_when_transaction_ends(session)
    return current[key], default


def _forget_when_transaction_ends(session: Session) -> None:
    """Drop the cache now and again at commit or rollback: a read inside this transaction may have
    cached a value that is then rolled back."""
    SETTINGS.invalidate()
    real = session() if isinstance(session, scoped_session) else session
    for name in ("after_commit", "after_rollback"):
        if not event.contains(real, name, _invalidate_on_end):
            event.listen(real, name, _invalidate_on_end)


def _invalidate_on_end(_session, *_args) -> None:
    SETTINGS.invalidate()
