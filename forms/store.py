"""Form definitions in the database: key, version, draft/published, history, export/import.

A form is a @bpmn-io/form-js schema (the designer's native format). Each key has
numbered versions; at most the newest one is a draft, the others are published
and immutable. A task binds ``formKey`` to the latest published version when it
is created (or to a pinned version) and keeps it.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import threading
import time

from sqlalchemy import Index, String, UniqueConstraint, bindparam, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.db import Base
from engine.errors import Conflict, InvalidData, NotFound

DRAFT, PUBLISHED = "draft", "published"
EXPORT_FORMAT = "citybpm-form/1"
KEY_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$"


class FormDefinition(Base):
    __tablename__ = "form_definition"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        # "latest published version of a key": the lookup every new task makes (cached, see PublishedForms)
        Index("ix_form_definition_key_status_version", "key", "status", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    schema: Mapped[dict]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[_dt.datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[_dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(100))


class InvalidForm(InvalidData):
    """A definition refused at publish time; ``problems`` name the component."""

    code = "form_invalid"

    def __init__(self, problems: list[dict]):
        super().__init__({p.get("path") or p.get("component_id") or "schema": p["message_zh"] for p in problems},
                         {p.get("path") or p.get("component_id") or "schema": p["message_en"] for p in problems})
        self.message_zh = f"表单定义有 {len(problems)} 处问题，未发布"
        self.message_en = f"the form definition has {len(problems)} problem(s); not published"
        self.problems = problems


def schema_sha256(schema: dict) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_schema(schema) -> None:
    if (not isinstance(schema, dict) or schema.get("type") != "default"
            or not isinstance(schema.get("components"), list)):
        raise InvalidData({"schema": "不是 form-js 表单定义（需要 type=default 和 components 列表）"},
                          {"schema": "not a form-js schema (type 'default' with a components list)"})


# ----------------------------------------------------------------------------- reading


def versions(session: Session, key: str) -> list[FormDefinition]:
    return list(session.scalars(select(FormDefinition).where(FormDefinition.key == key)
                                .order_by(FormDefinition.version.desc())))


def latest(session: Session, key: str) -> FormDefinition:
    found = session.scalars(select(FormDefinition).where(FormDefinition.key == key)
                            .order_by(FormDefinition.version.desc()).limit(1)).first()
    if found is None:
        raise NotFound(f"表单“{key}”不存在", f"form '{key}' not found")
    return found


def version_of(session: Session, key: str, version: int) -> FormDefinition:
    found = session.scalars(select(FormDefinition).where(FormDefinition.key == key,
                                                         FormDefinition.version == version)).first()
    if found is None:
        raise NotFound(f"表单“{key}”没有第 {version} 版", f"form '{key}' has no version {version}")
    return found


def latest_published(session: Session, key: str) -> FormDefinition | None:
    return session.scalars(select(FormDefinition).where(FormDefinition.key == key,
                                                        FormDefinition.status == PUBLISHED)
                           .order_by(FormDefinition.version.desc()).limit(1)).first()


def form_exists(session: Session, key: str) -> bool:
    return latest_published(session, key) is not None


def summaries(session: Session) -> list[dict]:
    """One row per key: its newest version and its newest published version (two queries in all)."""
    table = FormDefinition.__table__
    newest_versions = (select(table.c.key, func.max(table.c.version).label("version"))
                       .group_by(table.c.key).subquery())
    newest = session.execute(
        select(table.c.key, table.c.version, table.c.name, table.c.status, table.c.created_at, table.c.published_at)
        .join(newest_versions, (table.c.key == newest_versions.c.key)
              & (table.c.version == newest_versions.c.version))
        .order_by(table.c.key)).all()
    published = dict(session.execute(
        select(table.c.key, func.max(table.c.version)).where(table.c.status == PUBLISHED)
        .group_by(table.c.key)).all())
    return [{"key": row.key, "name": row.name, "latest_version": row.version,
             "published_version": published.get(row.key), "status": row.status,
             "updated_at": row.published_at or row.created_at} for row in newest]


# ----------------------------------------------------------------------------- writing


def create_form(session: Session, key: str, name: str | None, schema: dict, actor: str) -> FormDefinition:
    _check_schema(schema)
    if session.scalar(select(func.count()).where(FormDefinition.key == key)):
        raise Conflict(f"表单“{key}”已存在", f"form '{key}' already exists")
    row = FormDefinition(key=key, version=1, name=name, status=DRAFT, schema=schema, sha256=schema_sha256(schema),
                         created_at=clock.now(), created_by=actor)
    session.add(row)
    session.flush()
    return row


def save_draft(session: Session, key: str, schema: dict, actor: str, name: str | None = None) -> FormDefinition:
    """Update the draft, or open a new draft version on top of the published ones."""
    _check_schema(schema)
    newest = latest(session, key)
    if newest.status == DRAFT:
        newest.schema, newest.sha256 = schema, schema_sha256(schema)
        newest.name = name if name is not None else newest.name
        newest.created_at, newest.created_by = clock.now(), actor
        session.flush()
        return newest
    row = FormDefinition(key=key, version=newest.version + 1, name=name if name is not None else newest.name,
                         status=DRAFT, schema=schema, sha256=schema_sha256(schema), created_at=clock.now(),
                         created_by=actor)
    session.add(row)
    session.flush()
    return row


def publish(session: Session, key: str, actor: str) -> FormDefinition:
    """Publish the draft after checking the definition (FEEL subset, keys, patterns …)."""
    from forms.schema_builder import check_definition

    newest = latest(session, key)
    if newest.status != DRAFT:
        raise Conflict(f"表单“{key}”没有待发布的草稿", f"form '{key}' has no draft to publish")
    problems = check_definition(newest.schema)
    if problems:
        raise InvalidForm(problems)
    newest.status, newest.published_at, newest.published_by = PUBLISHED, clock.now(), actor
    session.flush()
    PUBLISHED_FORMS.forget(key)
    return newest


def publish_shipped(session: Session, key: str, schema: dict, actor: str = "system") -> tuple[FormDefinition, bool]:
    """Set-up: publish a shipped file's form unless the newest published version already has that content."""
    current = latest_published(session, key)
    if current is not None and current.sha256 == schema_sha256(schema):
        return current, False
    newest = session.scalars(select(FormDefinition).where(FormDefinition.key == key)
                             .order_by(FormDefinition.version.desc()).limit(1)).first()
    if newest is not None and newest.status == DRAFT:
        return current or newest, False  # an admin is editing: leave their draft alone
    row = FormDefinition(key=key, version=(newest.version + 1) if newest else 1, name=schema.get("name") or key,
                         status=PUBLISHED, schema=schema, sha256=schema_sha256(schema), created_at=clock.now(),
                         created_by=actor, published_at=clock.now(), published_by=actor)
    session.add(row)
    session.flush()
    PUBLISHED_FORMS.forget(key)
    return row, True


