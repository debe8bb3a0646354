"""双流程派遣: a disposal case (closed loop) opens an ordinary-procedure enforcement case; the two are linked
both ways and, when the enforcement case ends, its outcome is recorded on the disposal case."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.enforcement.records import ENFORCEMENT, CaseLink
from engine.models import Event, Instance

ENFORCEMENT_PROCESS = "enforcement_ordinary"


LINKS = CaseLink.__table__


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
