"""A server keeps one PostgreSQL connection per request thread for its whole life: a burst of concurrent requests
finds the same sessions again (each with its prepared statements) instead of opening new ones, and a quiet spell
reuses the connection returned last."""
from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa

from api.app import create_app
from api.config import database_pool_options
from api.extensions import db
from api.server import _Gunicorn

DATABASE = os.environ.get("CITYBPM_TEST_DATABASE_URL", "")
POSTGRES = "postgresql+psycopg://citybpm@127.0.0.1:5432/citybpm"
needs_postgres = pytest.mark.skipif(not DATABASE.startswith("postgresql"), reason="needs CITYBPM_TEST_DATABASE_URL")


def test_a_server_pool_has_one_connection_per_thread_and_opens_no_more():
    # and two for the scheduler: its work, and the connection holding its advisory leadership lock
    assert database_pool_options({"SQLALCHEMY_DATABASE_URI": POSTGRES, "CITYBPM_WORKER_THREADS": 32}) == {
        "pool_size": 34, "max_overflow": 0, "pool_use_lifo": True, "pool_pre_ping": True}


def test_the_pool_size_setting_wins_over_the_thread_count():
    options = database_pool_options({"SQLALCHEMY_DATABASE_URI": POSTGRES, "CITYBPM_WORKER_THREADS": 32,
                                     "CITYBPM_DB_POOL_SIZE": 8})
    assert options == {"pool_size": 8, "max_overflow": 0, "pool_use_lifo": True, "pool_pre_ping": True}


def test_sqlite_keeps_sqlalchemys_defaults_and_scripts_its_sizes():
    assert database_pool_options({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite3",
                                  "CITYBPM_WORKER_THREADS": 32}) == {}
    # a dropped connection is found out before use in every process on PostgreSQL (the scheduler command too)
    assert database_pool_options({"SQLALCHEMY_DATABASE_URI": POSTGRES}) == {"pool_pre_ping": True}


def test_citybpm_serve_sizes_each_workers_pool_by_its_threads(monkeypatch):
    monkeypatch.setenv("CITYBPM_DATABASE_URL", POSTGRES)  # the engine connects lazily: nothing is opened here
    monkeypatch.delenv("CITYBPM_DB_POOL_SIZE", raising=False)
    app = _Gunicorn({"bind": "127.0.0.1:0", "workers": 1, "threads": 7}).load()
    with app.app_context():
        assert db.engine.pool.size() == 7 + 2
        assert db.engine.pool._max_overflow == 0


@needs_postgres
def test_connections_outlive_a_burst_of_concurrent_requests():
    threads = 12  # more than SQLAlchemy's default of 5 kept connections
    app = create_app({"SQLALCHEMY_DATABASE_URI": DATABASE, "CITYBPM_ENV": "test", "CITYBPM_DB_POOL_SIZE": threads})
    with app.app_context():
        engine = db.engine
    try:
        assert burst(engine, threads) == burst(engine, threads)  # the second burst met the same sessions
        # one request at a time: always the connection returned last, not each of the twelve in turn
        assert len({backend_pid(engine) for _ in range(4)}) == 1
    finally:
        engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def burst(engine, threads: int) -> set[int]:
    """The backend pids of ``threads`` connections checked out at the same time, then all returned."""
    all_out = threading.Barrier(threads)
    pids: set[int] = set()

    def request():
        with engine.connect() as conn:
            pids.add(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
            all_out.wait(timeout=30)  # all twelve out at once

    workers = [threading.Thread(target=request) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(pids) == threads
    return pids
