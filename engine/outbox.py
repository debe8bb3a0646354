"""The transactional outbox: messages written in a command's transaction, sent after it commits.

A command that must tell the outside world (a webhook, an SMS) inserts an outbox row in its own
transaction: if the command rolls back nothing is sent, and once it commits the message goes out
however long the receiver is down. ``deliver_due`` sends what is due, outside any command:

1. claim: one statement marks due messages ``sending`` with a lease (``next_attempt_at`` becomes
   the lease's end) and bumps ``attempts``. PostgreSQL picks the rows with ``FOR UPDATE SKIP
   LOCKED``, so concurrent senders take disjoint batches without waiting; SQLite ignores that
   clause and relies on its single writer, the UPDATE re-checking that each row is still due.
   The claim commits at once: no transaction stays open across network calls.
2. send each message through its channel (engine.channels), outside any transaction.
3. record the attempt in ``delivery_attempt`` and move the message on: delivered, pending again
   after a backoff delay, or failed after ``max_attempts``. The update is fenced by the attempt
   number, so a sender whose lease ran out cannot overwrite the outcome of the one that took over.

A sender that dies mid-batch leaves its messages ``sending``; when the lease ends they are due
again. Delivery is therefore at least once: receivers drop repeats by the delivery id (webhooks
send it as ``X-Citybpm-Delivery``).
"""
from __future__ import annotations

import datetime as _dt
import logging
import time
from dataclasses import dataclass, field
from collections.abc import Callable

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker

from engine import clock
from engine.channels import CHANNELS, DeliveryResult
from engine.db import Base

log = logging.getLogger("citybpm.outbox")

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
STATUSES = (PENDING, SENDING, DELIVERED, FAILED)

# Wait after the n-th failed attempt; the last delay repeats. With the default 8 attempts a message
# is retried for about 10 hours: long enough to outlast a night-time outage of a receiver.
RETRY_DELAYS = tuple(_dt.timedelta(seconds=s) for s in (10, 30, 120, 600, 3600, 3 * 3600, 6 * 3600))
DEFAULT_MAX_ATTEMPTS = 8

# A claimed batch is sent one message after another, each bounded by its channel's timeout
# (webhooks: 5 s): the lease covers the slowest batch, or a slow sender would be overtaken.
LEASE_BASE = _dt.timedelta(seconds=60)
LEASE_PER_MESSAGE = _dt.timedelta(seconds=10)

MAX_ERROR_CHARS = 300

# Where signing secrets come from, by the prefix of ``secret_ref`` ("subscription:12" → the
# "subscription" source). The module owning the secrets registers a loader
# ``(conn, [keys]) -> {key: secret}`` (engine.subscriptions does on import), so secrets are never
# copied into outbox rows and a deleted subscription stops its pending deliveries.
SecretLoader = Callable[[Connection, list[str]], dict[str, str]]
SECRET_SOURCES: dict[str, SecretLoader] = {}


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        # claim_due() and next_due(): due messages of a status, by time
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        # the delivery log filtered by case
        Index("ix_outbox_message_case_no", "case_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # a CHANNELS key: webhook | sms | wechat
    target: Mapped[str] = mapped_column(String(500))  # URL, phone number, openid
    payload: Mapped[dict]
    event_type: Mapped[str] = mapped_column(String(40))
    case_no: Mapped[str | None] = mapped_column(String(40))
    secret_ref: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # pending: when to try next; sending: when the sender's lease ends
    next_attempt_at: Mapped[_dt.datetime]
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_CHARS))
    created_at: Mapped[_dt.datetime]
    delivered_at: Mapped[_dt.datetime | None]


