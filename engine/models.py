"""Definitions, instances, the open-task projection, the event log and case numbers.

Queries that inbox and case lists run sit next to the indexes that serve them.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base


class Definition(Base):
    """One deployed version of a process: BPMN + DMN files under a key."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_process_definition_key_sha256", "key", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active")
    deployed_at: Mapped[_dt.datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    files: Mapped[list["DefinitionFile"]] = relationship(
        back_populates="definition", order_by="DefinitionFile.id", cascade="all, delete-orphan")


class DefinitionFile(Base):
    __tablename__ = "process_definition_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn
    content: Mapped[str] = mapped_column(Text)
    definition: Mapped[Definition] = relationship(back_populates="files")


class Instance(Base):
    """One case: the serialized workflow state plus what lists filter on."""

    __tablename__ = "process_instance"
    __table_args__ = (
        UniqueConstraint("started_by", "idempotency_key"),
        # case lists: newest first (GET /cases sorts by started_at DESC, id DESC), filtered by status / stage /
        # category / grid
        Index("ix_process_instance_started_at_id", "started_at", "id"),
        Index("ix_process_instance_status_started", "status", "started_at"),
        Index("ix_process_instance_category", "category_code"),
        Index("ix_process_instance_grid", "grid_code"),
        # case lists by deadline and light
        Index("ix_process_instance_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # running | completed | terminated | error
    stage: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))
    source: Mapped[str | None] = mapped_column(String(30))
    category_code: Mapped[str | None] = mapped_column(String(40))
    grid_code: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    # the organisation that owns the case now (the department it was dispatched to): data scopes filter on it
    org_code: Mapped[str | None] = mapped_column(String(40), index=True)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[_dt.datetime]
    ended_at: Mapped[_dt.datetime | None]
    # the case-level deadline (e.g. 结案时限 from filing), set by a node with citybpm:caseTimeLimit
    due_at: Mapped[_dt.datetime | None]
    warn_at: Mapped[_dt.datetime | None]
    limit_unit: Mapped[str | None] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    variables: Mapped[dict] = mapped_column(default=dict)
    # 督办: a leader flagged the case for supervision (engine.operations.supervision)
    supervised_at: Mapped[_dt.datetime | None]
    supervised_by: Mapped[str | None] = mapped_column(String(100))
    # 重复案件: the earlier case this one was merged into (engine.operations.duplicates)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    # Deferred: lists and inboxes never need the serialized workflow.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[Definition] = relationship(lazy="joined")

    # Optimistic locking: engine.runtime writes UPDATE … WHERE version = N SET version = N+1.


class Task(Base):
    """Projection of one OPEN human task, written with the state in one transaction."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_assignee", "assignee"),
        # inbox sorting by due time and filtering by light (due_at / warn_at against now)
        Index("ix_task_due_at", "due_at"),
        Index("ix_task_warn_at", "warn_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id (kind "bpmn")
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    node_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(20))
    form_key: Mapped[str | None] = mapped_column(String(100))
    form_version: Mapped[int | None]  # the form version the task started with, kept for its lifetime
    assignee: Mapped[str | None] = mapped_column(String(100))
    # open | waiting (加签: held until the added signers have signed; it cannot be completed meanwhile)
    status: Mapped[str] = mapped_column(String(20), default="open")
    # bpmn: a READY SpiffWorkflow user task | sign: an added signer's task (加签), not in the workflow state;
    # it belongs to ``parent_id`` and goes with it
    kind: Mapped[str] = mapped_column(String(10), default="bpmn")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    sign_position: Mapped[str | None] = mapped_column(String(10))  # before | after (kind "sign")
    # 委派: the delegator, who gets the task back once the delegate resolves it (delegation pending → resolved)
    owner: Mapped[str | None] = mapped_column(String(100))
    delegation: Mapped[str | None] = mapped_column(String(10))
    # 加签（后）: the submission, kept until the signers added after it have signed; then the task completes
    held_data: Mapped[dict | None]
    created_at: Mapped[_dt.datetime]
    due_at: Mapped[_dt.datetime | None]
    warn_at: Mapped[_dt.datetime | None]
    # the limit behind due_at, kept so a resumed case can recompute it without its pause
    limit_amount: Mapped[float | None] = mapped_column(Float)
    limit_unit: Mapped[str | None] = mapped_column(String(20))
    # Loaded on demand (access checks, API views); the engine writes candidates with bulk inserts.
    candidates: Mapped[list["TaskCandidate"]] = relationship(
        cascade="all, delete-orphan", lazy="select", passive_deletes=True)
    instance: Mapped[Instance] = relationship(lazy="joined")


class TaskCandidate(Base):
    """Who may take a task: kind is user | role | org; inbox queries join on (kind, value)."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(100))


class Event(Base):
    """The append-only audit trail and the source of every statistic."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_instance_id_id", "instance_id", "id"),
                      Index("ix_event_type_at", "type", "at"),
                      # 已办: what one person completed, newest first
                      Index("ix_event_actor_type_id", "actor", "type", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    node_id: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[_dt.datetime]
    data: Mapped[dict] = mapped_column(default=dict)


class CaseSequence(Base):
    """Daily case-number counters, bumped with UPDATE … +1 inside the start transaction."""

    __tablename__ = "case_sequence"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# Tables that live with their feature, imported so every schema user sees them. Plain module imports: a feature
# module imported first (it imports this one) is still half-built when these lines run, and a module import
# does not ask it for names yet.
import engine.operations.records  # noqa: E402,F401  (approvals, 抄送)
import engine.enforcement.records  # noqa: E402,F401  (法律法规库, 文书, case links)
import engine.attachments  # noqa: E402,F401  (uploaded photos and scans)
import engine.evaluation.rollups  # noqa: E402,F401  (绩效考核 facts derived from the events)
import engine.evaluation.passages  # noqa: E402,F401
