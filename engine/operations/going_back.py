"""退回 to a chosen earlier node, and 撤回 (the person who completed a task takes it back before the next acts).

Both re-open a completed task with SpiffWorkflow's ``reset_from_task_id``, which drops everything below it in the
task tree. That needs the completed task still in the tree: :func:`keep_for_return` names, for the pruning after
every command, the latest completed instance of each user-task node of each (sub)workflow — at most one task (and
its parent) per node, so the state stays bounded however often a case loops.

A reset is refused when it would cut through a parallel or inclusive join: the join's other branches have already
been consumed, so the re-opened branch would wait for them for ever (:func:`joins_between`).

Data: a 退回 carries the case's current data back to the target (variables are not rolled back; the target's
earlier submission is still there to edit); a 撤回 restores the data as the task was completed (what followed is
undone).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.access import is_candidate
from engine.errors import CASE_CHANGED, Conflict, Forbidden, InvalidData, NotFound
from engine.identity import Actor
from engine.operations import allowed
from engine.parser import node_config
from engine.projection import CANDIDATES, EVENTS, TASKS, CaseRef, Step, human_tasks, snapshot, write_step
from engine.state import load_state

if TYPE_CHECKING:  # pragma: no cover
    from engine.runtime import Engine

CONFLICT = CASE_CHANGED
# Events on a follow-up task that are not the next person acting on it.
PASSIVE_EVENTS = frozenset({"task.created", "task.unassigned", "task.warning", "task.overdue", "task.reminded",
                            "task.urged"})


# ----------------------------------------------------------------------------------------- what pruning keeps


def returnable(spec: TaskSpec) -> bool:
    """A user task a case can go back to: a manual task that is not one instance of a multi-instance node."""
    return bool(spec.manual) and not any(isinstance(i, LoopTask) for i in spec.inputs)


def keep_for_return(workflow) -> list[UUID]:
    """The latest completed instance of each returnable node, per (sub)workflow."""
    kept: list[UUID] = []
    for wf in (workflow, *workflow.subprocesses.values()):
        latest: dict[str, object] = {}
        for task in wf.tasks.values():  # creation order: a later instance replaces an earlier one
            if task.state == TaskState.COMPLETED and returnable(task.task_spec):
                seen = latest.get(task.task_spec.name)
                if seen is None or task.last_state_change >= seen.last_state_change:
                    latest[task.task_spec.name] = task
        kept += [t.id for t in latest.values()]
    return kept


# ----------------------------------------------------------------------------------------- the spec graph


def _reach(spec: TaskSpec, step) -> set:
    seen, stack = set(), [spec]
    while stack:
        current = stack.pop()
        for following in step(current):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return seen


def joins_between(source: TaskSpec, target: TaskSpec) -> list[str]:
    """Parallel/inclusive joins on some path from ``source`` to ``target`` (node ids)."""
    on_paths = _reach(source, lambda s: s.outputs) & _reach(target, lambda s: s.inputs)
    return sorted(s.name for s in on_paths
                  if isinstance(s, Join) and s.split_task is None and len(s.inputs) > 1)


def _refuse_across_joins(source: TaskSpec, targets: list[TaskSpec]) -> None:
    for target in targets:
        joins = joins_between(source, target)
        if joins:
            raise Conflict(f"该操作会跨越并行分支的汇聚（{', '.join(joins)}），无法安全执行",
                           f"this would cross the parallel join(s) {', '.join(joins)}; it cannot be done safely")


# ----------------------------------------------------------------------------------------- 退回


@dataclass(frozen=True)
class ReturnTarget:
    node_id: str
    name: str | None
    completed_by: str | None
    task_id: str


def _ancestors(task):
    current = task.parent
    while current is not None:
        yield current
        current = current.parent


def _candidate_targets(current) -> list:
    """Completed returnable tasks upstream of ``current`` in its own (sub)workflow, nearest first, one per node."""
    named = node_config(current.task_spec).return_targets
    own = node_config(current.task_spec).node_id
    found, seen = [], {own}
    for task in _ancestors(current):
        node = node_config(task.task_spec).node_id
        if task.state != TaskState.COMPLETED or not returnable(task.task_spec) or node in seen:
            continue
        seen.add(node)
        if not named or node in named:
            found.append(task)
    return found


def targets_of(workflow, current) -> list:
    """The completed tasks ``current`` may go back to now (those that could not be done safely left out)."""
    if not returnable(current.task_spec):
        return []
    return [t for t in _candidate_targets(current) if _return_refusal(workflow, t, current) is None]


def _return_refusal(workflow, target, current) -> tuple[str, str] | None:
    joins = joins_between(target.task_spec, current.task_spec)
    if joins:
        return (f"退回会跨越并行分支的汇聚（{', '.join(joins)}），无法安全执行",
                f"returning would cross the parallel join(s) {', '.join(joins)}; it cannot be done safely")
    if any(t is not current for t in _live_below(workflow, target)):
        return ("退回会同时取消其他并行分支的待办，无法安全执行",
                "returning would also cancel other parallel work; it cannot be done safely")
    return None


@dataclass
class _Loaded:
    case: CaseRef
    workflow: object
    spiff_task: object
    row: object


def _load_open(engine: "Engine", session: Session, task_id: str, actor: Actor) -> _Loaded:
    conn = session.connection()
    row = conn.execute(select(TASKS).where(TASKS.c.id == task_id)).first()
    if row is None:
        raise NotFound("任务不存在或已办结", "task not found or already completed")
    if row.assignee != actor.username:
        if row.assignee is None and is_candidate(_candidates(conn, task_id), actor):
            raise Conflict("请先签收任务再退回", "claim the task before returning it")
        raise Forbidden("只有任务的办理人可以退回", "only the task's assignee may return it")
    allowed.refuse_while_delegated(row)
    case = engine._case(conn, row.instance_id)
    if case.status != "running":
        raise Conflict("案件不在办理中", "the case is not running")
    if row.kind != "bpmn" or row.status != "open":
        raise Conflict("该任务当前不能退回（加签或等待中）", "the task cannot be returned now")
    workflow = _workflow(engine, session, case)
    spiff_task = workflow.get_task_from_id(UUID(task_id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict("任务已不在办理中", "the task is no longer open")
    return _Loaded(case, workflow, spiff_task, row)


def _candidates(conn, task_id: str) -> list[tuple[str, str]]:
    return [(r.kind, r.value) for r in conn.execute(select(CANDIDATES.c.kind, CANDIDATES.c.value)
                                                     .where(CANDIDATES.c.task_id == task_id))]


def _workflow(engine: "Engine", session: Session, case: CaseRef):
    loaded = engine.specs.get_by_id(session, case.definition_id)
    return load_state(case.state, loaded.spec, loaded.subprocess_specs)


def return_targets(engine: "Engine", session: Session, task_id: str, actor: Actor) -> list[ReturnTarget]:
    """GET …/return-targets: where the assignee of an open task may send it back to."""
    loaded = _load_open(engine, session, task_id, actor)
    conn = session.connection()
    return [ReturnTarget(node_config(t.task_spec).node_id, node_config(t.task_spec).name or t.task_spec.bpmn_name,
                         _last_completer(conn, loaded.case.id, str(t.id)), str(t.id))
            for t in targets_of(loaded.workflow, loaded.spiff_task)]


def return_task(engine: "Engine", session: Session, task_id: str, actor: Actor, *, target: str,
                reason: str) -> dict:
    """退回: cancel the open task and re-open ``target`` (a node id), assigned to whoever completed it last."""
    loaded = _load_open(engine, session, task_id, actor)
    conn, case, current = session.connection(), loaded.case, loaded.spiff_task
    allowed.check_allowed(conn, case.definition_id, loaded.row.node_id, "return", current.task_spec)
    if not returnable(current.task_spec):
        raise Conflict("会签任务不能退回，请提交“不同意”", "a countersign task cannot be returned; vote against it")
    chosen = next((t for t in _candidate_targets(current) if node_config(t.task_spec).node_id == target), None)
    if chosen is None:
        raise InvalidData({"target": "不是本环节可退回的环节"}, {"target": "not a step this task may return to"})
    refusal = _return_refusal(loaded.workflow, chosen, current)
    if refusal:
        raise Conflict(*refusal)
    assignee = _last_completer(conn, case.id, str(chosen.id))
    data = copy.deepcopy(current.data)
    data.update(returned_from=loaded.row.node_id, return_reason=reason)
    step = Step(actor.username, clock.now())
    step.record(case.id, "task.returned", task_id=task_id, node_id=loaded.row.node_id, reason=reason,
                **{"from": loaded.row.node_id, "to": target}, to_task_id=str(chosen.id), assignee=assignee)
    _reset_and_write(engine, session, loaded.workflow, case, step, chosen, data, assignee)
    return {"task_id": str(chosen.id), "node_id": target, "assignee": assignee}


# ----------------------------------------------------------------------------------------- 撤回


def _completion(conn, task_id: str):
    return conn.execute(select(EVENTS.c.id, EVENTS.c.instance_id, EVENTS.c.node_id, EVENTS.c.actor, EVENTS.c.at)
                        .where(EVENTS.c.task_id == task_id, EVENTS.c.type == "task.completed")
                        .order_by(EVENTS.c.id.desc()).limit(1)).first()


def _last_completer(conn, case_id: int, task_id: str) -> str | None:
    return conn.execute(select(EVENTS.c.actor).where(EVENTS.c.instance_id == case_id, EVENTS.c.task_id == task_id,
                                                     EVENTS.c.type == "task.completed")
                        .order_by(EVENTS.c.id.desc()).limit(1)).scalar()


def _live_below(workflow, ancestor) -> list:
    """Open human tasks in ``ancestor``'s subtree, subprocesses included."""
    return [t for t in human_tasks(workflow) if _descends_from(workflow, t, ancestor)]


