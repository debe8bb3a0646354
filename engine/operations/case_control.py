"""Ending a case from outside its flow: terminate (终止) and 撤件 (withdraw); also the end of a merged duplicate.

Suspend / resume are the case clock's pause kind "suspend" (engine.case_clock): events ``case.suspended`` /
``case.resumed``. A suspended case can still be terminated or withdrawn; its open pause ends with it.

Ending cancels the whole workflow, then writes through :func:`engine.projection.write_step` like every other
command: one versioned UPDATE of the instance (a concurrent command conflicts cleanly), each open task deleted with
a ``task.cancelled`` record (an added signer's task too), all timers dropped, ``case.ended`` with the outcome.

撤件 rule: the reporter may withdraw their own case while it is not yet filed (stage 信息采集/立案, i.e. before
立案 completes); the centre — anyone holding ``case.terminate`` — may withdraw any open case.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import clock
from engine.case_clock import _PAUSES
from engine.errors import CASE_CHANGED, Conflict, Forbidden
from engine.identity import Actor
from engine.operations.approvals import close_pending_of_case
from engine.projection import INSTANCES, TASKS, CaseRef, Step, snapshot, write_step
from engine.state import load_state
from engine.timers import drop_case_timers

OPEN_STATUSES = ("running", "suspended")
# Stages before 立案 completes: the reporter may still take the report back.
NOT_YET_FILED = (None, "collect", "file")
CONFLICT = CASE_CHANGED


def end_case(engine, session: Session, case_id: int, actor: Actor, *, status: str, outcome: str, event: str,
             reason: str, changes: dict | None = None, **event_data) -> CaseRef:
    """Cancel all open work of an open case and end it with ``status`` / ``outcome``, recorded as ``event``."""
    conn = session.connection()
    case = engine._case(conn, case_id)
    if case.status not in OPEN_STATUSES:
        raise Conflict("案件已办结或已终止", "the case has already ended")
    loaded = engine.specs.get_by_id(session, case.definition_id)
    workflow = load_state(case.state, loaded.spec, loaded.subprocess_specs)
    before = snapshot(workflow)
    now = clock.now()
    step = Step(actor.username, now)
    step.record(case.id, event, reason=reason, **event_data)
    for request_id, kind in close_pending_of_case(conn, case.id, actor.username, now, note="案件已结束"):
        step.record(case.id, f"{kind}.cancelled", request_id=request_id, reason="案件已结束")
    for signer in conn.execute(select(TASKS.c.id, TASKS.c.node_id).where(TASKS.c.instance_id == case.id,
                                                                          TASKS.c.kind != "bpmn")):
        step.record(case.id, "task.cancelled", task_id=signer.id, node_id=signer.node_id)  # goes with its parent
    step.outcome = outcome
    workflow.cancel()
    try:
        write_step(conn, workflow, case, step, before, engine.planner(session), forms=engine.forms)
    except StaleDataError:
        raise Conflict(*CONFLICT) from None
    # write_step ended it as "completed"; say how it really ended
    conn.execute(update(INSTANCES).where(INSTANCES.c.id == case.id).values(status=status, **(changes or {})))
    conn.execute(update(_PAUSES).where(_PAUSES.c.instance_id == case.id, _PAUSES.c.ended_at.is_(None))
                 .values(ended_at=now))
    drop_case_timers(conn, case.id)  # resume timers of a suspended case too
    return case


def terminate_case(engine, session: Session, case_id: int, actor: Actor, *, reason: str) -> CaseRef:
    """终止 (leader/admin, permission case.terminate): all open work ends."""
    return end_case(engine, session, case_id, actor, status="terminated", outcome="terminated",
                    event="case.terminated", reason=reason)


def withdraw_case(engine, session: Session, case_id: int, actor: Actor, *, reason: str,
                  centre: bool) -> CaseRef:
    """撤件. ``centre``: the caller holds case.terminate (may withdraw any open case)."""
    if not centre:
        case = engine._case(session.connection(), case_id)
        if case.started_by != actor.username:
            raise Forbidden("只有上报人或指挥中心可以撤件", "only the reporter or the centre may withdraw a case")
        if case.stage not in NOT_YET_FILED:
            raise Conflict("案件已立案，上报人不能再撤件，请联系指挥中心",
                           "the case has been filed; only the centre may withdraw it now")
    return end_case(engine, session, case_id, actor, status="terminated", outcome="withdrawn",
                    event="case.withdrawn", reason=reason, by_reporter=not centre)
