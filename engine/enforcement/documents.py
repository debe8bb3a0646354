"""Numbered documents (文书): each type has a number pattern; each issue takes the next number of its
type and year.

The counter is bumped with INSERT … ON CONFLICT DO UPDATE … RETURNING inside the issuing transaction
(like engine.case_numbers): two concurrent issues serialise on the counter row, and a rolled-back
issue rolls its bump back with it, so numbers are never reused and never skipped.

The functions here flush or execute on the caller's connection and never commit.
"""
from __future__ import annotations

import datetime as _dt
import re
import string

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine import clock
from engine.audit import plain
from engine.enforcement.records import (NUMBER_MAX_LENGTH, PATTERN_MAX_LENGTH, CaseDocument, DocumentSequence,
                                        DocumentType)
from engine.errors import Conflict, InvalidData, NotFound
from engine.models import Event

PATTERN_FIELDS = {"year", "seq", "code"}


TYPES = DocumentType.__table__
SEQUENCES = DocumentSequence.__table__
DOCUMENTS = CaseDocument.__table__


# --- number patterns -------------------------------------------------------------------------------

def pattern_error(pattern: str) -> tuple[str, str] | None:
    """Why ``pattern`` cannot number documents (zh, en); None if it can. Only {year}, {seq}, {code},
    no attribute or index access (format strings can reach into objects)."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "编号格式不能为空", "the number pattern is empty"
    if len(pattern) > PATTERN_MAX_LENGTH:
        return f"编号格式最长 {PATTERN_MAX_LENGTH} 字", f"the number pattern is at most {PATTERN_MAX_LENGTH} long"
    try:
        parsed = list(string.Formatter().parse(pattern))
        names = [name for _, name, _, _ in parsed if name is not None]
        unknown = [name for name in names if name not in PATTERN_FIELDS]
        if unknown:
            return (f"编号格式只能使用 {{year}}、{{seq}}、{{code}}，不认识：{'、'.join(unknown)}",
                    f"the pattern may use only {{year}}, {{seq}}, {{code}}; unknown: {', '.join(unknown)}")
        if "seq" not in names:
            return "编号格式必须包含 {seq}（序号）", "the number pattern needs {seq}"
        # a format spec like {seq:0999999999d} would build a gigabyte string: widths stay small
        if any(spec and re.search(r"\d{3,}", spec) for _, _, spec, _ in parsed):
            return "编号格式的宽度最多两位数（如 {seq:04d}）", "format widths have at most two digits (e.g. {seq:04d})"
        format_number(pattern, code="X", year=2026, seq=1)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        return f"编号格式有误：{exc}", f"bad number pattern: {exc}"
    return None


def format_number(pattern: str, *, code: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq, code=code)


# --- issuing -------------------------------------------------------------------------------------

def _upsert(dialect_insert):
    return (dialect_insert(SEQUENCES).values(doc_type=bindparam("doc_type"), year=bindparam("year"), value=1)
            .on_conflict_do_update(index_elements=["doc_type", "year"], set_={"value": SEQUENCES.c.value + 1})
            .returning(SEQUENCES.c.value))


# atomic on both databases, built once per dialect
_BUMP = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def next_seq(conn: Connection, doc_type: str, year: int) -> int:
    return conn.execute(_BUMP[conn.dialect.name], {"doc_type": doc_type, "year": year}).scalar_one()


def _connection(conn) -> Connection:
    return conn if isinstance(conn, Connection) else conn.connection()  # a Session or a scoped one


def document_type(conn, code: str) -> DocumentType | None:
    row = _connection(conn).execute(select(TYPES).where(TYPES.c.code == code)).first()
    return row


def issue_document(conn, *, case_id: int, doc_type: str, data: dict, actor: str, at: _dt.datetime | None = None,
                   task_id: str | None = None, node_id: str | None = None) -> dict:
    """Issue the next-numbered document of ``doc_type`` for a case, in the caller's transaction, and write
    ``document.issued`` to the case's event log. Returns {id, number, doc_type, title, year, seq}."""
    conn = _connection(conn)
    kind = document_type(conn, doc_type)
    if kind is None:
        raise NotFound(f"文书类型“{doc_type}”不存在", f"there is no document type '{doc_type}'")
    if not kind.is_active:
        raise Conflict(f"文书类型“{kind.name}”已停用", f"the document type '{doc_type}' is disabled")
    at = at or clock.now()
    year = at.astimezone(clock.DEFAULT_TZ).year
    seq = next_seq(conn, doc_type, year)
    number = format_number(kind.number_pattern, code=doc_type, year=year, seq=seq)
    if len(number) > NUMBER_MAX_LENGTH:
        raise InvalidData({"number_pattern": f"文书编号超过 {NUMBER_MAX_LENGTH} 字"},
                          {"number_pattern": f"the document number is longer than {NUMBER_MAX_LENGTH}"})
    kept = plain(dict(data or {}))
    document_id = conn.execute(insert(DOCUMENTS).values(
        instance_id=case_id, doc_type=doc_type, year=year, seq=seq, number=number, title=kind.name, data=kept,
        task_id=task_id, node_id=node_id, issued_by=actor, issued_at=at,
    ).returning(DOCUMENTS.c.id)).scalar_one()
    conn.execute(insert(Event.__table__).values(instance_id=case_id, task_id=task_id, node_id=node_id, type="document.issued",
                                       actor=actor, at=at, data={"document_id": document_id, "doc_type": doc_type,
                                                                 "number": number, "title": kind.name}))
    return {"id": document_id, "number": number, "doc_type": doc_type, "title": kind.name, "year": year, "seq": seq}


