"""Bringing a database up to date: migrations, roles, shipped processes and (optionally) demo data.

One sequence for `citybpm setup`, the test suite and the benchmarks.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import select

from api.extensions import db
from api.seed import (DEMO_CATEGORY_LIMITS, STAGE_LIMITS, seed_demo_users, seed_orgs, seed_roles,
                      seed_time_limits)
from engine import clock
from engine.calendar_store import seed_default_calendar
from engine.catalog import seed_demo_catalog
from engine.deployment import SourceFile, content_sha256
from engine.models import Definition
from engine.enforcement.documents import seed_document_types
from engine.enforcement.law_seed import seed_demo_laws
from engine.xmlsafe import parse_xml
from forms import store
from forms.definitions import list_forms, load_form

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def publish_shipped_forms() -> list[tuple[str, int, bool]]:
    """The forms shipped in forms/definitions: published as a new version when their content changed."""
    results = []
    for key in list_forms():
        row, created = store.publish_shipped(db.session, key, load_form(key))
        results.append((key, row.version, created))
    db.session.commit()
    return results


def deploy_directory(directory: str) -> list[tuple[str, int, bool]]:
    """Deploy each shipped top-level ``*.bpmn`` under its file stem, with the files defining the processes
    it calls (call activities, transitively) and the DMN files beside it. A file only other files call (a
    dispatch variant) is part of its callers, not a definition of its own: changing it makes a new
    version of every caller (the sha covers all files). Files deployed once before are not deployed
    again: a version saved later through the API (edited dispatch rules) stays the current one."""
    engine = current_app.extensions["citybpm_engine"]
    results = []
    folder = Path(directory)
    dmn_files = [SourceFile(p.name, p.read_bytes()) for p in sorted(folder.glob("*.dmn"))]
    bpmn = {p.name: p.read_bytes() for p in sorted(folder.glob("*.bpmn"))}
    calls = called_files(bpmn)
    called = set().union(*calls.values()) if calls else set()
    for name in bpmn:
        if name in called:
            continue
        files = [SourceFile(name, bpmn[name])] + [SourceFile(n, bpmn[n]) for n in sorted(calls[name])] + dmn_files
        earlier = _deployed_before(Path(name).stem, content_sha256(files))
        if earlier is not None:
            # shipped files unchanged since they were deployed; a later version (e.g. dispatch rules an
            # admin saved) stays the current one
            results.append((earlier.key, earlier.version, False))
            continue
        definition, created = engine.deploy(db.session, files, key=Path(name).stem, deployed_by="system",
                                            form_exists=lambda key: store.form_exists(db.session, key))
        results.append((definition.key, definition.version, created))
    db.session.commit()
    return results


def _deployed_before(key: str, sha: str) -> Definition | None:
    return db.session.scalars(select(Definition).where(Definition.key == key, Definition.sha256 == sha)
                              .order_by(Definition.version.desc()).limit(1)).first()


def called_files(bpmn: dict[str, bytes]) -> dict[str, set[str]]:
    """file name → the other files whose processes it calls, directly or through them."""
    defines, direct = {}, {}
    for name, content in bpmn.items():
        root = parse_xml(content)
        for process_id in root.xpath("//bpmn:process/@id", namespaces=_NS):
            defines[process_id] = name
        direct[name] = set(root.xpath("//bpmn:callActivity/@calledElement", namespaces=_NS))
    result = {}
    for name in bpmn:
        seen, todo = set(), list(direct[name])
        while todo:
            target = defines.get(todo.pop())
            if target and target != name and target not in seen:
                seen.add(target)
                todo.extend(direct[target])
        result[name] = seen
    return result


def seed_demo() -> int:
    seed_time_limits(db.session, DEMO_CATEGORY_LIMITS)
    seed_orgs(db.session)
    seed_demo_catalog(db.session)
    seed_demo_laws(db.session)
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
        seed_document_types(db.session)  # before deploying: processes name them in citybpm:document
        db.session.commit()
        if demo:
            if app.config["CITYBPM_ENV"] == "production":
                raise RuntimeError("demo users are never seeded in production (CITYBPM_ENV=production)")
            seed_demo()
        publish_shipped_forms()
        return deploy_directory(app.config["PROCESSES_DIR"])
