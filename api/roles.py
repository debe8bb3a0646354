"""权限配置: the permission catalog, roles (permissions + data scope) and API tokens."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates
from marshmallow.exceptions import ValidationError
from sqlalchemy import select

from api.auth import PRINCIPALS, current_actor, issue_token
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import language
from api.pagination import page_of
from api.permissions import CATALOG
from engine.audit import record
from engine.identity import ApiToken, Role, User
from engine.rbac import SCOPES, RoleGrant

blp = Blueprint("roles", __name__, url_prefix="/api/v1", description="权限配置 / Roles and permissions")
tokens_blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="API 令牌 / API tokens")


class PermissionSchema(Schema):
    code = fields.String()
    name = fields.String()


class RoleSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    permissions = fields.List(fields.String(), load_default=list)
    data_scope = fields.String(load_default="self", validate=validate.OneOf(SCOPES),
                               metadata={"description": "self=本人, org=本机构, org_tree=本机构及下级, all=全部"})

    @validates("permissions")
    def _known(self, value, **_kwargs):
        unknown = sorted(set(value) - set(CATALOG))
        if unknown:
            raise ValidationError(f"未知的权限：{', '.join(unknown)}")


class RoleUpdateSchema(RoleSchema):
    class Meta:
        exclude = ("code",)


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(fields.String(), required=True, validate=validate.Length(min=1),
                         metadata={"description": "权限代码列表；[\"*\"] 表示该用户的全部权限"})
    expires_in_days = fields.Integer(strict=True, load_default=90, validate=validate.Range(min=1, max=3650))

    @validates("scopes")
    def _known(self, value, **_kwargs):
        unknown = sorted(set(value) - set(CATALOG) - {"*"})
        if unknown:
            raise ValidationError(f"未知的权限：{', '.join(unknown)}")


class TokenSchema(Schema):
    id = fields.Integer()
    username = fields.String(attribute="user.username")
    name = fields.String()
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "仅在创建时返回一次，请妥善保存"})


def _role(code: str) -> tuple[Role, RoleGrant]:
    role = db.session.get(Role, code)
    if role is None:
        raise ApiProblem(404, "not_found", "角色不存在", "role not found")
    grant = db.session.get(RoleGrant, code) or RoleGrant(role_code=code, permissions=[], data_scope="self")
    return role, grant


def _role_dict(role: Role, grant: RoleGrant) -> dict:
    return {"code": role.code, "name": role.name, "permissions": sorted(grant.permissions or []),
            "data_scope": grant.data_scope}


def _audit(action: str, target: str, before, after) -> None:
    """Configuration changes are audited (engine.audit)."""
    record(db.session.connection(), actor=current_actor().username, action=action, target_type="role",
           target_id=target, before=before, after=after)


@blp.route("/permissions")
class Permissions(MethodView):
    @blp.response(200, PermissionSchema(many=True))
    def get(self):
        """权限目录：覆盖每个 API 操作 / The permission catalog"""
        en = language() == "en"
        return [{"code": code, "name": en_name if en else zh} for code, (zh, en_name) in sorted(CATALOG.items())]


@blp.route("/roles")
class Roles(MethodView):
    @blp.response(200, RoleSchema(many=True))
    def get(self):
        """角色及其权限、数据范围 / Roles with their permissions and data scope"""
        return [_role_dict(*_role(code)) for code in db.session.scalars(select(Role.code).order_by(Role.code))]

    @blp.arguments(RoleSchema)
    @blp.response(201, RoleSchema)
    def post(self, body):
        """新建角色 / Create a role"""
        if db.session.get(Role, body["code"]) is not None:
            raise ApiProblem(409, "conflict", "角色已存在", "role exists")
        role = Role(code=body["code"], name=body["name"])
        grant = RoleGrant(role_code=body["code"], permissions=sorted(set(body["permissions"])),
                          data_scope=body["data_scope"])
        db.session.add_all([role, grant])
        db.session.flush()
        _audit("role.create", role.code, None, _role_dict(role, grant))
        db.session.commit()
        return _role_dict(role, grant)


@blp.route("/roles/<string:code>")
class RoleItem(MethodView):
    @blp.response(200, RoleSchema)
    def get(self, code):
        """一个角色 / One role"""
        return _role_dict(*_role(code))

    @blp.arguments(RoleUpdateSchema)
    @blp.response(200, RoleSchema)
    def put(self, body, code):
        """修改角色的名称、权限和数据范围 / Change a role"""
        role, grant = _role(code)
        before = _role_dict(role, grant)
        role.name = body["name"]
        grant.permissions, grant.data_scope = sorted(set(body["permissions"])), body["data_scope"]
        db.session.add(grant)
        db.session.flush()
        _audit("role.update", code, before, _role_dict(role, grant))
        db.session.commit()
        PRINCIPALS.clear()
        return _role_dict(role, grant)


@tokens_blp.route("")
class Tokens(MethodView):
    @tokens_blp.response(200, TokenSchema(many=True))
    @tokens_blp.paginate()
    def get(self, pagination_parameters):
        """API 令牌列表（不含令牌本身） / API tokens (never the secret)"""
        statement = select(ApiToken).where(ApiToken.name != "login", ApiToken.name != "web-session")
        return page_of(statement, pagination_parameters, ApiToken.id.desc())

    @tokens_blp.arguments(TokenRequestSchema)
    @tokens_blp.response(201, NewTokenSchema)
    def post(self, body):
        """为接口调用方创建令牌（限定权限与有效期） / Create a token with scopes and an expiry"""
        user = db.session.scalars(select(User).where(User.username == body["username"])).first()
        if user is None or not user.is_active:
            raise ApiProblem(422, "validation_failed", "用户不存在或已停用", "no such active user",
                             [{"field": "username", "message": "用户不存在或已停用"}])
        token, row = issue_token(user, name=body["name"], hours=body["expires_in_days"] * 24,
                                 scopes=sorted(set(body["scopes"])))
        db.session.flush()
        record(db.session.connection(), actor=current_actor().username, action="token.create", target_type="token",
               target_id=str(row.id), before=None,
               after={"username": user.username, "name": row.name, "scopes": row.scopes,
                      "expires_at": row.expires_at.isoformat()})
        db.session.commit()
        return {"id": row.id, "user": user, "name": row.name, "scopes": row.scopes, "created_at": row.created_at,
                "expires_at": row.expires_at, "token": token}


@tokens_blp.route("/<int(max=2147483647):token_id>")
class TokenItem(MethodView):
    @tokens_blp.response(204)
    def delete(self, token_id):
        """吊销令牌（立即生效） / Revoke a token (at once)"""
        row = db.session.get(ApiToken, token_id)
        if row is None:
            raise ApiProblem(404, "not_found", "令牌不存在", "token not found")
        record(db.session.connection(), actor=current_actor().username, action="token.revoke", target_type="token",
               target_id=str(token_id), before={"name": row.name, "scopes": row.scopes}, after=None)
        db.session.delete(row)
        db.session.commit()
        PRINCIPALS.clear()

