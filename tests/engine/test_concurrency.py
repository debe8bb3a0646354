"""Two writers on one case: one wins, the other gets a conflict, nothing is lost."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.extensions import db
from engine.errors import Conflict
from engine.identity import User
from engine.models import Event, Instance, Task
from tests.api.test_closed_loop_flow import report


def test_stale_writer_gets_a_conflict(api, app):
    """Deterministic: both sessions load version N; the second flush must fail, not overwrite."""
    case_no = report(api)["case_no"]
    engine = app.extensions["citybpm_engine"]
    acceptor = api("sly")
    task_id = acceptor.task_for(case_no, "accept")["id"]
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "sly")).one().actor()
    session_a = db_session(app)
    session_b = db_session(app)
    # B reads the case first, then A completes and commits.
    session_b.get(Task, task_id).instance.state  # noqa: B018 - load version N into B
    engine.complete_task(session_a, task_id, {"accept_result": "accept", "accept_opinion": "A"}, actor)
    session_a.commit()
    with pytest.raises(Conflict):
        engine.complete_task(session_b, task_id, {"accept_result": "voided", "accept_opinion": "B"}, actor)
    session_b.rollback()
    session_a.close()
    session_b.close()
    case = api("zbz").ok("GET", f"/cases/{case_no}")
    assert case["variables"]["accept_opinion"] == "A"
    assert [t["node_id"] for t in case["open_tasks"]] == ["register"]


def db_session(app):
    with app.app_context():
        bind = db.engine
    return Session(bind=bind, expire_on_commit=False)


@pytest.mark.parametrize("racers", [2, 6])
def test_racing_completions_over_http_complete_exactly_once(api, app, racers):
    case_no = report(api)["case_no"]
    users = ["sly", "rx"]
    clients = [api(users[i % 2]) for i in range(racers)]
    task_id = clients[0].task_for(case_no, "accept")["id"]
    barrier = threading.Barrier(racers)
    statuses = []

    def complete(client, n):
        barrier.wait()
        response = client.post(f"/tasks/{task_id}/complete",
                               json={"data": {"accept_result": "accept", "accept_opinion": f"racer {n}"}})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(c, n)) for n, c in enumerate(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(statuses) == [200] + [409] * (racers - 1)
    with app.app_context():
        case = db.session.scalars(select(Instance).where(Instance.case_no == case_no)).one()
        completions = db.session.scalar(select(func.count()).where(
            Event.task_id == task_id, Event.type == "task.completed"))
        open_nodes = db.session.scalars(select(Task.node_id).where(Task.instance_id == case.id)).all()
        created = db.session.scalar(select(func.count()).where(
            Event.instance_id == case.id, Event.type == "task.created"))
    assert completions == 1
    assert open_nodes == ["register"]
    assert created == 2  # accept, then register: the loser wrote nothing
