"""The 部件/事件 category catalog (GB/T 30428) and unit grids (万米单元网格), as data.

Codes are digits whose lengths come from the system settings (``category_code_lengths``,
``grid_code_length``): GB/T 30428 uses 2 + 2 digit classes and 15-digit grids, the newer GB/T 47678
series widens them, so no length is written here. A minor code (小类) is its major's code (大类)
followed by the minor digits. Codes never change and categories are never deleted (cases keep
their codes): they are disabled.

Each minor carries its 立结案标准: what counts as filed, the closing standard and the 处置时限.
The 处置时限 lives in one place only, the ``time_limit`` row (stage ``handle``, category_code = the
minor's code) that deadlines read; a category shows it and saving one writes it, so the catalog and
/time-limits can never disagree.

The functions here flush but never commit: the caller owns the transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, Text, and_, event, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, foreign, mapped_column, relationship, scoped_session
from sqlalchemy.sql import Select

from engine import settings_store
from engine.calendar import TimeUnit
from engine.db import Base
from engine.deadlines import LIMITS, TimeLimit
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity import Org

HANDLE_STAGE = "handle"
KINDS = {"part": ("部件", "part"), "event": ("事件", "event")}
LEVELS = {"major": ("大类", "major class"), "minor": ("小类", "minor class")}
UNITS = tuple(unit.value for unit in TimeUnit)
MAX_HANDLE_AMOUNT = 10_000
_MINORS_ONLY = ("立结案标准与处置时限只属于小类", "filing/closing standards and limits belong to minors")
_DIGITS = re.compile(r"[0-9]+")


# --- models -------------------------------------------------------------------------------------

class Category(Base):
    """A 大类 or 小类 of 部件 (city parts) or 事件 (events)."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))    # part | event
    level: Mapped[str] = mapped_column(String(10))   # major | minor
    # the tree: a major's minors (ix_category_parent_code)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)
    filing_standard: Mapped[str | None] = mapped_column(Text)   # 立案标准: what counts as a case
    closing_standard: Mapped[str | None] = mapped_column(Text)  # 结案标准: when it is fixed
    # 处置时限: the time-limit standard of stage "handle" for this code (read-only here; see set_handle_limit)
    handle_limit: Mapped[TimeLimit | None] = relationship(
        primaryjoin=lambda: and_(foreign(TimeLimit.category_code) == Category.code, TimeLimit.stage == HANDLE_STAGE),
        viewonly=True, uselist=False, lazy="selectin")

    @property
    def handle_amount(self) -> float | None:
        return self.handle_limit.amount if self.handle_limit is not None else None

    @property
    def handle_unit(self) -> str | None:
        return self.handle_limit.unit if self.handle_limit is not None else None


