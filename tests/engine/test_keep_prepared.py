"""On PostgreSQL a transaction that wrote nothing ends with COMMIT, so psycopg keeps its prepared statements;
one that wrote or failed is still rolled back."""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from engine.db import make_engine

DATABASE = os.environ.get("CITYBPM_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not DATABASE.startswith("postgresql+psycopg"), reason="psycopg on PostgreSQL")

READ = sa.text("SELECT count(*) FROM process_definition WHERE key = :key")


@pytest.fixture
def engine(app):  # app: the migrated test database
    # one pooled connection, so every checkout below is the same server session
    engine = make_engine(DATABASE, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS keep_prepared_probe (note text)"))
    yield engine
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE keep_prepared_probe"))
    engine.dispose()


def prepared_statements(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()


def test_read_only_transactions_keep_the_statements_psycopg_prepared(engine):
    for _ in range(8):  # psycopg prepares from the fifth run on; each connect() ends in a "rollback"
        with engine.connect() as conn:
            conn.execute(READ, {"key": "closed_loop"}).scalar_one()
    assert any("process_definition" in statement for statement in prepared_statements(engine))


def test_a_transaction_that_wrote_is_still_rolled_back(engine):
    note = uuid.uuid4().hex
    with engine.connect() as conn:
        conn.execute(sa.text("INSERT INTO keep_prepared_probe VALUES (:note)"), {"note": note})
        conn.rollback()
    with engine.connect() as conn:  # closing without commit rolls back too
        conn.execute(sa.text("INSERT INTO keep_prepared_probe VALUES (:note)"), {"note": note})
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM keep_prepared_probe WHERE note = :note"),
                            {"note": note}).scalar_one() == 0


def test_a_failed_transaction_is_rolled_back_and_the_connection_serves_on(engine):
    with engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError):
            conn.execute(sa.text("SELECT 1 / 0"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 2")).scalar_one() == 2


def test_sqlite_engines_keep_their_dialects_rollback(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    assert "do_rollback" not in vars(engine.dialect)
