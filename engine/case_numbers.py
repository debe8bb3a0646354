"""Case numbers: ``<prefix><yyyymmdd><daily sequence>`` by default, pattern configurable."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import clock
from engine.case_number_patterns import DEFAULT_PATTERN, check_pattern
from engine.models import CaseSequence

def _upsert(dialect_insert):
    table = CaseSequence.__table__
    return (dialect_insert(table).values(key=bindparam("key"), value=1)
            .on_conflict_do_update(index_elements=["key"], set_={"value": table.c.value + 1})
            .returning(table.c.value))


# INSERT … ON CONFLICT DO UPDATE … RETURNING: atomic on both databases, built once per dialect.
_BUMP = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def _bump(session: Session, key: str) -> int:
    connection = session.connection()
    return connection.execute(_BUMP[connection.dialect.name], {"key": key}).scalar_one()


def next_case_number(session: Session, *, prefix: str, pattern: str = DEFAULT_PATTERN,
                     at: _dt.datetime | None = None) -> str:
    check_pattern(pattern)
    day = (at or clock.now()).astimezone(clock.DEFAULT_TZ)
    seq = _bump(session, f"{prefix}:{day:%Y%m%d}")
    return pattern.format(prefix=prefix, date=day, seq=seq)
