"""加签 (before / after) and 减签: people added to one task, outside the workflow state.

An added signer has a task row of kind 'sign' whose ``parent_id`` is the task (it goes when the task goes, ON
DELETE CASCADE) and whose ``owner`` is the person who added them (only they may remove it: 减签).

- before (前加签): the task waits (``status`` 'waiting') until every before-signer has signed; their opinions
  are added to the task's data (``sign_opinions``), then the assignee has it again.
- after (后加签): the signers' rows wait too, until the assignee completes the task. The submission is checked
  against the form, kept in ``held_data``, the task waits, and the signers are asked to sign. When the last one
  signs (or is removed), the task completes with the held data and the opinions, recorded as the assignee's.

A signer who disagrees is recorded with ``agree: false``; the opinion goes on with the task, and the decision
stays the assignee's. Signing is one conditional DELETE of the signer's row, so a signature counts once.
"""
from __future__ import annotations

import uuid

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict, Forbidden, NotFound
from engine.identity import Actor
from engine.models import Task
from engine.notifications import notify
from engine.operations import allowed
from engine.operations.task_commands import (active_users, bump_case_version, changed_or_conflict, record,
                                             refuse_self, require_open_bpmn, task_data, task_for, tell,
                                             update_task_data)
from engine.projection import EVENTS, TASKS, json_safe

BEFORE, AFTER = "before", "after"
POSITIONS = (BEFORE, AFTER)


def add_signers(engine, session: Session, task_id: str, actor: Actor, *, users: list[str], position: str,
                reason: str) -> list[str]:
    """Add signers to a task the actor holds; returns their usernames."""
    task = task_for(engine, session, task_id, actor, "add_sign")
    require_open_bpmn(task)
    if task.assignee != actor.username or task.delegation == "pending":
        raise Conflict("只有任务的办理人（已签收者）才能加签，请先签收", "only the task's assignee may add signers")
    for name in users:
        refuse_self(name, actor, "users")
    users = active_users(session, users, "users")
    already = set(session.execute(select(TASKS.c.assignee).where(_signers_of(task.id))).scalars())
    if already & set(users):
        name = sorted(already & set(users))[0]
        raise Conflict(f"“{name}”已是本任务的加签人", f"'{name}' already signs for this task")
    now = clock.now()
    # the guard: the actor still holds the open task (and, before: it starts waiting)
    held = session.execute(update(TASKS).where(TASKS.c.id == task.id, TASKS.c.assignee == actor.username,
                                               TASKS.c.status == "open")
                           .values(status="waiting" if position == BEFORE else "open")).rowcount
    changed_or_conflict(held)
    rows = [dict(id=str(uuid.uuid4()), instance_id=task.instance_id, node_id=task.node_id,
                 name=f"{task.name or task.node_id}（加签）", stage=task.stage, assignee=name,
                 status="open" if position == BEFORE else "waiting", kind="sign", parent_id=task.id,
                 sign_position=position, owner=actor.username, created_at=now)
            for name in users]
    session.execute(insert(TASKS), rows)
    bump_case_version(session, task.instance_id)
    record(session, task, "task.signers_added", actor, now, position=position, users=users, reason=reason,
           sign_tasks=[r["id"] for r in rows])
    if position == BEFORE:
        tell(session, users, task, kind="task.sign_requested",
             title=f"{actor.username} 请您加签：{task.name or task.node_id}", body=reason, at=now)
    session.refresh(task)
    return users


def hold_for_after_signers(conn: Connection, task_id: str, case, data: dict, actor: Actor) -> bool:
    """Called by Engine.complete_task once the submission passed the form: when signers were added after this
    task, keep the submission, let the task wait and ask the signers. Returns whether it did."""
    signers = conn.execute(select(TASKS.c.assignee).where(_signers_of(task_id, AFTER))).scalars().all()
    if not signers:
        return False
    now = clock.now()
    waiting = conn.execute(update(TASKS).where(TASKS.c.id == task_id, TASKS.c.status == "open")
                           .values(status="waiting", held_data=json_safe(data))).rowcount
    changed_or_conflict(waiting)
    conn.execute(update(TASKS).where(_signers_of(task_id, AFTER)).values(status="open"))
    row = conn.execute(select(TASKS.c.node_id, TASKS.c.name).where(TASKS.c.id == task_id)).one()
    conn.execute(insert(EVENTS).values(instance_id=case.id, task_id=task_id, node_id=row.node_id, type="task.held",
                                       actor=actor.username, at=now, data={"signers": list(signers)}))
    notify(conn, signers, kind="task.sign_requested", title=f"{actor.username} 请您加签：{row.name or row.node_id}",
           case_no=case.case_no, task_id=task_id, at=now)
    return True


