"""Bearer-token authentication on every endpoint; tokens are stored hashed."""
from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from api.errors import ApiProblem
from api.extensions import db
from engine import clock
from engine.identity import Actor, ApiToken, User

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌 / Login and tokens")

PUBLIC_PATHS = ("/api/v1/auth/login", "/api/v1/openapi.json", "/api/docs", "/api/docs-assets/")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "login", hours: float | None = None) -> tuple[str, ApiToken]:
    token = "cb_" + secrets.token_urlsafe(32)
    now = clock.now()
    hours = current_app.config["CITYBPM_TOKEN_HOURS"] if hours is None else hours
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name, scopes=["*"],
                   created_at=now, expires_at=now + _dt.timedelta(hours=hours))
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


class PrincipalCache:
    """A few seconds of memory per token: saves three queries on every request.

    Disabling a user or revoking a token takes effect within ``ttl`` seconds.
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
    return Principal(row.user.id, row.user.actor(), row.user.display_name, row.expires_at)


def authenticate() -> None:
    """before_request hook: every /api/v1 path but login and the docs needs a valid bearer token."""
    path = request.path
    if not path.startswith("/api/") or path.startswith(PUBLIC_PATHS) or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized()
    token_hash = hash_token(token.strip())
    principal = PRINCIPALS.get(token_hash)
    if principal is None:
        principal = _load_principal(token_hash)
        if principal is None:
            raise _unauthorized("令牌无效", "invalid token")
        PRINCIPALS.put(token_hash, principal)
    if principal.expires_at is not None and principal.expires_at <= clock.now():
        raise _unauthorized("令牌已过期，请重新登录", "token expired")
    g.principal = principal
    g.actor = principal.actor


def current_actor() -> Actor:
    return g.actor


def require_role(*roles: str) -> None:
    if not set(roles) & set(g.actor.roles):
        raise ApiProblem(403, "forbidden", "没有权限执行此操作", "you are not allowed to do this")


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class UserSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    orgs = fields.List(fields.String())


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserSchema)


def user_dict(user: User) -> dict:
    return _principal_dict(user.actor(), user.display_name)


def _principal_dict(actor: Actor, display_name: str) -> dict:
    return {"username": actor.username, "display_name": display_name,
            "roles": sorted(actor.roles), "orgs": sorted(actor.orgs)}


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """登录，换取访问令牌 / Log in for a bearer token"""
        user = db.session.scalars(select(User).where(User.username == body["username"])).first()
        # Always run the hash check so timing does not reveal which usernames exist.
        valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, body["password"])
        if user is None or not valid or not user.is_active:
            raise ApiProblem(401, "invalid_credentials", "用户名或密码错误", "wrong username or password")
        token, row = issue_token(user)
        db.session.commit()
        return {"token": token, "token_type": "Bearer", "expires_at": row.expires_at, "user": user_dict(user)}


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    def get(self):
        """当前用户 / The current user"""
        return _principal_dict(g.actor, g.principal.display_name)


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
