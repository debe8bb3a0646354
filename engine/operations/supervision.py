"""督办: a leader flags a case for supervision, and lifts the flag again.

The flag is ``process_instance.supervised_at/supervised_by`` (case lists filter on it); each change is an
event (``case.supervised`` / ``case.supervision_lifted``) and a notification to the handlers of the case's
open tasks and the leaders of their departments. An overdue policy that escalates (engine.firing) sets the
same flag through :func:`mark` with ``automatic=True`` in its event, so both paths look alike.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict
from engine.identity import Actor, Membership, User
from engine.notifications import notify_everywhere
from engine.org_service import leader_of
from engine.operations.task_lookup import INSTANCES, TASKS, CaseInfo, case_info, find_open_task, handlers_of, record

SUPERVISED, LIFTED = "case.supervised", "case.supervision_lifted"


def supervise(session: Session, case_id: int, actor: Actor, *, reason: str) -> CaseInfo:
    now, conn = clock.now(), session.connection()
    case = case_info(conn, case_id)
    if case.status not in ("running", "suspended"):
        raise Conflict("案件已办结，不能督办", "the case has ended; it cannot be supervised")
    if not mark(conn, case.id, actor.username, now):
        raise Conflict("案件已在督办中", "the case is already under supervision")
    record(conn, case, SUPERVISED, actor, now, reason=reason, automatic=False)
    _tell(conn, case, now, title=f"督办：{case.case_no}", body=f"{actor.username} 督办：{reason}", kind=SUPERVISED)
    return case


def lift(session: Session, case_id: int, actor: Actor, *, reason: str) -> CaseInfo:
    now, conn = clock.now(), session.connection()
    case = case_info(conn, case_id)
    lifted = conn.execute(update(INSTANCES).where(INSTANCES.c.id == case.id, INSTANCES.c.supervised_at.isnot(None))
                          .values(supervised_at=None, supervised_by=None)).rowcount
    if lifted != 1:
        raise Conflict("案件未在督办中", "the case is not under supervision")
    record(conn, case, LIFTED, actor, now, reason=reason)
    _tell(conn, case, now, title=f"解除督办：{case.case_no}", body=reason, kind=LIFTED)
    return case


def mark(conn, case_id: int, by: str, at: _dt.datetime) -> bool:
    """Set the flag unless it is set already (one conditional UPDATE); True when this call set it."""
    return conn.execute(update(INSTANCES).where(INSTANCES.c.id == case_id, INSTANCES.c.supervised_at.is_(None))
                        .values(supervised_at=at, supervised_by=by)).rowcount == 1


def _tell(conn, case: CaseInfo, now, *, title: str, body: str, kind: str) -> None:
    people = people_to_tell(conn, case)
    notify_everywhere(conn, people, kind=kind, title=title, body=body, case_no=case.case_no, at=now)


def people_to_tell(conn, case: CaseInfo) -> list[str]:
    """The handlers of the case's open tasks and the leaders of their departments (and of the owning one)."""
    handlers, orgs = [], {case.org_code} if case.org_code else set()
    for task_id in conn.execute(select(TASKS.c.id).where(TASKS.c.instance_id == case.id)).scalars():
        task = find_open_task(conn, task_id)
        if task is None:
            continue
        handlers += handlers_of(conn, task)
        orgs.update(value for kind, value in task.candidates if kind == "org")
    if handlers:
        memberships, people = Membership.__table__, User.__table__
        orgs.update(conn.execute(select(memberships.c.org_code).join(people)
                                 .where(people.c.username.in_(sorted(set(handlers))),
                                        memberships.c.is_primary)).scalars())
    leaders = [leader_of(conn, org) for org in sorted(orgs)]
    return sorted(set(handlers) | {leader for leader in leaders if leader})
