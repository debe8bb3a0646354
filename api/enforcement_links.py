"""双流程派遣: from a disposal case, open an ordinary-procedure enforcement case linked to it; each case shows
the other. The enforcement outcome comes back to the disposal case as ``enforcement.concluded``
(engine.enforcement.links, on the enforcement case's end)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.cases import IdempotencyHeaderSchema, _visible_case, engine
from api.extensions import db
from api.visibility import cases_visible_now
from engine.enforcement import laws, links

blp = Blueprint("enforcement_links", __name__, url_prefix="/api/v1/cases",
                description="双流程派遣：处置案件与执法案件关联 / Disposal and enforcement cases linked")


class PartySchema(Schema):
    party_type = fields.String(required=True, validate=validate.OneOf(list(laws.PARTY_TYPES)),
                               metadata={"description": "individual=公民, organisation=法人或其他组织"})
    party_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    party_id_no = fields.String(load_default=None, validate=validate.Length(max=40),
                                metadata={"description": "身份证号或统一社会信用代码"})
    party_address = fields.String(load_default=None, validate=validate.Length(max=200))
    party_phone = fields.String(load_default=None, validate=validate.Length(max=30))
    legal_representative = fields.String(load_default=None, validate=validate.Length(max=50))


class OpenEnforcementSchema(Schema):
    cause_code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"description": "案由编码"})
    party = fields.Nested(PartySchema, required=True)
    circumstance = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    facts = fields.String(load_default=None, validate=validate.Length(max=4000),
                          metadata={"description": "违法事实；不填时沿用处置案件的问题描述"})


class OpenedSchema(Schema):
    case_no = fields.String(metadata={"description": "执法案件编号"})
    disposal_case_no = fields.String()
    created = fields.Boolean()


class LinkSchema(Schema):
    kind = fields.String(metadata={"description": "enforcement=执法案件"})
    direction = fields.String(metadata={"description": "to=本案派生的案件, from=本案来源案件"})
    case_no = fields.String()
    status = fields.String()
    stage = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()


@blp.route("/<string:case_no>/enforcement-cases")
class EnforcementCases(MethodView):
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(OpenEnforcementSchema)
    @blp.response(201, OpenedSchema)
    @blp.alt_response(200, schema=OpenedSchema, description="同一 Idempotency-Key 的重试返回原案件 / a retry")
    def post(self, headers, body, case_no):
        """从处置案件发起普通程序执法案件（双流程派遣） / Open a linked ordinary-procedure case"""
        disposal = _visible_case(case_no)
        opened = links.open_enforcement_case(engine(), db.session, disposal, cause_code=body["cause_code"],
                                             party=body["party"], circumstance=body["circumstance"],
                                             facts=body["facts"], actor=current_actor(),
                                             idempotency_key=headers.get("idempotency_key"))
        db.session.commit()
        return dict(case_no=opened["case_no"], disposal_case_no=case_no, created=opened["created"]), \
            201 if opened["created"] else 200


@blp.route("/<string:case_no>/links")
class CaseLinks(MethodView):
    @blp.response(200, LinkSchema(many=True))
    def get(self, case_no):
        """关联案件（两个方向） / The linked cases, both ways"""
        case = _visible_case(case_no)
        return links.links_of(db.session, case.id, cases_visible_now())
