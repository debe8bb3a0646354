"""Scheduler leadership when Redis goes away and comes back (engine.leadership).

Real parts only: an unreachable Redis is a loopback port nobody listens on (refused at once), a returning
Redis is a real redis-server on a unix socket (no TCP port to clash with), and on PostgreSQL the fallback is the real advisory
lock held on real connections. The one stand-in, ``CountingLeader``, is an injected fallback that counts.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
import sqlalchemy as sa

from engine.leadership import (ADVISORY_LOCK_ID, LEADER_KEY, AlwaysLeader, FileLockLeader, PostgresAdvisoryLeader,
                               RedisLeader, choose_leadership, release_dead_leader)

DATABASE = os.environ.get("CITYBPM_TEST_DATABASE_URL", "")
on_postgres = pytest.mark.skipif(not DATABASE.startswith("postgresql"), reason="the advisory lock needs PostgreSQL")
NOBODY_LISTENS = "redis://127.0.0.1:1/0"  # tcpmux: never served here, so the connection is refused
with_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")


class CountingLeader(AlwaysLeader):
    """A fallback that always leads and counts how often it was asked and released."""

    name = "counting"

    def __init__(self):
        self.asked = self.released = 0

    def try_lead(self) -> bool:
        self.asked += 1
        return True

    def release(self) -> None:
        self.released += 1


def unreachable_redis() -> redis.Redis:
    return redis.Redis.from_url(NOBODY_LISTENS, socket_timeout=2, socket_connect_timeout=2)


def unix_redis(path) -> redis.Redis:
    # redis-py retries a refused unix socket with backoff (seconds); TCP, as in production, fails at once
    return redis.Redis(unix_socket_path=str(path), socket_timeout=2, socket_connect_timeout=2,
                       retry=Retry(NoBackoff(), 0))


class RedisOnSocket:
    """A real redis-server listening on a unix socket only; stop() and start() it again at the same path."""

    def __init__(self, directory):
        self.socket = directory / "redis.sock"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(self.socket), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if unix_redis(self.socket).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)


@pytest.fixture
def redis_on_socket(tmp_path):
    server = RedisOnSocket(tmp_path)
    server.start()
    yield server
    server.stop()


def test_unreachable_redis_leads_through_the_fallback_and_says_so_once(tmp_path, caplog):
    fallback = CountingLeader()
    leader = RedisLeader(unreachable_redis(), fallback=fallback)
    with caplog.at_level(logging.INFO, logger="engine.leadership"):
        assert [leader.try_lead() for _ in range(3)] == [True, True, True]
    assert fallback.asked == 3
    assert leader.name == "counting (redis unreachable)"
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "falling back to counting" in caplog.records[0].getMessage()


def test_unreachable_redis_without_a_fallback_leads_nobody(tmp_path):
    assert RedisLeader(unreachable_redis()).try_lead() is False


@with_redis_server
def test_leadership_returns_to_redis_when_it_answers_again(redis_on_socket, caplog):
    fallback = CountingLeader()
    leader = RedisLeader(unix_redis(redis_on_socket.socket), fallback=fallback)
    assert leader.try_lead() and leader.name == "redis"
    redis_on_socket.stop()
    with caplog.at_level(logging.INFO, logger="engine.leadership"):
        assert leader.try_lead() and leader.try_lead()
        assert fallback.asked == 2 and fallback.released == 0
        redis_on_socket.start()  # a restarted Redis without persistence: the old key is gone
        assert leader.try_lead() and leader.try_lead()
    assert leader.name == "redis" and fallback.asked == 2 and fallback.released == 1
    assert unix_redis(redis_on_socket.socket).get(LEADER_KEY).decode() == leader.token
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("scheduler leadership: redis unreachable") and "falling back to counting" in messages[0]
    assert messages[1].startswith("scheduler leadership: redis reachable again")


@with_redis_server
def test_a_dead_leaders_key_is_released_and_only_the_dead_ones(redis_on_socket):
    client = unix_redis(redis_on_socket.socket)
    leader = RedisLeader(client)
    assert leader.try_lead()
    assert not release_dead_leader(client, os.getpid() + 1)  # some other process died: the key stays
    assert client.get(LEADER_KEY).decode() == leader.token
    assert release_dead_leader(client, os.getpid())
    assert client.get(LEADER_KEY) is None
    assert RedisLeader(client).try_lead()  # free at once, not after the TTL


def test_releasing_a_dead_leader_without_redis_gives_up_quietly():
    assert release_dead_leader(unreachable_redis(), 12345) is False


def test_choose_leadership_falls_back_to_the_databases_own_leader(tmp_path):
    sqlite_file = sa.create_engine(f"sqlite:///{tmp_path / 'city.sqlite3'}")
    chosen = choose_leadership(NOBODY_LISTENS, sqlite_file)
    assert isinstance(chosen, RedisLeader) and isinstance(chosen.fallback, FileLockLeader)
    assert chosen.fallback.path == f"{tmp_path / 'city.sqlite3'}.scheduler-lock"
    assert isinstance(choose_leadership(None, sqlite_file), FileLockLeader)
    assert isinstance(choose_leadership(None, sa.create_engine("sqlite://")), AlwaysLeader)  # one process only


# ------------------------------------------------------------------------------- SQLite: a file lock


def test_of_two_workers_on_one_sqlite_file_exactly_one_leads_until_it_lets_go(tmp_path):
    lock = str(tmp_path / "city.sqlite3.scheduler-lock")
    first, second = FileLockLeader(lock), FileLockLeader(lock)  # each its own open file, as two processes
    assert [first.try_lead(), second.try_lead()] == [True, False]
    assert [first.try_lead(), second.try_lead()] == [True, False]  # renewals keep it
    first.release()
    assert second.try_lead() and not first.try_lead()
    second.release()


def test_a_killed_sqlite_leader_process_leaves_its_leadership_free(tmp_path):
    lock = str(tmp_path / "city.sqlite3.scheduler-lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from engine.leadership import FileLockLeader; "
                               f"assert FileLockLeader({lock!r}).try_lead(); print('leading', flush=True); "
                               "time.sleep(600)"],
        stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        assert holder.stdout.readline().strip() == "leading"
        ours = FileLockLeader(lock)
        assert not ours.try_lead()
        holder.kill()
        holder.wait(timeout=10)
        assert ours.try_lead()  # the kernel dropped the dead process's lock
        ours.release()
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------------------- PostgreSQL: the real fallback


def lock_holders(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.objid = :id AND l.granted"), {"id": ADVISORY_LOCK_ID}).scalars())


@pytest.fixture
def pg_engine():
    engine = sa.create_engine(DATABASE)
    yield engine
    engine.dispose()


@on_postgres
def test_with_redis_down_exactly_one_of_two_processes_leads_through_the_advisory_lock(tmp_path, pg_engine):
    """Two leaders as two processes would hold them (each its own connection): before the fallback, neither led."""
    first = RedisLeader(unreachable_redis(), fallback=PostgresAdvisoryLeader(pg_engine))
    second = RedisLeader(unreachable_redis(), fallback=PostgresAdvisoryLeader(pg_engine))
    try:
        for _ in range(3):
            assert (first.try_lead(), second.try_lead()) == (True, False)
        assert lock_holders(pg_engine) == [f"citybpm-scheduler pid={os.getpid()}"]
        first.release()  # the leader stops (or dies): the other takes the lock on its next round
        assert second.try_lead() and not first.fallback._conn
    finally:
        first.release()
        second.release()
    assert lock_holders(pg_engine) == []


@on_postgres
@with_redis_server
def test_redis_returning_releases_the_advisory_lock(redis_on_socket, pg_engine):
    leader = RedisLeader(unix_redis(redis_on_socket.socket), fallback=PostgresAdvisoryLeader(pg_engine))
    try:
        redis_on_socket.stop()
        assert leader.try_lead() and len(lock_holders(pg_engine)) == 1
        redis_on_socket.start()
        assert leader.try_lead() and leader.name == "redis"
        assert lock_holders(pg_engine) == []
    finally:
        leader.release()


@on_postgres
def test_the_advisory_lock_connection_does_not_sit_in_an_open_transaction(pg_engine):
    """A session idle in a transaction for days would be cut by idle_in_transaction_session_timeout."""
    leader = PostgresAdvisoryLeader(pg_engine)
    try:
        assert leader.try_lead()
        with pg_engine.connect() as conn:
            state = conn.execute(sa.text("SELECT state FROM pg_stat_activity WHERE application_name = :name"),
                                 {"name": f"citybpm-scheduler pid={os.getpid()}"}).scalar_one()
        assert state == "idle"
    finally:
        leader.release()
