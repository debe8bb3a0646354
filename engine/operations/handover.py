"""签收/退签, 转办 and 委派: operations that change who holds a task, never the flow.

Who may do what:

- 签收 (claim): a candidate of an unclaimed task (Engine.claim_task).
- 退签 (unclaim): the assignee gives the task back to its candidates; refused when it has none (nobody could
  take it again: transfer it instead).
- 转办 (transfer): only the current assignee, to another active user, with a reason. An unclaimed task is
  claimed first: a candidate who has not taken the task does not hold it, so cannot give it away.
- 委派 (delegate): the assignee hands the task to a user for a while: ``owner`` = the delegator, ``delegation``
  = 'pending'. The delegate works on it and *resolves* it (data and an opinion, without completing the BPMN
  task); it comes back to the delegator (``delegation`` = 'resolved'), who completes it. A delegate can neither
  complete (Engine.complete_task refuses) nor pass the task on.

Every change is one conditional UPDATE on the task row, so of two racing operations exactly one wins (the other
gets a Conflict), plus an event and a notification to the new holder, in the caller's transaction.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import clock
from engine.access import is_candidate, may_act
from engine.errors import Conflict
from engine.identity import Actor
from engine.models import Task
from engine.operations import allowed
from engine.operations.task_commands import (active_users, bump_case_version, changed_or_conflict, record,
                                             refuse_self, require_open_bpmn, task_data, task_for, tell,
                                             update_task_data)
from engine.projection import TASKS

PENDING, RESOLVED = "pending", "resolved"


def unclaim(engine, session: Session, task_id: str, actor: Actor, *, reason: str | None = None) -> Task:
    task = task_for(engine, session, task_id, actor, "unclaim")
    _require_holder(task, actor)
    if not task.candidates:
        raise Conflict("该任务没有候选人，退签后无人可签收；请改用转办",
                       "the task has no candidates, nobody could claim it again; transfer it instead")
    _hand_over(session, task, actor, to=None)
    record(session, task, "task.unclaimed", actor, clock.now(), reason=reason, **{"from": actor.username})
    session.refresh(task)
    return task


def transfer(engine, session: Session, task_id: str, actor: Actor, *, to: str, reason: str) -> Task:
    task = task_for(engine, session, task_id, actor, "transfer")
    _require_holder(task, actor)
    refuse_self(to, actor, "to")
    active_users(session, [to], "to")
    now = clock.now()
    _hand_over(session, task, actor, to=to)
    # signers the former assignee added answer to the new one (减签 is theirs now)
    session.execute(update(TASKS).where(TASKS.c.parent_id == task.id, TASKS.c.kind == "sign")
                    .values(owner=to))
    record(session, task, "task.transferred", actor, now, reason=reason, **{"from": actor.username, "to": to})
    tell(session, [to], task, kind="task.transferred", title=f"{actor.username} 转办给您：{task.name or task.node_id}",
         body=reason, at=now)
    session.refresh(task)
    return task


def delegate(engine, session: Session, task_id: str, actor: Actor, *, to: str, reason: str) -> Task:
    task = task_for(engine, session, task_id, actor, "delegate")
    _require_holder(task, actor)
    refuse_self(to, actor, "to")
    active_users(session, [to], "to")
    now = clock.now()
    moved = session.execute(_from_holder(task, actor).values(assignee=to, owner=actor.username,
                                                             delegation=PENDING)).rowcount
    changed_or_conflict(moved)
    bump_case_version(session, task.instance_id)
    record(session, task, "task.delegated", actor, now, reason=reason, **{"from": actor.username, "to": to})
    tell(session, [to], task, kind="task.delegated", title=f"{actor.username} 委派给您：{task.name or task.node_id}",
         body=reason, at=now)
    session.refresh(task)
    return task


def resolve(engine, session: Session, task_id: str, actor: Actor, *, data: dict, opinion: str) -> Task:
    """The delegate's answer: ``data`` (checked against the node's form when given) and an opinion go into the
    task's data; the task goes back to the delegator."""
    task = task_for(engine, session, task_id, actor, None)
    if task.delegation != PENDING or task.assignee != actor.username:
        raise Conflict("该任务不是委派给您的待办", "this task is not delegated to you")
    require_open_bpmn(task)
    now = clock.now()
    current = task_data(engine, session, task)
    if data and task.form_key and engine.forms is not None:
        key = engine.specs.get_by_id(session, task.instance.definition_id).key
        engine._check(engine.forms.check_task(session.connection(), form_key=task.form_key,
                                              version=task.form_version, process_key=key, node_id=task.node_id,
                                              submitted=data, current=current))
    back = session.execute(update(TASKS).where(TASKS.c.id == task.id, TASKS.c.assignee == actor.username,
                                               TASKS.c.delegation == PENDING)
                           .values(assignee=task.owner, delegation=RESOLVED)).rowcount
    changed_or_conflict(back)
    opinions = list(current.get("delegation_opinions") or [])
    opinions.append({"user": actor.username, "opinion": opinion, "at": now.isoformat()})
    update_task_data(engine, session, task, {**data, "delegation_opinions": opinions})
    record(session, task, "task.resolved", actor, now, opinion=opinion, data=data,
           **{"from": actor.username, "to": task.owner})
    tell(session, [task.owner], task, kind="task.resolved",
         title=f"{actor.username} 已办理完成您委派的任务：{task.name or task.node_id}", body=opinion, at=now)
    session.refresh(task)
    return task


