"""Redis stopped under a running server: the API keeps serving (start a case, complete a task), readiness says
"degraded", the scheduler leadership falls back to the PostgreSQL advisory lock (one leader, logged once per
worker) and timers still fire; when Redis returns, leadership goes back to it and the lock is released.

The test runs a redis-server of its own (port 56381 by default) so it can kill it and bring it back."""
from __future__ import annotations

import datetime as dt
import re

import redis
import requests
from sqlalchemy import func, select

from api.extensions import db
from engine.models import Task
from tests.production.consistency import disagreements
from tests.production.leadership import advisory_lock_holders, fired_per_case, leader_pid, move_clock
from tests.production.processes import PAIR, WAIT, deploy, start_cases
from tests.production.servers import client_with, tokens_for, wait_for

WAITING = 5
FALLBACK = "postgres-advisory-lock (redis unreachable)"


def readiness(server) -> dict:
    return requests.get(f"{server.url}/readyz", timeout=5).json()


def visits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Task).where(Task.node_id == "visit"))


def logged_pids(log: str, message: str) -> list[int]:
    return [int(pid) for pid in re.findall(re.escape(message) + r".*\(pid (\d+)\)", log)]


def test_redis_down_the_app_serves_and_the_scheduler_leads_through_postgres(app, own_redis, serve, virtual_clock,
                                                                            clock_file):
    # a short safety-net sleep: with Redis down nothing wakes the leader when the clock file moves
    server = serve(workers=2, redis_url=own_redis.url, extra_args=("--scheduler-max-sleep", "2"))
    workers = server.worker_pids()
    deploy(server.client("admin"), PAIR, WAIT)
    tokens = tokens_for(server, "sly")
    wait_for(lambda: leader_pid(redis.Redis.from_url(own_redis.url)) in workers, "a leader through Redis", 60)
    assert advisory_lock_holders(app) == []

    own_redis.kill()
    degraded = wait_for(lambda: (report := readiness(server))["status"] == "degraded"
                        and report["checks"]["scheduler"]["leadership"] == FALLBACK and report,
                        "readiness to say degraded, with the fallback leadership", 60)
    assert degraded["checks"]["redis"]["status"] == "down" and degraded["checks"]["database"]["status"] == "up"
    holder = wait_for(lambda: (holders := advisory_lock_holders(app)) and holders, "an advisory-lock leader", 60)
    assert len(holder) == 1 and holder[0] in workers

    assert server.client("rx").username == "rx"  # logging in still works (the login limits live in Redis)
    sly = client_with(server.url, tokens["sly"])
    case = sly.ok("POST", "/cases", 201, json={"process_key": "fault_pair"})
    done = sly.ok("POST", f"/tasks/{case['open_tasks'][0]['id']}/complete", json={"data": {"opinion": "已受理"}})
    assert [task["node_id"] for task in done] == ["second"]  # the next tasks the completion created
    start_cases(server.url, tokens["sly"], "fault_wait", WAITING)
    move_clock(virtual_clock, clock_file, dt.timedelta(hours=2, minutes=1), wake=None)
    wait_for(lambda: visits(app) == WAITING, "the fallback leader to fire the timers", 60)

    own_redis.start()
    wait_for(lambda: leader_pid(redis.Redis.from_url(own_redis.url)) in workers and not advisory_lock_holders(app),
             "leadership back in Redis and the advisory lock released", 60)
    wait_for(lambda: readiness(server)["status"] == "ready", "readiness to say ready again", 30)

    log = server.log()
    fell_back = logged_pids(log, "scheduler leadership: redis unreachable")
    came_back = logged_pids(log, "scheduler leadership: redis reachable again")
    assert holder[0] in fell_back and set(fell_back) <= workers and len(fell_back) == len(set(fell_back)), fell_back
    assert holder[0] in came_back and set(came_back) <= workers and len(came_back) == len(set(came_back)), came_back
    assert set(fired_per_case(app).values()) == {1} and len(fired_per_case(app)) == WAITING
    assert server.worker_pids() == workers  # nothing crashed
    assert disagreements(app) == []
