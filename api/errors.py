"""Every error leaves as ``application/problem+json``: a stable code, a message, field errors."""
from __future__ import annotations

import logging

from flask import Flask, json
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from api.i18n import language, pick, translate_marshmallow
from engine.errors import EngineError, InvalidData
from engine.problems import DeploymentRejected

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://citybpm.dev/problems/"

HTTP_MESSAGES = {
    400: ("请求格式有误", "bad request"),
    401: ("未登录或登录已过期", "authentication required"),
    403: ("没有权限执行此操作", "forbidden"),
    404: ("资源不存在", "not found"),
    405: ("不支持此请求方法", "method not allowed"),
    409: ("操作冲突，请刷新后重试", "conflict"),
    413: ("上传内容过大", "request entity too large"),
    415: ("不支持的内容类型", "unsupported media type"),
    422: ("请求数据未通过校验", "the request data is invalid"),
    429: ("请求过于频繁", "too many requests"),
    500: ("服务器内部错误", "internal server error"),
}

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "validation_failed", 429: "rate_limited", 500: "internal_error"}


class ApiProblem(Exception):
    """Raised by views for an answer with a code and bilingual message."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str, errors=None, headers=None):
        super().__init__(message_en)
        self.status, self.code = status, code
        self.message_zh, self.message_en = message_zh, message_en
        self.errors = errors or []
        self.headers = headers or {}


def problem(status: int, code: str, message: str, errors=None, headers=None):
    body = {"type": PROBLEM_TYPE + code, "title": message, "status": status, "code": code, "detail": message}
    if errors:
        body["errors"] = errors
    response = Flask.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                    mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages, path=""):
    """webargs nests messages by location and field: turn them into a flat list."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if key in ("json", "query", "form", "files", "headers", "view_args") and not path:
                out += _flatten(value, "")
            else:
                out += _flatten(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": path or None, "message": translate_marshmallow(m)} for m in messages]
    if isinstance(messages, list):
        return [e for i, m in enumerate(messages) for e in _flatten(m, f"{path}.{i}")]
    return [{"field": path or None, "message": translate_marshmallow(str(messages))}]


def register(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _api_problem(exc: ApiProblem):
        return problem(exc.status, exc.code, pick(exc.message_zh, exc.message_en), exc.errors, exc.headers)

    @app.errorhandler(InvalidData)
    def _invalid(exc: InvalidData):
        fields = exc.field_errors_en if language() == "en" else exc.field_errors
        errors = [{"field": key, "message": message} for key, message in fields.items()]
        return problem(422, exc.code, pick(exc.message_zh, exc.message_en), errors)

    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError):
        return problem(exc.status, exc.code, pick(exc.message_zh, exc.message_en))

    @app.errorhandler(DeploymentRejected)
    def _rejected(exc: DeploymentRejected):
        errors = [p.to_dict(language()) for p in exc.problems]
        return problem(422, "deployment_rejected",
                       pick(f"流程部署被拒绝：发现 {len(errors)} 个问题",
                            f"deployment rejected: {len(errors)} problem(s)"),
                       errors)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        zh, en = HTTP_MESSAGES.get(status, (exc.name, exc.name))
        errors = None
        data = getattr(exc, "data", None) or {}
        if data.get("messages"):
            errors = _flatten(data["messages"])
        headers = dict(exc.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        return problem(status, HTTP_CODES.get(status, "http_error"), pick(zh, en), errors, headers)

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError):
        """The database cannot be reached or is too busy (down, restarting, a connection dropped mid-statement,
        SQLite locked past its timeout): the request changed nothing and may be retried, so 503, not 500."""
        if not (isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated):
            return _unexpected(exc)
        log.error("database unavailable: %s", str(exc.orig).strip().splitlines()[0] if exc.orig else exc)
        return problem(503, "database_unavailable", pick("数据库暂时无法访问，请稍后重试",
                                                         "the database cannot be reached at the moment; "
                                                         "retry shortly"), headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        zh, en = HTTP_MESSAGES[500]
        return problem(500, "internal_error", pick(zh, en))
