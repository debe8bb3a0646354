"""Which process runs the scheduler: one leader among many.

With Redis (``CITYBPM_REDIS_URL``) the leader holds a key with a TTL and renews
it; when it dies the key expires and another process takes over within the
TTL. Without Redis, on PostgreSQL a session-level advisory lock does the same
job; on SQLite (one process) the single process leads. Firing stays safe even if
two processes believed they led for a moment: every timer is claimed by a
DELETE that only one of them can win.
"""
from __future__ import annotations

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


class RedisLeader:
    """SET key NX PX ttl to lead; renew only while the key is still ours (atomic via a Lua script)."""

    _RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
              "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
    name = "redis"

    def __init__(self, client, ttl_seconds: float = 10.0):
        self.client, self.ttl_ms = client, int(ttl_seconds * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew = client.register_script(self._RENEW)
        self._release = client.register_script(self._RELEASE)

    def try_lead(self) -> bool:
        try:
            if self._renew(keys=[LEADER_KEY], args=[self.token, self.ttl_ms]):
                return True
            return bool(self.client.set(LEADER_KEY, self.token, nx=True, px=self.ttl_ms))
        except Exception as exc:  # Redis down: nobody can be sure; stand aside and say why
            log.warning("scheduler leadership: redis unavailable (%s)", exc)
            return False

    def release(self) -> None:
        try:
            self._release(keys=[LEADER_KEY], args=[self.token])
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass


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
                return bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:id)"),
                                               {"id": ADVISORY_LOCK_ID}).scalar())
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


def choose_leadership(redis_url: str | None, engine: SqlEngine):
    if redis_url:
        import redis

        return RedisLeader(redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2))
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLeader(engine)
    return AlwaysLeader()
