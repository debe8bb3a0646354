"""The set-up commands behind `make run`."""
from __future__ import annotations

from api.cli import main


def test_demo_users_are_never_seeded_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_ENV", "production")
    result = app.test_cli_runner().invoke(main, ["seed-demo"])
    assert result.exit_code != 0
    assert "never seeded in production" in result.output


def test_redeploying_unchanged_processes_keeps_versions(app):
    result = app.test_cli_runner().invoke(main, ["deploy-processes"])
    assert result.exit_code == 0, result.output
    assert "closed_loop: v1 unchanged" in result.output


def test_simulate_fast_forwards_a_demo_day(app, tmp_path):
    from engine import clock

    before = clock.current()
    url = f"sqlite:///{tmp_path / 'simulation.sqlite3'}"
    result = app.test_cli_runner().invoke(main, ["simulate", "--reports", "6", "--seed", "3", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "上报 6 件" in result.output
    assert "task.created=" in result.output and "task.completed=" in result.output
    assert clock.current() is before  # the test suite's clock is back in place


def test_create_admin_gives_a_production_installation_its_first_login(app, tmp_path):
    from api.app import create_app
    from api.extensions import db
    from tests.helpers import give_back_process_state

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite3'}",
                        "CITYBPM_ENV": "production", "SECRET_KEY": "a-production-secret", "TESTING": True})
    try:
        runner = fresh.test_cli_runner()
        assert runner.invoke(main, ["setup"]).exit_code == 0
        client = fresh.test_client()
        assert client.post("/api/v1/auth/login", json={"username": "admin", "password": "citybpm123"}
                           ).status_code == 401  # no demo users in production: nobody could log in

        result = runner.invoke(main, ["create-admin", "--username", "ops1", "--password-stdin"],
                               input="Str0ng-passw0rd!\n")
        assert result.exit_code == 0, result.output
        login = client.post("/api/v1/auth/login", json={"username": "ops1", "password": "Str0ng-passw0rd!"})
        assert login.status_code == 200, login.get_json()
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {login.get_json()['token']}"})
        assert "admin" in me.get_json()["roles"]

        again = runner.invoke(main, ["create-admin", "--username", "ops1", "--password-stdin"],
                              input="Other-passw0rd!\n")
        assert again.exit_code != 0 and "ops1" in again.output
        weak = runner.invoke(main, ["create-admin", "--username", "ops2", "--password-stdin"], input="123\n")
        assert weak.exit_code != 0 and "password" in weak.output
    finally:
        give_back_process_state(app, fresh)
        with fresh.app_context():
            db.engine.dispose()
