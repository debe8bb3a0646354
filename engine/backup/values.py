"""Column values to JSON and back, driven by the column's type (not by guessing from the text).

Instants are written in ISO 8601 with their offset (``2026-03-02T09:15:00+08:00``), so an archive read on any
host, into SQLite or PostgreSQL, means the same instant; dates and times in ISO; bytes in base64; decimals as
text (no float rounding); JSON columns as the JSON they hold.
"""
from __future__ import annotations

import base64
import datetime as _dt
import decimal

from sqlalchemy import JSON, Column, Date, DateTime, Interval, LargeBinary, Numeric, Table, Time
from sqlalchemy.types import TypeDecorator, TypeEngine


def encode(value):
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _base_type(type_: TypeEngine) -> TypeEngine:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def decoder(column: Column):
    """A function turning the JSON value of ``column`` back into what its type binds."""
    type_ = _base_type(column.type)
    if isinstance(type_, JSON):
        return None  # already the value
    if isinstance(type_, DateTime):
        return _dt.datetime.fromisoformat
    if isinstance(type_, Date):
        return _dt.date.fromisoformat
    if isinstance(type_, Time):
        return _dt.time.fromisoformat
    if isinstance(type_, Interval):
        return lambda seconds: _dt.timedelta(seconds=seconds)
    if isinstance(type_, LargeBinary):
        return base64.b64decode
    if isinstance(type_, Numeric) and type_.asdecimal:
        return decimal.Decimal
    return None


def row_decoder(table: Table):
    """decode(row dict) → the row ready to insert; values of None stay None."""
    converters = {c.name: f for c in table.columns if (f := decoder(c)) is not None}

    def decode(row: dict) -> dict:
        for name, convert in converters.items():
            value = row.get(name)
            if value is not None:
                row[name] = convert(value)
        return row

    return decode
