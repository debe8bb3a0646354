"""人员配置: people, posts, roles, memberships, enable/disable, passwords and 离职转办 (hand-over)."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from api.auth import PRINCIPALS, current_actor, require_role
from api.extensions import db
from api.pagination import page_of
from api.strict_fields import StrictBoolean
from engine import org_service, user_service
from engine.audit import Who
from engine.identity import Membership, Org, User, UserRole

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="人员配置 / People")

ADMIN = ("admin",)
USER = "<string:username>"
PHONE = validate.Regexp(r"^\+?[0-9][0-9 -]{2,29}$", error="电话号码格式不正确")
EMAIL = validate.Email(error="邮箱格式不正确")
PASSWORD_HELP = f"至少 {user_service.PASSWORD_MIN_LENGTH} 位，须同时包含字母和数字"


class MembershipSchema(Schema):
    org = fields.String(required=True, validate=validate.Length(min=1, max=40))
    org_name = fields.String(dump_only=True)
    is_primary = StrictBoolean(load_default=False, metadata={"description": "主机构（只能有一个；都未标记时第一个为主）"})


class PersonSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    post = fields.String(allow_none=True, metadata={"description": "岗位"})
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    is_active = fields.Boolean()
    created_at = fields.DateTime(allow_none=True)
    roles = fields.List(fields.String())
    memberships = fields.List(fields.Nested(MembershipSchema))
    primary_org = fields.String(allow_none=True)


class OpenTasksSchema(Schema):
    assigned = fields.Integer(metadata={"description": "已签收（指派）给此人的待办"})
    candidate = fields.Integer(metadata={"description": "按人名作为候选人的待办"})


class PersonDetailSchema(PersonSchema):
    open_tasks = fields.Nested(OpenTasksSchema, metadata={"description": "停用或离职前先转办这些任务"})


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(user_service.USERNAME_PATTERN))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128),
                             metadata={"description": PASSWORD_HELP})
    post = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    email = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=200), EMAIL])
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                        validate=validate.Length(max=50))
    memberships = fields.List(fields.Nested(MembershipSchema), load_default=list, validate=validate.Length(max=50))
    is_active = StrictBoolean(load_default=True)


class UserUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    post = fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, validate=PHONE)
    email = fields.String(allow_none=True, validate=[validate.Length(max=200), EMAIL])


class RolesSchema(Schema):
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                        validate=validate.Length(max=50))


class MembershipsSchema(Schema):
    memberships = fields.List(fields.Nested(MembershipSchema), required=True, validate=validate.Length(max=50))


class PasswordResetSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128),
                             metadata={"description": PASSWORD_HELP})


class HandOverSchema(Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"description": "接手人"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class HandOverResultSchema(Schema):
    transferred = fields.Integer(metadata={"description": "转办的任务数"})


class UserListQuerySchema(Schema):
    org = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "属于该机构"})
    under = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "属于该机构或其下级"})
    role = fields.String(validate=validate.Length(min=1, max=40))
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "用户名或姓名包含"})


def _who() -> Who:
    return Who(current_actor().username, request.remote_addr)


def _org_names(users) -> dict[str, str]:
    codes = sorted({m.org_code for u in users for m in u.memberships})
    if not codes:
        return {}
    return dict(db.session.execute(select(Org.code, Org.name).where(Org.code.in_(codes))).all())


def _dump(users) -> list[dict]:
    names = _org_names(users)
    return [{"username": u.username, "display_name": u.display_name, "post": u.post, "phone": u.phone,
             "email": u.email, "is_active": u.is_active, "created_at": u.created_at,
             "roles": sorted(r.role_code for r in u.roles), "primary_org": u.primary_org,
             "memberships": [{"org": m.org_code, "org_name": names.get(m.org_code), "is_primary": bool(m.is_primary)}
                             for m in u.memberships]} for u in users]


def _detail(user: User) -> dict:
    return dict(_dump([user])[0], open_tasks=user_service.open_task_counts(db.session.connection(), user.username))


def _changed(user: User) -> dict:
    """Commit, drop cached principals (a disabled user's token, changed roles or organisations act at once in
    this process; other processes follow within the cache's few seconds), answer with the fresh detail."""
    db.session.commit()
    PRINCIPALS.clear()
    db.session.refresh(user)
    return _detail(user)


@blp.route("")
class UserList(MethodView):
    @blp.arguments(UserListQuerySchema, location="query")
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """人员列表，可按机构（含下级）、角色、启用状态筛选 / People, filtered by organisation, role, state"""
        statement = select(User)
        if "org" in query:
            statement = statement.where(exists(select(Membership.id).where(
                Membership.user_id == User.id, Membership.org_code == query["org"])))
        if "under" in query:
            path = org_service.get_org(db.session, query["under"]).path
            statement = statement.where(exists(select(Membership.id).where(
                Membership.user_id == User.id, org_service.within(Membership.org_code, [path]))))
        if "role" in query:
            statement = statement.where(exists(select(UserRole.id).where(
                UserRole.user_id == User.id, UserRole.role_code == query["role"])))
        if "active" in query:
            statement = statement.where(User.is_active.is_(query["active"]))
        if "q" in query:
            statement = statement.where(or_(User.username.contains(query["q"], autoescape=True),
                                            User.display_name.contains(query["q"], autoescape=True)))
        return _dump(page_of(statement, pagination_parameters, User.username))

    @blp.arguments(UserCreateSchema)
    @blp.response(201, PersonDetailSchema)
    def post(self, body):
        """新建人员 / Create a person"""
        require_role(*ADMIN)
        try:
            user = user_service.create_user(db.session, _who(), **body)
            db.session.commit()
        except IntegrityError:  # the same username created concurrently
            db.session.rollback()
            raise user_service.UserExists(body["username"]) from None
        return _detail(user)


@blp.route(f"/{USER}")
class OneUser(MethodView):
    @blp.response(200, PersonDetailSchema)
    def get(self, username):
        """一个人员（含待办数） / One person, with their open-task counts"""
        return _detail(user_service.get_user(db.session, username))

    @blp.arguments(UserUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, PersonDetailSchema)
    def patch(self, body, username):
        """修改姓名、岗位、电话（同时作为短信号码）、邮箱 / Change name, post, phone (also the sms address), email"""
        require_role(*ADMIN)
        return _changed(user_service.update_user(db.session, _who(), username, **body))


@blp.route(f"/{USER}/disable")
class Disable(MethodView):
    @blp.response(200, PersonDetailSchema)
    def post(self, username):
        """停用：不能再登录，已有令牌立即失效；待办不动（请用离职转办） / Disable: no login, tokens refused"""
        require_role(*ADMIN)
        return _changed(user_service.set_active(db.session, _who(), username, False))


@blp.route(f"/{USER}/enable")
class Enable(MethodView):
    @blp.response(200, PersonDetailSchema)
    def post(self, username):
        """启用 / Enable"""
        require_role(*ADMIN)
        return _changed(user_service.set_active(db.session, _who(), username, True))


@blp.route(f"/{USER}/roles")
class Roles(MethodView):
    @blp.arguments(RolesSchema)
    @blp.response(200, PersonDetailSchema)
    def put(self, body, username):
        """设置角色（整体替换） / Replace the person's roles"""
        require_role(*ADMIN)
        return _changed(user_service.set_roles(db.session, _who(), username, body["roles"]))


@blp.route(f"/{USER}/memberships")
class Memberships(MethodView):
    @blp.arguments(MembershipsSchema)
    @blp.response(200, PersonDetailSchema)
    def put(self, body, username):
        """设置所属机构（可多个，一个为主；整体替换） / Replace the person's organisations"""
        require_role(*ADMIN)
        return _changed(user_service.set_memberships(db.session, _who(), username, body["memberships"]))


@blp.route(f"/{USER}/password")
class Password(MethodView):
    @blp.arguments(PasswordResetSchema)
    @blp.response(204)
    def post(self, body, username):
        """重置密码（管理员） / Reset a password (admin)"""
        require_role(*ADMIN)
        user_service.reset_password(db.session, _who(), username, body["password"])
        db.session.commit()


@blp.route(f"/{USER}/hand-over")
class HandOver(MethodView):
    @blp.arguments(HandOverSchema)
    @blp.response(200, HandOverResultSchema)
    def post(self, body, username):
        """离职转办：此人的全部待办（已签收的、按人名候选的）一次转给另一人，逐条记录 / Hand over all open tasks"""
        require_role(*ADMIN)
        transferred = user_service.hand_over(db.session, username, body["to"], _who(), body["reason"])
        db.session.commit()
        return {"transferred": transferred}