class DeliveryAttempt(Base):
    """The delivery log: one row per send attempt."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (UniqueConstraint("outbox_id", "attempt_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    at: Mapped[_dt.datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(MAX_ERROR_CHARS))
    note: Mapped[str | None] = mapped_column(String(100))  # e.g. "recorded, not sent"
    duration_ms: Mapped[int] = mapped_column(Integer)
    message: Mapped[OutboxMessage] = relationship(lazy="joined")


OUTBOX, ATTEMPTS = OutboxMessage.__table__, DeliveryAttempt.__table__
_INSERT_MESSAGES, _INSERT_ATTEMPT = insert(OUTBOX), insert(ATTEMPTS)


# ------------------------------------------------------------------------------------ enqueue

def outbox_row(channel: str, target: str, payload: dict, *, event_type: str, case_no: str | None = None,
               secret_ref: str | None = None, at: _dt.datetime | None = None) -> dict:
    """One message as a row for ``enqueue_many``; due at once."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    at = at or clock.now()
    return dict(channel=channel, target=target, payload=payload, event_type=event_type, case_no=case_no,
                secret_ref=secret_ref, status=PENDING, attempts=0, next_attempt_at=at, last_error=None,
                created_at=at, delivered_at=None)


def enqueue_many(conn: Connection, rows: list[dict]) -> int:
    """Insert messages in the caller's transaction with one executemany."""
    if rows:
        conn.execute(_INSERT_MESSAGES, rows)
    return len(rows)


def enqueue(conn: Connection, channel: str, target: str, payload: dict, *, event_type: str,
            case_no: str | None, secret_ref: str | None = None, at: _dt.datetime | None = None) -> int:
    """Insert one message in the caller's transaction; returns its id."""
    row = outbox_row(channel, target, payload, event_type=event_type, case_no=case_no, secret_ref=secret_ref,
                     at=at)
    return conn.execute(insert(OUTBOX).values(row).returning(OUTBOX.c.id)).scalar_one()


# ------------------------------------------------------------------------------------ deliver

