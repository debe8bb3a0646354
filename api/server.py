"""Running the app under gunicorn from our own CLI (``citybpm serve``).

gunicorn's threaded worker keeps per-connection latency flat when many clients
hold keep-alive connections (waitress's dispatcher added ~2 ms per request).
"""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from api.app import create_app
from api.observability.options import json_logs_wanted
from api.scheduling import start_scheduler, stop_scheduler

# Each open live-update stream (GET /api/v1/events/stream, at most 5 minutes) holds one thread: leave room for
# a few dozen browsers per worker next to the ordinary requests.
DEFAULT_THREADS = 32


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app()


def _start_embedded_scheduler(worker):
    """Each worker may lead the scheduler; leadership (Redis / advisory lock / single process) picks one."""
    app = worker.wsgi
    if app.config.get("CITYBPM_SCHEDULER") == "embedded":
        start_scheduler(app)


def _stop_embedded_scheduler(worker):
    stop_scheduler(worker.wsgi)


def serve(*, host: str, port: int, workers: int = 1, threads: int = DEFAULT_THREADS) -> None:
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 30,
        "accesslog": None if json_logs_wanted() else "-",  # JSON logs write their own, with the request id
        "errorlog": "-",
        "timeout": 120,
        "post_worker_init": _start_embedded_scheduler,
        "worker_exit": lambda _server, worker: _stop_embedded_scheduler(worker),
    }).run()
