"""Running the app under gunicorn from our own CLI (``citybpm serve``).

gunicorn's threaded worker keeps per-connection latency flat when many clients
hold keep-alive connections (waitress's dispatcher added ~2 ms per request).

With several workers (PostgreSQL): the master builds the app once and forks the
workers (``preload_app``), so a worker killed by a crash or the OOM killer is
back at once, and a broken configuration stops the master instead of a loop of
failing worker boots. No database connection crosses a fork: each worker drops
the pool it inherited before its first query. Every worker starts the embedded
scheduler; engine.leadership lets one of them lead. SIGTERM to the master is a
graceful stop: workers stop accepting, finish the requests in flight (up to
``graceful_timeout``), release the scheduler leadership and exit.
"""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from api import cpu_affinity as cpu_affinity_hooks
from api.app import create_app
from api.extensions import db
from api.observability.options import json_logs_wanted
from api.scheduling import start_scheduler, stop_scheduler
from engine.leadership import release_dead_leader

# Each open live-update stream (GET /api/v1/events/stream, at most 5 minutes) holds one thread: leave room for
# a few dozen browsers per worker next to the ordinary requests.
DEFAULT_THREADS = 32
# SIGTERM: how long requests in flight may take to finish before the worker is killed.
DEFAULT_GRACEFUL_TIMEOUT = 30
# The scheduler's longest sleep: its safety net when a wake-up is lost (Redis down: other workers' commits
# cannot wake the leader, so a timer they wrote fires at most this late).
DEFAULT_SCHEDULER_MAX_SLEEP = 60.0


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app({"CITYBPM_WORKER_THREADS": self.options["threads"]})


def forget_inherited_connections(app) -> None:
    """In a forked worker: drop the pooled connections copied from the master without closing them (close=False:
    they are the master's; two processes talking over one socket would corrupt both sessions)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def _worker_started(scheduler_max_sleep: float):
    def post_worker_init(worker):
        """Each worker may lead the scheduler; leadership (Redis / advisory lock / single process) picks one."""
        app = worker.wsgi
        forget_inherited_connections(app)
        if app.config.get("CITYBPM_SCHEDULER") == "embedded":
            start_scheduler(app, max_sleep=scheduler_max_sleep)
    return post_worker_init


def _stop_embedded_scheduler(worker):
    stop_scheduler(worker.wsgi)


def _worker_gone(server, worker) -> None:
    """In the master, after a worker ended — crashed or killed too, when worker_exit never ran: free the scheduler
    leadership it may have held, so the next leader takes over within seconds rather than after the key's TTL."""
    app = server.app.callable  # the preloaded app
    url = app.config.get("CITYBPM_REDIS_URL") if app is not None else None
    if url:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # the master must not hang on an unreachable Redis: its other workers wait on it
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        release_dead_leader(client, worker.pid)
        client.close()


def serve(*, host: str, port: int, workers: int = 1, threads: int = DEFAULT_THREADS,
          graceful_timeout: int = DEFAULT_GRACEFUL_TIMEOUT,
          scheduler_max_sleep: float = DEFAULT_SCHEDULER_MAX_SLEEP, cpu_affinity: bool = True) -> None:
    pinning = {"pre_fork": cpu_affinity_hooks.choose_cpu, "post_fork": cpu_affinity_hooks.pin_worker} \
        if cpu_affinity else {}
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 30,
        "accesslog": None if json_logs_wanted() else "-",  # JSON logs write their own, with the request id
        "errorlog": "-",
        "timeout": 120,
        "graceful_timeout": graceful_timeout,
        "preload_app": True,
        # gunicorn 27's control socket defaults to one path per user: a second server (or a test's) would take it
        # over. Nothing here uses it; stop/reload go through signals to the master.
        "control_socket_disable": True,
        "post_worker_init": _worker_started(scheduler_max_sleep),
        "worker_exit": lambda _server, worker: _stop_embedded_scheduler(worker),
        "child_exit": _worker_gone,
        **pinning,
    }).run()
