"""Notifications to people: an in-app inbox, and SMS / WeChat copies through the outbox.

Callers (the deadline scheduler, 督办/催办 commands) write both inside their own transaction on a
Connection, so a rolled-back command notifies nobody. Each call is one executemany at most, plus
one indexed read of contact addresses for the channel copies.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from sqlalchemy import Index, String, Text, UniqueConstraint, delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.db import Base
from engine.outbox import enqueue_many, outbox_row

# kinds written today; the column takes any short string so new kinds need no migration
KINDS = ("task.warning", "task.overdue", "task.reminder", "case.supervised", "case.supervision_lifted",
         "task.urged", "approval.requested", "approval.decided", "case.copied", "task.transferred",
         "task.delegated", "task.resolved", "task.sign_requested", "task.sign_cancelled", "task.signers_done")

# the outbox channels that reach a person at an address from user_contact
PERSONAL_CHANNELS = ("sms", "wechat")


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # "my notifications" (newest first) and "my unread ones" (read_at IS NULL): one index range each
        Index("ix_notification_recipient_read_at_id", "recipient", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))  # username
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    case_no: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[_dt.datetime]
    read_at: Mapped[_dt.datetime | None]


class UserContact(Base):
    """Where a person can be reached outside the app: a phone number for sms, an openid for wechat.

    Kept apart from app_user so people without a phone on file cost nothing."""

    __tablename__ = "user_contact"
    __table_args__ = (UniqueConstraint("username", "channel"),)  # also serves "WHERE username IN (…)"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))


NOTIFICATIONS, CONTACTS = Notification.__table__, UserContact.__table__
_INSERT_NOTIFICATIONS = insert(NOTIFICATIONS)


def _unique(recipients: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(r for r in recipients if r))


def notify(conn: Connection, recipients: Iterable[str], *, kind: str, title: str, body: str = "",
           case_no: str | None = None, task_id: str | None = None, at: _dt.datetime | None = None) -> int:
    """Put one notification in each recipient's inbox; returns how many were written."""
    at = at or clock.now()
    rows = [dict(recipient=username, kind=kind, title=title[:200], body=body, case_no=case_no, task_id=task_id,
                 created_at=at, read_at=None) for username in _unique(recipients)]
    if rows:
        conn.execute(_INSERT_NOTIFICATIONS, rows)
    return len(rows)


def enqueue_channels(conn: Connection, recipients: Iterable[str], *, kind: str, title: str, body: str = "",
                     case_no: str | None = None, task_id: str | None = None, at: _dt.datetime | None = None,
                     channels: Iterable[str] = PERSONAL_CHANNELS) -> int:
    """Queue an SMS / WeChat copy for each recipient with an address on file for the channel.

    ``channels`` is the city's configuration of which channels are on. Returns how many messages
    were queued (people without addresses are skipped: they still have the in-app notification)."""
    usernames, channels = _unique(recipients), tuple(channels)
    if not usernames or not channels:
        return 0
    contacts = conn.execute(select(CONTACTS.c.username, CONTACTS.c.channel, CONTACTS.c.address)
                            .where(CONTACTS.c.username.in_(usernames), CONTACTS.c.channel.in_(channels))
                            .order_by(CONTACTS.c.username, CONTACTS.c.channel)).all()
    at = at or clock.now()
    rows = [outbox_row(c.channel, c.address,
                       {"recipient": c.username, "kind": kind, "title": title, "body": body, "case_no": case_no,
                        "task_id": task_id},
                       event_type=kind, case_no=case_no, at=at)
            for c in contacts]
    return enqueue_many(conn, rows)


def notify_everywhere(conn: Connection, recipients: Iterable[str], *,
                      channels: Iterable[str] = PERSONAL_CHANNELS, **message) -> tuple[int, int]:
    """Both of the above: (notifications written, channel messages queued)."""
    recipients = _unique(recipients)
    return notify(conn, recipients, **message), enqueue_channels(conn, recipients, channels=channels, **message)


def set_contact(conn: Connection, username: str, channel: str, address: str | None) -> None:
    """Set (or with ``address=None`` remove) a person's address for one channel."""
    conn.execute(delete(CONTACTS).where(CONTACTS.c.username == username, CONTACTS.c.channel == channel))
    if address:
        conn.execute(insert(CONTACTS).values(username=username, channel=channel, address=address))
