"""``GET /metrics``: the Prometheus text format, for a monitoring token only.

Who may scrape: a bearer API token whose user holds ``system.monitor`` (the admin role has it; grant it to a
monitoring role at /api/v1/roles), or the static ``CITYBPM_METRICS_TOKEN`` for a Prometheus server that has no
user. The static token is kept only as its SHA-256 digest and compared in constant time.

What is computed now, at scrape time, from the database (cheap, indexed; never a gauge kept in a worker):
open tasks by light (as ``GET /tasks?light=`` classifies them, counted over the task table's due/warn indexes) and
the timer lag (how long the oldest due timer has waited: the scheduler is behind or nobody leads).
"""
from __future__ import annotations

import glob
import hashlib
import hmac
import logging
import os
import re

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

from api.errors import ApiProblem
from api.extensions import db
from api.observability import metrics
from api.observability.options import setting
from engine import clock
from engine.deadlines import Light, light
from engine.models import Instance, Task
from engine.timers import TIMERS

log = logging.getLogger(__name__)

blp = Blueprint("metrics", __name__)

MONITOR_PERMISSION = "system.monitor"
TASKS, INSTANCES = Task.__table__, Instance.__table__


@blp.get("/metrics")
def scrape():
    _authorize()
    app = current_app._get_current_object()
    metrics.refresh_leadership(app)
    registry = CollectorRegistry(auto_describe=False)
    if metrics.MULTIPROCESS_DIR:
        from prometheus_client import multiprocess

        _forget_dead_workers(metrics.MULTIPROCESS_DIR)
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseState(app))
    response = Response(generate_latest(registry), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


# ----------------------------------------------------------------------------- who may scrape

def _authorize() -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(401, "unauthorized", "需要监控令牌", "a monitoring token is required")
    static_digest = current_app.extensions.get("citybpm_metrics_token")
    if static_digest is not None and hmac.compare_digest(hashlib.sha256(token.encode()).digest(), static_digest):
        return
    from api.auth import _principal_for  # the API's own token check (cache, expiry, revocation); 401 if invalid

    principal = _principal_for(token)
    g.principal, g.actor = principal, principal.actor  # the access line names the user
    if MONITOR_PERMISSION not in principal.permissions:
        raise ApiProblem(403, "forbidden", "没有查看监控指标的权限", "you may not read the metrics")


def static_token_digest(app: Flask) -> bytes | None:
    token = setting(app.config, "CITYBPM_METRICS_TOKEN")
    return hashlib.sha256(token.encode()).digest() if token else None


# ----------------------------------------------------------------------------- what the scrape reads

class _ThisProcess:
    """One process: the default registry (our metrics, plus the process and Python ones)."""

    def collect(self):
        yield from REGISTRY.collect()


_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


def _forget_dead_workers(directory: str) -> None:
    """A worker killed (SIGKILL, OOM) leaves its per-process gauge file: drop the files of pids that are gone, so a
    dead leader does not still read 1. Counters are kept: their totals must never go down."""
    from prometheus_client import multiprocess

    pids = {int(m.group(1)) for path in glob.glob(os.path.join(directory, "gauge_live*.db"))
            if (m := _LIVE_FILE.search(os.path.basename(path)))}
    for pid in pids:
        if pid != os.getpid() and not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


class DatabaseState:
    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        now = clock.now()
        try:
            with self.app.app_context(), db.engine.connect() as conn:
                by_light = open_tasks_by_light(conn, now)
                lag = timer_lag_seconds(conn, now)
        except Exception as exc:  # noqa: BLE001 - the counters still answer; the database state is left out
            log.warning("metrics: database state unavailable (%s)", type(exc).__name__)
            return
        tasks = GaugeMetricFamily("citybpm_open_tasks", "Open tasks with a deadline, by light (paused cases not "
                                  "counted)", labels=["light"])
        for name in Light.ALL:
            tasks.add_metric([name], by_light[name])
        yield tasks
        yield GaugeMetricFamily("citybpm_timer_lag_seconds",
                                "Seconds the oldest due, unfired timer has waited (0: none waiting)", value=lag)


def open_tasks_by_light(conn, now) -> dict[str, int]:
    """Three COUNTs that each read one index only (no table rows), as GET /tasks?light= would classify them.

    They rest on what the engine guarantees of every task row: due_at and warn_at are set together and
    warn_at <= due_at (engine.deadlines, engine.case_clock). So red ⊆ "warned", yellow = warned − red and
    green = not yet due − yellow. (Filtering on both columns at once made the database read every row: 150 ms
    per 100 000 tasks on SQLite.) Tasks of paused (挂账) cases show no light: there are few, found through the
    instance status index, and they come off afterwards."""
    def count(condition) -> int:
        return conn.scalar(select(func.count()).select_from(TASKS).where(condition))

    red, not_due, warned = count(TASKS.c.due_at <= now), count(TASKS.c.due_at > now), count(TASKS.c.warn_at <= now)
    yellow = max(warned - red, 0)
    counts = {Light.RED: red, Light.YELLOW: yellow, Light.GREEN: max(not_due - yellow, 0)}
    paused = conn.execute(select(TASKS.c.warn_at, TASKS.c.due_at)
                          .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
                          .where(INSTANCES.c.status == "suspended", TASKS.c.due_at.is_not(None)))
    for warn_at, due_at in paused:
        counts[light(now, warn_at, due_at)] -= 1
    return counts


def timer_lag_seconds(conn, now) -> float:
    """Timers fire strictly after their instant (engine.firing), so "due" is ``due_at < now``."""
    oldest = conn.scalar(select(func.min(TIMERS.c.due_at)).where(TIMERS.c.due_at < now))
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def init_app(app: Flask) -> None:
    app.extensions["citybpm_metrics_token"] = static_token_digest(app)
    app.register_blueprint(blp)
