"""The cases behind any figure of a report: the facts of one key, indicator side and period."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine.errors import InvalidData
from engine.evaluation import rollups
from engine.evaluation.indicators import COUNTS, definition
from engine.evaluation.report import _filtered

FACTS = rollups.FACTS


def counters_for(party_code: str, indicator: str, part: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(counters whose cases are in, counters whose cases are taken out)."""
    if indicator in COUNTS.get(party_code, ()):  # a plain count: 延期数, 挂账数 …
        return (indicator,), ()
    d = definition(party_code, indicator)
    if part == "numerator":
        return d.numerator, d.minus
    if part == "denominator" and d.denominator:
        return d.denominator, ()
    raise InvalidData({"part": "part 应为 numerator 或 denominator（计数指标只有 numerator）"},
                      {"part": "part is numerator or denominator (a count has only a numerator)"})


def case_ids(conn: Connection, party_code: str, key: str, indicator: str, part: str, start: _dt.date,
             end: _dt.date, *, org: str | None = None, district: str | None = None):
    """A SELECT of the distinct case ids behind the figure."""
    rollups.refresh(conn)
    plus, minus = counters_for(party_code, indicator, part)

    def of(counters):
        query = select(FACTS.c.instance_id).distinct().where(
            FACTS.c.party == party_code, FACTS.c.key == key, FACTS.c.counter.in_(counters),
            FACTS.c.day >= start, FACTS.c.day <= end)
        return _filtered(query, party_code, org, district)

    return of(plus).except_(of(minus)) if minus else of(plus)


def cases(conn: Connection, party_code: str, key: str, indicator: str, part: str, start: _dt.date, end: _dt.date,
          *, page: int = 1, page_size: int = 20, org: str | None = None, district: str | None = None
          ) -> tuple[list[dict], int]:
    from engine.models import Instance
    i = Instance.__table__
    ids = case_ids(conn, party_code, key, indicator, part, start, end, org=org, district=district).subquery()
    where = i.c.id.in_(select(ids.c[0]))
    total = conn.execute(select(func.count()).select_from(i).where(where)).scalar_one()
    rows = conn.execute(select(i.c.id, i.c.case_no, i.c.stage, i.c.status, i.c.outcome, i.c.source,
                               i.c.category_code, i.c.grid_code, i.c.address, i.c.started_at, i.c.ended_at,
                               i.c.due_at).where(where).order_by(i.c.started_at, i.c.id)
                        .offset((page - 1) * page_size).limit(page_size)).all()
    return [dict(row._mapping) for row in rows], total
