"""系统配置: the typed system parameters (case-number pattern, warning share, code lengths …).

The registry is small and fixed (engine.settings_store.REGISTRY), so the list is one answer, not pages:
an admin page needs every parameter at once. Changes apply at once in this process and within the
settings cache's TTL (10 s) in the others; each change is audited.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError

from api.auth import current_actor, require_role
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import pick
from engine import audit, settings_store

blp = Blueprint("settings", __name__, url_prefix="/api/v1/settings", description="系统配置 / System settings")

ANY_JSON = {"description": "参数值（类型见 type） / the value (see type)"}


class SettingSchema(Schema):
    key = fields.String()
    type = fields.String(metadata={"description": "string | number | integer | object | list"})
    value = fields.Raw(metadata=ANY_JSON)
    default = fields.Raw(metadata={"description": "默认值 / the default"})
    is_default = fields.Boolean(metadata={"description": "未修改过，使用默认值 / never changed"})
    description = fields.String(metadata={"description": "按请求语言 / in the request's language"})
    description_zh = fields.String()
    description_en = fields.String()
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


class SettingChangeSchema(Schema):
    value = fields.Raw(required=True, allow_none=False, metadata=ANY_JSON)


def _described(entry: dict) -> dict:
    return {**entry, "description": pick(entry["description_zh"], entry["description_en"])}


def _one(key: str) -> dict:
    settings_store.parameter(key)  # unknown → 404
    return next(_described(e) for e in settings_store.describe(db.session) if e["key"] == key)


def _commit_audited(action: str, key: str, before, after) -> None:
    """The change and its audit entry in one transaction (nothing changed: nothing recorded)."""
    if before != after:
        audit.record(db.session.connection(), actor=current_actor().username, action=action,
                     target_type="setting", target_id=key, before={"value": before}, after={"value": after},
                     ip=request.remote_addr)
    try:
        db.session.commit()
    except IntegrityError:  # two admins set a never-set parameter at the same moment
        db.session.rollback()
        raise ApiProblem(409, "conflict", "参数刚被他人修改，请刷新后重试",
                         "changed by someone else; reload and retry") from None


@blp.route("")
class Settings(MethodView):
    @blp.response(200, SettingSchema(many=True))
    def get(self):
        """全部系统参数：当前值、默认值、说明 / Every parameter with its value, default and description"""
        return [_described(entry) for entry in settings_store.describe(db.session)]


@blp.route("/<string:key>")
class Setting(MethodView):
    @blp.response(200, SettingSchema)
    def get(self, key):
        """一个系统参数 / One parameter"""
        return _one(key)

    @blp.arguments(SettingChangeSchema)
    @blp.response(200, SettingSchema)
    def put(self, body, key):
        """修改参数（校验后立即生效，其他进程 10 秒内生效） / Change a parameter (checked; applies within 10 s)"""
        require_role("admin")
        before, after = settings_store.set(db.session, key, body["value"], current_actor().username)
        _commit_audited("setting.update", key, before, after)
        return _one(key)

    @blp.response(200, SettingSchema)
    def delete(self, key):
        """恢复默认值 / Back to the default"""
        require_role("admin")
        before, after = settings_store.reset(db.session, key)
        _commit_audited("setting.reset", key, before, after)
        return _one(key)
