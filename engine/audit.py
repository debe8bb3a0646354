"""The audit log: every change to configuration, people and permissions, with who, when, before and after.

Written in the same transaction as the change it records (``record`` is a plain INSERT on the caller's
connection), so a rolled-back change leaves no entry and a committed one always has its entry.
Case work is not audited here: it lives in the ``event`` table.

Actions are ``<target>.<verb>``: org.create, org.update, org.move, org.disable, org.enable, user.create,
user.update, user.disable, user.enable, user.set_roles, user.set_memberships, user.reset_password,
user.hand_over; other modules add their own (role.update, setting.update …).
"""
from __future__ import annotations

import datetime as _dt
import decimal
from dataclasses import dataclass

from sqlalchemy import Index, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select

from engine import clock
from engine.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        # the list is newest first (id DESC); each filter has an index that yields that order
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_id", "actor", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_target_type_target_id_id", "target_type", "target_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[_dt.datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict | None]
    after: Mapped[dict | None]
    ip: Mapped[str | None] = mapped_column(String(64))


AUDIT = AuditEntry.__table__
_INSERT = insert(AUDIT)


@dataclass(frozen=True)
class Who:
    """Who makes a change, and from where (the client address, when there is one)."""

    username: str
    ip: str | None = None


def plain(value):
    """JSON-safe copy: dates as ISO strings, sets and tuples as sorted lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def record(conn, *, actor: str, action: str, target_type: str, target_id, before: dict | None,
           after: dict | None, ip: str | None = None) -> None:
    """Append one entry. ``conn`` is a Connection or a Session (its connection is used)."""
    if isinstance(conn, Session):
        conn = conn.connection()
    conn.execute(_INSERT.values(at=clock.now(), actor=actor, action=action, target_type=target_type,
                                target_id=str(target_id), before=plain(before), after=plain(after),
                                ip=(ip or None) and ip[:64]))


def record_change(conn, who: Who, action: str, target_type: str, target_id, before: dict | None,
                  after: dict | None) -> None:
    record(conn, actor=who.username, action=action, target_type=target_type, target_id=target_id,
           before=before, after=after, ip=who.ip)


def entries(*, actor: str | None = None, action: str | None = None, target_type: str | None = None,
            target_id: str | None = None, since: _dt.datetime | None = None,
            until: _dt.datetime | None = None) -> Select:
    """The filtered list as a statement, unordered (lists order by id DESC: every index above ends in id);
    ``action`` ending in '.' or '*' matches a prefix ("user." → every user change)."""
    statement = select(AuditEntry)
    if actor:
        statement = statement.where(AuditEntry.actor == actor)
    if action:
        if action.endswith(("*", ".")):
            statement = statement.where(AuditEntry.action.startswith(action.rstrip("*"), autoescape=True))
        else:
            statement = statement.where(AuditEntry.action == action)
    if target_type:
        statement = statement.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        statement = statement.where(AuditEntry.target_id == str(target_id))
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    if until is not None:
        statement = statement.where(AuditEntry.at < until)
    return statement
