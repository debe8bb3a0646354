"""The evaluation refresh on a server database: an event of a command that commits after a later-numbered one
is read on a later refresh (its id was remembered as a gap), never skipped and never read twice."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from api.extensions import db
from engine import clock
from engine.evaluation import rollups
from engine.models import Event


def _event(event_id: int) -> dict:
    return dict(id=event_id, instance_id=None, task_id=None, node_id=None, type="test.noise", actor="t",
                at=clock.now(), data={})


def test_a_late_committed_event_is_read_once_on_the_next_refresh(app):
    with app.app_context():
        conn = db.session.connection()
        rollups.refresh(conn)  # everything written so far
        top = conn.execute(select(func.max(Event.id))).scalar() or 0
        # the command holding id top+1 has not committed yet; top+2 has
        conn.execute(insert(Event.__table__), [_event(top + 2)])
        assert rollups.refresh(conn) == 1
        assert top + 1 in rollups._lock_watermark(conn)[1]
        conn.execute(insert(Event.__table__), [_event(top + 1)])  # now it commits
        assert rollups.refresh(conn) == 1  # read late, exactly once
        mark, gaps = rollups._lock_watermark(conn)
        assert mark == top + 2 and top + 1 not in gaps
        assert rollups.refresh(conn) == 0
        db.session.rollback()
