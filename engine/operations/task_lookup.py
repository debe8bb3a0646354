"""What 延期/挂账 requests, 催办 and 督办 share: an open task with its case, the people behind it, the
node's offer, and writing an event (audit trail + webhooks) inside the caller's transaction."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.access import may_act
from engine.errors import Conflict, NotFound
from engine.identity import Actor, usernames_for
from engine.models import Event, Instance, Task, TaskCandidate
from engine.operations.allowed import check_allowed, spec_in
from engine.subscriptions import publish_case_events

TASKS, CANDIDATES, INSTANCES, EVENTS = (Task.__table__, TaskCandidate.__table__, Instance.__table__,
                                        Event.__table__)


@dataclass(frozen=True)
class CaseInfo:
    id: int
    case_no: str
    definition_id: int
    status: str
    started_by: str
    org_code: str | None


@dataclass(frozen=True)
class OpenTask:
    id: str
    node_id: str
    name: str | None
    assignee: str | None
    due_at: _dt.datetime | None
    limit_amount: float | None
    delegation: str | None
    candidates: tuple[tuple[str, str], ...]
    case: CaseInfo

    def handled_by(self, actor: Actor) -> bool:
        return may_act(self.assignee, self.candidates, actor)

    def label(self) -> str:
        return self.name or self.node_id


_OPEN_TASK = (select(TASKS.c.id, TASKS.c.node_id, TASKS.c.name, TASKS.c.assignee, TASKS.c.due_at,
                     TASKS.c.limit_amount, TASKS.c.delegation, INSTANCES.c.id.label("case_id"), INSTANCES.c.case_no,
                     INSTANCES.c.definition_id, INSTANCES.c.status, INSTANCES.c.started_by, INSTANCES.c.org_code)
              .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id))


def find_open_task(conn: Connection, task_id: str) -> OpenTask | None:
    row = conn.execute(_OPEN_TASK.where(TASKS.c.id == task_id)).first()
    if row is None:
        return None
    candidates = tuple((c.kind, c.value) for c in conn.execute(
        select(CANDIDATES.c.kind, CANDIDATES.c.value).where(CANDIDATES.c.task_id == task_id)))
    case = CaseInfo(row.case_id, row.case_no, row.definition_id, row.status, row.started_by, row.org_code)
    return OpenTask(row.id, row.node_id, row.name, row.assignee, row.due_at, row.limit_amount, row.delegation,
                    candidates, case)


def open_task(conn: Connection, task_id: str) -> OpenTask:
    task = find_open_task(conn, task_id)
    if task is None:
        raise NotFound("任务不存在或已办结", "task not found or already completed")
    return task


def require_running(case: CaseInfo) -> None:
    if case.status != "running":
        raise Conflict("案件不在办理中（已挂账、暂停或已办结）", "the case is not running (paused or ended)")


def check_offered(session: Session, engine, task: OpenTask, operation: str) -> None:
    """403 when the task's node does not offer ``operation`` (流程配置 or the BPMN's citybpm:operations)."""
    loaded = engine.specs.get_by_id(session, task.case.definition_id)
    check_allowed(session.connection(), task.case.definition_id, task.node_id, operation,
                  spec_in(loaded, task.node_id))


def handlers_of(conn: Connection, task: OpenTask) -> list[str]:
    """Who works on the task: its assignee, or the people behind its candidates while unclaimed."""
    return usernames_for(conn, task.candidates, assignee=task.assignee)


def record(conn: Connection, case: CaseInfo, type_: str, actor: Actor, at: _dt.datetime, *,
           task_id: str | None = None, node_id: str | None = None, **data) -> None:
    """One event in the log, and its webhook deliveries, in the caller's transaction."""
    event = dict(instance_id=case.id, task_id=task_id, node_id=node_id, type=type_, actor=actor.username, at=at,
                 data=data)
    conn.execute(insert(EVENTS).values(**event))
    publish_case_events(conn, case_id=case.id, case_no=case.case_no, started_by=case.started_by or "",
                        events=[event])


def case_info(conn: Connection, case_id: int) -> CaseInfo:
    row = conn.execute(select(INSTANCES.c.id, INSTANCES.c.case_no, INSTANCES.c.definition_id, INSTANCES.c.status,
                              INSTANCES.c.started_by, INSTANCES.c.org_code).where(INSTANCES.c.id == case_id)).first()
    if row is None:
        raise NotFound("案件不存在", "case not found")
    return CaseInfo(row.id, row.case_no, row.definition_id, row.status, row.started_by, row.org_code)