class Grid(Base):
    """A unit grid (万米单元网格) and the district or street organisation it belongs to."""

    __tablename__ = "unit_grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # grids of an organisation (ix_unit_grid_org_code)
    org_code: Mapped[str] = mapped_column(ForeignKey("org.code"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)


# --- code lengths ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeLengths:
    major: int
    minor: int

    @property
    def minor_total(self) -> int:
        return self.major + self.minor


def code_lengths(conn: Connection) -> CodeLengths:
    lengths = settings_store.get(conn, "category_code_lengths")
    return CodeLengths(lengths["major"], lengths["minor"])


def category_code_errors(code: str, level: str, parent_code: str | None,
                         lengths: CodeLengths) -> tuple[str, str] | None:
    """Why ``code`` cannot be a code of ``level`` (under ``parent_code``), in zh and en; None if it can."""
    if not isinstance(code, str) or not _DIGITS.fullmatch(code):
        return "编码只能由数字组成", "the code must be digits"
    if level == "major" and len(code) != lengths.major:
        return f"大类编码应为 {lengths.major} 位数字", f"a major code has {lengths.major} digits"
    if level == "minor":
        if len(code) != lengths.minor_total:
            return (f"小类编码应为 {lengths.minor_total} 位数字（大类 {lengths.major} 位 + 小类 {lengths.minor} 位）",
                    f"a minor code has {lengths.minor_total} digits ({lengths.major} major + {lengths.minor} minor)")
        if parent_code and not code.startswith(parent_code):
            return (f"小类编码须以所属大类编码 {parent_code} 开头",
                    f"a minor code starts with its major's code {parent_code}")
    return None


def grid_code_error(code: str, length: int) -> tuple[str, str] | None:
    if not isinstance(code, str) or not _DIGITS.fullmatch(code) or len(code) != length:
        return f"网格编码应为 {length} 位数字", f"a grid code has {length} digits"
    return None


def _active_categories_fit(conn: Connection, lengths: dict) -> None:
    """Settings guard: new code lengths must fit every active category (disable the old codes first)."""
    table = Category.__table__
    misfits = conn.execute(select(table.c.code).where(table.c.is_active.is_(True), or_(
        and_(table.c.level == "major", func.length(table.c.code) != lengths["major"]),
        and_(table.c.level == "minor", func.length(table.c.code) != lengths["major"] + lengths["minor"]),
    )).order_by(table.c.code).limit(3)).scalars().all()
    if misfits:
        raise settings_store.Refused(
            f"启用中的分类编码与新位数不符（如 {'、'.join(misfits)}）：请先停用旧编码再修改位数",
            f"active category codes do not fit the new lengths (e.g. {', '.join(misfits)}): disable them first")


def _active_grids_fit(conn: Connection, length: int) -> None:
    table = Grid.__table__
    misfits = conn.execute(select(table.c.code).where(table.c.is_active.is_(True), func.length(table.c.code) != length)
                           .order_by(table.c.code).limit(3)).scalars().all()
    if misfits:
        raise settings_store.Refused(
            f"启用中的网格编码与新位数不符（如 {'、'.join(misfits)}）：请先停用旧网格再修改位数",
            f"active grid codes do not fit the new length (e.g. {', '.join(misfits)}): disable them first")


settings_store.register_guard("category_code_lengths", _active_categories_fit)
settings_store.register_guard("grid_code_length", _active_grids_fit)


# --- reading --------------------------------------------------------------------------------------

def get_category(session: Session, code: str) -> Category:
    row = session.scalars(select(Category).where(Category.code == code)).first()
    if row is None:
        raise NotFound(f"分类“{code}”不存在", f"category '{code}' does not exist")
    return row


def categories(*, kind: str | None = None, level: str | None = None, active: bool | None = None,
               parent_code: str | None = None, q: str | None = None) -> Select:
    """The filtered flat list as a statement (unordered; lists order by sort, code)."""
    statement = select(Category)
    if kind:
        statement = statement.where(Category.kind == kind)
    if level:
        statement = statement.where(Category.level == level)
    if active is not None:
        statement = statement.where(Category.is_active.is_(active))
    if parent_code:
        statement = statement.where(Category.parent_code == parent_code)
    if q:
        statement = statement.where(or_(Category.code.startswith(q, autoescape=True),
                                        Category.name.contains(q, autoescape=True)))
    return statement


CATEGORY_ORDER = (Category.sort, Category.code)


def category_tree(session: Session, *, kind: str | None = None, active: bool | None = None) -> list[dict]:
    """Majors with their minors nested (the whole catalog is a few hundred rows: one query)."""
    rows = session.scalars(categories(kind=kind, active=active).order_by(*CATEGORY_ORDER)).all()
    majors = [snapshot(row) | {"children": []} for row in rows if row.level == "major"]
    by_code = {major["code"]: major for major in majors}
    for row in rows:
        if row.level == "minor" and row.parent_code in by_code:
            by_code[row.parent_code]["children"].append(snapshot(row))
    return majors


def snapshot(row: Category) -> dict:
    """A category as plain JSON values (API answers and audit before/after)."""
    return {"code": row.code, "name": row.name, "kind": row.kind, "level": row.level,
            "parent_code": row.parent_code, "is_active": row.is_active, "sort": row.sort,
            "filing_standard": row.filing_standard, "closing_standard": row.closing_standard,
            "handle_amount": row.handle_amount, "handle_unit": row.handle_unit}


def get_grid(session: Session, code: str) -> Grid:
    row = session.scalars(select(Grid).where(Grid.code == code)).first()
    if row is None:
        raise NotFound(f"网格“{code}”不存在", f"grid '{code}' does not exist")
    return row


def grids(*, org_code: str | None = None, active: bool | None = None, q: str | None = None) -> Select:
    statement = select(Grid)
    if org_code:
        statement = statement.where(Grid.org_code == org_code)
    if active is not None:
        statement = statement.where(Grid.is_active.is_(active))
    if q:
        statement = statement.where(or_(Grid.code.startswith(q, autoescape=True),
                                        Grid.name.contains(q, autoescape=True)))
    return statement


def grid_snapshot(row: Grid) -> dict:
    return {"code": row.code, "name": row.name, "org_code": row.org_code, "is_active": row.is_active}


# --- changing categories ----------------------------------------------------------------------------

class _Errors:
    """Field errors gathered so one answer names every bad field."""

    def __init__(self):
        self.zh: dict[str, str] = {}
        self.en: dict[str, str] = {}

    def add(self, field: str, zh: str, en: str) -> None:
        self.zh.setdefault(field, zh)
        self.en.setdefault(field, en)

    def raise_any(self) -> None:
        if self.zh:
            raise InvalidData(self.zh, self.en)


def _check_handle(errors: _Errors, amount, unit) -> None:
    if (amount is None) != (unit is None):
        field = "handle_unit" if unit is None else "handle_amount"
        errors.add(field, "处置时限须同时给出数值和单位", "give the disposal limit's amount and unit together")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float))
                               or not 0 < amount <= MAX_HANDLE_AMOUNT):
        errors.add("handle_amount", f"处置时限应大于 0 且不超过 {MAX_HANDLE_AMOUNT}",
                   f"the disposal limit must be above 0 and at most {MAX_HANDLE_AMOUNT}")
    if unit is not None and unit not in UNITS:
        errors.add("handle_unit", "时限单位应为 " + "、".join(f"{u.value}（{u.zh}）" for u in TimeUnit),
                   "the unit must be one of " + ", ".join(UNITS))


