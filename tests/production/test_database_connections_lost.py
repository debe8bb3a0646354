"""The database drops the workers' connections (PostgreSQL restarted or failed over, a firewall closing idle
sessions, an operator's pg_terminate_backend): the next requests are answered as before, none with a 500 (one
caught mid-statement answers 503, to be retried), and
the scheduler fires the timers that fall due afterwards, each once, whether it leads through Redis or through
PostgreSQL's advisory lock (whose session was among those dropped)."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import redis
import requests
import sqlalchemy as sa

from api.extensions import db
from engine.timers import Timer
from tests.production.conftest import REDIS
from tests.production.leadership import advisory_lock_holders, fired_per_case, leader_pid, move_clock
from tests.production.processes import WAIT, deploy, start_cases
from tests.production.servers import client_with, run_threads, tokens_for, wait_for

CASES = 6
# every session on the test database but the one asking
TERMINATE_THE_OTHERS = sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")
PENDING = sa.select(sa.func.count()).select_from(Timer)


def errors_logged(server) -> str:
    """The server log without its access lines: where a 500 came from."""
    return "\n".join(line for line in server.log().splitlines() if '"GET /' not in line)[-4000:]


@pytest.mark.parametrize("leadership", ["redis", "advisory lock"])
def test_after_the_database_dropped_every_connection_requests_are_answered_and_timers_fire(
        app, serve, virtual_clock, clock_file, leadership):
    through_redis = leadership == "redis"
    # without Redis to wake it, the leader looks at the clock every 2 s
    server = serve(workers=2, redis_url=REDIS if through_redis else "", extra_args=("--scheduler-max-sleep", "2"))
    deploy(server.client("admin"), WAIT)
    tokens = tokens_for(server, "sly", "jdy")
    start_cases(server.url, tokens["sly"], "fault_wait", CASES)  # each waits two hours on a timer
    clients = [client_with(server.url, tokens[user]) for user in ("sly", "jdy") for _ in range(4)]

    def busy(client, rounds):  # enough at once that each worker opens several pooled connections
        for _ in range(rounds):
            client.ok("GET", "/tasks", params={"scope": "mine"})
            client.ok("GET", "/cases")

    run_threads(busy, [(client, 5) for client in clients])
    wake = redis.Redis.from_url(REDIS) if through_redis else None

    def leader():
        return leader_pid(wake) if through_redis else next(iter(advisory_lock_holders(app)), None)

    wait_for(lambda: leader() in server.worker_pids(), "a scheduler leader among the workers", 60)
    with app.app_context(), db.engine.connect() as conn:
        dropped = conn.execute(TERMINATE_THE_OTHERS).scalar()
    assert dropped >= 2  # at least one connection of each worker

    answers = []

    def after(client, rounds):
        for _ in range(rounds):
            for path in ("/tasks", "/cases"):
                answers.append(client.request("GET", path).status_code)

    run_threads(after, [(client, 3) for client in clients])
    assert answers and set(answers) == {200}, sorted(set(answers))
    ready = requests.get(f"{server.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text

    # dropped again and again while requests run: one caught mid-statement may answer 503 (retry), never 500
    during, stop = [], threading.Event()

    def hammer(client):
        while not stop.is_set():
            during.append(client.request("GET", "/cases").status_code)

    hammers = [threading.Thread(target=hammer, args=(client,), daemon=True) for client in clients]
    for thread in hammers:
        thread.start()
    with app.app_context(), db.engine.connect() as conn:
        for _ in range(5):
            time.sleep(0.3)
            conn.execute(TERMINATE_THE_OTHERS)
    stop.set()
    for thread in hammers:
        thread.join(30)
    print(f"\nwhile connections were dropped: {during.count(200)} answered 200, {during.count(503)} 503")
    assert during and set(during) <= {200, 503}, (sorted(set(during)), errors_logged(server))

    wait_for(lambda: leader() in server.worker_pids(), "a leader again (the advisory lock died with its session)", 60)
    move_clock(virtual_clock, clock_file, dt.timedelta(hours=2, minutes=1), wake=wake)
    with app.app_context():
        wait_for(lambda: db.session.scalar(PENDING) == 0, "the timers due after the drop to fire", 60)
    per_case = fired_per_case(app)
    assert len(per_case) == CASES and set(per_case.values()) == {1}
