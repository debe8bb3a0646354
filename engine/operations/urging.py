"""催办: someone who oversees the work nudges the handler(s) of an open task with a message.

The handler gets a notification (in-app, and SMS/WeChat where a contact is on file); the nudge is an event
(``task.urged``) that counts in evaluation. A task cannot be urged again within ``urge_interval_minutes``
(a system setting), whoever urges: the point is to remind, not to spam.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, settings_store
from engine.errors import Conflict, Forbidden
from engine.identity import Actor
from engine.notifications import notify_everywhere
from engine.operations import allowed
from engine.operations.task_lookup import EVENTS, check_offered, find_open_task, handlers_of, open_task, record

URGED = "task.urged"


def urge(session: Session, engine, task_id: str, actor: Actor, *, message: str) -> dict:
    """Notify whoever works on the task; returns {"notified": [usernames], "urged_at": now}."""
    now, conn = clock.now(), session.connection()
    task = open_task(conn, task_id)
    if task.case.status != "running":
        raise Conflict("案件已挂账、暂停或已办结，无需催办", "the case is not running; there is nothing to urge")
    if task.handled_by(actor):
        raise Forbidden("不能催办自己的任务", "you cannot urge your own task")
    check_offered(session, engine, task, "urge")
    last = last_urged(conn, task.case.id, task.id)
    interval = _interval(conn)
    if last is not None and now - last < interval:
        minutes = int(interval.total_seconds() // 60)
        raise Conflict(f"该任务刚催办过，{minutes} 分钟内不能重复催办",
                       f"the task was urged less than {minutes} minutes ago")
    people = [p for p in handlers_of(conn, task) if p != actor.username]
    record(conn, task.case, URGED, actor, now, task_id=task.id, node_id=task.node_id, message=message,
           notified=people)
    notify_everywhere(conn, people, kind=URGED, title=f"催办：{task.case.case_no}“{task.label()}”",
                      body=message, case_no=task.case.case_no, task_id=task.id, at=now)
    return {"notified": people, "urged_at": now}


def last_urged(conn, case_id: int, task_id: str) -> _dt.datetime | None:
    # ix_event_instance_id_id narrows to the case; a case has few events of this task
    return conn.execute(select(EVENTS.c.at).where(EVENTS.c.instance_id == case_id, EVENTS.c.task_id == task_id,
                                                  EVENTS.c.type == URGED)
                        .order_by(EVENTS.c.id.desc()).limit(1)).scalar()


def _interval(conn) -> _dt.timedelta:
    return _dt.timedelta(minutes=int(settings_store.get(conn, "urge_interval_minutes")))


def _urge_possible(context: allowed.TaskContext) -> bool:
    task = find_open_task(context.conn, context.task.id)
    if task is None or task.case.status != "running" or task.handled_by(context.actor):
        return False
    last = last_urged(context.conn, task.case.id, task.id)
    return last is None or context.now - last >= _interval(context.conn)


allowed.register("urge", _urge_possible)
