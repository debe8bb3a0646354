"""Counting what the engine did (cases started, tasks completed) from the event rows it commits.

Every engine command writes its events to the ``event`` table in the command's Session transaction. The app's
SQLAlchemy engine reports each INSERT into that table; the rows are kept on the connection and handed on by the
Session's ``after_commit`` (a rolled-back command counts nothing) — the same shape as engine/live.py uses for
new tasks. So every command counts once, whichever path ran it (API, scheduler, a linked case), and engine/
stays free of Flask and Prometheus. Inserts outside a Session (a backup import on a bare connection) are not
commands and are not counted. Each process counts its own commits; prometheus_client's multiprocess mode adds
the workers up at scrape time.
"""
from __future__ import annotations

import re
from typing import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session

from engine.models import Event

EVENTS = Event.__table__
_PENDING = "citybpm.observability.events"          # on connection.info: (type, data) of the open transaction
_SAVEPOINTS = "citybpm.observability.savepoints"   # on connection.info: savepoint name → len(pending)
_CONNECTIONS = "citybpm.observability.connections"  # on session.info: the info dicts of the connections it began
_MULTI_VALUE_TYPE = re.compile(r"^type_m(\d+)$")    # insert(...).values([{...}, {...}]) names its parameters so

Consumer = Callable[[list[tuple[str, dict]]], None]
_consumers: list[Consumer] = []


def on_commit(consumer: Consumer) -> None:
    """Call ``consumer([(type, data), ...])`` with the events of every committed Session transaction."""
    if consumer not in _consumers:
        _consumers.append(consumer)


def watch(bind: SqlEngine) -> None:
    """Count the event rows written through ``bind`` (idempotent)."""
    if not event.contains(Session, "after_begin", _after_begin):
        event.listen(Session, "after_begin", _after_begin)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    if not event.contains(bind, "after_execute", _after_execute):
        event.listen(bind, "after_execute", _after_execute)
        event.listen(bind, "rollback", _connection_rollback)
        event.listen(bind, "savepoint", _savepoint)
        event.listen(bind, "rollback_savepoint", _rollback_savepoint)


# ----------------------------------------------------------------------------- the connection: collect

def _after_execute(conn, clauseelement, multiparams, params, execution_options, result) -> None:
    pending = conn.info.get(_PENDING)
    if pending is None:  # not inside a Session transaction
        return
    context = getattr(result, "context", None)
    if context is None or not context.isinsert or context.compiled is None:
        return
    if getattr(context.compiled.statement, "table", None) is EVENTS:
        pending.extend(_rows(context))


def _rows(context) -> list[tuple[str, dict]]:
    rows = []
    for params in context.compiled_parameters or ():
        if "type" in params:
            rows.append((params["type"], params.get("data") or {}))
            continue
        for key, value in params.items():  # a multi-VALUES insert: type_m0, data_m0, type_m1 …
            found = _MULTI_VALUE_TYPE.match(key)
            if found:
                rows.append((value, params.get(f"data_m{found.group(1)}") or {}))
    return rows


def _connection_rollback(conn) -> None:
    if conn.invalidated:
        # the database dropped it: reading conn.info would try to reconnect and raise (the request then ended in a
        # 500 from the session's teardown); the pool clears the record's info before it connects again
        return
    conn.info.pop(_PENDING, None)  # the transaction is gone; a bare connection later must not collect into it
    conn.info.pop(_SAVEPOINTS, None)


def _savepoint(conn, name) -> None:
    conn.info.setdefault(_SAVEPOINTS, {})[name] = len(conn.info.get(_PENDING) or ())


def _rollback_savepoint(conn, name, context) -> None:
    mark = conn.info.get(_SAVEPOINTS, {}).pop(name, None)
    if mark is not None and conn.info.get(_PENDING) is not None:
        del conn.info[_PENDING][mark:]


# ----------------------------------------------------------------------------- the session: hand on after commit

def _after_begin(session: Session, _transaction, connection) -> None:
    connection.info[_PENDING] = []
    session.info.setdefault(_CONNECTIONS, []).append(connection.info)


def _take(session: Session) -> list[tuple[str, dict]]:
    rows = []
    for info in session.info.pop(_CONNECTIONS, []):
        rows += info.pop(_PENDING, None) or []
        info.pop(_SAVEPOINTS, None)
    return rows


def _after_commit(session: Session) -> None:
    rows = _take(session)
    if rows:
        for consumer in _consumers:
            consumer(rows)


def _after_rollback(session: Session) -> None:
    _take(session)
