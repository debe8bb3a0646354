"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via CITYBPM_TEST_DATABASE_URL),
seeded demo users, the shipped processes deployed, a virtual clock, and a real HTTP server."""
from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from api.app import create_app
from api.bootstrap import bootstrap
from api.extensions import db
from engine import clock
from tests.helpers import ApiClient

TEST_DATABASE_URL = os.environ.get("CITYBPM_TEST_DATABASE_URL")
# The tests' webhook receivers listen on loopback, which webhooks may not reach by default. Set here, not in one
# app's config, so every app a test builds (and every server it starts) agrees.
os.environ.setdefault("CITYBPM_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
# Deleted after every test, children first. Definitions, users and settings live for the session.
CASE_TABLES = ("timer", "case_pause", "notification", "delivery_attempt", "outbox_message", "case_subscription",
               "task_candidate", "task", "event", "approval_request", "task_copy", "case_document",
               "document_sequence", "case_link", "process_instance", "case_sequence", "evaluation_fact",
               "evaluation_day_count", "evaluation_passage", "evaluation_watermark")


@pytest.fixture(scope="session")
def virtual_clock():
    virtual = clock.VirtualClock()
    clock.install(virtual)
    yield virtual
    clock.install(clock.SystemClock())


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory, virtual_clock):
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'citybpm-test.sqlite3'}"
    if url.startswith("postgresql"):
        _reset_postgres(url)
    # tokens outlive the virtual clock's jumps (days at a time in deadline tests)
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "CITYBPM_ENV": "test", "TESTING": True,
                              "CITYBPM_TOKEN_HOURS": 24 * 365 * 20,
                              # every test logs in from 127.0.0.1; the rate-limit test sets its own limits
                              "CITYBPM_LOGIN_LIMIT_ADDRESS": "100000 per minute"})
    bootstrap(application, demo=True)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield app


@pytest.fixture(scope="session")
def server(app):
    """The app behind a real HTTP server (threaded, on a free loopback port), shut down cleanly."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def api(server):
    """api('sly') → an ApiClient logged in as that demo user."""
    clients: dict[str, ApiClient] = {}

    def client(username: str | None = None) -> ApiClient:
        if username is None:
            return ApiClient(server)
        if username not in clients:
            clients[username] = ApiClient(server).login(username)
        return clients[username]

    return client


@pytest.fixture(autouse=True)
def _clean_cases(request):
    """Cases, tasks and events are per test; definitions and users are per session."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        for table in CASE_TABLES:
            db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.commit()