def create_category(session: Session, *, code: str, name: str, level: str, kind: str | None = None,
                    parent_code: str | None = None, sort: int = 0, filing_standard: str | None = None,
                    closing_standard: str | None = None, handle_amount: float | None = None,
                    handle_unit: str | None = None, is_active: bool = True) -> Category:
    errors = _Errors()
    parent = None
    if level not in LEVELS:
        errors.add("level", "层级应为 major（大类）或 minor（小类）", "level must be major or minor")
    if level == "major":
        if parent_code:
            errors.add("parent_code", "大类没有上级分类", "a major class has no parent")
        if kind not in KINDS:
            errors.add("kind", "类型应为 part（部件）或 event（事件）", "kind must be part or event")
        for field, value in (("filing_standard", filing_standard), ("closing_standard", closing_standard),
                             ("handle_amount", handle_amount), ("handle_unit", handle_unit)):
            if value is not None:
                errors.add(field, *_MINORS_ONLY)
    elif level == "minor":
        if not parent_code:
            errors.add("parent_code", "小类须指定所属大类", "a minor class needs its major class")
        else:
            parent = session.scalars(select(Category).where(Category.code == parent_code)).first()
            if parent is None or parent.level != "major":
                errors.add("parent_code", f"大类“{parent_code}”不存在", f"major class '{parent_code}' does not exist")
                parent = None
            elif not parent.is_active:
                errors.add("parent_code", f"大类“{parent_code}”已停用", f"major class '{parent_code}' is disabled")
            elif kind is not None and kind != parent.kind:
                errors.add("kind", "小类的类型须与所属大类一致", "a minor class has its major's kind")
        _check_handle(errors, handle_amount, handle_unit)
    if level in LEVELS:
        problem = category_code_errors(code, level, parent_code if parent else None,
                                       code_lengths(session.connection()))
        if problem:
            errors.add("code", *problem)
    errors.raise_any()
    if session.scalars(select(Category.id).where(Category.code == code)).first() is not None:
        raise Conflict(f"分类编码“{code}”已存在", f"category code '{code}' exists")
    row = Category(code=code, name=name, kind=parent.kind if parent else kind, level=level,
                   parent_code=parent_code if parent else None, sort=sort, is_active=is_active,
                   filing_standard=filing_standard, closing_standard=closing_standard)
    session.add(row)
    session.flush()
    if handle_amount is not None:
        set_handle_limit(session, row, handle_amount, handle_unit)
    return row


