"""Two writers on one case: one wins, the other gets a conflict, nothing is lost."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from api.extensions import db
from engine.errors import Conflict
from engine.identity import User
from engine.models import Event, Instance, Task
from engine.projection import CaseRef, write_versioned
from tests.api.test_closed_loop_flow import report


def test_stale_writer_gets_a_conflict(api, app):
    """Deterministic: a writer holding version N after someone committed N+1 must fail, not overwrite."""
    case_no = report(api)["case_no"]
    engine = app.extensions["citybpm_engine"]
    task_id = api("sly").task_for(case_no, "accept")["id"]
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "sly")).one().actor()
        row = db.session.scalars(select(Instance).where(Instance.case_no == case_no)).one()
        stale = CaseRef(row.id, row.case_no, row.definition_id, row.version, row.stage, row.state)
        engine.complete_task(db.session, task_id, {"accept_result": "accept", "accept_opinion": "A"}, actor)
        db.session.commit()
        with pytest.raises(StaleDataError):
            write_versioned(db.session.connection(), stale, {"state": stale.state, "stage": "overwritten"})
        db.session.rollback()
    case = api("zbz").ok("GET", f"/cases/{case_no}")
    assert case["variables"]["accept_opinion"] == "A" and case["stage"] == "file"
    assert [t["node_id"] for t in case["open_tasks"]] == ["register"]
    # the engine turns the same situation into a Conflict for its callers
    with app.app_context(), pytest.raises(Conflict):
        engine.complete_task(db.session, task_id, {"accept_result": "voided", "accept_opinion": "B"}, actor)


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
