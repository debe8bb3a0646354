"""派遣规则表 / The automatic dispatch rules: read, save (a new closed-loop version), try before saving."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import translate_marshmallow
from engine import audit, dispatch_rules
from forms import store

blp = Blueprint("dispatch_rules", __name__, url_prefix="/api/v1/dispatch-rules",
                description="派遣规则表 / Automatic dispatch rules")

XML_TYPES = ("application/xml", "text/xml")
CELL = fields.String(validate=validate.Length(max=4000))


class InputColumnSchema(Schema):
    id = fields.String(validate=validate.Length(max=100))
    label = fields.String(validate=validate.Length(max=200))
    expression = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type_ref = fields.String(validate=validate.Length(max=40))


class OutputColumnSchema(Schema):
    id = fields.String(validate=validate.Length(max=100))
    label = fields.String(validate=validate.Length(max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type_ref = fields.String(validate=validate.Length(max=40))


class RuleSchema(Schema):
    id = fields.String(validate=validate.Length(max=100))
    annotation = fields.String(validate=validate.Length(max=1000))
    inputs = fields.List(CELL, required=True, validate=validate.Length(max=50))
    outputs = fields.List(CELL, required=True, validate=validate.Length(max=50))


class TableSchema(Schema):
    """The rows; columns left out are the current table's."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(validate=validate.Length(max=200))
    description = fields.String(validate=validate.Length(max=2000))
    hit_policy = fields.String(validate=validate.Length(max=20))
    inputs = fields.List(fields.Nested(InputColumnSchema), validate=validate.Length(max=50))
    outputs = fields.List(fields.Nested(OutputColumnSchema), validate=validate.Length(max=50))
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(max=2000))


class SaveSchema(TableSchema):
    """Either ``xml`` (a DMN file) or the rows."""

    xml = fields.String(validate=validate.Length(max=5_000_000))
    rules = fields.List(fields.Nested(RuleSchema), validate=validate.Length(max=2000))


class DefinitionRefSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    sha256 = fields.String()
    deployed_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)


class RulesSchema(TableSchema):
    decision_id = fields.String()
    xml = fields.String()
    filename = fields.String()
    definition = fields.Nested(DefinitionRefSchema)
    created = fields.Boolean()


class EvaluateSchema(Schema):
    category_type = fields.String(validate=validate.Length(max=20))
    category_code = fields.String(validate=validate.Length(max=40))
    grid_code = fields.String(validate=validate.Length(max=40))
    district_code = fields.String(validate=validate.Length(max=40))
    street_code = fields.String(validate=validate.Length(max=40))
    table = fields.Nested(TableSchema, metadata={"description": "未保存的规则行（可选）/ unsaved rows to try"})


class ProposalSchema(Schema):
    matched = fields.Boolean()
    rule_index = fields.Integer(allow_none=True)
    rule_id = fields.String(allow_none=True)
    annotation = fields.String(allow_none=True)
    outputs = fields.Dict()
    inputs = fields.Dict()


SAVE_BODY = {
    "required": True,
    "description": "DMN 文件，或规则行 JSON / a DMN file, or the rows as JSON",
    "content": {"application/json": {"schema": SaveSchema},
                "application/xml": {"schema": {"type": "string"}}},
}


def _submitted() -> bytes | dict:
    limit = current_app.config["CITYBPM_MAX_UPLOAD_BYTES"]
    if request.mimetype in XML_TYPES:
        content = request.get_data(cache=False)
        if len(content) > limit:
            raise ApiProblem(413, "too_large", "文件超过大小限制", "the file is too large")
        return content
    if request.mimetype != "application/json":
        raise ApiProblem(415, "unsupported_media_type", "请以 application/json（规则行或 xml 字段）或 application/xml 提交",
                         "send application/json (rows or an xml field) or application/xml")
    try:
        body = SaveSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        errors = [{"field": f"{key}", "message": translate_marshmallow(str(message))}
                  for key, message in exc.messages.items()]
        raise ApiProblem(422, "validation_failed", "请求数据未通过校验", "the request data is invalid", errors) from None
    if body.get("xml"):
        return body["xml"].encode("utf-8")
    if not body.get("rules"):
        raise ApiProblem(422, "validation_failed", "请提交 xml 或 rules", "send xml or rules",
                         [{"field": "rules", "message": "必填"}])
    return body


@blp.route("")
class DispatchRules(MethodView):
    @blp.response(200, RulesSchema)
    def get(self):
        """当前派遣规则表（最新启用的闭环流程版本）/ The rules of the latest active closed-loop version"""
        return dispatch_rules.read_rules(db.session)

    @blp.doc(requestBody=SAVE_BODY)
    @blp.response(201, RulesSchema)
    @blp.alt_response(200, schema=RulesSchema, description="规则未变，版本不变 / unchanged: same version")
    def put(self):
        """保存派遣规则表：校验后部署为闭环流程的新版本（运行中的案件保持原版本）/ Save: a new closed-loop version"""
        engine = current_app.extensions["citybpm_engine"]
        who = audit.Who(current_actor().username, request.remote_addr)
        definition, created, _table = dispatch_rules.save_rules(
            db.session, engine, _submitted(), who, lambda key: store.form_exists(db.session, key))
        db.session.commit()
        return dict(dispatch_rules.read_rules(db.session), created=created), 201 if created else 200


@blp.route("/evaluate")
class Evaluate(MethodView):
    @blp.arguments(EvaluateSchema)
    @blp.response(200, ProposalSchema)
    def post(self, body):
        """试算：这些变量按规则得到的派遣建议（可带未保存的规则行）/ The proposal the rules give"""
        table = body.pop("table", None)
        engine = current_app.extensions["citybpm_engine"]
        return dispatch_rules.evaluate(db.session, engine.specs, body, table)