def _descends_from(workflow, task, ancestor) -> bool:
    current = task
    while current is not None:
        parent = current.parent
        if parent is None and current.workflow.parent_task_id is not None:
            parent = workflow.get_task_from_id(current.workflow.parent_task_id)
        if parent is ancestor:
            return True
        current = parent
    return False


def _in_workflow_of(workflow, task, wf):
    """``task`` itself, or the task of ``wf`` whose subprocess holds it."""
    while task is not None and task.workflow is not wf:
        parent_id = task.workflow.parent_task_id
        task = workflow.get_task_from_id(parent_id) if parent_id is not None else None
    return task


def withdraw_refusal(conn, workflow, completed, case_id: int, completed_event_id: int) -> tuple[str, str] | None:
    """Why the completion cannot be taken back now (zh, en), or None."""
    below = [t for t in completed.workflow.tasks.values() if t is not completed and t.task_spec.manual
             and t.state == TaskState.COMPLETED and _descends_from(workflow, t, completed)]
    if below:
        return "下一环节已经办理，不能撤回", "the next step has already been worked on"
    follow_ups = _live_below(workflow, completed)
    if not follow_ups:
        return "后续没有可撤回的待办", "nothing follows that could be taken back"
    ids = [str(t.id) for t in follow_ups]
    acted = conn.execute(select(EVENTS.c.type).where(EVENTS.c.instance_id == case_id, EVENTS.c.id > completed_event_id,
                                                     EVENTS.c.task_id.in_(ids),
                                                     EVENTS.c.type.not_in(PASSIVE_EVENTS)).limit(1)).first()
    if acted is not None:
        return "下一环节的办理人已经处理，不能撤回", "the next person has already acted"
    return None