def sign(engine, session: Session, sign_task_id: str, actor: Actor, *, opinion: str, agree: bool = True) -> dict:
    """The added signer signs; returns the task's state afterwards (open / waiting / completed)."""
    row = engine.visible_task(session, sign_task_id, actor)  # 404 for anyone but the signer
    if row.kind != "sign":
        raise Conflict("这不是加签任务", "this is not an added signer's task")
    if row.status != "open":
        raise Conflict("办理人提交后才能签署（后加签）", "sign once the assignee has submitted (signing after)")
    parent = session.get(Task, row.parent_id)
    position, now = row.sign_position, clock.now()
    gone = session.execute(delete(TASKS).where(TASKS.c.id == row.id, TASKS.c.assignee == actor.username,
                                               TASKS.c.status == "open")).rowcount
    changed_or_conflict(gone)
    entry = {"user": actor.username, "opinion": opinion, "agree": agree, "position": position, "at": now.isoformat()}
    record(session, parent, "task.signed", actor, now, signer=actor.username, position=position, opinion=opinion,
           agree=agree, sign_task_id=row.id)
    if position == BEFORE:
        opinions = list(task_data(engine, session, parent).get("sign_opinions") or [])
        update_task_data(engine, session, parent, {"sign_opinions": opinions + [entry]})
    else:
        held = dict(parent.held_data or {})
        opinions = held.get("sign_opinions") or task_data(engine, session, parent).get("sign_opinions") or []
        held["sign_opinions"] = list(opinions) + [entry]
        session.execute(update(TASKS).where(TASKS.c.id == parent.id).values(held_data=held))
        bump_case_version(session, parent.instance_id)
    return {"task_id": parent.id, "status": _settle(engine, session, parent.id, position, actor)}


def remove_signer(engine, session: Session, task_id: str, actor: Actor, *, user: str, reason: str) -> dict:
    """减签: the one who added ``user`` removes them before they have signed."""
    task = task_for(engine, session, task_id, actor, "remove_sign")
    row = session.execute(select(TASKS.c.id, TASKS.c.owner, TASKS.c.sign_position)
                          .where(_signers_of(task.id), TASKS.c.assignee == user)).first()
    if row is None:
        signed = session.execute(select(exists().where(EVENTS.c.task_id == task.id, EVENTS.c.type == "task.signed",
                                                       EVENTS.c.actor == user))).scalar()
        if signed:
            raise Conflict(f"“{user}”已签署，不能减签", f"'{user}' has already signed and cannot be removed")
        raise NotFound(f"“{user}”不是本任务的加签人", f"'{user}' does not sign for this task")
    if row.owner != actor.username:
        raise Forbidden("只有加签的人才能减签", "only whoever added a signer may remove them")
    now = clock.now()
    gone = session.execute(delete(TASKS).where(TASKS.c.id == row.id, TASKS.c.assignee == user)).rowcount
    changed_or_conflict(gone)
    bump_case_version(session, task.instance_id)
    record(session, task, "task.signer_removed", actor, now, user=user, position=row.sign_position, reason=reason)
    tell(session, [user], task, kind="task.sign_cancelled", title=f"{actor.username} 已取消您的加签：{task.name}",
         body=reason, at=now)
    return {"task_id": task.id, "status": _settle(engine, session, task.id, row.sign_position, actor)}


# --- internals ------------------------------------------------------------------------------------

def _signers_of(task_id: str, position: str | None = None):
    condition = (TASKS.c.parent_id == task_id) & (TASKS.c.kind == "sign")
    return condition & (TASKS.c.sign_position == position) if position else condition


def _settle(engine, session: Session, task_id: str, position: str, actor: Actor) -> str:
    """After a signer signed or was removed: reopen the task (before) or complete it (after) when the last
    signer of that side is done."""
    left = session.execute(select(func.count()).where(_signers_of(task_id, position))).scalar()
    task = session.get(Task, task_id)
    session.refresh(task)
    if left:
        return task.status
    now = clock.now()
    if position == BEFORE and task.held_data is None and task.status == "waiting":
        session.execute(update(TASKS).where(TASKS.c.id == task_id, TASKS.c.status == "waiting")
                        .values(status="open"))
        record(session, task, "task.signers_done", actor, now, position=BEFORE)
        tell(session, [task.assignee], task, kind="task.signers_done",
             title=f"加签人已全部签署，请继续办理：{task.name or task.node_id}", at=now)
        return "open"
    if position == AFTER and task.held_data is not None:
        record(session, task, "task.signers_done", actor, now, position=AFTER)
        engine.complete_task(session, task_id, dict(task.held_data), Actor(task.assignee),
                             on_behalf_of_process=True)
        return "completed"
    return task.status


# --- what the buttons show ------------------------------------------------------------------------

def _may_add(context: allowed.TaskContext) -> bool:
    task = context.task
    return (task.kind == "bpmn" and task.status == "open" and task.assignee == context.actor.username
            and task.delegation != "pending")


def _added_by_me(context: allowed.TaskContext) -> bool:
    return context.task.kind == "bpmn" and context.conn.execute(
        select(exists().where(_signers_of(context.task.id), TASKS.c.owner == context.actor.username))).scalar()


allowed.register("add_sign", _may_add)
allowed.register("remove_sign", _added_by_me)
allowed.register("sign", lambda c: c.task.kind == "sign" and c.task.status == "open"
                 and c.task.assignee == c.actor.username)
