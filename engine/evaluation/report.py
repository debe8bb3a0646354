"""A party's report for a period: per person / department / district, every indicator with its value,
numerator, denominator and 0–100 score, the composite score and grade (weights from 统计配置)."""
from __future__ import annotations

import calendar
import datetime as _dt
import re

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine import evaluation_config
from engine.errors import InvalidData
from engine.evaluation import rollups
from engine.evaluation.indicators import COUNTS, DEFINITIONS, counters_of

FACTS, DAY_COUNTS = rollups.FACTS, rollups.DAY_COUNTS


def period(month: str | None = None, quarter: str | None = None, year: str | None = None,
           date_from: str | None = None, date_to: str | None = None) -> tuple[_dt.date, _dt.date]:
    """month=2026-03, quarter=2026Q1, year=2026 or from/to dates (inclusive) → (first day, last day)."""
    try:
        if month:
            y, m = (int(p) for p in re.fullmatch(r"(\d{4})-(\d{1,2})", month).groups())
            return _dt.date(y, m, 1), _dt.date(y, m, calendar.monthrange(y, m)[1])
        if quarter:
            y, q = (int(p) for p in re.fullmatch(r"(\d{4})[Qq]([1-4])", quarter).groups())
            last = q * 3
            return _dt.date(y, last - 2, 1), _dt.date(y, last, calendar.monthrange(y, last)[1])
        if year:
            y = int(re.fullmatch(r"\d{4}", year).group())
            return _dt.date(y, 1, 1), _dt.date(y, 12, 31)
        if date_from and date_to:
            start, end = _dt.date.fromisoformat(date_from), _dt.date.fromisoformat(date_to)
            if start <= end:
                return start, end
    except (AttributeError, ValueError):
        pass
    raise InvalidData({"period": "请给出考核期间：month=2026-03、quarter=2026Q1、year=2026 或 from/to 日期（起不晚于止）"},
                      {"period": "give month=2026-03, quarter=2026Q1, year=2026 or from/to dates (from ≤ to)"})


def counts(conn: Connection, party_code: str, start: _dt.date, end: _dt.date, *, org: str | None = None,
           district: str | None = None) -> dict[str, dict[str, int]]:
    """key → counter → number of facts in the period (one GROUP BY over the period's day counts, through their
    unique key: party, day, …)."""
    rollups.refresh(conn)
    days = DAY_COUNTS
    query = (select(days.c.key, days.c.counter, func.sum(days.c.n))
             .where(days.c.party == party_code, days.c.day >= start, days.c.day <= end)
             .group_by(days.c.key, days.c.counter))
    query = _filtered(query, party_code, org, district, table=days)
    out: dict[str, dict[str, int]] = {}
    for key, counter, number in conn.execute(query):
        out.setdefault(key, {})[counter] = int(number)
    return out


def _filtered(query, party_code: str, org: str | None, district: str | None, *, table=FACTS):
    if org:
        query = query.where(table.c.key == org) if party_code == "department" else query.where(table.c.org == org)
    if district:
        query = (query.where(table.c.key == district) if party_code == "region"
                 else query.where(table.c.district == district))
    return query


def build(conn: Connection, party_code: str, start: _dt.date, end: _dt.date, *, org: str | None = None,
          district: str | None = None, names: dict[str, str] | None = None) -> dict:
    definition = evaluation_config.party(party_code)
    weight_rows = evaluation_config.weights(conn, party_code)
    weights = {r["indicator"]: r["weight"] for r in weight_rows}
    bands = evaluation_config.grade_bands(conn)
    by_key = counts(conn, party_code, start, end, org=org, district=district)
    defs = DEFINITIONS[party_code]
    best = {code: max((sum(c.get(n, 0) for n in d.numerator) for c in by_key.values()), default=0)
            for code, d in defs.items() if d.is_count}
    rows = []
    for key in sorted(by_key):
        tally = by_key[key]
        indicators, values = {}, {}
        for row in weight_rows:
            d = defs[row["indicator"]]
            numerator = sum(tally.get(n, 0) for n in d.numerator) - sum(tally.get(n, 0) for n in d.minus)
            if d.is_count:
                value, denominator = numerator, None
                score = evaluation_config.indicator_score(row["scoring"], value, best[d.code])
            else:
                denominator = sum(tally.get(n, 0) for n in d.denominator)
                value = round(numerator / denominator, 4) if denominator else None
                score = (evaluation_config.indicator_score(row["scoring"], value) if value is not None else None)
            if value is not None:
                values[d.code] = value
            indicators[d.code] = {"value": value, "numerator": numerator, "denominator": denominator,
                                  "score": None if score is None else round(score, 2)}
        # an indicator with nothing to measure (denominator 0) does not count against the party:
        # the composite is re-weighted over the indicators that have a value
        measured = sum(weights[c] for c in values)
        raw = evaluation_config.composite_score(conn, party_code, values, best, weight_rows=weight_rows)
        score = round(raw / measured, 2) if measured else 0.0
        score = min(score, 100.0)
        rows.append({"key": key, "name": (names or {}).get(key, key), "indicators": indicators,
                     "counts": {c: tally.get(c, 0) for c in COUNTS[party_code]},
                     "score": score, "grade": evaluation_config.grade(score, bands)})
    rows.sort(key=lambda r: (-r["score"], r["key"]))
    return {"party": party_code, "party_name": definition.zh,
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "composite_formula": evaluation_config.composite_formula_zh(party_code, weights),
            "indicators": [{"code": r["indicator"], "name": r["name_zh"], "formula": r["formula_zh"],
                            "weight": r["weight"], "scoring": r["scoring"]} for r in weight_rows],
            "counters": sorted(counters_of(party_code)),
            "rows": rows}