# --- internals ------------------------------------------------------------------------------------

def _require_holder(task: Task, actor: Actor) -> None:
    """Only the assignee hands a task on, and not while it is delegated or waiting for signers."""
    require_open_bpmn(task)
    if task.assignee != actor.username:
        raise Conflict("只有任务的办理人（已签收者）才能进行此操作，请先签收",
                       "only the task's assignee may do this; claim it first")
    if task.delegation == PENDING:
        raise Conflict("委派中的任务只能“办理完成”交回委派人", "a delegated task can only be resolved")


def _from_holder(task: Task, actor: Actor):
    """UPDATE of the task row that matches only while ``actor`` still holds it (the race guard)."""
    return update(TASKS).where(TASKS.c.id == task.id, TASKS.c.assignee == actor.username, TASKS.c.status == "open",
                               TASKS.c.delegation.is_distinct_from(PENDING))


def _hand_over(session: Session, task: Task, actor: Actor, *, to: str | None) -> None:
    moved = session.execute(_from_holder(task, actor).values(assignee=to, owner=None, delegation=None)).rowcount
    changed_or_conflict(moved)
    bump_case_version(session, task.instance_id)


# --- what the buttons show ------------------------------------------------------------------------

def _holds(context: allowed.TaskContext) -> bool:
    task = context.task
    return (task.kind == "bpmn" and task.status == "open" and task.assignee == context.actor.username
            and task.delegation != PENDING)


def _candidates(task) -> list[tuple[str, str]]:
    return [(c.kind, c.value) for c in task.candidates]


allowed.register("claim", lambda c: c.task.kind == "bpmn" and c.task.assignee is None
                 and is_candidate(_candidates(c.task), c.actor))
allowed.register("unclaim", lambda c: _holds(c) and bool(c.task.candidates))
allowed.register("transfer", _holds)
allowed.register("delegate", _holds)
allowed.register("complete", lambda c: c.task.kind == "bpmn" and c.task.status == "open"
                 and c.task.delegation != PENDING and c.task.instance.status == "running"
                 and may_act(c.task.assignee, _candidates(c.task), c.actor))
allowed.register("resolve", lambda c: c.task.kind == "bpmn" and c.task.status == "open"
                 and c.task.delegation == PENDING and c.task.assignee == c.actor.username)
