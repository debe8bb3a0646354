"""Who is calling, and may they: bearer tokens or a web session, then the permission the operation needs.

- API callers send ``Authorization: Bearer <token>``; tokens are stored as SHA-256 digests, carry
  scopes (a subset of their user's permissions) and expire.
- The web logs in at ``/api/v1/auth/session``: a signed, HttpOnly session cookie, and every change
  made with it must echo the session's CSRF token in ``X-CSRF-Token``.
- Login attempts are rate-limited per account (failures) and per address (flask-limiter; Redis
  storage when ``CITYBPM_REDIS_URL`` is set).
- Every ``/api/v1`` operation needs the permission api.permissions assigns to it; its data scope
  narrows what lists and lookups return (api.visibility).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from flask import current_app, g, request, session
from flask.views import MethodView
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from api.errors import ApiProblem
from api.extensions import db
from api.permissions import PUBLIC_ENDPOINTS, UnknownEndpoint, permission_for
from engine import clock
from engine.identity import Actor, ApiToken, User
from engine.rbac import grants_for

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌 / Login and tokens")
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

DOC_PATHS = ("/api/v1/openapi.json", "/api/docs", "/api/docs-assets/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "login", hours: float | None = None,
                scopes: list[str] | None = None) -> tuple[str, ApiToken]:
    token = "cb_" + secrets.token_urlsafe(32)
    now = clock.now()
    hours = current_app.config["CITYBPM_TOKEN_HOURS"] if hours is None else hours
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name, scopes=scopes or ["*"],
                   created_at=now, expires_at=now + _dt.timedelta(hours=hours) if hours else None)
    db.session.add(row)
    return token, row


def _unauthorized(zh="未登录或登录已过期", en="authentication required"):
    return ApiProblem(401, "unauthorized", zh, en)


@dataclass(frozen=True)
class Principal:
    """What a valid token stands for, as cached between requests."""

    user_id: int
    actor: Actor
    display_name: str
    expires_at: _dt.datetime | None
    permissions: frozenset[str]  # the user's, narrowed by the token's scopes
    scope: str                   # data scope: self | org | org_tree | all


class PrincipalCache:
    """A few seconds of memory per token: saves the lookups on every request.

    Disabling a user, changing roles or revoking a token takes effect within ``ttl`` seconds
    (at once in this process: those operations call ``clear``).
    """

    def __init__(self, ttl: float = 5.0, capacity: int = 10_000):
        self.ttl, self.capacity = ttl, capacity
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Principal | None:
        with self._lock:
            found = self._items.get(token_hash)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, token_hash: str, principal: Principal) -> None:
        with self._lock:
            if len(self._items) >= self.capacity:
                self._items.clear()
            self._items[token_hash] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


PRINCIPALS = PrincipalCache()


def _load_principal(token_hash: str) -> Principal | None:
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()
    if row is None or not row.user.is_active:
        return None
    actor = row.user.actor()
    permissions, scope = grants_for(db.session.connection(), actor.roles)
    if "*" not in (row.scopes or []):
        permissions = permissions & frozenset(row.scopes or [])
    return Principal(row.user.id, actor, row.user.display_name, row.expires_at, permissions, scope)


def _principal_for(token: str) -> Principal:
    token_hash = hash_token(token)
    principal = PRINCIPALS.get(token_hash)
    if principal is None:
        principal = _load_principal(token_hash)
        if principal is None:
            raise _unauthorized("令牌无效", "invalid token")
        PRINCIPALS.put(token_hash, principal)
    if principal.expires_at is not None and principal.expires_at <= clock.now():
        raise _unauthorized("令牌已过期，请重新登录", "token expired")
    return principal


def authenticate() -> None:
    """before_request: identify the caller of every /api/v1 operation but the public ones, then authorise."""
    if not request.path.startswith("/api/") or request.path.startswith(DOC_PATHS) or request.method == "OPTIONS":
        return
    endpoint = request.url_rule.endpoint if request.url_rule else None
    if endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        principal = _principal_for(token.strip())
    elif session.get("token"):
        principal = _principal_for(session["token"])
        if request.method not in SAFE_METHODS and not _csrf_ok():
            raise ApiProblem(403, "csrf_failed", "请求缺少有效的 CSRF 令牌（X-CSRF-Token）",
                             "missing or wrong CSRF token (X-CSRF-Token)")
    else:
        raise _unauthorized()
    g.principal, g.actor = principal, principal.actor
    if endpoint is not None:
        _authorize(endpoint, request.method, principal)


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.headers.get("X-CSRF-Token", "")
    return bool(expected) and hmac.compare_digest(expected, given)


def _authorize(endpoint: str, method: str, principal: Principal) -> None:
    try:
        needed = permission_for(endpoint, method)
    except UnknownEndpoint:
        needed = "__unlisted__"  # deny by default
    if needed is not None and needed not in principal.permissions:
        raise ApiProblem(403, "forbidden", "没有权限执行此操作", "you are not allowed to do this")


def current_actor() -> Actor:
    return g.actor


def current_principal() -> Principal:
    return g.principal


def require_role(*roles: str) -> None:
    """Kept for endpoints not yet moved to permissions: the role check on top of the permission."""
    if not set(roles) & set(g.actor.roles):
        raise ApiProblem(403, "forbidden", "没有权限执行此操作", "you are not allowed to do this")


# ----------------------------------------------------------------------------- login


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class UserSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    orgs = fields.List(fields.String())
    permissions = fields.List(fields.String())
    data_scope = fields.String()


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserSchema)


class SessionSchema(Schema):
    csrf_token = fields.String(metadata={"description": "每个修改请求都须在 X-CSRF-Token 头中带上"})
    expires_at = fields.DateTime()
    user = fields.Nested(UserSchema)


def _account_key() -> str:
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}  # a JSON array or number is refused later, not here
    return f"account:{str(body.get('username', ''))[:100]}"


def _account_limit() -> str:
    return current_app.config["CITYBPM_LOGIN_LIMIT_ACCOUNT"]


def _address_limit() -> str:
    return current_app.config["CITYBPM_LOGIN_LIMIT_ADDRESS"]


def _failed(response) -> bool:
    return response.status_code != 200


def _check_password(body) -> User:
    user = db.session.scalars(select(User).where(User.username == body["username"])).first()
    # Always run the hash check so timing does not reveal which usernames exist.
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, body["password"])
    if user is None or not valid or not user.is_active:
        raise ApiProblem(401, "invalid_credentials", "用户名或密码错误", "wrong username or password")
    return user


def user_dict(user: User) -> dict:
    actor = user.actor()
    permissions, scope = grants_for(db.session.connection(), actor.roles)
    return _principal_dict(actor, user.display_name, permissions, scope)


def _principal_dict(actor: Actor, display_name: str, permissions, scope: str) -> dict:
    return {"username": actor.username, "display_name": display_name, "roles": sorted(actor.roles),
            "orgs": sorted(actor.orgs), "permissions": sorted(permissions), "data_scope": scope}


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit(_account_limit, key_func=_account_key, deduct_when=_failed),
                  limiter.limit(_address_limit)]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """登录，换取访问令牌（按账号、按地址限速） / Log in for a bearer token (rate-limited)"""
        user = _check_password(body)
        token, row = issue_token(user)
        db.session.commit()
        return {"token": token, "token_type": "Bearer", "expires_at": row.expires_at, "user": user_dict(user)}


@blp.route("/session")
class Session(MethodView):
    decorators = [limiter.limit(_account_limit, key_func=_account_key, deduct_when=_failed),
                  limiter.limit(_address_limit)]

    @blp.arguments(LoginSchema)
    @blp.response(200, SessionSchema)
    def post(self, body):
        """网页登录：会话 Cookie + CSRF 令牌 / Web login: a session cookie and a CSRF token"""
        user = _check_password(body)
        token, row = issue_token(user, name="web-session")
        db.session.commit()
        session.clear()
        session.permanent = True
        session["token"], session["csrf"] = token, secrets.token_urlsafe(24)
        return {"csrf_token": session["csrf"], "expires_at": row.expires_at, "user": user_dict(user)}

    @blp.response(204)
    def delete(self):
        """退出登录 / Log out"""
        token = session.get("token")
        if token:
            db.session.execute(ApiToken.__table__.delete().where(ApiToken.token_hash == hash_token(token)))
            db.session.commit()
            PRINCIPALS.clear()
        session.clear()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    def get(self):
        """当前用户、权限与数据范围 / The current user, permissions and data scope"""
        principal = g.principal
        return _principal_dict(principal.actor, principal.display_name, principal.permissions, principal.scope)


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
