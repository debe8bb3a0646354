"""The 法律法规库: causes (案由) with their 违则, 罚则 and 自由裁量基准, and "picking a cause fills the rest".

Anyone holding law.read reads them (enforcement forms pick a cause); law.manage changes them, audited.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.pagination import page_of
from api.strict_fields import StrictBoolean
from engine import audit
from engine.enforcement import laws

blp = Blueprint("laws", __name__, url_prefix="/api/v1/laws",
                description="法律法规库：案由、违则、罚则、自由裁量基准 / Causes, articles and discretion bands")

PARTY_HELP = {"description": "individual=公民, organisation=法人或其他组织"}
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$", error="编码只能包含字母、数字、下划线和短横线，最长 40 位")
TEXT = {"allow_none": True, "validate": validate.Length(max=4000)}
AMOUNT = validate.Range(min=0, max=laws.MAX_AMOUNT)


class BandSchema(Schema):
    party_type = fields.String(required=True, validate=validate.OneOf(list(laws.PARTY_TYPES)), metadata=PARTY_HELP)
    circumstance = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                 metadata={"description": "情节：轻微 / 一般 / 较重 / 严重 …"})
    min_amount = fields.Integer(strict=True, required=True, validate=AMOUNT, metadata={"description": "罚款下限（元）"})
    max_amount = fields.Integer(strict=True, required=True, validate=AMOUNT, metadata={"description": "罚款上限（元）"})
    other_penalty = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                  metadata={"description": "其他处罚，如 警告、没收"})
    description = fields.String(load_default=None, **TEXT)
    sort = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=-1_000_000, max=1_000_000))


class CauseSchema(Schema):
    code = fields.String()
    name = fields.String()
    category_code = fields.String(allow_none=True, metadata={"description": "对应的部件/事件小类"})
    violated_law = fields.String(metadata={"description": "违则：法律法规名称"})
    violated_article = fields.String(metadata={"description": "违则：条款"})
    violated_text = fields.String(allow_none=True)
    penalty_law = fields.String(metadata={"description": "罚则：法律法规名称"})
    penalty_article = fields.String(metadata={"description": "罚则：条款"})
    penalty_text = fields.String(allow_none=True)
    other_penalties = fields.List(fields.String())
    is_active = fields.Boolean()
    sort = fields.Integer()
    bands = fields.List(fields.Nested(BandSchema), metadata={"description": "自由裁量基准"})


class CauseUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    category_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    violated_law = fields.String(validate=validate.Length(min=1, max=200))
    violated_article = fields.String(validate=validate.Length(min=1, max=100))
    violated_text = fields.String(**TEXT)
    penalty_law = fields.String(validate=validate.Length(min=1, max=200))
    penalty_article = fields.String(validate=validate.Length(min=1, max=100))
    penalty_text = fields.String(**TEXT)
    other_penalties = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                                  validate=validate.Length(max=20))
    is_active = StrictBoolean()
    sort = fields.Integer(strict=True, validate=validate.Range(min=-1_000_000, max=1_000_000))
    bands = fields.List(fields.Nested(BandSchema), validate=validate.Length(max=50),
                        metadata={"description": "给出时整体替换该案由的裁量基准"})


class CauseCreateSchema(CauseUpdateSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    violated_law = fields.String(required=True, validate=validate.Length(min=1, max=200))
    violated_article = fields.String(required=True, validate=validate.Length(min=1, max=100))
    penalty_law = fields.String(required=True, validate=validate.Length(min=1, max=200))
    penalty_article = fields.String(required=True, validate=validate.Length(min=1, max=100))
    other_penalties = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                                  validate=validate.Length(max=20), load_default=list)
    is_active = StrictBoolean(load_default=True)
    sort = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=-1_000_000, max=1_000_000))
    bands = fields.List(fields.Nested(BandSchema), validate=validate.Length(max=50), load_default=list)


class CauseQuerySchema(Schema):
    active = fields.Boolean()
    category_code = fields.String(validate=validate.Length(max=20))
    q = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "编码前缀或名称"})


class FillQuerySchema(Schema):
    party_type = fields.String(required=True, validate=validate.OneOf(list(laws.PARTY_TYPES)), metadata=PARTY_HELP)
    circumstance = fields.String(validate=validate.Length(min=1, max=20))
    amount = fields.Float(validate=AMOUNT, metadata={"description": "拟处罚款（元）；给出时按它判断程序"})


class FilledFieldsSchema(Schema):
    cause_code = fields.String()
    cause_name = fields.String()
    category_code = fields.String(allow_none=True)
    violated_article = fields.String(metadata={"description": "违则，如《城市市容和环境卫生管理条例》第十四条"})
    violated_text = fields.String(allow_none=True)
    penalty_article = fields.String(metadata={"description": "罚则"})
    penalty_text = fields.String(allow_none=True)
    party_type = fields.String()
    circumstance = fields.String(allow_none=True)
    fine_min = fields.Integer(allow_none=True)
    fine_max = fields.Integer(allow_none=True)
    fine_amount = fields.Float()
    other_penalty = fields.String(allow_none=True)
    procedure = fields.String(allow_none=True, metadata={"description": "simple=简易程序, ordinary=普通程序"})


class FillSchema(Schema):
    fields_ = fields.Nested(FilledFieldsSchema, data_key="fields", attribute="fields",
                            metadata={"description": "填入案件的字段"})
    other_penalties = fields.List(fields.String())
    procedure_name = fields.String(allow_none=True)
    simple_procedure_limit = fields.Integer(metadata={"description": "简易程序罚款上限（元，按当事人类型）"})
    on_site_collection_limit = fields.Integer(metadata={"description": "当场收缴上限（元）"})
    on_site_collection_allowed = fields.Boolean(allow_none=True)
    bands = fields.List(fields.Nested(BandSchema), metadata={"description": "该当事人类型的全部裁量基准"})


def _commit_audited(action: str, code: str, before, after) -> None:
    """The change and its audit entry in one transaction."""
    if before != after:
        audit.record(db.session.connection(), actor=current_actor().username, action=action, target_type="law_cause",
                     target_id=code, before=before, after=after, ip=request.remote_addr)
    try:
        db.session.commit()
    except IntegrityError:  # created by someone else between our check and our insert
        db.session.rollback()
        raise ApiProblem(409, "conflict", "案由编码已存在", "the cause code exists") from None


@blp.route("/causes")
class Causes(MethodView):
    @blp.arguments(CauseQuerySchema, location="query")
    @blp.response(200, CauseSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """案由列表（含违则、罚则、裁量基准） / Causes with their articles and bands"""
        return page_of(laws.causes(**query), pagination_parameters, *laws.CAUSE_ORDER)

    @blp.arguments(CauseCreateSchema)
    @blp.response(201, CauseSchema)
    def post(self, body):
        """新增案由 / Add a cause"""
        cause = laws.create_cause(db.session, **body)
        after = laws.snapshot(cause)
        _commit_audited("law_cause.create", cause.code, None, after)
        return after


@blp.route("/causes/<string:code>")
class OneCause(MethodView):
    @blp.response(200, CauseSchema)
    def get(self, code):
        """一个案由 / One cause"""
        return laws.snapshot(laws.get_cause(db.session, code))

    @blp.arguments(CauseUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, CauseSchema)
    def patch(self, body, code):
        """修改案由（给出 bands 时整体替换裁量基准；编码不可改） / Change a cause (not its code)"""
        before = laws.snapshot(laws.get_cause(db.session, code))
        after = laws.snapshot(laws.update_cause(db.session, code, **body))
        _commit_audited("law_cause.update", code, before, after)
        return after

    @blp.response(204)
    def delete(self, code):
        """删除案由（已办案件保留当时填入的内容） / Delete a cause (cases keep what it filled in)"""
        before = laws.delete_cause(db.session, code)
        _commit_audited("law_cause.delete", code, before, None)


@blp.route("/causes/<string:code>/fill")
class FillFromCause(MethodView):
    @blp.arguments(FillQuerySchema, location="query")
    @blp.response(200, FillSchema)
    def get(self, query, code):
        """选择案由，带出违则、罚则、裁量幅度与适用程序 / Pick a cause: the case fields it fills"""
        cause = laws.get_cause(db.session, code)
        return laws.fill(db.session, cause, **query)
