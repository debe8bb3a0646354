"""Which process runs the scheduler: one leader among many.

With Redis (``CITYBPM_REDIS_URL``) the leader holds a key with a TTL and renews
it; when it dies the key expires and another process takes over within the
TTL. Without Redis, on PostgreSQL a session-level advisory lock does the same
job; on SQLite (the processes of one host) an exclusive lock on a file next to
the database does it, and an in-memory database's single process leads. While a configured Redis
is unreachable, leadership falls back to that database leader and returns to
Redis when it answers again (each change logged once). Firing stays safe even if
two processes believed they led for a moment (the hand-over back to Redis, or a
Redis seen by some processes only): every timer is claimed by a DELETE that
only one of them can win.
"""
from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import uuid

from sqlalchemy import text
from sqlalchemy.engine import Engine as SqlEngine

log = logging.getLogger(__name__)

LEADER_KEY = "citybpm:scheduler:leader"
ADVISORY_LOCK_ID = 0x63697479  # "city"


class AlwaysLeader:
    name = "single-process"

    def try_lead(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLockLeader:
    """SQLite: the workers of one host share the database file. An exclusive ``flock`` on a file next to it
    picks one leader; the kernel drops the lock when its holder dies, and another worker takes it at its next
    check. (Before, every worker led: timers still fired once, but each reported itself leader.)"""

    name = "sqlite-file-lock"

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    def try_lead(self) -> bool:
        with self._lock:
            if self._fd is not None:
                return True
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                log.warning("scheduler leadership: cannot open %s (%s)", self.path, exc)
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)  # another process leads
                return False
            self._fd = fd
            return True

    def release(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)  # closing the only descriptor drops the lock
                self._fd = None


class RedisLeader:
    """SET key NX PX ttl to lead; renew only while the key is still ours (atomic via a Lua script).

    ``fallback`` leads while Redis cannot be reached: without it nobody would lead during an outage, and
    no timer would fire. The Redis errors are logged once per outage, not on every renewal."""

    _RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
              "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

    def __init__(self, client, ttl_seconds: float = 10.0, fallback=None):
        self.client, self.ttl_ms = client, int(ttl_seconds * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew = client.register_script(self._RENEW)
        self._release = client.register_script(self._RELEASE)
        self.fallback = fallback
        self.redis_reachable = True
        self._lock = threading.Lock()  # the leadership check and the timers job both ask, from two threads

    @property
    def name(self) -> str:
        if self.redis_reachable or self.fallback is None:
            return "redis"
        return f"{self.fallback.name} (redis unreachable)"

    def try_lead(self) -> bool:
        with self._lock:
            try:
                leading = self._lead_through_redis()
            except Exception as exc:  # noqa: BLE001 - refused, timed out, misconfigured: Redis cannot tell us
                return self._redis_lost(exc)
            if not self.redis_reachable:
                self._redis_back()
            return leading

    def _lead_through_redis(self) -> bool:
        if self._renew(keys=[LEADER_KEY], args=[self.token, self.ttl_ms]):
            return True
        return bool(self.client.set(LEADER_KEY, self.token, nx=True, px=self.ttl_ms))

    def _redis_lost(self, exc: Exception) -> bool:
        if self.redis_reachable:
            self.redis_reachable = False
            if self.fallback is None:
                log.warning("scheduler leadership: redis unreachable (%s); nobody leads until it answers", exc)
            else:
                log.warning("scheduler leadership: redis unreachable (%s); falling back to %s (pid %s)",
                            exc, self.fallback.name, os.getpid())
        return self.fallback.try_lead() if self.fallback is not None else False

    def _redis_back(self) -> None:
        """Hand the database lock back first: whoever reaches Redis first leads from now on."""
        self.redis_reachable = True
        if self.fallback is not None:
            self.fallback.release()
        log.info("scheduler leadership: redis reachable again; back to leading through redis (pid %s)", os.getpid())

    def release(self) -> None:
        try:
            self._release(keys=[LEADER_KEY], args=[self.token])
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass
        if self.fallback is not None:
            self.fallback.release()


# Delete the key only while it names the dead process ("host:pid:" prefix): a successor's key stays.
_RELEASE_DEAD = ("local owner = redis.call('get', KEYS[1]) "
                 "if owner and string.sub(owner, 1, string.len(ARGV[1])) == ARGV[1] then "
                 "return redis.call('del', KEYS[1]) end return 0")


def release_dead_leader(client, pid: int, hostname: str | None = None) -> bool:
    """A supervisor (gunicorn's master) saw process ``pid`` of this host die: if it held the Redis leadership, free
    it now, so another process leads at its next check (seconds) instead of after the key's TTL. The advisory
    lock needs no such help: PostgreSQL drops it with the dead process's connection."""
    try:
        released = bool(client.eval(_RELEASE_DEAD, 1, LEADER_KEY, f"{hostname or socket.gethostname()}:{pid}:"))
    except Exception as exc:  # noqa: BLE001 - Redis down: the key expires by itself, or nobody leads through it
        log.info("scheduler leadership: could not release the leadership of dead process %s (%s)", pid, exc)
        return False
    if released:
        log.warning("scheduler leadership: leader process %s died; its leadership is free", pid)
    return released


class PostgresAdvisoryLeader:
    """Holds ``pg_try_advisory_lock`` on a dedicated connection; the lock dies with the process."""

    name = "postgres-advisory-lock"

    def __init__(self, engine: SqlEngine):
        self.engine = engine
        self._conn = None
        self._lock = threading.Lock()

    def try_lead(self) -> bool:
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self.engine.connect()
                    # operators (and the fault tests) see in pg_stat_activity which process holds the lock
                    self._conn.execute(text("SELECT set_config('application_name', :name, false)"),
                                       {"name": f"citybpm-scheduler pid={os.getpid()}"})
                leading = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:id)"),
                                                  {"id": ADVISORY_LOCK_ID}).scalar())
                # the lock belongs to the session, not the transaction: end it rather than sit idle in one
                self._conn.commit()
                return leading
            except Exception as exc:  # noqa: BLE001
                log.warning("scheduler leadership: advisory lock failed (%s)", exc)
                self._drop()
                return False

    def release(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self):
        """Unlock and really close: a pooled connection would keep the session, and the lock, alive."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            except Exception:  # noqa: BLE001
                pass
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None


def database_leader(engine: SqlEngine):
    """The leader the database itself can choose: an advisory lock on PostgreSQL, a file lock next to a SQLite
    file; an in-memory SQLite database lives in one process, which leads."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLeader(engine)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        return FileLockLeader(f"{database}.scheduler-lock")
    return AlwaysLeader()


def choose_leadership(redis_url: str | None, engine: SqlEngine):
    """Redis when configured, with the database's own leader as the fallback during a Redis outage."""
    fallback = database_leader(engine)
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        return RedisLeader(client, fallback=fallback)
    return fallback
