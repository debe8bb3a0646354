"""重复案件: a report near an open case (same grid, same 小类, within ``duplicate_window_hours``) is proposed as a
duplicate; a merge ends the later case as a duplicate of the earlier one.

A merge ends the duplicate through engine.operations.case_control (its open tasks cancelled with a record, outcome
'duplicate', ``merged_into_id`` set) and bumps the version of the case it is merged into, so a command that closes
that case at the same moment conflicts instead of leaving a duplicate of a closed case.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import clock, settings_store
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity import Actor
from engine.models import Definition
from engine.operations.case_control import OPEN_STATUSES, end_case
from engine.projection import EVENTS, INSTANCES, CaseRef, Step, write_versioned
from engine.subscriptions import publish_case_events

WINDOW_SETTING = "duplicate_window_hours"
MAX_PROPOSED = 20
_DEFINITIONS = Definition.__table__

# served by ix_process_instance_grid (grid_code), then filtered on the few open cases of that grid
_CANDIDATES = (select(INSTANCES.c.id, INSTANCES.c.case_no, INSTANCES.c.status, INSTANCES.c.stage,
                      INSTANCES.c.started_at, INSTANCES.c.address, INSTANCES.c.category_code, INSTANCES.c.grid_code)
               .join(_DEFINITIONS, _DEFINITIONS.c.id == INSTANCES.c.definition_id))


def _case_row(conn, case_id: int):
    row = conn.execute(select(INSTANCES.c.id, INSTANCES.c.case_no, INSTANCES.c.grid_code, INSTANCES.c.category_code,
                              INSTANCES.c.started_at, INSTANCES.c.status, INSTANCES.c.definition_id,
                              INSTANCES.c.version, INSTANCES.c.started_by, _DEFINITIONS.c.key)
                       .join(_DEFINITIONS, _DEFINITIONS.c.id == INSTANCES.c.definition_id)
                       .where(INSTANCES.c.id == case_id)).first()
    if row is None:
        raise NotFound("案件不存在", "case not found")
    return row


def window(conn) -> _dt.timedelta:
    return _dt.timedelta(hours=int(settings_store.get(conn, WINDOW_SETTING)))


def possible_duplicates(conn, case_id: int) -> list:
    """Open cases of the same process, grid and 小类 reported within the window around this one, earliest first."""
    case = _case_row(conn, case_id)
    if not case.grid_code or not case.category_code:
        return []
    span = window(conn)
    return conn.execute(_CANDIDATES.where(
        INSTANCES.c.grid_code == case.grid_code, INSTANCES.c.category_code == case.category_code,
        INSTANCES.c.status.in_(OPEN_STATUSES), INSTANCES.c.id != case.id, _DEFINITIONS.c.key == case.key,
        INSTANCES.c.started_at >= case.started_at - span, INSTANCES.c.started_at <= case.started_at + span,
    ).order_by(INSTANCES.c.started_at, INSTANCES.c.id).limit(MAX_PROPOSED)).all()


def merge(engine, session: Session, case_id: int, actor: Actor, *, into_case_no: str, reason: str) -> dict:
    """End ``case_id`` as a duplicate of ``into_case_no`` (permission case.merge)."""
    conn = session.connection()
    source = _case_row(conn, case_id)
    target_id = conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.case_no == into_case_no)).scalar()
    if target_id is None:
        raise InvalidData({"into": "要合并到的案件不存在"}, {"into": "no case with this number"})
    if target_id == source.id:
        raise InvalidData({"into": "不能合并到案件自身"}, {"into": "a case cannot be merged into itself"})
    target = _case_row(conn, target_id)
    if target.status not in OPEN_STATUSES:
        raise Conflict("要合并到的案件已办结或已终止", "the case to merge into has already ended")
    if target.key != source.key:
        raise Conflict("不同流程的案件不能合并", "cases of different processes cannot be merged")
    end_case(engine, session, source.id, actor, status="completed", outcome="duplicate", event="case.merged",
             reason=reason, changes={"merged_into_id": target.id}, into=target.case_no)
    # the version read when its status was checked: a close committed since then makes this UPDATE miss
    target_ref = CaseRef(target.id, target.case_no, target.definition_id, target.version, None, "", target.status,
                         target.started_by)
    try:
        write_versioned(conn, target_ref, {})
    except StaleDataError:
        raise Conflict("要合并到的案件已被他人更新，请刷新后重试", "the case to merge into was changed; retry") from None
    step = Step(actor.username, clock.now())
    step.record(target.id, "case.duplicate_merged", duplicate=source.case_no, duplicate_id=source.id, reason=reason)
    conn.execute(EVENTS.insert(), step.events)
    publish_case_events(conn, case_id=target.id, case_no=target.case_no, started_by=target.started_by or "",
                        events=step.events)
    return {"case_no": source.case_no, "merged_into": target.case_no}