# --- the shipped types ------------------------------------------------------------------------------

# Printed on every form when present in the data (a type's own ``fields`` come first).
COMMON_FIELDS = (
    ("case_no", "案件编号"), ("party_name", "当事人"), ("party_type", "当事人类型"), ("party_id_no", "证件号码"),
    ("party_address", "住所（地址）"), ("legal_representative", "法定代表人"), ("location", "案发地点"),
    ("cause_name", "案由"), ("facts", "违法事实"), ("evidence", "证据"), ("violated_article", "违反的规定（违则）"),
    ("penalty_article", "处罚依据（罚则）"), ("circumstance", "情节"), ("fine_amount", "罚款金额（元）"),
    ("other_penalty", "其他处罚"), ("officers", "执法人员"), ("opinion", "意见"),
)


def _pattern(prefix: str) -> str:
    return prefix + "〔{year}〕第{seq:04d}号"


# (code, name, number pattern): the 文书 of 行政处罚法 / 行政强制法 procedures (DOMAIN.md §5)
DEFAULT_TYPES = (
    ("filing_approval", "立案审批表", _pattern("城管立审字")),
    ("site_inspection", "现场检查（勘验）笔录", _pattern("城管勘字")),
    ("inquiry_record", "调查询问笔录", _pattern("城管询字")),
    ("evidence_preservation", "先行登记保存证据通知书", _pattern("城管登保字")),
    ("evidence_decision", "先行登记保存物品处理决定书", _pattern("城管登处字")),
    ("investigation_report", "案件调查终结报告", _pattern("城管调终字")),
    ("legal_review", "法制审核意见书", _pattern("城管法审字")),
    ("group_discussion", "案件集体讨论笔录", _pattern("城管集讨字")),
    ("penalty_approval", "行政处罚案件审批表", _pattern("城管罚审字")),
    ("prior_notice", "行政处罚事先告知书", _pattern("城管罚告字")),
    ("hearing_notice", "听证告知书", _pattern("城管听告字")),
    ("hearing_summons", "听证通知书", _pattern("城管听通字")),
    ("hearing_record", "听证笔录", _pattern("城管听录字")),
    ("penalty_decision", "行政处罚决定书", _pattern("城管罚决字")),
    ("on_site_decision", "当场处罚决定书", _pattern("城管当罚字")),
    ("service_receipt", "送达回证", _pattern("城管送字")),
    ("seizure_decision", "查封扣押决定书", _pattern("城管查扣字")),
    ("seizure_extension", "延长查封扣押期限决定书", _pattern("城管延扣字")),
    ("seizure_release", "解除查封扣押决定书", _pattern("城管解扣字")),
    ("demand_notice", "催告书", _pattern("城管催字")),
    ("enforcement_decision", "强制执行决定书", _pattern("城管强执字")),
    ("court_application", "强制执行申请书", _pattern("城管强申字")),
    ("closing_report", "结案报告", _pattern("城管结字")),
)