EDITABLE = ("name", "sort", "is_active", "filing_standard", "closing_standard", "handle_amount", "handle_unit")


def update_category(session: Session, code: str, changes: dict) -> tuple[dict, dict]:
    """Change what may change (EDITABLE); returns (before, after). Disabling a major disables its minors."""
    row = get_category(session, code)
    before = snapshot(row)
    errors = _Errors()
    for field in changes:
        if field not in EDITABLE:
            errors.add(field, "编码、类型、层级和上级分类不可修改（请停用后新建）",
                       "code, kind, level and parent never change (disable and create another)")
    limit_given = "handle_amount" in changes or "handle_unit" in changes
    amount = changes.get("handle_amount", row.handle_amount)
    unit = changes.get("handle_unit", row.handle_unit)
    if row.level == "major":
        for field in ("filing_standard", "closing_standard", "handle_amount", "handle_unit"):
            if changes.get(field) is not None:
                errors.add(field, *_MINORS_ONLY)
    elif limit_given:
        _check_handle(errors, amount, unit)
    if changes.get("is_active") is True and row.level == "minor":
        parent = get_category(session, row.parent_code)
        if not parent.is_active:
            errors.add("is_active", f"所属大类“{parent.code}”已停用，请先启用大类",
                       f"its major class '{parent.code}' is disabled: enable it first")
    errors.raise_any()
    for field in ("name", "sort", "is_active", "filing_standard", "closing_standard"):
        if field in changes:
            setattr(row, field, changes[field])
    if changes.get("is_active") is False and row.level == "major":
        _disable_minors(session, row.code)
    session.flush()
    if limit_given and row.level == "minor":
        set_handle_limit(session, row, amount, unit)
    return before, snapshot(row)


def disable_category(session: Session, code: str) -> tuple[dict, dict]:
    return update_category(session, code, {"is_active": False})


def _disable_minors(session: Session, major_code: str) -> None:
    session.execute(update(Category).where(Category.parent_code == major_code, Category.is_active.is_(True))
                    .values(is_active=False).execution_options(synchronize_session="fetch"))


def set_handle_limit(session: Session, row: Category, amount: float | None, unit: str | None) -> None:
    """Write a minor's 处置时限 into its ``time_limit`` row (none: back to the stage default)."""
    limit = session.scalars(select(TimeLimit).where(TimeLimit.stage == HANDLE_STAGE,
                                                    TimeLimit.category_code == row.code)).first()
    if amount is None:
        if limit is not None:
            session.delete(limit)
    else:
        if limit is None:
            limit = TimeLimit(stage=HANDLE_STAGE, category_code=row.code, note=f"{row.name}（分类目录）"[:200])
            session.add(limit)
        limit.amount, limit.unit = float(amount), unit
    session.flush()
    session.expire(row, ["handle_limit"])
    _invalidate_limits(session)


def _invalidate_limits(session: Session) -> None:
    """Deadlines read limits through LIMITS: forget them now and when this transaction ends."""
    LIMITS.invalidate()
    real = session() if isinstance(session, scoped_session) else session
    for name in ("after_commit", "after_rollback"):
        if not event.contains(real, name, _limits_changed):
            event.listen(real, name, _limits_changed)


def _limits_changed(_session, *_args) -> None:
    LIMITS.invalidate()


# --- changing grids ---------------------------------------------------------------------------------

def _check_org(session: Session, errors: _Errors, org_code) -> None:
    if not org_code or session.scalars(select(Org.id).where(Org.code == org_code)).first() is None:
        errors.add("org_code", f"机构“{org_code}”不存在", f"organisation '{org_code}' does not exist")


def create_grid(session: Session, *, code: str, name: str, org_code: str, is_active: bool = True) -> Grid:
    errors = _Errors()
    problem = grid_code_error(code, settings_store.get(session.connection(), "grid_code_length"))
    if problem:
        errors.add("code", *problem)
    _check_org(session, errors, org_code)
    errors.raise_any()
    if session.scalars(select(Grid.id).where(Grid.code == code)).first() is not None:
        raise Conflict(f"网格编码“{code}”已存在", f"grid code '{code}' exists")
    row = Grid(code=code, name=name, org_code=org_code, is_active=is_active)
    session.add(row)
    session.flush()
    return row


