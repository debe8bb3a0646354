"""The in-memory workflow cache hands an object only to the command that reads exactly the state it was
written as, and only once its transaction committed."""
from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from engine.workflow_cache import WorkflowCache


def _session():
    session = Session(create_engine("sqlite://"))
    session.connection()  # begin a transaction
    return session


def test_an_object_is_offered_only_after_commit_and_taken_once():
    cache, workflow = WorkflowCache(4), object()
    session = _session()
    cache.keep_after_commit(session, 1, 2, "state-2", workflow)
    assert cache.take(1, 2, "state-2") is None  # not committed yet
    session.commit()
    assert cache.take(1, 2, "state-2") is workflow
    assert cache.take(1, 2, "state-2") is None  # one command owns it at a time


def test_a_rolled_back_command_leaves_nothing():
    cache = WorkflowCache(4)
    session = _session()
    cache.keep_after_commit(session, 1, 2, "state-2", object())
    session.rollback()
    session.commit()
    assert len(cache) == 0


def test_another_version_or_state_misses_and_drops_the_entry():
    cache, workflow = WorkflowCache(4), object()
    for version, state in ((3, "state-2"), (2, "other state: the case id was reused")):
        session = _session()
        cache.keep_after_commit(session, 1, 2, "state-2", workflow)
        session.commit()
        assert cache.take(1, version, state) is None
        assert len(cache) == 0


def test_the_oldest_cases_age_out_and_zero_capacity_keeps_nothing():
    cache = WorkflowCache(2)
    session = _session()
    for case_id in (1, 2, 3):
        cache.keep_after_commit(session, case_id, 1, "s", object())
    session.commit()
    assert len(cache) == 2 and cache.take(1, 1, "s") is None and cache.take(3, 1, "s") is not None
    off = WorkflowCache(0)
    session = _session()
    off.keep_after_commit(session, 1, 1, "s", object())
    session.commit()
    assert len(off) == 0


def test_a_process_whose_cached_object_went_stale_reads_the_database(api, app):
    """Two engines (two worker processes) on one case: each completes a step in turn. The first engine's
    kept object is a step behind when its turn comes again; it must read the state the other one wrote."""
    from sqlalchemy import select

    from api.extensions import db
    from engine.identity import User
    from engine.runtime import Engine
    from tests.api.test_closed_loop_flow import report

    mine = app.extensions["citybpm_engine"]
    other = Engine(mine.settings, specs=mine.specs)
    case_no = report(api)["case_no"]

    def complete(engine, user, node, data):
        task_id = api(user).task_for(case_no, node)["id"]
        with app.app_context():
            actor = db.session.scalars(select(User).where(User.username == user)).one().actor()
            engine.complete_task(db.session, task_id, data, actor)
            db.session.commit()

    complete(mine, "sly", "accept", {"accept_result": "accept", "accept_opinion": "受理"})
    complete(other, "zbz", "register", {"register_result": "file", "register_opinion": "由另一进程立案"})
    case_id = api("zbz").ok("GET", f"/cases/{case_no}")["id"]
    assert mine.workflows.kept_version(case_id) == other.workflows.kept_version(case_id) - 1  # before 立案
    complete(mine, "pqy", "dispatch", {"department": "D_WATER", "dispatch_opinion": "派遣"})
    case = api("zbz").ok("GET", f"/cases/{case_no}")
    assert case["variables"]["register_opinion"] == "由另一进程立案"
    assert [t["node_id"] for t in case["open_tasks"]] == ["handle"]
