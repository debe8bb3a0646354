"""What the task operations that change who holds a task share: finding the task the actor may act on, the
node's offer, people to hand work to, the event, the notification, and the case version.

Each operation changes task rows with conditional UPDATEs (``… WHERE assignee = :expected``) and bumps the case's
``version`` in the same transaction: a command that read the case before (a completion by the former assignee)
then fails its own versioned UPDATE with a Conflict instead of acting on a task that has changed hands.
"""
from __future__ import annotations

import datetime as _dt
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.errors import CASE_CHANGED, Conflict, InvalidData
from engine.identity import Actor, User
from engine.models import Task
from engine.notifications import notify
from engine.operations.allowed import check_allowed, node_spec
from engine.projection import EVENTS, INSTANCES, write_versioned
from engine.state import dump_state

USERS = User.__table__


def task_for(engine, session: Session, task_id: str, actor: Actor, operation: str | None) -> Task:
    """The open task if ``actor`` may see it (404/409 otherwise, as Engine.visible_task), and the node offers
    ``operation`` (403). Access first, so nothing leaks about tasks one may not see."""
    task = engine.visible_task(session, task_id, actor)
    if operation is not None:
        check_allowed(session.connection(), task.instance.definition_id, task.node_id, operation,
                      node_spec(engine.specs, session, task.instance.definition_id, task.node_id))
    return task


def require_open_bpmn(task: Task) -> None:
    """Only a process task that nobody is signing for can change hands."""
    if task.kind != "bpmn":
        raise Conflict("加签任务只能签署", "an added signer's task can only be signed")
    if task.status != "open":
        raise Conflict("任务正在等待加签人签署", "the task waits for its added signers")


def active_users(session: Session, usernames: list[str], field: str) -> list[str]:
    """The usernames, unique, in order; InvalidData (on ``field``) naming the first unknown or disabled one."""
    wanted = list(dict.fromkeys(usernames))
    found = set(session.execute(select(USERS.c.username).where(USERS.c.username.in_(wanted),
                                                                USERS.c.is_active)).scalars())
    missing = [name for name in wanted if name not in found]
    if missing:
        raise InvalidData({field: f"用户“{missing[0]}”不存在或已停用"},
                          {field: f"user '{missing[0]}' does not exist or is disabled"})
    return wanted


def refuse_self(target: str, actor: Actor, field: str) -> None:
    if target == actor.username:
        raise InvalidData({field: "不能选择自己"}, {field: "you cannot choose yourself"})


def record(session: Session, task: Task, type_: str, actor: Actor, now: _dt.datetime, **data) -> None:
    session.execute(insert(EVENTS).values(instance_id=task.instance_id, task_id=task.id, node_id=task.node_id,
                                          type=type_, actor=actor.username, at=now, data=data))


def tell(session: Session, recipients, task: Task, *, kind: str, title: str, body: str = "",
         at: _dt.datetime | None = None) -> None:
    """An in-app notification about this task (written in the command's transaction)."""
    notify(session.connection(), recipients, kind=kind, title=title, body=body, case_no=task.instance.case_no,
           task_id=task.id, at=at or clock.now())


def bump_case_version(session: Session, instance_id: int) -> None:
    session.execute(update(INSTANCES).where(INSTANCES.c.id == instance_id)
                    .values(version=INSTANCES.c.version + 1))


def changed_or_conflict(rowcount: int) -> None:
    if rowcount != 1:
        raise Conflict("任务已被他人处理，请刷新后重试", "the task was changed by someone else; reload and retry")


def update_task_data(engine, session: Session, task: Task, changes: dict) -> None:
    """Merge ``changes`` into the READY workflow task's data (the delegate's submission, the signers' opinions)
    and write the state with the case's version check."""
    case = engine._case(session.connection(), task.instance_id)
    loaded = engine.specs.get_by_id(session, case.definition_id)
    workflow = engine._workflow(case, loaded)
    spiff_task = workflow.get_task_from_id(UUID(task.id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict("任务已不在办理中", "the task is no longer open")
    spiff_task.data.update(changes)
    try:
        write_versioned(session.connection(), case, {"state": dump_state(workflow)})
    except StaleDataError:
        raise Conflict(*CASE_CHANGED) from None
    engine._keep(session, case, workflow)  # the next command on the case starts from this object


def task_data(engine, session: Session, task: Task) -> dict:
    """The READY workflow task's data (empty when the state no longer has it)."""
    workflow = engine.workflow_of(session, task.instance)
    spiff_task = workflow.get_task_from_id(UUID(task.id))
    return dict(spiff_task.data) if spiff_task is not None else {}