def export_document(row: FormDefinition) -> dict:
    return {"format": EXPORT_FORMAT, "key": row.key, "name": row.name, "version": row.version, "schema": row.schema}


def import_document(session: Session, document: dict, actor: str) -> FormDefinition:
    if document.get("format") != EXPORT_FORMAT:
        raise InvalidData({"format": f"应为 {EXPORT_FORMAT}"}, {"format": f"must be {EXPORT_FORMAT}"})
    key = document.get("key")
    if session.scalar(select(func.count()).where(FormDefinition.key == key)):
        return save_draft(session, key, document.get("schema"), actor, document.get("name"))
    return create_form(session, key, document.get("name"), document.get("schema"), actor)


# ----------------------------------------------------------------------------- diff


def components_by_key(schema: dict) -> dict[str, dict]:
    """Input components by their data path (groups and dynamic lists walked)."""
    found: dict[str, dict] = {}

    def walk(components, prefix):
        for component in components or []:
            path = component.get("key") or component.get("path")
            full = f"{prefix}{path}" if path else None
            if component.get("key"):
                found[full] = component
            if component.get("components"):
                walk(component["components"], f"{full}." if component.get("path") else prefix)

    walk(schema.get("components"), "")
    return found


def diff(before: dict, after: dict) -> list[dict]:
    old, new = components_by_key(before), components_by_key(after)
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None:
            changes.append({"key": key, "component_id": b.get("id"), "change": "added", "before": None, "after": b})
        elif b is None:
            changes.append({"key": key, "component_id": a.get("id"), "change": "removed", "before": a, "after": None})
        elif _comparable(a) != _comparable(b):
            changes.append({"key": key, "component_id": b.get("id"), "change": "changed", "before": a, "after": b})
    return changes


def _comparable(component: dict) -> dict:
    # layout and generated ids are not changes a form designer cares about
    return {k: v for k, v in component.items() if k not in ("id", "layout", "components")}


# ----------------------------------------------------------------------------- hot-path lookups


class PublishedForms:
    """Published schemas are immutable: cached by (key, version). "Latest published" is re-read at most
    every ``ttl`` seconds; publishing in this process forgets it at once. Works on a Session or a
    Connection (Core statements), so the engine's hot path can use it."""

    def __init__(self, ttl: float = 10.0):
        self.ttl = ttl
        self._latest: dict[str, tuple[float, int | None]] = {}
        self._lock = threading.Lock()

    def latest_version(self, conn, key: str) -> int | None:
        with self._lock:
            found = self._latest.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        row = conn.execute(_LATEST_PUBLISHED, {"key": key}).first()
        version = row.version if row else None
        with self._lock:
            self._latest[key] = (time.monotonic() + self.ttl, version)
        if row is not None:
            _remember(key, row.version, row.schema)
        return version

    def schema(self, conn, key: str, version: int) -> dict | None:
        cached = _schemas.get((key, version))
        if cached is not None:
            return cached
        row = conn.execute(_ONE_VERSION, {"key": key, "version": version}).first()
        if row is None:
            return None
        if row.status == PUBLISHED:
            _remember(key, version, row.schema)
        return row.schema

    def forget(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._latest.clear()
            else:
                self._latest.pop(key, None)


_TABLE = FormDefinition.__table__
_LATEST_PUBLISHED = (select(_TABLE.c.version, _TABLE.c.schema)
                     .where(_TABLE.c.key == bindparam("key"), _TABLE.c.status == PUBLISHED)
                     .order_by(_TABLE.c.version.desc()).limit(1))
_ONE_VERSION = select(_TABLE.c.schema, _TABLE.c.status).where(_TABLE.c.key == bindparam("key"),
                                                            _TABLE.c.version == bindparam("version"))
_schemas: dict[tuple[str, int], dict] = {}


def _remember(key: str, version: int, schema: dict) -> None:
    if len(_schemas) > 5000:
        _schemas.clear()
    _schemas[(key, version)] = schema


PUBLISHED_FORMS = PublishedForms()