def update_grid(session: Session, code: str, changes: dict) -> tuple[dict, dict]:
    row = get_grid(session, code)
    before = grid_snapshot(row)
    errors = _Errors()
    for field in changes:
        if field not in ("name", "org_code", "is_active"):
            errors.add(field, "网格编码不可修改（请停用后新建）",
                       "a grid's code never changes (disable and create another)")
    if "org_code" in changes:
        _check_org(session, errors, changes["org_code"])
    if changes.get("is_active") is True:
        problem = grid_code_error(row.code, settings_store.get(session.connection(), "grid_code_length"))
        if problem:
            errors.add("is_active", "该网格编码与当前网格编码位数不符，不能启用",
                       "its code does not fit the current length")
    errors.raise_any()
    for field, value in changes.items():
        setattr(row, field, value)
    session.flush()
    return before, grid_snapshot(row)


def disable_grid(session: Session, code: str) -> tuple[dict, dict]:
    return update_grid(session, code, {"is_active": False})


# --- the demo catalog -------------------------------------------------------------------------------

# Majors: code, name, kind. Minors: code, name, 立案标准, 结案标准, 处置时限 (amount, unit) or None for the
# stage default. The limits of 0101–0103, 0110, 1001, 1101, 1102 are api.seed.DEMO_CATEGORY_LIMITS.
DEMO_MAJORS = [
    ("01", "公用设施", "part"), ("02", "道路交通", "part"), ("03", "市容环境", "part"), ("04", "园林绿化", "part"),
    ("10", "市容环境", "event"), ("11", "街面秩序", "event"), ("12", "宣传广告", "event"), ("13", "施工管理", "event"),
]
_COVER = ("丢失、破损、移位，或与路面高差超过 2 厘米", "已补齐或更换，盖座稳固，与路面平顺，无安全隐患")
DEMO_MINORS = [
    ("0101", "上水井盖", "上水井盖" + _COVER[0], "上水井盖" + _COVER[1], (4, "urgent_hours")),
    ("0102", "污水井盖", "污水井盖" + _COVER[0], "污水井盖" + _COVER[1], (4, "urgent_hours")),
    ("0103", "雨水井盖", "雨水井盖" + _COVER[0], "雨水井盖" + _COVER[1], (4, "urgent_hours")),
    ("0104", "雨水箅子", "雨水箅子丢失、破损或堵塞", "雨水箅子已补齐或疏通，排水通畅", (8, "urgent_hours")),
    ("0105", "电力井盖", "电力井盖" + _COVER[0], "电力井盖" + _COVER[1], (4, "urgent_hours")),
    ("0106", "通讯井盖", "通讯井盖" + _COVER[0], "通讯井盖" + _COVER[1], (4, "urgent_hours")),
    ("0107", "燃气井盖", "燃气井盖" + _COVER[0], "燃气井盖" + _COVER[1], (2, "urgent_hours")),
    ("0108", "热力井盖", "热力井盖" + _COVER[0], "热力井盖" + _COVER[1], (4, "urgent_hours")),
    ("0110", "路灯", "路灯不亮、灯具或灯杆破损、倾斜", "路灯正常亮灯，灯具灯杆完好", (2, "work_days")),
    ("0201", "交通信号灯", "信号灯不亮、损坏或显示异常", "信号灯工作正常", None),
    ("0202", "交通标志牌", "标志牌缺失、破损、倾斜或遮挡", "标志牌完好、端正、清晰可见", (3, "work_days")),
    ("0203", "道路护栏", "护栏缺失、破损、倾倒", "护栏已修复或补齐，连续稳固", (3, "work_days")),
    ("0301", "公共厕所", "公厕设施损坏、脏污或未按时开放", "设施完好、保洁达标、正常开放", (1, "work_days")),
    ("0302", "垃圾箱", "垃圾箱破损、缺失或满溢", "垃圾箱完好、已清运", (4, "work_hours")),
    ("0401", "行道树", "行道树倒伏、枯死、缺株或枝杈影响通行", "已扶正、补植或修剪，不影响通行", (3, "work_days")),
    ("0402", "绿地", "绿地破坏、裸露、堆物或杂草丛生", "绿地已恢复、清理", (5, "work_days")),
    ("1001", "暴露垃圾", "道路、广场、绿地等公共场所有暴露垃圾（单处 0.5 平方米以上）", "垃圾已清除，地面干净无残留",
     (2, "work_hours")),
    ("1002", "积存垃圾渣土", "公共场所积存垃圾、渣土", "垃圾渣土已清运，场地干净", (1, "work_days")),
    ("1003", "道路不洁", "道路有明显污渍、油渍、泥土或散落物", "路面已清扫冲洗干净", (4, "work_hours")),
    ("1101", "店外经营", "沿街门店超出门窗外墙摆卖、经营或作业", "已退回店内经营，门前无占用", (1, "work_days")),
    ("1102", "占道经营", "占用道路、桥梁、广场等公共场所摆摊设点经营", "摊点已清理，道路通畅", (1, "work_days")),
    ("1103", "无照经营游商", "流动无照商贩沿街兜售", "商贩已劝离，现场无经营", (4, "work_hours")),
    ("1201", "违规户外广告", "未经许可或超期、破损、存在安全隐患的户外广告", "广告已拆除或整改到位", (5, "work_days")),
    ("1202", "非法小广告", "在建筑物、设施上张贴、涂写、刻画的小广告", "小广告已清除，墙面设施恢复整洁",
     (1, "work_days")),
    ("1301", "施工扰民", "夜间或禁止时段施工产生噪声扰民", "已停止违规施工", (2, "urgent_hours")),
    ("1302", "道路遗撒", "运输车辆遗撒渣土、砂石等", "遗撒物已清除，路面干净", (4, "work_hours")),
    ("1303", "施工占道", "施工占用道路超出许可范围或未设围挡", "占道已清理或围挡规范", (1, "work_days")),
]
# 15 digits: 6 行政区划 (110101) + 3 街道 + 3 社区 + 3 网格.
DEMO_GRIDS = [
    ("110101001001001", "东华门街道 多福巷社区 第1网格", "DIST_A"),
    ("110101001001002", "东华门街道 多福巷社区 第2网格", "DIST_A"),
    ("110101001002001", "东华门街道 智德社区 第1网格", "DIST_A"),
    ("110101002001001", "景山街道 吉祥社区 第1网格", "DIST_A"),
    ("110101003001001", "交道口街道 府学社区 第1网格", "DIST_A"),
    ("110101004001001", "安定门街道 交道口社区 第1网格", "DIST_A"),
]


