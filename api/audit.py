"""The audit log: who changed which configuration, user or permission, when, from where, before and after."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import require_role
from api.pagination import page_of
from engine.audit import AuditEntry, entries
from engine.db import DISPLAY_TZ

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志 / Audit log")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String(metadata={"description": "如 org.create、user.disable、role.update、setting.update"})
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    ip = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    actor = fields.String(validate=validate.Length(min=1, max=100))
    action = fields.String(validate=validate.Length(min=1, max=60),
                           metadata={"description": "完整动作名，或以 . / * 结尾的前缀（如 user.）"})
    target_type = fields.String(validate=validate.Length(min=1, max=40))
    target_id = fields.String(validate=validate.Length(min=1, max=100))
    from_ = fields.AwareDateTime(data_key="from", default_timezone=DISPLAY_TZ,
                                 metadata={"description": "起始时间（含）；不带时区按北京时间"})
    to = fields.AwareDateTime(default_timezone=DISPLAY_TZ, metadata={"description": "截止时间（不含）"})


@blp.route("")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """审计日志（新的在前），可按操作人、动作、对象、时间筛选 / The audit log, newest first"""
        require_role("admin")
        statement = entries(actor=query.get("actor"), action=query.get("action"),
                            target_type=query.get("target_type"), target_id=query.get("target_id"),
                            since=query.get("from_"), until=query.get("to"))
        return page_of(statement, pagination_parameters, AuditEntry.id.desc())
