"""双流程派遣: a disposal case (closed loop) opens an ordinary-procedure enforcement case; the two are linked
both ways and, when the enforcement case ends, its outcome is recorded on the disposal case."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import insert, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine import clock
from engine.enforcement import laws
from engine.enforcement.records import ENFORCEMENT, CaseLink
from engine.identity import Actor
from engine.models import Event, Instance

ENFORCEMENT_PROCESS = "enforcement_ordinary"


LINKS = CaseLink.__table__
# What an enforcement case takes over from the disposal case it is opened from.
CARRIED_OVER = ("category_code", "grid_code", "location", "address", "description", "org_code")


def open_enforcement_case(engine, session: Session, disposal: Instance, *, cause_code: str, party: dict,
                          circumstance: str | None, facts: str | None, actor: Actor,
                          idempotency_key: str | None = None) -> dict:
    """双流程派遣: start an ordinary-procedure case for ``disposal``, filled from the cause, and link them.
    One transaction with the caller's: the case, the link and both events commit together or not at all."""
    cause = laws.get_cause(session, cause_code)
    if not cause.is_active:
        raise laws.Conflict(f"案由“{cause.name}”已停用", f"the cause '{cause_code}' is disabled")
    filled = laws.fill(session, cause, party_type=party["party_type"], circumstance=circumstance)["fields"]
    # the procedure was chosen: a dispatched case goes the ordinary way whatever the band allows
    filled["procedure"] = "ordinary"
    source = disposal.variables or {}
    variables = {name: source[name] for name in CARRIED_OVER if source.get(name) not in (None, "")}
    variables.update({k: v for k, v in filled.items() if v is not None})
    variables.update({k: v for k, v in party.items() if v not in (None, "")})
    variables.update(disposal_case_no=disposal.case_no, clue_source="dispatched",  # 城市运行管理平台派遣
                     location=source.get("location") or source.get("address"),
                     facts=facts or source.get("description"))
    variables = {k: v for k, v in variables.items() if v is not None}
    result = engine.start_case(session, ENFORCEMENT_PROCESS, variables, actor, idempotency_key)
    if not result.created:
        return dict(case_no=result.case_no, case_id=result.case_id, created=False)
    now = clock.now()
    conn = session.connection()
    conn.execute(insert(LINKS).values(case_id=disposal.id, linked_case_id=result.case_id, kind=ENFORCEMENT,
                                      created_by=actor.username, created_at=now))
    conn.execute(insert(Event.__table__), [
        dict(instance_id=disposal.id, task_id=None, node_id=None, type="enforcement.opened", actor=actor.username,
             at=now, data=dict(enforcement_case_no=result.case_no, cause_code=cause.code, cause_name=cause.name)),
        dict(instance_id=result.case_id, task_id=None, node_id=None, type="case.linked", actor=actor.username,
             at=now, data=dict(kind=ENFORCEMENT, from_case_no=disposal.case_no)),
    ])
    return dict(case_no=result.case_no, case_id=result.case_id, created=True)


def links_of(session: Session, case_id: int, visible) -> list[dict]:
    """Both sides of a case's links: the cases it led to (direction "to") and came from ("from").
    ``visible`` is the caller's case filter: a linked case the caller may not see is left out."""
    rows = session.execute(select(CaseLink, Instance).join(
        Instance, or_(Instance.id == CaseLink.linked_case_id, Instance.id == CaseLink.case_id))
        .where(or_(CaseLink.case_id == case_id, CaseLink.linked_case_id == case_id), Instance.id != case_id, visible)
        .order_by(CaseLink.id))
    return [dict(kind=link.kind, direction="to" if link.case_id == case_id else "from", case_no=other.case_no,
                 started_at=other.started_at, ended_at=other.ended_at, status=other.status,
                 outcome=other.outcome, stage=other.stage, created_by=link.created_by, created_at=link.created_at)
            for link, other in rows]


# Where an enforcement process keeps its result (the first one present is used).
AMOUNT_VARIABLES = ("fine_amount", "penalty_amount", "amount")
DECISION_VARIABLES = ("decision", "penalty_decision", "penalty_type")


def disposal_cases_of(conn: Connection, enforcement_case_id: int) -> list[int]:
    return list(conn.execute(select(LINKS.c.case_id).where(LINKS.c.linked_case_id == enforcement_case_id,
                                                           LINKS.c.kind == ENFORCEMENT)).scalars())


def record_enforcement_outcome(conn: Connection, case_id: int, ended: dict, variables: dict, *, actor: str,
                               at: _dt.datetime) -> None:
    """An enforcement case ended: write ``enforcement.concluded`` on each disposal case it was opened from."""
    disposal = disposal_cases_of(conn, case_id)
    if not disposal:
        return
    variables = variables or {}
    case_no = conn.execute(select(Instance.case_no).where(Instance.id == case_id)).scalar_one()
    outcome = dict(enforcement_case_id=case_id, enforcement_case_no=case_no, outcome=ended.get("outcome"),
                   reason=ended.get("reason"), amount=_first(variables, AMOUNT_VARIABLES),
                   decision=_first(variables, DECISION_VARIABLES), cause_code=variables.get("cause_code"),
                   cause_name=variables.get("cause_name"))
    conn.execute(insert(Event.__table__), [dict(instance_id=disposal_id, task_id=None, node_id=None,
                                       type="enforcement.concluded", actor=actor, at=at, data=outcome)
                                  for disposal_id in disposal])


def _first(variables: dict, names: tuple[str, ...]):
    return next((variables[name] for name in names if variables.get(name) not in (None, "")), None)
