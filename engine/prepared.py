"""The statements every command runs, sent straight to the DB-API cursor.

A command writes a handful of small rows, and SQLAlchemy's per-call work (cache key, execution context,
parameter and result set-up) costs more than SQLite spends running them: sending these statements straight to
the cursor took 4–7% off the engine's time per closed-loop case (bench/closed_loop.py, cases on the two paths
alternating in one process). A ``Prepared`` statement is still
written in Core next to its table; it is compiled once per dialect (and set of row keys), and each call only
applies the bind processors (UTC instants, JSON), runs the SQL and applies the result processors.

What it does not do, so SQLAlchemy stays the way for everything else: expanding IN lists (rejected when
compiled), ORM objects, connection events (``before_cursor_execute`` listeners do not see these statements),
server-side defaults returned to Python. Python-side column defaults (``default=`` on the model) are applied.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]            # the bind parameters, in the order of a positional paramstyle
    positional: bool
    processors: dict[str, Callable]    # bind processors by parameter name
    fixed: dict[str, Any]              # values bound in the statement itself (``column == "after"``)
    defaults: dict[str, Callable]      # Python-side column defaults for keys a row leaves out
    row_type: type | None              # SELECT: a named tuple of the result columns
    result_processors: tuple           # SELECT: one processor (or None) per result column


class Prepared:
    def __init__(self, statement):
        self.statement = statement
        self._plans: dict[tuple, _Plan] = {}

    # ----------------------------------------------------------------- running

    def execute(self, conn: Connection, params: dict | None = None):
        """Run once; returns the DB-API cursor (``rowcount``) — read rows with ``all``/``first`` instead."""
        params = params or {}
        plan = self._plan(conn, tuple(params))
        cursor = conn.connection.cursor()
        cursor.execute(plan.sql, _bind(plan, params))
        return cursor

    def executemany(self, conn: Connection, rows: Sequence[dict]) -> None:
        """Run for each row; every row must have the same keys (a key only some rows had would be dropped)."""
        if not rows:
            return
        keys = rows[0].keys()
        if any(row.keys() != keys for row in rows):
            raise ValueError("the rows of one executemany must have the same keys")
        plan = self._plan(conn, tuple(keys))
        cursor = conn.connection.cursor()
        cursor.executemany(plan.sql, [_bind(plan, row) for row in rows])
        cursor.close()

    def all(self, conn: Connection, params: dict | None = None) -> list:
        cursor = self.execute(conn, params)
        fetched = cursor.fetchall()
        cursor.close()
        plan = self._plan(conn, tuple(params or {}))
        return [_row(plan, values) for values in fetched]

    def first(self, conn: Connection, params: dict | None = None):
        rows = self.all(conn, params)
        return rows[0] if rows else None

    # ----------------------------------------------------------------- compiling

    def _plan(self, conn: Connection, keys: tuple[str, ...]) -> _Plan:
        dialect = conn.dialect
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            plan = self._plans[(dialect.name, keys)] = _compile(self.statement, dialect, keys)
        return plan


def _compile(statement, dialect, keys: tuple[str, ...]) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if statement.is_dml else None)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("expanding IN parameters are not supported by Prepared statements")
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
             if not bind.required and name not in keys}
    defaults = {}
    for column in (*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())):
        default = column.default if column.key not in keys else None
        if default is not None and (default.is_scalar or default.is_callable):
            defaults[column.key] = (lambda value=default.arg: value) if default.is_scalar else \
                (lambda call=default.arg: call(None))
    row_type, result_processors = None, ()
    if statement.is_select:
        columns = compiled._result_columns
        row_type = collections.namedtuple("Row", [c[0] for c in columns], rename=True)
        result_processors = tuple(c[3]._cached_result_processor(dialect, None) for c in columns)
    return _Plan(compiled.string, names, compiled.positional, dict(compiled._bind_processors), fixed, defaults,
                 row_type, result_processors)


def _bind(plan: _Plan, params: dict):
    values = {**plan.fixed, **{k: make() for k, make in plan.defaults.items()}, **params} \
        if plan.fixed or plan.defaults else params
    processors = plan.processors
    if plan.positional:
        return tuple(processors[n](values[n]) if n in processors else values[n] for n in plan.names)
    return {n: processors[n](values[n]) if n in processors else values[n] for n in plan.names}


def _row(plan: _Plan, values: Iterable):
    return plan.row_type(*(value if process is None else process(value)
                           for process, value in zip(plan.result_processors, values)))
