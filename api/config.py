"""Configuration: plain values read from ``CITYBPM_*`` environment variables, in one place."""
from __future__ import annotations

import os
from pathlib import Path

from engine.db import default_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-secret-change-me"


def from_environment(environ=os.environ) -> dict:
    instance_dir = environ.get("CITYBPM_INSTANCE_DIR", str(PROJECT_ROOT / "instance"))
    return {
        "CITYBPM_ENV": environ.get("CITYBPM_ENV", "development"),
        "SQLALCHEMY_DATABASE_URI": environ.get("CITYBPM_DATABASE_URL") or default_database_url(instance_dir),
        "SECRET_KEY": environ.get("CITYBPM_SECRET_KEY", DEV_SECRET_KEY),
        "CITYBPM_CASE_PREFIX": environ.get("CITYBPM_CASE_PREFIX", "CG"),
        "CITYBPM_CASE_NUMBER_PATTERN": environ.get("CITYBPM_CASE_NUMBER_PATTERN", "{prefix}{date:%Y%m%d}{seq:04d}"),
        "CITYBPM_TOKEN_HOURS": float(environ.get("CITYBPM_TOKEN_HOURS", "12")),
        "CITYBPM_MAX_UPLOAD_BYTES": int(environ.get("CITYBPM_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(environ.get("CITYBPM_MAX_REQUEST_BYTES", str(10 * 1024 * 1024))),
        "PROCESSES_DIR": environ.get("CITYBPM_PROCESSES_DIR", str(PROJECT_ROOT / "processes")),
        "CITYBPM_REDIS_URL": environ.get("CITYBPM_REDIS_URL") or None,
        # networks webhooks may reach although they are refused by default (loopback, link-local …)
        "CITYBPM_WEBHOOK_ALLOWED_NETWORKS": environ.get("CITYBPM_WEBHOOK_ALLOWED_NETWORKS", ""),
        # PostgreSQL connections kept per process; unset: one per request thread (and two for the scheduler)
        # under `citybpm serve`
        "CITYBPM_DB_POOL_SIZE": int(environ["CITYBPM_DB_POOL_SIZE"]) if environ.get("CITYBPM_DB_POOL_SIZE") else None,
        # embedded: the server runs the scheduler (leader-elected); off: run `citybpm scheduler` separately
        "CITYBPM_SCHEDULER": environ.get("CITYBPM_SCHEDULER", "embedded"),
        "CITYBPM_WARN_SHARE": float(environ.get("CITYBPM_WARN_SHARE", "0.8")),
        # failed logins per account, and all logins per address (flask-limiter notation)
        "CITYBPM_LOGIN_LIMIT_ACCOUNT": environ.get("CITYBPM_LOGIN_LIMIT_ACCOUNT", "5 per minute"),
        "CITYBPM_LOGIN_LIMIT_ADDRESS": environ.get("CITYBPM_LOGIN_LIMIT_ADDRESS", "60 per minute"),
        "SESSION_COOKIE_SECURE": environ.get("CITYBPM_COOKIE_SECURE", "0") == "1",
        # a live-update stream holds a server thread: it ends after this long and the browser reconnects
        "CITYBPM_LIVE_MAX_SECONDS": float(environ.get("CITYBPM_LIVE_MAX_SECONDS", "300")),
        "CITYBPM_LIVE_PING_SECONDS": float(environ.get("CITYBPM_LIVE_PING_SECONDS", "15")),
        "CITYBPM_LIVE_MAX_STREAMS": int(environ["CITYBPM_LIVE_MAX_STREAMS"])
        if environ.get("CITYBPM_LIVE_MAX_STREAMS") else None,
    }


# Next to the request threads, a worker's scheduler uses one connection for its work and, without Redis, holds
# one more for its advisory leadership lock.
SCHEDULER_CONNECTIONS = 2


def database_pool_options(config: dict) -> dict:
    """SQLAlchemy pool options for a server on PostgreSQL: a fixed pool, ``CITYBPM_DB_POOL_SIZE`` connections or
    one per request thread (and the scheduler's), each opened when first needed and then kept.

    SQLAlchemy's default keeps 5 connections and opens up to 10 more under load, closing each again when it is
    returned. A busy worker thus opened a new PostgreSQL session every few requests: a new server process, its
    caches filled anew, and every statement parsed and planned again until psycopg prepared it (on its fifth run
    on that connection). The pool hands out the connection returned last (LIFO): the few a worker keeps busy
    stay warm, with their statements prepared, rather than every request rotating through all of them. Scripts
    keep SQLAlchemy's default sizes. On PostgreSQL every connection is pinged when checked out (a round trip of a
    few tens of microseconds); SQLite keeps all of SQLAlchemy's defaults.
    """
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return {}
    # pre-ping: a connection the server dropped (PostgreSQL restarted or failed over, a firewall closing idle
    # sessions) is found out and replaced at checkout; without it the next request on each one answered 500
    options = {"pool_pre_ping": True}
    threads = config.get("CITYBPM_WORKER_THREADS")
    size = config.get("CITYBPM_DB_POOL_SIZE") or (threads + SCHEDULER_CONNECTIONS if threads else None)
    if size:
        options.update(pool_size=size, max_overflow=0, pool_use_lifo=True)
    return options


API_SETTINGS = {
    "API_TITLE": "citybpm",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "v1/openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs-assets/",
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "citybpm_session",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
}