def seed_document_types(session: Session) -> int:
    """Add the shipped types that are missing (an admin's edits to existing ones stay). Returns how many."""
    conn = _connection(session)
    have = set(conn.execute(select(TYPES.c.code)).scalars())
    rows = [dict(code=code, name=name, number_pattern=pattern, fields=[], is_active=True, sort=index)
            for index, (code, name, pattern) in enumerate(DEFAULT_TYPES) if code not in have]
    if rows:
        conn.execute(insert(TYPES), rows)
    return len(rows)


def known_type_codes(conn) -> set[str]:
    return set(_connection(conn).execute(select(TYPES.c.code)).scalars())


# --- reading and configuring ---------------------------------------------------------------------

def case_documents(case_id: int):
    """A case's documents in issue order (ix_case_document_instance_id_id)."""
    return select(CaseDocument).where(CaseDocument.instance_id == case_id).order_by(CaseDocument.id)


def get_type(session: Session, code: str) -> DocumentType:
    row = session.get(DocumentType, code)
    if row is None:
        raise NotFound(f"文书类型“{code}”不存在", f"there is no document type '{code}'")
    return row


def type_snapshot(row: DocumentType) -> dict:
    return dict(code=row.code, name=row.name, number_pattern=row.number_pattern, fields=list(row.fields or []),
                is_active=row.is_active, sort=row.sort)


def update_type(session: Session, code: str, changes: dict) -> tuple[dict, dict]:
    """Change a type's name, number pattern, printed fields, state or order (its code stays: documents cite it).
    A new pattern applies to numbers issued from now on; the sequence goes on (no number reused)."""
    row = get_type(session, code)
    before = type_snapshot(row)
    if "number_pattern" in changes:
        problem = pattern_error(changes["number_pattern"])
        if problem:
            raise InvalidData({"number_pattern": problem[0]}, {"number_pattern": problem[1]})
    for name in ("name", "number_pattern", "fields", "is_active", "sort"):
        if name in changes:
            setattr(row, name, changes[name])
    session.flush()
    return before, type_snapshot(row)


def create_type(session: Session, *, code: str, name: str, number_pattern: str, fields: list | None = None,
                is_active: bool = True, sort: int = 0) -> DocumentType:
    if session.get(DocumentType, code) is not None:
        raise Conflict(f"文书类型“{code}”已存在", f"the document type '{code}' exists")
    problem = pattern_error(number_pattern)
    if problem:
        raise InvalidData({"number_pattern": problem[0]}, {"number_pattern": problem[1]})
    row = DocumentType(code=code, name=name, number_pattern=number_pattern, fields=fields or [],
                       is_active=is_active, sort=sort)
    session.add(row)
    session.flush()
    return row


def printed_fields(kind: DocumentType | None, data: dict) -> list[tuple[str, str]]:
    """(label, text) rows for the paper form: the type's own fields first, then the common ones present.
    Only scalar values and lists of scalars: workflow bookkeeping (nested dicts) stays off the paper."""
    rows, seen = [], set()
    wanted = [(f.get("key"), f.get("label")) for f in (kind.fields if kind is not None else []) or []]
    for key, label in wanted + list(COMMON_FIELDS):
        if not key or key in seen or data.get(key) in (None, "", []):
            continue
        seen.add(key)
        text = _text(data[key])
        if text is not None:
            rows.append((label or key, text))
    return rows


def _text(value) -> str | None:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return "、".join(str(v) for v in value)
    return None
