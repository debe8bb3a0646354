"""Two scheduler processes on one PostgreSQL and a real redis-server: every timer fires once.

Runs when CI provides both servers (CITYBPM_TEST_DATABASE_URL=postgresql…, CITYBPM_TEST_REDIS_URL);
on the embedded SQLite default there is only ever one process, so there is nothing to race.
The scheduler processes read a shared file clock; the test moves it and wakes them through Redis.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.extensions import db
from engine import clock
from engine.clock import FileClock
from engine.models import Event, Task
from engine.scheduler import WAKE_CHANNEL
from tests.api.test_definitions_api import upload
from tests.api.test_timers_through_scheduler import INTERMEDIATE, process, wait_for

DATABASE = os.environ.get("CITYBPM_TEST_DATABASE_URL", "")
REDIS = os.environ.get("CITYBPM_TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not (DATABASE.startswith("postgresql") and REDIS),
                                reason="needs PostgreSQL and Redis (CI provides both)")


@pytest.fixture
def clock_file(tmp_path, virtual_clock):
    path = str(tmp_path / "clock.txt")
    FileClock.write(path, virtual_clock.now())
    return path


def scheduler_process(clock_file: str) -> subprocess.Popen:
    env = dict(os.environ, CITYBPM_DATABASE_URL=DATABASE, CITYBPM_REDIS_URL=REDIS, CITYBPM_CLOCK_FILE=clock_file,
               CITYBPM_SCHEDULER="off")
    return subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def move_clock(virtual_clock, clock_file, delta: dt.timedelta) -> None:
    """Move this process's clock and the schedulers' file clock together, then wake the leader."""
    import redis

    virtual_clock.advance(delta)
    FileClock.write(clock_file, virtual_clock.now())
    redis.Redis.from_url(REDIS).publish(WAKE_CHANNEL, clock.now().isoformat())


def listening(count: int) -> None:
    """Wait until ``count`` scheduler processes listen for wake-ups: a wake published before a process
    subscribed would only be caught by its safety-net wake (up to a minute later on a loaded machine)."""
    import redis

    client = redis.Redis.from_url(REDIS)
    wait_for(lambda: dict(client.pubsub_numsub(WAKE_CHANNEL)).get(WAKE_CHANNEL.encode(), 0) >= count,
             f"{count} scheduler(s) listening", seconds=60)


def start_cases(api, count: int) -> list[str]:
    return [api("sly").ok("POST", "/cases", 201, json={"process_key": "intermediate_timer"})["case_no"]
            for _ in range(count)]


def visits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Task).where(Task.node_id == "visit"))


def fired(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event).where(Event.type == "timer.fired"))


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        process.wait(timeout=20)


def test_two_schedulers_fire_every_timer_once_and_missed_ones_after_restart(api, app, virtual_clock, clock_file):
    assert upload(api("admin"), process("intermediate_timer", INTERMEDIATE)).status_code in (200, 201)
    first_batch = start_cases(api, 30)
    schedulers = [scheduler_process(clock_file), scheduler_process(clock_file)]
    try:
        listening(2)  # both started; one becomes leader
        move_clock(virtual_clock, clock_file, dt.timedelta(hours=2, minutes=1))
        wait_for(lambda: visits(app) == len(first_batch), "the first batch to fire", seconds=60)
        time.sleep(2)  # a second firing would show up now
        assert fired(app) == len(first_batch)

        # both schedulers die hard; timers fall due while none runs
        for scheduler in schedulers:
            stop(scheduler, signal.SIGKILL)
        second_batch = start_cases(api, 20)
        move_clock(virtual_clock, clock_file, dt.timedelta(hours=3))
        time.sleep(1)
        assert visits(app) == len(first_batch)  # nobody fired them yet

        schedulers = [scheduler_process(clock_file)]  # restart: missed timers fire at start-up
        wait_for(lambda: visits(app) == len(first_batch) + len(second_batch), "the missed timers", seconds=60)
        time.sleep(2)
        assert fired(app) == len(first_batch) + len(second_batch)
    finally:
        for scheduler in schedulers:
            stop(scheduler)
