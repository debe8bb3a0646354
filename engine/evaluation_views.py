"""Public satisfaction (回访) and the process heat map, for the 统计 page — read from the event log only.

Satisfaction: every ``task.completed`` event of the closed loop's ``revisit`` node carries the answer
(``satisfaction``: satisfied 满意 / basically_satisfied 基本满意 / dissatisfied 不满意); the evaluation refresh
counts them per day, department (``process_instance.org_code``: the department dispatched) and grid code
(``evaluation_day_count``, party ``revisit``), so a period costs its days' counts, not its events. Rows group
by department or by district (the district organisation whose unit grids hold the case's grid code; else the
grid code's first six digits, 行政区划). 满意率 = (满意 + 基本满意) ÷ 回访数.

Heat map: for one process key, every ``task.completed`` event in the period is a pass of its node; its time
there runs from the task's ``task.created`` event to the completion, counted in working hours of the default
work calendar (engine.calendar ``elapsed``; paused time is not subtracted here) to 0.01 h; it is overdue when it
completed after its due instant (stamped on the completion: 延期 included). The evaluation refresh counts the
passes per day, node and hours (engine.evaluation.passages); a period reads those counts.

Neither reads the period's events per request.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.case_diagram import processes_of
from engine.clock import DEFAULT_TZ
from engine.errors import EngineError, NotFound
from engine.evaluation import passages, rollups
from engine.identity import Org
from engine.models import Definition

SATISFACTION = rollups.SATISFACTION
SATISFACTION_NAMES = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
SATISFACTION_FORMULA = "满意率 = (满意数 + 基本满意数) ÷ 回访数"
SATISFACTION_FORMULA_EN = "satisfaction rate = (satisfied + basically satisfied) ÷ revisits"
REVISIT_NODE = "revisit"
GROUPS = ("department", "district")


class BadPeriod(EngineError):
    code = "bad_period"
    status = 400


@dataclass(frozen=True)
class Period:
    start: _dt.datetime  # inclusive
    end: _dt.datetime    # exclusive

    def as_dict(self) -> dict:
        return {"from": self.start.date().isoformat(), "to": (self.end - _dt.timedelta(days=1)).date().isoformat()}


def _day(text: str, field: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(f"{field} 须为日期，如 2026-03-01", f"{field} must be a date such as 2026-03-01",
                        field=field) from None


def period_of(now: _dt.datetime, *, month: str | None = None, start: str | None = None,
              end: str | None = None) -> Period:
    """month=YYYY-MM, or from/to (dates, both inclusive); neither: the current month (Asia/Shanghai)."""
    def at(day: _dt.date) -> _dt.datetime:
        return _dt.datetime(day.year, day.month, day.day, tzinfo=DEFAULT_TZ)

    if month:
        if not re.fullmatch(r"\d{4}-\d{2}", month) or not 1 <= int(month[5:]) <= 12:
            raise BadPeriod("month 须为年月，如 2026-03", "month must look like 2026-03", field="month")
        first = _dt.date(int(month[:4]), int(month[5:]), 1)
        following = _dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return Period(at(first), at(following))
    if start or end:
        if not (start and end):
            raise BadPeriod("from 与 to 须同时给出", "give both from and to", field="from")
        first, last = _day(start, "from"), _day(end, "to")
        if last < first:
            raise BadPeriod("to 不能早于 from", "to must not be before from", field="to")
        if (last - first).days > 3660:
            raise BadPeriod("统计期间不能超过十年", "the period may not exceed ten years", field="to")
        return Period(at(first), at(last + _dt.timedelta(days=1)))
    local = now.astimezone(DEFAULT_TZ).date()
    return period_of(now, month=f"{local.year:04d}-{local.month:02d}")


# -- satisfaction ------------------------------------------------------------------------------------

def _district_of(grid_code: str | None, districts: list[Org]) -> tuple[str, str]:
    grid = (grid_code or "").strip()
    if not grid:
        return "", "未知区域"
    for org in districts:
        if grid in (org.grids or []):
            return org.code, org.name
    for org in districts:
        if any(str(g)[:6] == grid[:6] for g in org.grids or []):
            return org.code, org.name
    return grid[:6], grid[:6]


def satisfaction(session: Session, period: Period, group: str = "department") -> dict:
    if group not in GROUPS:
        raise BadPeriod("group 须为 department 或 district", "group must be department or district", field="group")
    conn = session.connection()
    rollups.refresh(conn)
    days = rollups.DAY_COUNTS
    counted = conn.execute(
        select(days.c.org, days.c.district, days.c.key, func.sum(days.c.n))
        .where(days.c.party == "revisit", days.c.day >= period.start.astimezone(DEFAULT_TZ).date(),
               days.c.day < period.end.astimezone(DEFAULT_TZ).date())
        .group_by(days.c.org, days.c.district, days.c.key)).all()
    orgs = {o.code: o for o in session.scalars(select(Org))}
    districts = [o for o in orgs.values() if o.kind == "district"]
    groups: dict[str, dict] = {}
    for org_code, grid_code, answer, number in counted:
        if answer not in SATISFACTION:
            continue
        if group == "department":
            key = org_code or ""
            name = orgs[key].name if key in orgs else (key or "未派遣")
        else:
            key, name = _district_of(grid_code or None, districts)
        row = groups.setdefault(key, {"key": key, "name": name, "surveyed": 0,
                                      **{answer_: 0 for answer_ in SATISFACTION}})
        row["surveyed"] += int(number)
        row[answer] += int(number)
    total = {"key": "", "name": "合计", "surveyed": 0, **{a: 0 for a in SATISFACTION}}
    for row in groups.values():
        row["satisfaction_rate"] = _rate(row)
        for name in ("surveyed", *SATISFACTION):
            total[name] += row[name]
    total["satisfaction_rate"] = _rate(total)
    return {"group": group, "period": period.as_dict(), "formula": SATISFACTION_FORMULA,
            "formula_en": SATISFACTION_FORMULA_EN,
            "rows": sorted(groups.values(), key=lambda r: (-r["surveyed"], r["key"])), "total": total}


def _rate(row: dict) -> float | None:
    if not row["surveyed"]:
        return None
    return round((row["satisfied"] + row["basically_satisfied"]) / row["surveyed"], 4)


# -- heat map ----------------------------------------------------------------------------------------

def latest_definition(session: Session, process_key: str) -> Definition:
    found = session.scalars(select(Definition).where(Definition.key == process_key)
                            .order_by(Definition.version.desc()).limit(1)).first()
    if found is None:
        raise NotFound(f"没有流程 {process_key}", f"no process {process_key}", process_key=process_key)
    return found


def heatmap(session: Session, process_key: str, period: Period) -> dict:
    definition = latest_definition(session, process_key)
    processes = processes_of(definition)
    main = processes[definition.process_id]
    called_files = {call: processes[pid] for call, pid in main.calls.items() if pid in processes}
    conn = session.connection()
    rollups.refresh(conn)
    p = passages.PASSAGES
    counted = conn.execute(
        select(p.c.call, p.c.node, p.c.centihours, func.sum(p.c.passed), func.sum(p.c.overdue))
        .where(p.c.process_key == process_key, p.c.day >= period.start.astimezone(DEFAULT_TZ).date(),
               p.c.day < period.end.astimezone(DEFAULT_TZ).date())
        .group_by(p.c.call, p.c.node, p.c.centihours)).all()

    samples: dict[tuple[str | None, str], list[tuple[int, int, int]]] = {}
    for call, node, centihours, passed, late in counted:
        call = call if call in called_files else None
        if call is None and node not in main.node_ids:
            call = next((k for k, f in called_files.items() if node in f.node_ids), None)
        samples.setdefault((call, node), []).append((centihours, int(passed), int(late)))

    def figures(items):
        hours: dict[int, int] = {}
        for centihours, passed, _ in items:
            hours[centihours] = hours.get(centihours, 0) + passed
        passed = sum(n for _, n, _ in items)
        overdue = sum(late for _, _, late in items)
        return {"passed": passed, "median_work_hours": passages.median_hours(hours), "overdue": overdue,
                "overdue_share": round(overdue / passed, 4)}

    nodes = {node: figures(items) for (call, node), items in samples.items() if call is None}
    called = {call: {"process_id": f.process_id, "xml": f.xml,
                     "nodes": {node: figures(items) for (c, node), items in samples.items() if c == call}}
              for call, f in called_files.items()}
    for call in called_files:  # the call activity in the main diagram: every task done inside it
        inside = [s for (c, _), items in samples.items() if c == call for s in items]
        if inside:
            nodes[call] = figures(inside)
    return {"process_key": definition.key, "version": definition.version, "process_id": main.process_id,
            "period": period.as_dict(), "xml": main.xml, "called": called, "nodes": nodes,
            "time_unit": "work_hours",
            "formula": "经过数 = 期间内办结的该节点任务数；中位用时 = 任务创建→办结的工作时中位数；"
                       "超时占比 = 办结晚于期限的任务数 ÷ 经过数"}
