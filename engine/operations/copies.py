"""抄送: a copy of a case, sent from a task to people for information, and their "抄送我的" list.

A copy gives its recipient read access to the case (its detail and events) even outside their data scope
(api.visibility); it gives no work. Whoever may act on a task may copy its case.
"""
from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.access import may_act
from engine.errors import NotFound
from engine.identity import Actor
from engine.models import Instance
from engine.operations import allowed
from engine.operations.records import TaskCopy
from engine.operations.task_commands import active_users, record, task_for, tell

COPIES, INSTANCES = TaskCopy.__table__, Instance.__table__


def send_copies(engine, session: Session, task_id: str, actor: Actor, *, users: list[str],
                note: str | None = None) -> list[int]:
    """Copy the task's case to ``users``; returns the new copies' ids."""
    task = task_for(engine, session, task_id, actor, "cc")
    users = active_users(session, users, "users")
    now = clock.now()
    rows = [dict(instance_id=task.instance_id, task_id=task.id, node_id=task.node_id, recipient=name,
                 sent_by=actor.username, sent_at=now, note=note, read_at=None) for name in users]
    ids = [session.execute(insert(COPIES).values(**row).returning(COPIES.c.id)).scalar_one() for row in rows]
    record(session, task, "case.copied", actor, now, to=users, note=note)
    tell(session, users, task, kind="case.copied",
         title=f"{actor.username} 抄送给您：案件 {task.instance.case_no}（{task.name or task.node_id}）",
         body=note or "", at=now)
    return ids


def copies_for(recipient: str, *, unread: bool = False):
    """The statement behind "抄送我的": newest first (ix_task_copy_recipient_sent_at), with the case number."""
    statement = (select(COPIES, INSTANCES.c.case_no).join(INSTANCES, INSTANCES.c.id == COPIES.c.instance_id)
                 .where(COPIES.c.recipient == recipient))
    if unread:
        statement = statement.where(COPIES.c.read_at.is_(None))
    return statement.order_by(COPIES.c.sent_at.desc(), COPIES.c.id.desc())


def count_copies(session: Session, recipient: str, *, unread: bool = False) -> int:
    statement = select(func.count()).select_from(COPIES).where(COPIES.c.recipient == recipient)
    if unread:
        statement = statement.where(COPIES.c.read_at.is_(None))
    return session.execute(statement).scalar()


def mark_read(session: Session, copy_id: int, actor: Actor):
    """Mark one of the actor's copies read (once: the first reading time stays). 404 for anyone else's."""
    found = session.execute(select(COPIES.c.id).where(COPIES.c.id == copy_id,
                                                      COPIES.c.recipient == actor.username)).first()
    if found is None:
        raise NotFound("抄送不存在", "copy not found")
    session.execute(update(COPIES).where(COPIES.c.id == copy_id, COPIES.c.read_at.is_(None))
                    .values(read_at=clock.now()))
    return session.execute(copies_for(actor.username).where(COPIES.c.id == copy_id)).one()


allowed.register("cc", lambda c: c.task.kind == "bpmn"
                 and may_act(c.task.assignee, [(x.kind, x.value) for x in c.task.candidates], c.actor))
