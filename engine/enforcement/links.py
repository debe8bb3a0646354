"""双流程派遣: a disposal case (closed loop) opens an ordinary-procedure enforcement case; the two are linked
both ways and, when the enforcement case ends, its outcome is recorded on the disposal case."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

ENFORCEMENT = "enforcement"
ENFORCEMENT_PROCESS = "enforcement_ordinary"


class CaseLink(Base):
    """``case_id`` (the disposal case) led to ``linked_case_id`` (e.g. its enforcement case)."""

    __tablename__ = "case_link"
    __table_args__ = (
        UniqueConstraint("case_id", "linked_case_id", "kind"),
        # the other side: which case led to this one
        Index("ix_case_link_linked_case_id", "linked_case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    linked_case_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(20), default=ENFORCEMENT)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[_dt.datetime]


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
    instances = Base.metadata.tables["process_instance"]  # engine.models imports this module: look up late
    case_no = conn.execute(select(instances.c.case_no).where(instances.c.id == case_id)).scalar_one()
    outcome = dict(enforcement_case_id=case_id, enforcement_case_no=case_no, outcome=ended.get("outcome"),
                   reason=ended.get("reason"), amount=_first(variables, AMOUNT_VARIABLES),
                   decision=_first(variables, DECISION_VARIABLES), cause_code=variables.get("cause_code"),
                   cause_name=variables.get("cause_name"))
    events = Base.metadata.tables["event"]
    conn.execute(insert(events), [dict(instance_id=disposal_id, task_id=None, node_id=None,
                                       type="enforcement.concluded", actor=actor, at=at, data=outcome)
                                  for disposal_id in disposal])


def _first(variables: dict, names: tuple[str, ...]):
    return next((variables[name] for name in names if variables.get(name) not in (None, "")), None)
