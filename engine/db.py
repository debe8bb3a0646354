"""The declarative base shared by every model, and engine/session set-up without Flask."""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry, sessionmaker
from sqlalchemy.types import TypeDecorator

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator):
    """Timezone-aware instants everywhere; stored as UTC (SQLite has no zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(_dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(DISPLAY_TZ)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    registry = registry(metadata=metadata,
                        type_annotation_map={dict: JSON, list: JSON, _dt.datetime: AwareDateTime})


def default_database_url(instance_dir: str | os.PathLike = "instance") -> str:
    path = Path(instance_dir).resolve() / "citybpm.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def configure_sqlite(engine: Engine) -> None:
    """WAL and a busy timeout: readers never block the writer, writers queue."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def keep_prepared_statements(engine: Engine) -> None:
    """On psycopg, end a transaction that wrote nothing with COMMIT rather than ROLLBACK.

    psycopg prepares a statement on the server once it has run it a few times, and forgets every prepared
    statement (DEALLOCATE ALL) whenever a transaction is rolled back. Every read-only request ends with a
    rollback (the session closing, the pool resetting its connection), so the statements of the next
    commands were parsed and planned again each time: PostgreSQL spent 17-18 ms of CPU per closed-loop case
    served over HTTP to one client, 10.5-11.5 ms with this. A transaction that has no transaction id has
    written nothing, so COMMIT and ROLLBACK end it alike; one that wrote, or failed, is rolled back as before.
    SQLAlchemy still sees a rollback (its events, the session's state). A connection the database has closed
    is left alone: there is nothing to roll back on it."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    import psycopg
    from psycopg.pq import TransactionStatus

    roll_back = engine.dialect.do_rollback

    def do_rollback(connection) -> None:
        raw = getattr(connection, "dbapi_connection", connection)  # the pool hands over its proxy
        try:
            if not raw.closed and raw.info.transaction_status == TransactionStatus.INTRANS:
                try:
                    with raw.cursor() as cursor:
                        wrote = cursor.execute("SELECT txid_current_if_assigned() IS NOT NULL").fetchone()[0]
                    if not wrote:
                        raw.commit()
                        return
                except psycopg.Error:
                    pass  # roll back below, as SQLAlchemy would have
            if not raw.closed:
                roll_back(connection)
        except psycopg.OperationalError:
            if not raw.closed:
                raise
        # Closed (found so before or while rolling back): the database dropped the connection, and its transaction
        # with it (a restart, a failover, pg_terminate_backend). Raising here would, at the end of a request, turn
        # an answer already made into a 500; the pool's ping at the next checkout replaces the connection.

    engine.dialect.do_rollback = do_rollback


def configure_engine(engine: Engine) -> None:
    configure_sqlite(engine)
    keep_prepared_statements(engine)


def make_engine(url: str, **kwargs) -> Engine:
    engine = create_engine(url, **kwargs)
    configure_engine(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def add_counts(conn, table, key: tuple[str, ...], rows: list[dict]) -> None:
    """INSERT rows of counts; where a row's ``key`` exists already, add its other columns to the stored ones
    (INSERT … ON CONFLICT DO UPDATE, on PostgreSQL and SQLite alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    counts = [name for name in rows[0] if name not in key]
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: table.c[name] + statement.excluded[name] for name in counts})
    conn.execute(statement, rows)
