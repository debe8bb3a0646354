"""The enforcement records: the 法律法规库 (causes, discretion bands), 文书 (types, sequences, issued documents)
and case links. Imported by engine.models so every schema user sees them; the logic lives beside them
(laws.py, documents.py, links.py)."""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base

PATTERN_MAX_LENGTH = 80
NUMBER_MAX_LENGTH = 100
ENFORCEMENT = "enforcement"  # the kind of link from a disposal case to its enforcement case


class LawCause(Base):
    """A 案由 and the articles it rests on."""

    __tablename__ = "law_cause"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_code: Mapped[str | None] = mapped_column(String(20))  # the 部件/事件 小类 it usually comes from
    violated_law: Mapped[str] = mapped_column(String(200))      # 违则: the law …
    violated_article: Mapped[str] = mapped_column(String(100))  # … its article (第十五条第一款)
    violated_text: Mapped[str | None] = mapped_column(Text)
    penalty_law: Mapped[str] = mapped_column(String(200))       # 罚则
    penalty_article: Mapped[str] = mapped_column(String(100))
    penalty_text: Mapped[str | None] = mapped_column(Text)
    other_penalties: Mapped[list] = mapped_column(default=list)  # 警告, 没收违法所得, 责令限期改正 …
    is_active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)
    bands: Mapped[list["DiscretionBand"]] = relationship(
        back_populates="cause", cascade="all, delete-orphan", lazy="selectin",
        order_by="(DiscretionBand.party_type, DiscretionBand.sort, DiscretionBand.id)")


class DiscretionBand(Base):
    """A 自由裁量基准 row: under this circumstance, for this kind of party, a fine in [min, max] 元."""

    __tablename__ = "law_discretion_band"
    __table_args__ = (UniqueConstraint("cause_id", "party_type", "circumstance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("law_cause.id", ondelete="CASCADE"), index=True)
    party_type: Mapped[str] = mapped_column(String(20))   # individual | organisation
    circumstance: Mapped[str] = mapped_column(String(20))  # 轻微 | 一般 | 较重 | 严重 …
    min_amount: Mapped[int] = mapped_column(Integer)       # 元
    max_amount: Mapped[int] = mapped_column(Integer)
    other_penalty: Mapped[str | None] = mapped_column(String(200))  # 警告 / 没收 … alongside or instead of the fine
    description: Mapped[str | None] = mapped_column(Text)            # what makes a case fall here
    sort: Mapped[int] = mapped_column(default=0)
    cause: Mapped[LawCause] = relationship(back_populates="bands")


class DocumentType(Base):
    """A kind of 文书 and how its numbers read (``城管罚决字〔{year}〕第{seq:04d}号``)."""

    __tablename__ = "document_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    number_pattern: Mapped[str] = mapped_column(String(PATTERN_MAX_LENGTH))
    # the data fields printed on the form, in order: [{"key": "party_name", "label": "当事人"}, …]
    fields: Mapped[list] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)


class DocumentSequence(Base):
    """The last number issued per type and year."""

    __tablename__ = "document_sequence"

    doc_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class CaseDocument(Base):
    """One issued 文书, kept with its case: the number and the data it was made from."""

    __tablename__ = "case_document"
    __table_args__ = (
        UniqueConstraint("doc_type", "year", "seq"),
        # a case's documents in issue order
        Index("ix_case_document_instance_id_id", "instance_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    doc_type: Mapped[str] = mapped_column(ForeignKey("document_type.code"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(NUMBER_MAX_LENGTH))
    title: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(default=dict)
    task_id: Mapped[str | None] = mapped_column(String(36))
    node_id: Mapped[str | None] = mapped_column(String(100))
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[_dt.datetime]


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
