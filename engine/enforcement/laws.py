"""The 法律法规库: causes (案由) with their violated article (违则), penalty article (罚则) and discretion
bands (自由裁量基准: circumstance → fine range per party type, plus other penalties).

Picking a cause fills the rest of a case (:func:`fill`), including which procedure the amount allows:
简易程序 only up to the limits in the system settings (行政处罚法 Art. 51: 200 元 for a citizen, 3 000 元
for an organisation), read through :func:`simple_procedure_limit` so every check uses the same figure.

The functions here flush but never commit: the caller owns the transaction.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine import settings_store
from engine.enforcement.records import DiscretionBand, LawCause
from engine.errors import Conflict, InvalidData, NotFound

PARTY_TYPES = {"individual": ("公民", "individual"), "organisation": ("法人或其他组织", "organisation")}
CIRCUMSTANCES = ("轻微", "一般", "较重", "严重")
PROCEDURES = {"simple": ("简易程序", "simple procedure"), "ordinary": ("普通程序", "ordinary procedure")}
MAX_AMOUNT = 100_000_000  # 元; a sanity bound for input, not a legal one


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
    return conn if isinstance(conn, Connection) else conn.connection()  # a Session or a scoped one


# --- reading -------------------------------------------------------------------------------------

CAUSE_ORDER = (LawCause.sort, LawCause.code)


def causes(*, active: bool | None = None, q: str | None = None, category_code: str | None = None):
    statement = select(LawCause)
    if active is not None:
        statement = statement.where(LawCause.is_active.is_(active))
    if category_code:
        statement = statement.where(LawCause.category_code == category_code)
    if q:
        statement = statement.where(LawCause.code.startswith(q, autoescape=True)
                                    | LawCause.name.contains(q, autoescape=True))
    return statement


def get_cause(session: Session, code: str) -> LawCause:
    cause = session.scalars(select(LawCause).where(LawCause.code == code)).first()
    if cause is None:
        raise NotFound(f"案由“{code}”不存在", f"there is no cause '{code}'")
    return cause


def snapshot(cause: LawCause) -> dict:
    """The cause as plain data (API answers and audit before/after)."""
    return dict(code=cause.code, name=cause.name, category_code=cause.category_code,
                violated_law=cause.violated_law, violated_article=cause.violated_article,
                violated_text=cause.violated_text, penalty_law=cause.penalty_law,
                penalty_article=cause.penalty_article, penalty_text=cause.penalty_text,
                other_penalties=list(cause.other_penalties or []), is_active=cause.is_active, sort=cause.sort,
                bands=[dict(party_type=b.party_type, circumstance=b.circumstance, min_amount=b.min_amount,
                            max_amount=b.max_amount, other_penalty=b.other_penalty, description=b.description,
                            sort=b.sort) for b in cause.bands])


# --- changing ------------------------------------------------------------------------------------

CAUSE_FIELDS = ("name", "category_code", "violated_law", "violated_article", "violated_text", "penalty_law",
                "penalty_article", "penalty_text", "other_penalties", "is_active", "sort")


def check_bands(bands: list[dict]) -> None:
    """Each band: a known party type, a circumstance, 0 ≤ min ≤ max; one band per party type and circumstance."""
    errors, errors_en, seen = {}, {}, set()
    for index, band in enumerate(bands):
        at = f"bands.{index}"
        if band.get("party_type") not in PARTY_TYPES:
            errors[f"{at}.party_type"] = "当事人类型应为 individual（公民）或 organisation（法人或其他组织）"
            errors_en[f"{at}.party_type"] = "party_type must be individual or organisation"
        low, high = band.get("min_amount"), band.get("max_amount")
        if low is None or high is None or not 0 <= low <= high <= MAX_AMOUNT:
            errors[f"{at}.max_amount"] = "罚款幅度应满足 0 ≤ 下限 ≤ 上限"
            errors_en[f"{at}.max_amount"] = "the fine range must satisfy 0 ≤ min ≤ max"
        key = (band.get("party_type"), band.get("circumstance"))
        if key in seen:
            errors[f"{at}.circumstance"] = f"同一当事人类型的情节“{key[1]}”重复"
            errors_en[f"{at}.circumstance"] = f"circumstance '{key[1]}' appears twice for one party type"
        seen.add(key)
    if errors:
        raise InvalidData(errors, errors_en)


def _set_bands(cause: LawCause, bands: list[dict]) -> None:
    check_bands(bands)
    cause.bands.clear()
    for index, band in enumerate(bands):
        cause.bands.append(DiscretionBand(**{**band, "sort": band.get("sort", index)}))


def create_cause(session: Session, *, code: str, bands: list[dict] | None = None, **values) -> LawCause:
    if session.scalars(select(LawCause.id).where(LawCause.code == code)).first() is not None:
        raise Conflict(f"案由编码“{code}”已存在", f"the cause code '{code}' exists")
    cause = LawCause(code=code, **{k: v for k, v in values.items() if k in CAUSE_FIELDS})
    _set_bands(cause, bands or [])
    session.add(cause)
    session.flush()
    return cause


def update_cause(session: Session, code: str, *, bands: list[dict] | None = None, **values) -> LawCause:
    """Change the given fields; ``bands`` given replaces all the cause's bands."""
    cause = get_cause(session, code)
    for name, value in values.items():
        if name in CAUSE_FIELDS:
            setattr(cause, name, value)
    if bands is not None:
        check_bands(bands)  # before anything changes
        cause.bands.clear()
        session.flush()  # the old bands go before new ones take their (party_type, circumstance)
        _set_bands(cause, bands)
    session.flush()
    return cause