def seed_demo_catalog(session: Session) -> tuple[int, int]:
    """The demo categories (with their 处置时限 when no standard exists yet) and the demo district's grids.
    Idempotent: existing codes are left as they are. Returns (categories, grids) created."""
    existing = set(session.scalars(select(Category.code)))
    limited = set(session.scalars(select(TimeLimit.category_code).where(TimeLimit.stage == HANDLE_STAGE)))
    created = 0
    for sort, (code, name, kind) in enumerate(DEMO_MAJORS):
        if code not in existing:
            session.add(Category(code=code, name=name, kind=kind, level="major", sort=sort, is_active=True))
            created += 1
    session.flush()
    kinds = {code: kind for code, _, kind in DEMO_MAJORS}
    for sort, (code, name, filing, closing, limit) in enumerate(DEMO_MINORS):
        parent = code[:2]
        if code not in existing:
            session.add(Category(code=code, name=name, kind=kinds[parent], level="minor", parent_code=parent,
                                 sort=sort, is_active=True, filing_standard=filing, closing_standard=closing))
            created += 1
        if limit is not None and code not in limited:
            session.add(TimeLimit(stage=HANDLE_STAGE, category_code=code, amount=float(limit[0]), unit=limit[1],
                                  note=f"{name}（分类目录）"))
    session.flush()
    known_grids = set(session.scalars(select(Grid.code)))
    orgs = set(session.scalars(select(Org.code)))
    new_grids = [Grid(code=code, name=name, org_code=org, is_active=True)
                 for code, name, org in DEMO_GRIDS if code not in known_grids and org in orgs]
    session.add_all(new_grids)
    session.flush()
    _invalidate_limits(session)
    return created, len(new_grids)
