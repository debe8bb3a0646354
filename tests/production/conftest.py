"""The production topology under faults: gunicorn workers (``python -m api.cli serve --workers N``) on the
PostgreSQL and Redis that CI provides (CITYBPM_TEST_DATABASE_URL=postgresql…, CITYBPM_TEST_REDIS_URL).

The session ``app`` fixture (tests/conftest.py) resets and migrates that database and seeds the demo users; the
servers started here use it too, and read a shared file clock (CITYBPM_CLOCK_FILE) that the tests move.
Skipped on the embedded SQLite default: there is only ever one process there.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.clock import FileClock
from tests.production.servers import Gunicorn, RedisServer

DATABASE = os.environ.get("CITYBPM_TEST_DATABASE_URL", "")
REDIS = os.environ.get("CITYBPM_TEST_REDIS_URL", "")
# The Redis-outage test kills and restarts a redis-server of its own on this port (never CI's shared one).
OWN_REDIS_PORT = int(os.environ.get("CITYBPM_TEST_OWN_REDIS_PORT", "56381"))
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    if DATABASE.startswith("postgresql") and REDIS:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis (CITYBPM_TEST_DATABASE_URL, CITYBPM_TEST_REDIS_URL)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture
def clock_file(tmp_path, virtual_clock):
    path = tmp_path / "clock.txt"
    FileClock.write(str(path), virtual_clock.now())
    return path


def server_environment(tmp_path: Path, clock_file: Path, redis_url: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CITYBPM_", "PROMETHEUS_"))}
    metrics = tmp_path / f"metrics-{len(list(tmp_path.glob('metrics-*')))}"
    metrics.mkdir()
    env.update(CITYBPM_DATABASE_URL=DATABASE, CITYBPM_REDIS_URL=redis_url, CITYBPM_CLOCK_FILE=str(clock_file),
               CITYBPM_INSTANCE_DIR=str(tmp_path / "instance"), PROMETHEUS_MULTIPROC_DIR=str(metrics),
               # the file clock jumps hours; many client threads log in from 127.0.0.1
               CITYBPM_TOKEN_HOURS=str(24 * 365), CITYBPM_LOGIN_LIMIT_ADDRESS="100000 per minute")
    return env


@pytest.fixture
def serve(app, tmp_path, clock_file):
    """serve(workers=2, redis_url=CI's Redis, extra_args=()) → a running Gunicorn on this test's database;
    every server is stopped (gracefully) when the test ends."""
    started: list[Gunicorn] = []

    def start(workers: int = 2, redis_url: str = REDIS, extra_args: tuple = ()) -> Gunicorn:
        log = tmp_path / f"gunicorn-{len(started)}.log"
        server = Gunicorn(log, server_environment(tmp_path, clock_file, redis_url), workers, extra_args)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:  # all at once: each takes a moment to stop gracefully
        server.terminate()
    for server in started:
        server.stop()


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(OWN_REDIS_PORT, tmp_path).start()
    yield server
    server.kill()
