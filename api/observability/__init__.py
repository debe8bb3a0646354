"""What operators see: probes (/healthz, /readyz), structured logs with a request id, Prometheus /metrics.

``init_app(app)`` wires all three into an app; see the modules for each:
health (probes), logs + request_log (JSON lines, X-Request-Id), metrics + engine_events + scrape (/metrics).
"""
from __future__ import annotations

from flask import Flask

from api.observability import health, metrics, request_log, scrape
from api.observability.logs import quiet_chatty_libraries, use_json_logs
from api.observability.options import log_format


def init_app(app: Flask) -> None:
    json_logs = log_format(app.config) == "json"
    quiet_chatty_libraries()
    if json_logs:
        use_json_logs()
    # in JSON mode the access line is ours (with the request id); gunicorn's is switched off (api/server.py)
    request_log.init_app(app, access_lines=json_logs)
    metrics.init_app(app)
    scrape.init_app(app)
    health.init_app(app)
