"""文书: the numbered documents of a case, their printable pages, and the document types (number patterns).

A document is read by whoever may see its case (api.visibility) and holds document.read; types and their
number patterns are changed with document.manage, audited. The printed page is HTML with print CSS (A4),
every value escaped: documents carry what people typed.
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from jinja2 import Environment
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.strict_fields import StrictBoolean
from api.visibility import cases_visible_now
from engine import audit
from engine.db import DISPLAY_TZ
from engine.enforcement import documents
from engine.enforcement.records import CaseDocument, DocumentType
from engine.models import Instance

blp = Blueprint("documents", __name__, url_prefix="/api/v1",
                description="执法文书：编号、打印、文书类型 / Numbered enforcement documents")

PATTERN_HELP = {"description": "编号格式：{year} 年度、{seq:04d} 年度序号、{code} 类型编码，如 城管罚决字〔{year}〕第{seq:04d}号"}


class PrintedFieldSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=60))


class DocumentTypeSchema(Schema):
    code = fields.String()
    name = fields.String()
    number_pattern = fields.String(metadata=PATTERN_HELP)
    fields_ = fields.List(fields.Nested(PrintedFieldSchema), data_key="fields", attribute="fields",
                          metadata={"description": "打印时依次列出的字段（其后是通用字段）"})
    is_active = fields.Boolean()
    sort = fields.Integer()


class DocumentTypeUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    number_pattern = fields.String(validate=validate.Length(min=1, max=80), metadata=PATTERN_HELP)
    fields_ = fields.List(fields.Nested(PrintedFieldSchema), data_key="fields", attribute="fields",
                          validate=validate.Length(max=60))
    is_active = StrictBoolean()
    sort = fields.Integer(strict=True, validate=validate.Range(min=-1_000_000, max=1_000_000))


class DocumentTypeCreateSchema(DocumentTypeUpdateSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$",
                                                                 error="编码为小写字母开头的字母、数字、下划线，最长 40 位"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    number_pattern = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata=PATTERN_HELP)
    fields_ = fields.List(fields.Nested(PrintedFieldSchema), data_key="fields", attribute="fields",
                          validate=validate.Length(max=60), load_default=list)
    is_active = StrictBoolean(load_default=True)
    sort = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=-1_000_000, max=1_000_000))


class DocumentSchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    doc_type = fields.String()
    title = fields.String()
    number = fields.String(metadata={"description": "文书编号"})
    year = fields.Integer()
    seq = fields.Integer()
    node_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    issued_by = fields.String()
    issued_at = fields.DateTime()
    data = fields.Dict(metadata={"description": "制作文书所依据的数据"})
    print_url = fields.String()


# --- helpers ------------------------------------------------------------------------------------

def _visible_case(case_no: str) -> Instance:
    case = db.session.scalars(select(Instance).where(Instance.case_no == case_no, cases_visible_now())).first()
    if case is None:
        raise ApiProblem(404, "not_found", "案件不存在或无权查看", "case not found")
    return case


def _visible_document(document_id: int) -> tuple[CaseDocument, Instance]:
    row = db.session.execute(select(CaseDocument, Instance).join(Instance, Instance.id == CaseDocument.instance_id)
                             .where(CaseDocument.id == document_id, cases_visible_now())).first()
    if row is None:
        raise ApiProblem(404, "not_found", "文书不存在或无权查看", "document not found")
    return row[0], row[1]


def _dump(document: CaseDocument, case_no: str) -> dict:
    return dict(id=document.id, case_no=case_no, doc_type=document.doc_type, title=document.title,
                number=document.number, year=document.year, seq=document.seq, node_id=document.node_id,
                task_id=document.task_id, issued_by=document.issued_by, issued_at=document.issued_at,
                data=document.data, print_url=f"/api/v1/documents/{document.id}/print")


def _commit_audited(action: str, code: str, before, after) -> None:
    if before != after:
        audit.record(db.session.connection(), actor=current_actor().username, action=action,
                     target_type="document_type", target_id=code, before=before, after=after, ip=request.remote_addr)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiProblem(409, "conflict", "文书类型编码已存在", "the document type exists") from None


# --- the printed page ---------------------------------------------------------------------------------

_PAGES = Environment(autoescape=True)  # every value escaped: no HTML from data reaches the page
PRINT_PAGE = _PAGES.from_string("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }} {{ number }}</title>
<style>
  @page { size: A4; margin: 25mm 20mm 20mm 25mm; }
  body { font-family: "FangSong", "仿宋", "FangSong_GB2312", "STFangsong", "SimSun", "宋体", "Songti SC", serif;
         font-size: 16pt; line-height: 1.8; color: #000; margin: 0 auto; max-width: 170mm; }
  .agency { text-align: center; font-size: 18pt; letter-spacing: 0.2em; margin-top: 0; }
  h1 { text-align: center; font-family: "SimSun", "宋体", "Songti SC", serif; font-size: 22pt;
       letter-spacing: 0.3em; margin: 0.2em 0; }
  .number { text-align: right; margin: 0 0 1em; }
  table { width: 100%; border-collapse: collapse; }
  th, td { border: 1px solid #000; padding: 4pt 6pt; vertical-align: top; text-align: left; }
  th { width: 28%; font-weight: normal; white-space: nowrap; }
  td { white-space: pre-wrap; word-break: break-all; }
  .signatures { display: flex; justify-content: space-between; margin-top: 3em; }
  .signatures div { width: 45%; }
  .seal { display: inline-block; width: 42mm; height: 42mm; border: 1px dashed #999; border-radius: 50%;
          text-align: center; line-height: 42mm; color: #999; font-size: 12pt; }
  .issued { text-align: right; margin-top: 1em; }
  @media print { .noprint { display: none; } }
</style>
</head>
<body>
<p class="agency">{{ agency }}</p>
<h1>{{ title }}</h1>
<p class="number">{{ number }}</p>
<table>
{% for label, text in rows %}  <tr><th>{{ label }}</th><td>{{ text }}</td></tr>
{% endfor %}</table>
<div class="signatures">
  <div>当事人（签名）：<br><br>年　　月　　日</div>
  <div>执法人员（签名）：<br><br>年　　月　　日</div>
</div>
<p class="issued"><span class="seal">（印章）</span><br>{{ issued_on }}</p>
<p class="noprint"><button onclick="window.print()">打印</button></p>
</body>
</html>
""")
AGENCY = "城市管理综合行政执法局"


