"""Webhook subscriptions to case events, and publishing a command's events to them.

The engine calls ``publish_case_events`` inside every command's transaction: each matching
subscription gets one webhook outbox message per event, committed (or rolled back) with the
command. A command whose events nobody can subscribe to costs nothing; otherwise one indexed read.
"""
from __future__ import annotations

import datetime as _dt
import json
import secrets as _secrets

from sqlalchemy import Boolean, ForeignKey, String, and_, bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, column_property, mapped_column

from engine import clock
from engine.db import Base
from engine.models import Instance
from engine.outbox import SECRET_SOURCES, enqueue_many, outbox_row

# A case's status changes: what a subscription receives unless it asks for more.
STATUS_EVENTS = ("case.started", "case.stage_changed", "case.ended", "case.suspended", "case.resumed")
TASK_EVENTS = ("task.created", "task.completed", "task.cancelled", "task.warning", "task.overdue")
SUBSCRIBABLE_EVENTS = STATUS_EVENTS + TASK_EVENTS
_SUBSCRIBABLE = frozenset(SUBSCRIBABLE_EVENTS)

SECRET_SOURCE = "subscription"  # outbox rows carry secret_ref "subscription:<id>", never the secret


class CaseSubscription(Base):
    """A webhook on one case (``case_id``) or, with ``case_id`` None, on every case the owner started."""

    __tablename__ = "case_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)  # serves "every case the owner started"
    case_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                                index=True)  # serves "this case"
    url: Mapped[str] = mapped_column(String(500))
    # Stored because every delivery is signed with it; the API shows it only in the answer that creates it.
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list] = mapped_column(default=lambda: list(STATUS_EVENTS))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[_dt.datetime]
    # for lists: the case number instead of the internal id (a primary-key probe per row)
    case_no: Mapped[str | None] = column_property(
        select(Instance.case_no).where(Instance.id == case_id).correlate_except(Instance).scalar_subquery())


SUBSCRIPTIONS = CaseSubscription.__table__

# Built once: the engine runs it in every command that has subscribable events. The OR is served by
# both indexes (PostgreSQL: BitmapOr; SQLite: its multi-index OR).
_MATCHING = (select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.url, SUBSCRIPTIONS.c.event_types)
             .where(or_(SUBSCRIPTIONS.c.case_id == bindparam("case_id"),
                        and_(SUBSCRIPTIONS.c.owner == bindparam("started_by"), SUBSCRIPTIONS.c.case_id.is_(None))),
                    SUBSCRIPTIONS.c.active.is_(True))
             .order_by(SUBSCRIPTIONS.c.id))


def publish_case_events(conn: Connection, *, case_id: int, case_no: str, started_by: str,
                        events: list[dict]) -> int:
    """Queue a webhook delivery per matching subscription and event; returns how many.

    ``events`` are the command's event dicts (instance_id, task_id, node_id, type, actor, at, data)."""
    wanted = [e for e in events if e["type"] in _SUBSCRIBABLE]
    if not wanted:
        return 0
    subscriptions = conn.execute(_MATCHING, {"case_id": case_id, "started_by": started_by}).all()
    if not subscriptions:
        return 0
    bodies = [(event, webhook_body(event, case_no)) for event in wanted]
    rows = [outbox_row("webhook", sub.url, {**body, "subscription_id": sub.id}, event_type=event["type"],
                       case_no=case_no, secret_ref=f"{SECRET_SOURCE}:{sub.id}", at=event.get("at"))
            for sub in subscriptions for event, body in bodies if event["type"] in sub.event_types]
    return enqueue_many(conn, rows)


def webhook_body(event: dict, case_no: str) -> dict:
    """What a receiver gets (plus ``subscription_id``): the event, with times as ISO 8601."""
    body = {"type": event["type"], "case_no": case_no, "at": event.get("at"), "actor": event.get("actor"),
            "task_id": event.get("task_id"), "node_id": event.get("node_id"), "data": event.get("data") or {}}
    return json.loads(json.dumps(body, ensure_ascii=False, default=_json_default))


def _json_default(value):
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------ managing

def new_secret() -> str:
    return "whsec_" + _secrets.token_urlsafe(32)


def subscribe(session: Session, owner: str, url: str, *, case_id: int | None = None, secret: str | None = None,
              event_types: list[str] | None = None) -> CaseSubscription:
    """Add a subscription (a secret is generated when none is given); the caller commits."""
    unknown = set(event_types or ()) - _SUBSCRIBABLE
    if unknown:
        raise ValueError(f"not subscribable: {sorted(unknown)}")
    subscription = CaseSubscription(owner=owner, case_id=case_id, url=url, secret=secret or new_secret(),
                                    event_types=list(dict.fromkeys(event_types or STATUS_EVENTS)), active=True,
                                    created_at=clock.now())
    session.add(subscription)
    session.flush()
    return subscription


def _secrets_by_id(conn: Connection, keys: list[str]) -> dict[str, str]:
    ids = [int(key) for key in keys if key.isdigit()]
    rows = conn.execute(select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.secret)
                        .where(SUBSCRIPTIONS.c.id.in_(ids), SUBSCRIPTIONS.c.active.is_(True)))
    return {str(row.id): row.secret for row in rows}


SECRET_SOURCES[SECRET_SOURCE] = _secrets_by_id