def retry_delay(attempts: int) -> _dt.timedelta:
    """How long to wait after ``attempts`` failed attempts."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def lease_for(limit: int) -> _dt.timedelta:
    return LEASE_BASE + LEASE_PER_MESSAGE * limit


def next_due(session: Session) -> _dt.datetime | None:
    """When deliver_due next has work: the earliest retry or lease end (two index probes)."""
    earliest = [select(func.min(OUTBOX.c.next_attempt_at)).where(OUTBOX.c.status == status).scalar_subquery()
                for status in (PENDING, SENDING)]
    return min((value for value in session.execute(select(*earliest)).one() if value is not None), default=None)


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    channel: str
    target: str
    payload: dict
    event_type: str
    secret_ref: str | None
    attempt_no: int
    secret: str | None = field(default=None, repr=False)  # never in logs or tracebacks


def claim_due(session: Session, *, now: _dt.datetime, limit: int,
              lease: _dt.timedelta | None = None) -> list[ClaimedMessage]:
    """Mark up to ``limit`` due messages ``sending`` until ``now + lease``, in the session's current
    transaction (commit it before sending). Also loads their signing secrets."""
    due = OUTBOX.c.status.in_((PENDING, SENDING)) & (OUTBOX.c.next_attempt_at <= now)
    picked = (select(OUTBOX.c.id).where(due).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(limit)
              .with_for_update(skip_locked=True))
    claim = (update(OUTBOX).where(OUTBOX.c.id.in_(picked), due)
             .values(status=SENDING, attempts=OUTBOX.c.attempts + 1,
                     next_attempt_at=now + (lease or lease_for(limit)))
             .returning(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.target, OUTBOX.c.payload, OUTBOX.c.event_type,
                        OUTBOX.c.secret_ref, OUTBOX.c.attempts))
    conn = session.connection()
    rows = conn.execute(claim).all()
    secrets = _load_secrets(conn, {r.secret_ref for r in rows if r.secret_ref})
    return sorted((ClaimedMessage(r.id, r.channel, r.target, r.payload, r.event_type, r.secret_ref, r.attempts,
                                  secrets.get(r.secret_ref)) for r in rows), key=lambda m: m.id)


def deliver_due(session_factory: sessionmaker, now: _dt.datetime | None = None, limit: int = 100, *,
                max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> int:
    """Claim, send and record up to ``limit`` due messages; returns how many were attempted
    (``limit`` means more may be due: call again)."""
    claimed_at = now or clock.now()
    with session_factory() as session, session.begin():
        messages = claim_due(session, now=claimed_at, limit=limit)
    for message in messages:
        sent_at = now or clock.now()
        started = time.monotonic()
        result, final = _send(message)
        duration_ms = round((time.monotonic() - started) * 1000)
        record_attempt(session_factory, message, result, at=sent_at, done_at=now or clock.now(),
                       duration_ms=duration_ms, max_attempts=max_attempts, final=final)
    return len(messages)


def record_attempt(session_factory: sessionmaker, message: ClaimedMessage, result: DeliveryResult, *,
                   at: _dt.datetime, done_at: _dt.datetime, duration_ms: int,
                   max_attempts: int = DEFAULT_MAX_ATTEMPTS, final: bool = False) -> bool:
    """Log the attempt and move the message on; False when another sender took the message over
    meanwhile (its lease had ended), in which case the message is left to that sender."""
    error = result.error[:MAX_ERROR_CHARS] if result.error else None
    if result.ok:
        outcome = dict(status=DELIVERED, delivered_at=done_at, last_error=None)
    elif final or message.attempt_no >= max_attempts:
        outcome = dict(status=FAILED, last_error=error)
    else:
        outcome = dict(status=PENDING, next_attempt_at=done_at + retry_delay(message.attempt_no), last_error=error)
    with session_factory() as session, session.begin():
        conn = session.connection()
        conn.execute(_INSERT_ATTEMPT, dict(outbox_id=message.id, attempt_no=message.attempt_no, at=at, ok=result.ok,
                                           status_code=result.status_code, error=error, note=result.note,
                                           duration_ms=duration_ms))
        moved = conn.execute(update(OUTBOX).where(OUTBOX.c.id == message.id, OUTBOX.c.status == SENDING,
                                                  OUTBOX.c.attempts == message.attempt_no)
                             .values(**outcome)).rowcount
    if moved != 1:
        log.warning("outbox message %s: attempt %s finished after its lease ended", message.id, message.attempt_no)
    return moved == 1


def _send(message: ClaimedMessage) -> tuple[DeliveryResult, bool]:
    """(result, final): final means retrying cannot help."""
    if message.secret_ref and message.secret is None:
        source = message.secret_ref.partition(":")[0]
        if source not in SECRET_SOURCES:  # this process forgot to import the owner: retry, do not drop
            return DeliveryResult(False, error=f"no secret source {source!r} registered in this process"), False
        return DeliveryResult(False, error=f"signing secret {message.secret_ref} no longer exists"), True
    channel = CHANNELS.get(message.channel)
    if channel is None:  # a provider not registered in this process: retry, it may be elsewhere
        return DeliveryResult(False, error=f"no channel {message.channel!r} registered"), False
    try:
        return channel.send(message.target, message.payload, secret=message.secret,
                            event_type=message.event_type, delivery_id=message.id), False
    except Exception as exc:  # a channel bug must not stop the other messages of the batch
        log.exception("outbox message %s: channel %s raised", message.id, message.channel)
        return DeliveryResult(False, error=f"{type(exc).__name__}: {exc}"), False


def _load_secrets(conn: Connection, refs: set[str]) -> dict[str, str]:
    by_source: dict[str, list[str]] = {}
    for ref in refs:
        source, _, key = ref.partition(":")
        by_source.setdefault(source, []).append(key)
    secrets = {}
    for source, keys in by_source.items():
        loader = SECRET_SOURCES.get(source)
        if loader is None:
            log.error("no secret source %r registered: import the module that owns it", source)
            continue
        secrets.update({f"{source}:{key}": value for key, value in loader(conn, keys).items()})
    return secrets
