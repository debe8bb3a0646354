"""The database cannot be reached (down, restarting, failing over): requests answer 503 with a problem and
Retry-After, in zh-CN or English, never a 500; liveness stays up and readiness says which dependency is down."""
from __future__ import annotations

import socket

import pytest

from api.app import create_app


@pytest.fixture
def unreachable():
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://citybpm@127.0.0.1:{port}/citybpm",
                      "CITYBPM_ENV": "test", "TESTING": True, "CITYBPM_SCHEDULER": "off"})
    return app.test_client()


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/v1/tasks", None),
    ("POST", "/api/v1/cases", {"process_key": "closed_loop", "variables": {}}),
    ("POST", "/api/v1/auth/login", {"username": "sly", "password": "citybpm123"}),
])
def test_requests_answer_503_with_retry_after(unreachable, method, path, body):
    response = unreachable.open(path, method=method, json=body, headers={"Authorization": "Bearer not-checked"})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    # 5 s, or the login limiter's window when that ends later (flask-limiter keeps the later of the two)
    assert int(response.headers["Retry-After"]) >= 5
    assert response.get_json()["code"] == "database_unavailable"
    assert response.get_json()["detail"] == "数据库暂时无法访问，请稍后重试"


def test_the_message_follows_the_language_and_health_tells_live_from_ready(unreachable):
    english = unreachable.get("/api/v1/tasks", headers={"Authorization": "Bearer x", "Accept-Language": "en"})
    assert english.status_code == 503 and "cannot be reached" in english.get_json()["detail"]
    assert unreachable.get("/healthz").status_code == 200
    ready = unreachable.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"]["status"] == "down"