def withdraw_task(engine: "Engine", session: Session, task_id: str, actor: Actor, *, reason: str) -> dict:
    """撤回: the follow-up tasks are cancelled and the completed task re-opens for the one who completed it."""
    conn = session.connection()
    done = _completion(conn, task_id)
    if done is None:
        raise NotFound("没有找到已办任务", "no completed task with this id")
    if done.actor != actor.username:
        raise Forbidden("只有办理人本人可以撤回", "only the person who completed the task may take it back")
    case = engine._case(conn, done.instance_id)
    if case.status != "running":
        raise Conflict("案件不在办理中，不能撤回", "the case is not running")
    workflow = _workflow(engine, session, case)
    completed = workflow.get_task_from_id(UUID(task_id)) if _has_task(workflow, task_id) else None
    if completed is None or completed.state != TaskState.COMPLETED:
        raise Conflict("流程已继续推进，不能撤回", "the case has moved on; the task cannot be taken back")
    allowed.check_allowed(conn, case.definition_id, done.node_id, "withdraw", completed.task_spec)
    # Lock the follow-up rows before reading whether anyone acted: a claim (which does not move the case
    # version) that commits meanwhile is then either seen below or finds its row gone.
    follow_up_ids = [str(t.id) for t in _live_below(workflow, completed)]
    if follow_up_ids:
        conn.execute(select(TASKS.c.id).where(TASKS.c.id.in_(follow_up_ids)).with_for_update())
    refusal = withdraw_refusal(conn, workflow, completed, case.id, done.id)
    if refusal:
        raise Conflict(*refusal)
    follow_ups = _live_below(workflow, completed)
    _refuse_across_joins(completed.task_spec,
                         [_in_workflow_of(workflow, t, completed.workflow).task_spec for t in follow_ups])
    step = Step(actor.username, clock.now())
    step.record(case.id, "task.withdrawn", task_id=task_id, node_id=done.node_id, reason=reason,
                cancelled=[str(t.id) for t in follow_ups])
    _reset_and_write(engine, session, workflow, case, step, completed, copy.deepcopy(completed.data),
                     actor.username)
    return {"task_id": task_id, "node_id": done.node_id, "assignee": actor.username}


