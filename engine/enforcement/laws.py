"""The 法律法规库: causes (案由) with their violated article (违则), penalty article (罚则) and discretion
bands (自由裁量基准: circumstance → fine range per party type, plus other penalties).

Picking a cause fills the rest of a case (:func:`fill`), including which procedure the amount allows:
简易程序 only up to the limits in the system settings (行政处罚法 Art. 51: 200 元 for a citizen, 3 000 元
for an organisation), read through :func:`simple_procedure_limit` so every check uses the same figure.

The functions here flush but never commit: the caller owns the transaction.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine import settings_store
from engine.db import Base
from engine.errors import Conflict, InvalidData, NotFound

PARTY_TYPES = {"individual": ("公民", "individual"), "organisation": ("法人或其他组织", "organisation")}
CIRCUMSTANCES = ("轻微", "一般", "较重", "严重")
PROCEDURES = {"simple": ("简易程序", "simple procedure"), "ordinary": ("普通程序", "ordinary procedure")}
MAX_AMOUNT = 100_000_000  # 元; a sanity bound for input, not a legal one


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


# --- procedure limits (one place; the 简易程序 process reads them too) ------------------------------

def simple_procedure_limit(conn, party_type: str) -> int:
    """The largest fine (元) the 简易程序 allows for ``party_type`` (individual | organisation)."""
    if party_type not in PARTY_TYPES:
        raise InvalidData({"party_type": "当事人类型应为 individual（公民）或 organisation（法人或其他组织）"},
                          {"party_type": "party_type must be individual or organisation"})
    return settings_store.get(_connection(conn), f"simple_procedure_limit_{party_type}")


def on_site_collection_limit(conn) -> int:
    """The largest fine (元) that may be collected on the spot (行政处罚法 Art. 68)."""
    return settings_store.get(_connection(conn), "on_site_collection_limit")


def suggested_procedure(conn, party_type: str, amount: float | None) -> str:
    """simple when the fine (or a warning: no fine) is within the 简易程序 limit, else ordinary."""
    return "simple" if (amount or 0) <= simple_procedure_limit(conn, party_type) else "ordinary"


def _connection(conn):
    return conn.connection() if isinstance(conn, Session) else conn
