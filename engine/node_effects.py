"""What the issue-6 node attributes do when a node runs or a person submits it.

- ``citybpm:set="var = expr; …"``: evaluated in order (sandboxed) into the task data right before the
  node runs — for a user task that is after the submission was merged, so expressions can read it. A
  variable not set yet reads as None here (``parts = failed_parts or departments`` on a first pass).
- ``citybpm:reportTo="<node id>"``: a 协办 submission is added to the open task of that node, under
  ``assist_reports[<key>]`` (key: the multi-instance item, e.g. the department, else the actor). When the
  reported-to task is submitted, the reporting tasks still open are closed by the process (a terminate end
  event); :func:`record_closed_reporters` writes one event per closed task with the reason.
- ``citybpm:proposal="chosen=proposed, …"``: a submission whose chosen value differs from the proposed
  one writes ``proposal.overridden`` (准确派遣率 counts them).
"""
from __future__ import annotations

import ast

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from engine import expressions
from engine.parser import node_config

REPORTS_VARIABLE = "assist_reports"
CLOSED_BY_MAIN = ("主办部门已提交，协办任务关闭", "the main department submitted; the assisting task was closed")


def apply_assignments(task) -> None:
    """Run the node's ``citybpm:set`` into its data (not on a multi-instance wrapper: its instances do)."""
    config = node_config(task.task_spec)
    if not config.assignments or isinstance(task.task_spec, LoopTask):
        return
    for variable, expression in config.assignments:
        task.data[variable] = expressions.evaluate(expression, _names_for(expression, task.data))


def _names_for(expression: str, data: dict) -> dict:
    tree = expressions.compile_expression(expression)
    functions = expressions.function_names()
    missing = {node.id: None for node in ast.walk(tree)
               if isinstance(node, ast.Name) and node.id not in data and node.id not in functions}
    return {**missing, **data}


def record_overrides(task, submitted: dict, case_id: int, step) -> None:
    """``proposal.overridden`` when the submission chose differently from the node's proposal."""
    config = node_config(task.task_spec)
    changed = [dict(field=chosen, proposed=task.data.get(proposed), chosen=submitted[chosen])
               for chosen, proposed in config.proposal
               if chosen in submitted and proposed in task.data and submitted[chosen] != task.data.get(proposed)]
    if changed:
        step.record(case_id, "proposal.overridden", task_id=str(task.id), node_id=config.node_id,
                    fields=changed)


def report_to_main(task, submitted: dict, actor: str, case_id: int, step) -> None:
    """Add a 协办 submission to the open task named by ``citybpm:reportTo``."""
    target = node_config(task.task_spec).report_to
    if not target:
        return
    key = _instance_key(task) or actor
    for main in task.workflow.top_workflow.get_tasks(state=TaskState.READY):
        if node_config(main.task_spec).node_id == target and main.task_spec.manual:
            reports = dict(main.data.get(REPORTS_VARIABLE) or {})
            reports[key] = dict(submitted, reported_by=actor)
            main.data[REPORTS_VARIABLE] = reports
            step.record(case_id, "assist.reported", task_id=str(task.id), node_id=node_config(task.task_spec).node_id,
                        to_task_id=str(main.id), to_node_id=target, key=key)


def open_reporters(task) -> list:
    """The open tasks that report to ``task``'s node (read before it runs)."""
    node_id = node_config(task.task_spec).node_id
    return [t for t in task.workflow.top_workflow.get_tasks(state=TaskState.READY)
            if t.task_spec.manual and node_config(t.task_spec).report_to == node_id]


def record_closed_reporters(reporters: list, by_task, case_id: int, step) -> None:
    """One ``task.closed`` event (with the reason) per reporting task the main's submission closed."""
    for reporter in reporters:
        if reporter.state != TaskState.READY:
            step.record(case_id, "task.closed", task_id=str(reporter.id), node_id=node_config(reporter.task_spec).node_id,
                        reason=CLOSED_BY_MAIN[0], reason_en=CLOSED_BY_MAIN[1], by_task_id=str(by_task.id),
                        key=_instance_key(reporter))


def _instance_key(task) -> str | None:
    """The item a multi-instance instance works on (its element variable's value), if any."""
    parent = task.parent
    item = getattr(parent.task_spec, "input_item", None) if parent is not None else None
    if item is None or not isinstance(parent.task_spec, LoopTask):
        return None
    value = task.data.get(item.bpmn_id)
    return None if value is None else str(value)


def on_submit(task, submitted: dict, actor: str, case_id: int, step) -> list:
    """A person submits ``task``: record overrides, pass a 协办 report on; returns the tasks reporting
    to this one (for :func:`record_closed_reporters` once the process has moved on)."""
    record_overrides(task, submitted, case_id, step)
    report_to_main(task, submitted, actor, case_id, step)
    return open_reporters(task)
