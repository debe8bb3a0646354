"""Prepared statements give what SQLAlchemy gives for the same statement: defaults, types, rows, row counts."""
from __future__ import annotations

import datetime as _dt

import pytest
from sqlalchemy import bindparam, delete, insert, select, update

from api.extensions import db
from engine.db import DISPLAY_TZ
from engine.models import Definition, Instance, Task
from engine.prepared import Prepared
from engine.runtime import _OPEN_TASK_WITH_CASE

TASKS, INSTANCES = Task.__table__, Instance.__table__
NOW = _dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=_dt.timezone(_dt.timedelta(hours=8)))


@pytest.fixture
def conn(app):
    """A connection inside an open transaction, rolled back at the end."""
    with app.app_context():
        session = db.session()
        connection = session.connection()
        yield connection
        session.rollback()


def a_case(conn) -> int:
    definition_id = conn.execute(select(Definition.__table__.c.id).limit(1)).scalar_one()
    return conn.execute(insert(INSTANCES).values(
        case_no="PREP0001", definition_id=definition_id, status="running", started_by="jdy", started_at=NOW,
        variables={"address": "人民路 1 号"}, state="{}", version=1)).inserted_primary_key[0]


def test_insert_applies_model_defaults_and_column_types(conn):
    case_id = a_case(conn)
    Prepared(insert(TASKS)).executemany(conn, [
        dict(id="t1", instance_id=case_id, node_id="accept", created_at=NOW, due_at=NOW + _dt.timedelta(hours=2),
             held_data={"意见": "同意", "n": 2}),
        dict(id="t2", instance_id=case_id, node_id="check", created_at=NOW, due_at=None, held_data=None),
    ])
    rows = conn.execute(select(TASKS.c.id, TASKS.c.status, TASKS.c.kind, TASKS.c.created_at, TASKS.c.due_at,
                               TASKS.c.held_data).order_by(TASKS.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("t1", "open", "bpmn", NOW, NOW + _dt.timedelta(hours=2), {"意见": "同意", "n": 2}),  # defaults: status, kind
        ("t2", "open", "bpmn", NOW, None, None),
    ]
    assert rows[0].created_at.tzinfo == DISPLAY_TZ


def test_select_rows_equal_sqlalchemys_rows(conn):
    case_id = a_case(conn)
    conn.execute(insert(TASKS), dict(id="t1", instance_id=case_id, node_id="accept", created_at=NOW, due_at=NOW))
    conn.execute(insert(TASKS), dict(id="s1", instance_id=case_id, node_id="accept", created_at=NOW, kind="sign",
                                     parent_id="t1", sign_position="after"))
    ours = _OPEN_TASK_WITH_CASE.all(conn, {"task_id": "t1"})
    theirs = conn.execute(_OPEN_TASK_WITH_CASE.statement, {"task_id": "t1"}).all()
    assert [tuple(r) for r in ours] == [tuple(r) for r in theirs] and len(ours) == 1
    row = ours[0]
    # names as labelled; the literal in the statement ("after") was bound; instants come back in display time
    assert (row.case_id, row.case_no, row.task_kind, bool(row.has_after_signers)) == (case_id, "PREP0001", "bpmn", True)
    assert row.due_at == NOW and row.due_at.tzinfo == DISPLAY_TZ
    assert _OPEN_TASK_WITH_CASE.first(conn, {"task_id": "nope"}) is None


def test_row_counts_carry_the_optimistic_lock(conn):
    case_id = a_case(conn)
    bump = Prepared(update(INSTANCES).where(INSTANCES.c.id == bindparam("case_id"),
                                            INSTANCES.c.version == bindparam("expected_version")))
    assert bump.execute(conn, {"version": 2, "stage": "accept", "case_id": case_id, "expected_version": 1}).rowcount == 1
    assert bump.execute(conn, {"version": 2, "stage": "file", "case_id": case_id, "expected_version": 1}).rowcount == 0
    assert conn.execute(select(INSTANCES.c.version, INSTANCES.c.stage).where(INSTANCES.c.id == case_id)).one() \
        == (2, "accept")


def test_rollback_undoes_prepared_writes(app):
    with app.app_context():
        session = db.session()
        Prepared(insert(INSTANCES)).execute(session.connection(), dict(
            case_no="PREP0002", definition_id=session.scalar(select(Definition.id).limit(1)), status="running",
            started_by="jdy", started_at=NOW, state="{}"))
        assert session.scalar(select(Instance.id).where(Instance.case_no == "PREP0002")) is not None
        session.rollback()
        assert session.scalar(select(Instance.id).where(Instance.case_no == "PREP0002")) is None


def test_rows_of_one_executemany_have_the_same_keys(conn):
    case_id = a_case(conn)
    rows = [dict(id="t1", instance_id=case_id, node_id="a", created_at=NOW),
            dict(id="t2", instance_id=case_id, node_id="a", created_at=NOW, kind="sign")]  # kind would be dropped
    with pytest.raises(ValueError, match="same keys"):
        Prepared(insert(TASKS)).executemany(conn, rows)


def test_expanding_in_lists_are_refused(conn):
    statement = Prepared(delete(TASKS).where(TASKS.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        statement.execute(conn, {"ids": ["t1"]})
