"""The observability settings: app config first (create_app overrides), then the environment.

They live here rather than in api/config.py so the package stays self-contained; each has a safe default.
"""
from __future__ import annotations

import os

LOG_FORMATS = ("json", "text")


def setting(config, name: str, default: str | None = None, environ=os.environ) -> str | None:
    value = config.get(name) if name in config else environ.get(name)
    return default if value in (None, "") else str(value)


def log_format(config=None, environ=os.environ) -> str:
    """``CITYBPM_LOG_FORMAT``: json or text; json by default in production, text elsewhere."""
    config = config or {}
    env = setting(config, "CITYBPM_ENV", "development", environ)
    wanted = setting(config, "CITYBPM_LOG_FORMAT", "json" if env == "production" else "text", environ).lower()
    if wanted not in LOG_FORMATS:
        raise ValueError(f"CITYBPM_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {wanted!r}")
    return wanted


def json_logs_wanted(environ=os.environ) -> bool:
    """For the gunicorn options, decided before any app exists: only the environment counts."""
    return log_format({}, environ) == "json"
