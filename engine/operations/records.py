"""What task operations keep besides the event log: copies sent (抄送) and approval requests (延期, 挂账)."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class TaskCopy(Base):
    """One 抄送: a case (and the task it was sent from) copied to a user for information."""

    __tablename__ = "task_copy"
    __table_args__ = (
        # "抄送我的": a user's copies, newest first, unread filter
        Index("ix_task_copy_recipient_sent_at", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    node_id: Mapped[str | None] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(100))
    sent_by: Mapped[str] = mapped_column(String(100))
    sent_at: Mapped[_dt.datetime]
    note: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[_dt.datetime | None]


class ApprovalRequest(Base):
    """A 延期 or 挂账 request on a task, waiting for (or given) a decision."""

    __tablename__ = "approval_request"
    __table_args__ = (
        # the approvers' list: pending requests of a kind, oldest first
        Index("ix_approval_request_status_kind_requested", "status", "kind", "requested_at"),
        # one pending 延期 request per task, one pending 挂账 request per case: two racing requests, one wins
        Index("uq_approval_request_pending_extension", "task_id", unique=True,
              sqlite_where=text("status = 'pending' AND kind = 'extension'"),
              postgresql_where=text("status = 'pending' AND kind = 'extension'")),
        Index("uq_approval_request_pending_hang", "instance_id", unique=True,
              sqlite_where=text("status = 'pending' AND kind = 'hang'"),
              postgresql_where=text("status = 'pending' AND kind = 'hang'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    node_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # extension | hang
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | rejected | cancelled
    reason: Mapped[str] = mapped_column(String(500))
    amount: Mapped[float | None] = mapped_column(Float)  # 延期: in the task limit's unit
    until: Mapped[_dt.datetime | None]  # 挂账: when the clock resumes by itself
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[_dt.datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[_dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(500))
