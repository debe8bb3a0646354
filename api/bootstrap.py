"""Bringing a database up to date: migrations, roles, shipped processes and (optionally) demo data.

One sequence for `citybpm setup`, the test suite and the benchmarks.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from flask_migrate import upgrade

from api.extensions import db
from api.seed import (DEMO_CATEGORY_LIMITS, STAGE_LIMITS, seed_demo_users, seed_orgs, seed_roles,
                      seed_time_limits)
from engine import clock
from engine.calendar_store import seed_default_calendar
from engine.catalog import seed_demo_catalog
from engine.deployment import SourceFile
from forms import store
from forms.definitions import list_forms, load_form


def publish_shipped_forms() -> list[tuple[str, int, bool]]:
    """The forms shipped in forms/definitions: published as a new version when their content changed."""
    results = []
    for key in list_forms():
        row, created = store.publish_shipped(db.session, key, load_form(key))
        results.append((key, row.version, created))
    db.session.commit()
    return results


def deploy_directory(directory: str) -> list[tuple[str, int, bool]]:
    """Deploy each shipped ``*.bpmn`` (with the DMN files beside it) under its process id."""
    engine = current_app.extensions["citybpm_engine"]
    results = []
    folder = Path(directory)
    dmn_files = [SourceFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.dmn"))]
    for path in sorted(folder.glob("*.bpmn")):
        files = [SourceFile(path.name, path.read_bytes())] + dmn_files
        definition, created = engine.deploy(db.session, files, key=path.stem, deployed_by="system",
                                            form_exists=lambda key: store.form_exists(db.session, key))
        results.append((definition.key, definition.version, created))
    db.session.commit()
    return results


def seed_demo() -> int:
    seed_time_limits(db.session, DEMO_CATEGORY_LIMITS)
    seed_orgs(db.session)
    seed_demo_catalog(db.session)
    created = seed_demo_users(db.session)
    db.session.commit()
    return created


def bootstrap(app: Flask, *, demo: bool) -> list[tuple[str, int, bool]]:
    """Upgrade in place, seed roles, deploy processes/, and with ``demo`` the demo organisations and users."""
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        seed_roles(db.session)
        seed_time_limits(db.session, STAGE_LIMITS)
        this_year = clock.now().year
        seed_default_calendar(db.session, range(this_year - 1, this_year + 2))
        db.session.commit()
        if demo:
            if app.config["CITYBPM_ENV"] == "production":
                raise RuntimeError("demo users are never seeded in production (CITYBPM_ENV=production)")
            seed_demo()
        publish_shipped_forms()
        return deploy_directory(app.config["PROCESSES_DIR"])
