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
