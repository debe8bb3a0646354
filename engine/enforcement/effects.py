"""What a command's step does for enforcement, written with the step (engine.projection.write_step):

- the 文书 of every node with ``citybpm:document`` that ran in the step, numbered in the same transaction
  from the data the node ran with (for a user task: the case data merged with the submission);
- when a case linked from a disposal case ends, its outcome recorded on the disposal case.
"""
from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.enforcement.documents import issue_document
from engine.enforcement.links import record_enforcement_outcome


def note_document(step, task, doc_type: str, case_id: int) -> None:
    """Remember that ``task``'s node issues ``doc_type`` (called as the node runs; issued by after_step)."""
    step.documents.append(dict(case_id=case_id, doc_type=doc_type, data=dict(task.data), task_id=str(task.id),
                               node_id=task.task_spec.bpmn_id or task.task_spec.name))


def after_step(conn: Connection, case_id: int, step, variables: dict) -> None:
    for pending in step.documents:
        issue_document(conn, case_id=pending["case_id"], doc_type=pending["doc_type"], data=pending["data"],
                       actor=step.actor, at=step.now, task_id=pending["task_id"], node_id=pending["node_id"])
    step.documents.clear()
    ended = next((e for e in step.events if e["type"] == "case.ended"), None)
    if ended is not None:
        record_enforcement_outcome(conn, case_id, ended["data"], variables, actor=step.actor, at=step.now)
