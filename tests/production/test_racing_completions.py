"""1 000 racing completions: two server processes on one PostgreSQL, and for each of 500 tasks one request to
each at the same instant. Every task is completed exactly once (one 200 and one 409 per race, one task.completed
event), and the next task is created exactly once."""
from __future__ import annotations

import threading
from collections import Counter, defaultdict

from sqlalchemy import func, select

from api.extensions import db
from engine.models import Event, Task
from tests.production.consistency import disagreements
from tests.production.processes import PAIR, deploy, start_cases
from tests.production.servers import client_with, run_threads, tokens_for

TASKS = 500  # × 2 racing requests = 1 000 completions
PAIRS = 8    # racing pairs of client threads (one thread per server in each)


def test_each_task_raced_on_two_servers_is_completed_exactly_once(app, serve):
    # two separate servers of one worker each: every race has one request in each process, by construction
    first, second = serve(workers=1), serve(workers=1)
    deploy(first.client("admin"), PAIR)
    tokens = tokens_for(first, "sly", "rx")
    cases = start_cases(first.url, tokens["sly"], "fault_pair", TASKS)
    task_ids = [case["open_tasks"][0]["id"] for case in cases]
    statuses: dict[str, list[tuple[str, int]]] = defaultdict(list)
    lock = threading.Lock()

    def race(share: list[str], barrier: threading.Barrier, server, authorization: str, name: str):
        client = client_with(server.url, authorization)
        for task_id in share:
            barrier.wait(timeout=60)  # both requests of a race leave together
            status = client.post(f"/tasks/{task_id}/complete", json={"data": {"opinion": name}}).status_code
            with lock:
                statuses[task_id].append((name, status))

    racers = []
    for n in range(PAIRS):
        share, barrier = task_ids[n::PAIRS], threading.Barrier(2)
        racers += [(share, barrier, first, tokens["sly"], "first"), (share, barrier, second, tokens["rx"], "second")]
    run_threads(race, racers, seconds=170)

    assert len(statuses) == TASKS
    outcomes = Counter(tuple(sorted(status for _, status in answers)) for answers in statuses.values())
    assert outcomes == {(200, 409): TASKS}, outcomes
    winners = Counter(name for answers in statuses.values() for name, status in answers if status == 200)
    print(f"\nraces won by the first server: {winners['first']}, by the second: {winners['second']}")
    assert winners["first"] and winners["second"]  # both processes really completed tasks
    with app.app_context():
        completed = dict(db.session.execute(select(Event.task_id, func.count()).where(
            Event.type == "task.completed", Event.task_id.in_(task_ids)).group_by(Event.task_id)).all())
        next_created = Counter(db.session.scalars(select(Event.instance_id).where(
            Event.type == "task.created", Event.node_id == "second")).all())
        next_open = Counter(db.session.scalars(select(Task.instance_id).where(Task.node_id == "second")).all())
    assert len(completed) == TASKS and set(completed.values()) == {1}
    assert len(next_created) == TASKS and set(next_created.values()) == {1}
    assert next_open == next_created
    assert disagreements(app) == []
