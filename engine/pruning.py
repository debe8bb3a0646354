"""Prune finished history out of a SpiffWorkflow task tree.

SpiffWorkflow 3.2 keeps every task it ever created in ``workflow.tasks`` and the serializer writes all of it,
so an instance that loops gets slower (and its state bigger) with every step. Worse, two SpiffWorkflow limits
make long histories *incorrect*, not just slow:

* ``TaskIterator`` stops at depth 1000, so after ~333 turns of a three-task loop ``get_tasks(state=READY)`` no
  longer finds the ready task and the instance silently stalls; ancestor walks (``is_descendant_of``, the
  parallel gateway's) are recursive and hit Python's recursion limit (turn 163 of a three-branch parallel loop);
* joins read stale history: a parallel join inside a loop counts the cancelled join instance left over from an
  earlier turn (it fires early when the branches finish in a different order than last time), and an inclusive
  join inside a loop never looks below its own completed instance from the previous turn.

History belongs in our event log. :func:`prune_history` removes every finished task that nothing can read any
more and reconnects what is left.

Algorithm
---------
For each workflow (the top one and every subprocess) compute the set ``K`` of tasks to keep; every other task is
removed and each kept task is re-attached to its nearest kept ancestor (children keep their depth-first order).
``K`` contains:

1. the root and the root's direct children (an ad-hoc subprocess reads ``task_tree.children`` as its list of
   paths; triggered event subprocesses hang there too);
2. every unfinished task (MAYBE .. STARTED) and every ERROR task, **plus its parent and its children**. The parent
   is kept because SpiffWorkflow re-inherits data from the parent whenever a task is updated (WAITING timers and
   joins are updated on every step) and ``reset_branch`` copies the parent's data; so a live task never changes
   parent. The children are kept because a running multi-instance/loop task (and a cycle timer) reads its
   finished child instances;
3. for a live structured join (``BoundaryEventJoin``, ``StartEventJoin``: a ``Join`` with ``split_task``): the
   ancestor it will find with ``find_ancestor(split_task)`` and all that split's children (main task and boundary
   events, whose states the join inspects). Rule 2 already implies this whenever such a join can be updated (the
   main task or an unfired boundary event is still live); it is spelled out so it does not depend on that;
4. for every unstructured join spec (parallel, inclusive, end join): each *pending* instance and its parent. An
   instance is pending when it was CANCELLED after its incoming token arrived (its parent COMPLETED) and no later
   firing of the same join consumed it. It is consumed by a COMPLETED instance ``Y`` of the same spec that is
   neither its ancestor nor its descendant (the same "generation" of tokens: SpiffWorkflow cancels the waiting
   instances and merges their parents' data when ``Y`` fires) and whose state changed no earlier than it did.
   COMPLETED join instances are never needed: a later instance either skips them (ancestor) or would count them
   as a stale token;
5. ``workflow.last_task`` (so it stays valid and means what SpiffWorkflow says it means);
6. tasks the caller asks to keep (``keep=``), with their parent (so ``reset_from_task_id`` copies the right data)
   and, for a task with boundary events, the split's other children.

A removed subprocess task takes its subprocess (and theirs) with it. Removed tasks are dropped from the event
manager (it only ever holds live catching events, so this is a guard). ``task_removed_event`` is *not* fired:
these tasks are finished, not cancelled.

Call it after every command, once ``do_engine_steps`` has returned, never from inside a SpiffWorkflow callback.
``reset_from_task_id`` can only target a task that survived: pass the ids the application may return to as
``keep``.

Only finished tasks are ever removed, and kept tasks keep their relative ancestry, so ``is_descendant_of`` and
``find_ancestor`` answer as before for every question SpiffWorkflow still asks. Serialization stays correct: task
data is held in full in memory and the serializer writes each task's delta against its (new) parent; a new parent
is always an original ancestor, created earlier, so it precedes its children in ``workflow.tasks`` as the
deserializer needs.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

if TYPE_CHECKING:  # pragma: no cover
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.task import Task

__all__ = ["prune_history"]

_LIVE = TaskState.NOT_FINISHED_MASK | TaskState.ERROR


def prune_history(workflow: "BpmnWorkflow", keep: Iterable[UUID | str] = ()) -> int:
    """Remove finished task chains nothing can reach any more, in ``workflow`` and all its subprocesses.

    Args:
        workflow: the top-level ``BpmnWorkflow``.
        keep: ids of tasks that must survive (for example a task the application may later pass to
            ``reset_from_task_id``); their parents are kept too.

    Returns:
        The number of tasks removed (including the tasks of dropped subprocesses).
    """
    top = workflow.top_workflow
    keep_ids = {k if isinstance(k, UUID) else UUID(str(k)) for k in keep}
    removed = _prune_one(top, top, keep_ids)
    # Parents before children: pruning a subprocess may drop the subprocesses nested in it.
    for sp_id, sp in sorted(top.subprocesses.items(), key=lambda item: item[1].depth):
        if top.subprocesses.get(sp_id) is sp:
            removed += _prune_one(top, sp, keep_ids)
    return removed


def _prune_one(top, wf, keep_ids: set[UUID]) -> int:
    tasks: dict[UUID, "Task"] = wf.tasks
    root = wf.task_tree
    if root is None or len(tasks) <= 1:
        return 0

    kept = _tasks_to_keep(wf, keep_ids)
    removed_ids = [tid for tid in tasks if tid not in kept]
    if not removed_ids:
        return 0

    # Re-attach every kept task to its nearest kept ancestor, preserving depth-first order.
    stack = [root.id]
    while stack:
        parent = tasks[stack.pop()]
        new_children = _kept_descendants(tasks, parent, kept)
        if new_children != parent._children:
            parent._children = new_children
        for child_id in new_children:
            tasks[child_id]._parent = parent.id
        stack.extend(new_children)

    count = 0
    for tid in removed_ids:
        task = tasks.pop(tid)
        count += 1
        registered = top.event_manager.tasks.get(tid)
        if registered is task:
            top.event_manager.remove_task(task)
        count += _drop_subprocess(top, tid)

    return count


def _kept_descendants(tasks, parent, kept: set[UUID]) -> list[UUID]:
    """The kept tasks whose nearest kept ancestor is ``parent``, in depth-first order."""
    result = []
    stack = list(reversed(parent._children))
    while stack:
        child_id = stack.pop()
        child = tasks.get(child_id)
        if child is None:  # dangling id: nothing to keep
            continue
        if child_id in kept:
            result.append(child_id)
        else:
            stack.extend(reversed(child._children))
    return result


def _drop_subprocess(top, task_id: UUID) -> int:
    sp = top.subprocesses.pop(task_id, None)
    if sp is None:
        return 0
    count = 0
    for tid, task in sp.tasks.items():
        count += 1
        if top.event_manager.tasks.get(tid) is task:
            top.event_manager.remove_task(task)
        count += _drop_subprocess(top, tid)
    return count


def _tasks_to_keep(wf, keep_ids: set[UUID]) -> set[UUID]:
    tasks = wf.tasks
    root = wf.task_tree
    kept: set[UUID] = {root.id}
    kept.update(root._children)

    def keep_with_parent(task) -> None:
        kept.add(task.id)
        if task._parent is not None and task._parent in tasks:
            kept.add(task._parent)

    joins: dict[str, list] = {}
    for task in tasks.values():
        spec = task.task_spec
        if isinstance(spec, Join) and spec.split_task is None:
            joins.setdefault(spec.name, []).append(task)

        if task.has_state(_LIVE):
            keep_with_parent(task)
            kept.update(task._children)
            if isinstance(spec, Join) and spec.split_task is not None:
                split = _find_ancestor(task, spec.split_task)
                if split is not None:
                    kept.add(split.id)
                    kept.update(split._children)

        if task.id in keep_ids:
            keep_with_parent(task)
            parent = task.parent
            if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
                kept.update(parent._children)

    if wf.last_task is not None and wf.last_task.id in tasks:
        kept.add(wf.last_task.id)

    for instances in joins.values():
        fired = [t for t in instances if t.state == TaskState.COMPLETED]
        for task in instances:
            if task.state != TaskState.CANCELLED:
                continue  # live instances are kept above; COMPLETED ones are never read again
            parent = task.parent
            if parent is None or parent.state != TaskState.COMPLETED:
                continue  # its branch was cancelled: no token ever arrived
            if not any(_consumed_by(task, y) for y in fired):
                keep_with_parent(task)
    return kept


def _find_ancestor(task, spec_name: str):
    """``Task.find_ancestor`` without recursion (an unpruned tree can be deeper than the recursion limit)."""
    current = task.parent
    while current is not None:
        if current.task_spec.name == spec_name:
            return current
        current = current.parent
    return None


def _is_ancestor(candidate, task) -> bool:
    current = task.parent
    while current is not None:
        if current is candidate:
            return True
        current = current.parent
    return False


def _consumed_by(instance, fired) -> bool:
    """Whether the join instance ``fired`` consumed the token of the cancelled ``instance``."""
    return (
        fired is not instance
        and instance.last_state_change <= fired.last_state_change
        and not _is_ancestor(fired, instance)
        and not _is_ancestor(instance, fired)
    )
