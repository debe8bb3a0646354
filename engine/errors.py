"""Errors the engine raises for callers to turn into answers (the API: problem+json)."""
from __future__ import annotations


class EngineError(Exception):
    code = "engine.error"
    status = 400

    def __init__(self, message_zh: str, message_en: str, **details):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details


# The optimistic lock lost: another command committed this case first.
CASE_CHANGED = ("案件已被他人更新，请刷新后重试", "the case was changed by someone else; reload and retry")


class NotFound(EngineError):
    code = "not_found"
    status = 404


class Conflict(EngineError):
    """Someone else changed the case first (optimistic lock), or the task is no longer open."""

    code = "conflict"
    status = 409


class Forbidden(EngineError):
    code = "forbidden"
    status = 403


class InvalidData(EngineError):
    """Submitted data fails the form: ``field_errors`` maps field key → message."""

    code = "validation_failed"
    status = 422

    def __init__(self, field_errors: dict[str, str], field_errors_en: dict[str, str] | None = None):
        super().__init__("提交的数据未通过校验", "the submitted data is invalid")
        self.field_errors = field_errors
        self.field_errors_en = field_errors_en or field_errors


class ProcessError(EngineError):
    """The process itself failed while running (a bad expression at run time)."""

    code = "process_error"
    status = 422
