"""The Prometheus metrics this process records, and what feeds them.

Counters and histograms are updated as things happen: requests (after each response), cases started and tasks
completed (after each committed command, see engine_events). With ``PROMETHEUS_MULTIPROC_DIR`` set (several
gunicorn workers), prometheus_client keeps each worker's values in memory-mapped files in that directory and the
scrape adds them up, so whichever worker answers ``/metrics`` reports the totals. The production command must
point it at a fresh, empty directory: files left from an earlier run would be added in.

Label values are bounded: the route is the URL rule (``/api/v1/cases/<case_no>``), never the raw path; unknown
HTTP methods are "other"; process keys are the deployed definitions.
"""
from __future__ import annotations

import os
import threading
import time

from flask import Flask, request
from prometheus_client import Counter, Gauge, Histogram

from api.observability import engine_events
from api.observability.request_log import elapsed_seconds
from api.observability.scheduler_state import scheduler_state

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None  # read once, as prometheus_client does
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"  # 404s and 405s: no rule matched, and the raw path must not become a label

REQUESTS = Counter("citybpm_http_requests", "HTTP requests answered, by method, URL rule and status",
                   ["method", "route", "status"])
LATENCY = Histogram("citybpm_http_request_duration_seconds", "Time to answer an HTTP request (to the first byte)",
                    ["method", "route"])
CASES_STARTED = Counter("citybpm_cases_started", "Cases started (committed case.started events)", ["process"])
TASKS_COMPLETED = Counter("citybpm_tasks_completed", "Tasks completed (committed task.completed events)")
# Per process ("liveall": one series per live worker, with a pid label, in multiprocess mode).
SCHEDULER_LEADER = Gauge("citybpm_scheduler_leader", "1 if this process leads the timer scheduler",
                         ["leadership"], multiprocess_mode="liveall")

LEADERSHIP_REFRESH_SECONDS = 5.0


def count_engine_events(rows: list[tuple[str, dict]]) -> None:
    for type_, data in rows:
        if type_ == "case.started":
            CASES_STARTED.labels(process=str((data or {}).get("definition") or "unknown")).inc()
        elif type_ == "task.completed":
            TASKS_COMPLETED.inc()


def observe_request(response) -> None:
    method = request.method if request.method in KNOWN_METHODS else "other"
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    seconds = elapsed_seconds()
    if seconds is not None:
        LATENCY.labels(method, route).observe(seconds)


# ----------------------------------------------------------------------------- scheduler leadership

_leadership_lock = threading.Lock()
_leadership_seen: set[str] = set()


def refresh_leadership(app: Flask) -> None:
    """Write this process's leadership: 1 or 0 under its current kind, 0 under kinds it had before."""
    state = scheduler_state(app)
    with _leadership_lock:
        _leadership_seen.add(state.leadership)
        for kind in _leadership_seen:
            SCHEDULER_LEADER.labels(leadership=kind).set(1 if kind == state.leadership and state.leader else 0)


class LeadershipWatch:
    """In multiprocess mode a worker's gauge is only as fresh as its last write, and the scrape may land on any
    worker: each worker rewrites its own every few seconds. Started on the first request, so after the fork."""

    def __init__(self, app: Flask):
        self.app, self._pid, self._lock = app, None, threading.Lock()

    def ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="citybpm-leadership-gauge", daemon=True).start()

    def _run(self) -> None:
        while True:
            refresh_leadership(self.app)
            time.sleep(LEADERSHIP_REFRESH_SECONDS)


def init_app(app: Flask) -> None:
    from api.extensions import db

    with app.app_context():
        engine_events.watch(db.engine)
    engine_events.on_commit(count_engine_events)

    @app.after_request
    def _observe(response):
        observe_request(response)
        return response

    if MULTIPROCESS_DIR:
        watch = LeadershipWatch(app)
        app.extensions["citybpm_leadership_watch"] = watch
        app.before_request_funcs.setdefault(None, []).insert(0, watch.ensure_running)