def _has_task(workflow, task_id: str) -> bool:
    uid = UUID(task_id)
    return any(uid in wf.tasks for wf in (workflow, *workflow.subprocesses.values()))


# ----------------------------------------------------------------------------------------- the shared write


def _reset_and_write(engine: "Engine", session: Session, workflow, case: CaseRef, step: Step, target, data: dict,
                     assignee: str | None) -> None:
    conn = session.connection()
    before = snapshot(workflow)
    workflow.reset_from_task_id(target.id, data=copy.deepcopy(data))
    reopened = workflow.get_task_from_id(target.id)
    # the reset merges the (older) parent's data over ours, in place: ours wins
    reopened.data.update(copy.deepcopy(data))
    engine.advance(workflow, case, step)
    if reopened.state != TaskState.READY:
        raise Conflict("目标环节无法重新打开", "the target step could not be re-opened")
    try:
        write_step(conn, workflow, case, step, before, engine.planner(session), forms=engine.forms)
    except StaleDataError:
        raise Conflict(*CONFLICT) from None
    if assignee:
        conn.execute(update(TASKS).where(TASKS.c.id == str(target.id)).values(assignee=assignee))
    engine.note_next_due(session, step)


def done_is_withdrawable(engine: "Engine", session: Session, event) -> bool:
    """For the 已办 list: whether ``event`` (a task.completed row with its case) could be taken back now."""
    if event.status != "running":
        return False
    conn = session.connection()
    latest = _completion(conn, event.task_id)
    if latest is None or latest.id != event.id:
        return False
    case = engine._case(conn, event.instance_id)
    workflow = _workflow(engine, session, case)
    if not _has_task(workflow, event.task_id):
        return False
    completed = workflow.get_task_from_id(UUID(event.task_id))
    if completed.state != TaskState.COMPLETED:
        return False
    return withdraw_refusal(conn, workflow, completed, case.id, event.id) is None


# ----------------------------------------------------------------------------------------- availability


def _may_return(context: allowed.TaskContext) -> bool:
    task = context.task
    return (task.kind == "bpmn" and task.status == "open" and task.delegation != "pending"
            and task.assignee == context.actor.username)


def _may_withdraw(context: allowed.TaskContext) -> bool:
    # 撤回 applies to a task the actor completed (see the 已办 list's ``withdrawable``), never to an open one
    return False


allowed.register("return", _may_return)
allowed.register("withdraw", _may_withdraw)