def render_print_page(document: CaseDocument, case_no: str) -> str:
    kind = db.session.get(DocumentType, document.doc_type)
    data = dict(document.data or {}, case_no=case_no)
    day = document.issued_at.astimezone(DISPLAY_TZ)
    return PRINT_PAGE.render(agency=AGENCY, title=document.title, number=document.number,
                             rows=documents.printed_fields(kind, data),
                             issued_on=f"{day.year}年{day.month}月{day.day}日")


# --- routes ---------------------------------------------------------------------------------------------

@blp.route("/document-types")
class DocumentTypes(MethodView):
    @blp.response(200, DocumentTypeSchema(many=True))
    def get(self):
        """文书类型及编号格式 / Document types and their number patterns"""
        return db.session.scalars(select(DocumentType).order_by(DocumentType.sort, DocumentType.code)).all()

    @blp.arguments(DocumentTypeCreateSchema)
    @blp.response(201, DocumentTypeSchema)
    def post(self, body):
        """新增文书类型 / Add a document type"""
        row = documents.create_type(db.session, **body)
        after = documents.type_snapshot(row)
        _commit_audited("document_type.create", row.code, None, after)
        return after


@blp.route("/document-types/<string:code>")
class OneDocumentType(MethodView):
    @blp.arguments(DocumentTypeUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, DocumentTypeSchema)
    def patch(self, body, code):
        """修改文书类型的名称、编号格式、打印字段（新格式用于此后的编号，序号连续） / Change a document type"""
        before, after = documents.update_type(db.session, code, body)
        _commit_audited("document_type.update", code, before, after)
        return after


@blp.route("/cases/<string:case_no>/documents")
class CaseDocuments(MethodView):
    @blp.response(200, DocumentSchema(many=True))
    def get(self, case_no):
        """案件的文书（按制作顺序） / A case's documents, in issue order"""
        case = _visible_case(case_no)
        return [_dump(d, case.case_no) for d in db.session.scalars(documents.case_documents(case.id))]


@blp.route("/documents/<int(max=2147483647):document_id>")
class OneDocument(MethodView):
    @blp.response(200, DocumentSchema)
    def get(self, document_id):
        """一份文书 / One document"""
        document, case = _visible_document(document_id)
        return _dump(document, case.case_no)


@blp.route("/documents/<int(max=2147483647):document_id>/print")
class PrintDocument(MethodView):
    @blp.response(200, content_type="text/html",
                  description="可打印的文书页面（A4） / The printable page (A4)")
    def get(self, document_id):
        """文书打印页（HTML，A4 打印样式） / The printable page"""
        document, case = _visible_document(document_id)
        return Response(render_print_page(document, case.case_no), mimetype="text/html",
                        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "script-src 'unsafe-inline'"})
