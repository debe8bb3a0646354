"""Structured logs: one JSON object per line, carrying the request id of the request that logged it.

Plain stdlib logging: a Formatter and a Filter put on the handlers that write to the console. The request id
lives in a contextvar (set by api.observability.request_log), so records from any logger — ours, SQLAlchemy's,
the engine's — carry it while a request runs in that thread.
"""
from __future__ import annotations

import contextvars
import datetime as _dt
import json
import logging

# Below WARNING in either log format: SpiffWorkflow logs every task state change at INFO with the task's data as
# extras (a JSON line writes them out whole, that is reporters' phone numbers and addresses) — about a hundred lines
# per closed-loop case, which cost the server a tenth of its time per case — and APScheduler logs four lines of job
# bookkeeping per scheduler wake-up. Their warnings still come through.
QUIET_LOGGERS = ("spiff", "apscheduler")

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("citybpm_request_id", default=None)

# Every attribute a bare LogRecord has: anything else on a record came from ``extra=`` and is written out.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _dt.datetime.fromtimestamp(record.created, _dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an odd extra (a datetime, an object) must not cost the line
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def quiet_chatty_libraries() -> None:
    """QUIET_LOGGERS to WARNING, unless a level was set for them already (someone debugging SpiffWorkflow)."""
    for name in QUIET_LOGGERS:
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)


def use_json_logs() -> None:
    """Switch the console handlers to JSON (idempotent).

    The root logger's plain StreamHandlers (``citybpm``'s basicConfig) and gunicorn's error log handlers get the
    JSON formatter; with no console handler at all (``gunicorn api.wsgi:app``) one is added at INFO. Subclasses
    of StreamHandler (file handlers, pytest's capture) are left as they are.
    """
    root = logging.getLogger()
    handlers = [h for h in root.handlers if type(h) is logging.StreamHandler]
    if not handlers:
        handler = logging.StreamHandler()
        root.addHandler(handler)
        handlers.append(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
    quiet_chatty_libraries()
    handlers += [h for h in logging.getLogger("gunicorn.error").handlers if type(h) is logging.StreamHandler]
    for handler in handlers:
        if not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