def delete_cause(session: Session, code: str) -> dict:
    """Cases keep the fields a cause filled in (copies), so a cause can go; its bands go with it."""
    cause = get_cause(session, code)
    before = snapshot(cause)
    session.delete(cause)
    session.flush()
    return before


# --- picking a cause fills the rest ------------------------------------------------------------------

def fill(conn, cause: LawCause, *, party_type: str, circumstance: str | None = None,
         amount: float | None = None) -> dict:
    """The case fields a cause fills: its articles, the band for the party and circumstance, and the
    procedure the fine allows (简易程序 up to :func:`simple_procedure_limit`, else 普通程序)."""
    limit = simple_procedure_limit(conn, party_type)
    bands = [b for b in cause.bands if b.party_type == party_type]
    band = None
    if circumstance is not None:
        band = next((b for b in bands if b.circumstance == circumstance), None)
        if band is None:
            known = "、".join(b.circumstance for b in bands) or "无"
            raise InvalidData({"circumstance": f"该案由没有“{circumstance}”情节的裁量基准（可选：{known}）"},
                              {"circumstance": f"the cause has no band for circumstance '{circumstance}'"})
    if amount is not None and band is not None and not band.min_amount <= amount <= band.max_amount:
        raise InvalidData({"amount": f"罚款金额应在裁量基准 {band.min_amount}–{band.max_amount} 元之内"},
                          {"amount": f"the fine must be within {band.min_amount}–{band.max_amount} 元"})
    # the highest fine the case may end with decides the procedure
    deciding = amount if amount is not None else (band.max_amount if band is not None else None)
    procedure = None if deciding is None else ("simple" if deciding <= limit else "ordinary")
    collection_limit = on_site_collection_limit(conn)
    fields = dict(
        cause_code=cause.code, cause_name=cause.name, category_code=cause.category_code,
        violated_article=f"《{cause.violated_law}》{cause.violated_article}", violated_text=cause.violated_text,
        penalty_article=f"《{cause.penalty_law}》{cause.penalty_article}", penalty_text=cause.penalty_text,
        party_type=party_type, circumstance=circumstance,
        fine_min=band.min_amount if band else None, fine_max=band.max_amount if band else None,
        other_penalty=band.other_penalty if band else None, procedure=procedure,
    )
    if amount is not None:
        fields["fine_amount"] = amount
    return dict(
        fields=fields, other_penalties=list(cause.other_penalties or []),
        procedure_name=PROCEDURES[procedure][0] if procedure else None,
        simple_procedure_limit=limit, on_site_collection_limit=collection_limit,
        on_site_collection_allowed=None if deciding is None else deciding <= collection_limit,
        bands=[dict(circumstance=b.circumstance, min_amount=b.min_amount, max_amount=b.max_amount,
                    other_penalty=b.other_penalty, description=b.description) for b in bands],
    )
