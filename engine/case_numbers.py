"""Case numbers: ``<prefix><yyyymmdd><daily sequence>`` by default, pattern configurable."""
from __future__ import annotations

import datetime as _dt
import string

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import clock
from engine.models import CaseSequence

DEFAULT_PATTERN = "{prefix}{date:%Y%m%d}{seq:04d}"
ALLOWED_FIELDS = {"prefix", "date", "seq"}


class BadPattern(ValueError):
    pass


def check_pattern(pattern: str) -> None:
    """Only the three named fields, no attribute or index access (format strings can leak)."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        raise BadPattern(str(exc)) from None
    unknown = [f for f in fields if f not in ALLOWED_FIELDS]
    if unknown:
        raise BadPattern(f"unknown fields in case-number pattern: {unknown}")
    if "seq" not in fields:
        raise BadPattern("the case-number pattern needs {seq}")


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
