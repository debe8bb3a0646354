"""Probes for load balancers and orchestrators: ``/healthz`` (liveness) and ``/readyz`` (readiness).

Both answer without authentication and say nothing an outsider could use: statuses, reason codes and timings,
never URLs, hosts or exception messages (a driver's message names the host and the database user).

- ``/healthz``: the process answers. No database: a database outage must not get healthy workers restarted.
- ``/readyz``: ``SELECT 1`` on the database and, when ``CITYBPM_REDIS_URL`` is set, ``PING`` to Redis.
  Database down → 503 ``unavailable`` (take this worker out). Redis down → 200 ``degraded``: the app keeps
  serving (the scheduler falls back, live updates stay within the process), so the worker stays in.
  Each change of a dependency's state is logged once, not once per probe.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from api.extensions import db
from api.observability.scheduler_state import scheduler_state

log = logging.getLogger(__name__)

blp = Blueprint("probes", __name__)

UP, DOWN, NOT_CONFIGURED = "up", "down", "not_configured"
READY, DEGRADED, UNAVAILABLE = "ready", "degraded", "unavailable"
PROBE_TIMEOUT_SECONDS = 1.0


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/healthz")
def healthz():
    return _no_store(jsonify({"status": "ok"}))


@blp.get("/readyz")
def readyz():
    report = current_app.extensions["citybpm_readiness"].report()
    return _no_store(jsonify(report)), 503 if report["status"] == UNAVAILABLE else 200


class Readiness:
    def __init__(self, app: Flask):
        self.app = app
        self.redis_url = app.config.get("CITYBPM_REDIS_URL")
        self._redis = None
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def report(self) -> dict:
        database, redis = self._database(), self._redis_check()
        state = scheduler_state(self.app)
        if database["status"] != UP:
            status = UNAVAILABLE
        elif redis["status"] == DOWN:
            status = DEGRADED
        else:
            status = READY
        return {"status": status, "checks": {
            "database": database, "redis": redis,
            "scheduler": {"leadership": state.leadership, "leader": state.leader}}}

    # ------------------------------------------------------------------ checks

    def _database(self) -> dict:
        started = time.perf_counter()
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the reason is a code
            return self._down("database", _reason(exc), logging.ERROR)
        return self._up("database", started)

    def _redis_check(self) -> dict:
        if not self.redis_url:
            return {"status": NOT_CONFIGURED}
        started = time.perf_counter()
        try:
            self._client().ping()
        except Exception as exc:  # noqa: BLE001
            return self._down("redis", _reason(exc), logging.WARNING)
        return self._up("redis", started)

    def _client(self):
        if self._redis is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # one attempt, short timeouts: a probe must answer before the load balancer gives up on it
            self._redis = redis.Redis.from_url(self.redis_url, socket_timeout=PROBE_TIMEOUT_SECONDS,
                                               socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                                               retry=Retry(NoBackoff(), 0))
        return self._redis

    # ------------------------------------------------------------------ state changes, logged once

    def _up(self, name: str, started: float) -> dict:
        if self._changed(name, UP):
            log.info("%s reachable again", name, extra={"check": name, "check_status": UP})
        return {"status": UP, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}

    def _down(self, name: str, reason: str, level: int) -> dict:
        if self._changed(name, DOWN):
            consequence = "not ready" if name == "database" else "degraded, still serving"
            log.log(level, "%s unavailable (%s): %s", name, reason, consequence,
                    extra={"check": name, "check_status": DOWN, "reason": reason})
        return {"status": DOWN, "reason": reason}

    def _changed(self, name: str, status: str) -> bool:
        """True on a change (the first "down" counts; the first "up" is just the normal start)."""
        with self._lock:
            previous, self._last[name] = self._last.get(name), status
        return previous != status and not (previous is None and status == UP)


def _reason(exc: Exception) -> str:
    """A short code for what went wrong, safe to publish (no message text: it may name hosts and users)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"TimeoutError", "timeout"}:
        return "timeout"
    if "AuthenticationError" in names:
        return "authentication_failed"
    if names & {"ConnectionError", "OperationalError", "InterfaceError", "OSError"}:
        return "connection_failed"
    return "error"


def init_app(app: Flask) -> None:
    app.extensions["citybpm_readiness"] = Readiness(app)
    app.register_blueprint(blp)
