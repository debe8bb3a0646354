"""The scheduler leader — one of the gunicorn workers — killed with SIGKILL in the middle of firing a batch of
timers: another process takes over and every timer fires exactly once, none twice and none lost.

tests/engine/test_scheduler_processes.py already covers two `citybpm scheduler` processes firing each timer once
and missed timers firing after a restart; this is the embedded scheduler inside gunicorn workers, the leader dying
with timer transactions open."""
from __future__ import annotations

import datetime as dt
import os
import signal
import time

import redis
from sqlalchemy import func, select

from api.extensions import db
from engine.models import Event, Task
from engine.timers import Timer
from tests.production.conftest import REDIS
from tests.production.consistency import disagreements
from tests.production.leadership import fired_per_case, leader_pid, listening, move_clock
from tests.production.processes import WAIT, deploy, start_cases
from tests.production.servers import tokens_for, wait_for

CASES = 120  # one two-hour timer each, all due together: a batch the leader needs a few seconds for


def count(app, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement)


FIRED = select(func.count()).select_from(Event).where(Event.type == "timer.fired")
VISITS = select(func.count()).select_from(Task).where(Task.node_id == "visit")
PENDING = select(func.count()).select_from(Timer)


def test_leader_killed_mid_batch_another_takes_over_and_each_timer_fires_once(app, serve, virtual_clock,
                                                                              clock_file):
    server = serve(workers=2)
    deploy(server.client("admin"), WAIT)
    tokens = tokens_for(server, "sly")
    start_cases(server.url, tokens["sly"], "fault_wait", CASES)
    assert count(app, PENDING) == CASES

    client = redis.Redis.from_url(REDIS)
    wait_for(lambda: listening(client) >= 2, "both workers' schedulers to listen for wake-ups", 60)
    leader = wait_for(lambda: leader_pid(client) in server.worker_pids() and leader_pid(client),
                      "a scheduler leader among the workers", 60)

    move_clock(virtual_clock, clock_file, dt.timedelta(hours=2, minutes=1), wake=client)
    wait_for(lambda: count(app, FIRED) >= 10, "the leader to start firing", 60)
    os.kill(leader, signal.SIGKILL)
    killed_at, fired_at_kill = time.monotonic(), count(app, FIRED)

    successor = wait_for(lambda: (pid := leader_pid(client)) not in (None, leader) and pid,
                         "another process to take the leadership", 60)
    takeover = time.monotonic() - killed_at
    # the rows go only with the commit that fired them: none pending and every visit there means no firing is
    # still in flight, so the counts below are final
    wait_for(lambda: count(app, PENDING) == 0 and count(app, VISITS) == CASES, "every timer to fire", 60)
    print(f"\nleader {leader} killed after {fired_at_kill}/{CASES} timers; "
          f"worker {successor} led {takeover:.1f}s later")

    assert successor in server.worker_pids() and leader not in server.worker_pids()
    per_case = fired_per_case(app)
    assert len(per_case) == CASES and set(per_case.values()) == {1}
    assert disagreements(app) == []
