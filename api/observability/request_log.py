"""Per request: a request id (taken from ``X-Request-Id`` or made up), echoed back, and one access line.

The id is what an operator greps for across the access line, the app's own log lines and a caller's bug
report. A caller's id is kept only as far as it is safe to log and to send back in a header: letters, digits and
``._:-``, at most 64 characters; anything else leaves, and an empty result means a fresh id.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from api.observability.logs import REQUEST_ID

HEADER = "X-Request-Id"
MAX_LENGTH = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._:\-]")
# Load balancers ask these every few seconds: their lines would drown the rest at INFO.
PROBE_PATHS = ("/healthz", "/readyz")

access_log = logging.getLogger("citybpm.access")


def request_id_from(header: str | None) -> str:
    cleaned = _UNSAFE.sub("", header or "")[:MAX_LENGTH]
    return cleaned or uuid.uuid4().hex


def elapsed_seconds() -> float | None:
    started = g.get("observability_started")
    return None if started is None else time.perf_counter() - started


def init_app(app: Flask, *, access_lines: bool) -> None:
    # First of all before_request hooks: an answer from the rate limiter or the auth hook still gets its id.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[HEADER] = request_id
        if access_lines:
            _log_access(response)
        return response

    app.teardown_request(_end)


def _begin() -> None:
    g.observability_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(HEADER))
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _end(_exc) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            REQUEST_ID.reset(token)
        except ValueError:  # set in another context (a streamed response finishing elsewhere): let it go
            REQUEST_ID.set(None)


def _log_access(response) -> None:
    seconds = elapsed_seconds()
    principal = g.get("principal")
    level = logging.DEBUG if request.path in PROBE_PATHS else logging.INFO
    access_log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
        "method": request.method,
        "path": request.path,  # without the query string: it may hold personal data
        "route": request.url_rule.rule if request.url_rule else None,
        "status": response.status_code,
        "duration_ms": None if seconds is None else round(seconds * 1000, 2),
        "user": principal.actor.username if principal is not None else None,
        "remote_addr": request.remote_addr,
    })
