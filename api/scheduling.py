"""Running the scheduler next to the app: embedded in the server, or as ``citybpm scheduler``."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import sessionmaker

from api.extensions import db
from engine.leadership import choose_leadership
from engine.outage import Outage
from engine.scheduler import WAKE_CHANNEL, Scheduler, install_commit_hook

log = logging.getLogger(__name__)


def redis_client(app: Flask):
    url = app.config.get("CITYBPM_REDIS_URL")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def install_wakeups(app: Flask) -> None:
    """After a commit that wrote a timer: wake this process's scheduler and, with Redis, the leader."""
    client = redis_client(app)
    outage = Outage(log, "publishing scheduler wake-ups to Redis")

    def wake(due):
        scheduler = app.extensions.get("citybpm_scheduler")
        if scheduler is not None:
            scheduler.poke(due)
        if client is not None and outage.should_try():
            try:
                client.publish(WAKE_CHANNEL, due.isoformat())
                outage.worked()
            except Exception as exc:  # noqa: BLE001 - the leader's safety-net wake still comes
                outage.failed(exc)

    install_commit_hook(wake)


def start_scheduler(app: Flask, **options) -> Scheduler:
    """Start (once per process) the scheduler for this app; leadership decides who fires."""
    existing = app.extensions.get("citybpm_scheduler")
    if existing is not None:
        return existing
    with app.app_context():
        bind = db.engine
    sessions = sessionmaker(bind=bind, expire_on_commit=False)
    leadership = choose_leadership(app.config.get("CITYBPM_REDIS_URL"), bind)
    scheduler = Scheduler(app.extensions["citybpm_engine"], sessions, leadership=leadership,
                          redis_client=redis_client(app), **options)
    app.extensions["citybpm_scheduler"] = scheduler
    scheduler.start()
    log.info("scheduler started (leadership: %s)", leadership.name)
    return scheduler


def stop_scheduler(app: Flask) -> None:
    scheduler = app.extensions.pop("citybpm_scheduler", None)
    if scheduler is not None:
        scheduler.stop()
