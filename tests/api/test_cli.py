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
