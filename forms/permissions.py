"""Per-node field permissions: editable, read-only or hidden, set per user task.

The task API shows the form rewritten for the node (read-only fields marked,
hidden ones removed) and the data without hidden fields; a submission that
changes a read-only field or sends a hidden one is refused and changes nothing.
"""
from __future__ import annotations

import copy
import threading
import time

from sqlalchemy import Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base

EDITABLE, READONLY, HIDDEN = "editable", "readonly", "hidden"
PERMISSIONS = (EDITABLE, READONLY, HIDDEN)


class FieldPermission(Base):
    __tablename__ = "field_permission"
    __table_args__ = (
        UniqueConstraint("process_key", "node_id", "field_key"),
        Index("ix_field_permission_process_key_node_id", "process_key", "node_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    node_id: Mapped[str] = mapped_column(String(100))
    field_key: Mapped[str] = mapped_column(String(200))  # a data path: key, group.key, list.key
    permission: Mapped[str] = mapped_column(String(20))


class PermissionBook:
    """Permissions per (process, node), re-read at most every ``ttl`` seconds; saving here forgets them."""

    def __init__(self, ttl: float = 10.0):
        self.ttl = ttl
        self._items: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def for_node(self, session: Session, process_key: str, node_id: str) -> dict[str, str]:
        with self._lock:
            found = self._items.get((process_key, node_id))
        if found is not None and found[0] > time.monotonic():
            return found[1]
        table = FieldPermission.__table__
        rows = session.execute(select(table.c.field_key, table.c.permission)
                               .where(table.c.process_key == process_key, table.c.node_id == node_id)).all()
        permissions = {row.field_key: row.permission for row in rows}
        with self._lock:
            self._items[(process_key, node_id)] = (time.monotonic() + self.ttl, permissions)
        return permissions

    def forget(self) -> None:
        with self._lock:
            self._items.clear()


PERMISSION_BOOK = PermissionBook()


def set_node_permissions(session: Session, process_key: str, node_id: str, permissions: dict[str, str]) -> None:
    """Replace a node's permissions (fields not named are editable)."""
    table = FieldPermission.__table__
    session.execute(table.delete().where(table.c.process_key == process_key, table.c.node_id == node_id))
    rows = [dict(process_key=process_key, node_id=node_id, field_key=key, permission=value)
            for key, value in sorted(permissions.items()) if value != EDITABLE]
    if rows:
        session.execute(table.insert(), rows)
    PERMISSION_BOOK.forget()


def _walk(components, prefix, visit):
    kept = []
    for component in components or []:
        key = component.get("key")
        path = component.get("path")
        full = f"{prefix}{key or path}" if (key or path) else None
        component = visit(component, full)
        if component is None:
            continue
        if component.get("components"):
            component = dict(component, components=_walk(component["components"],
                                                         f"{full}." if path else prefix, visit))
        kept.append(component)
    return kept


def rewrite_for_node(schema: dict, permissions: dict[str, str]) -> dict:
    """The form as this node shows it: hidden fields removed, read-only ones marked (and not validated)."""
    if not permissions:
        return schema

    def visit(component, full):
        permission = permissions.get(full) if full else None
        if permission == HIDDEN:
            return None
        if permission == READONLY:
            component = dict(copy.deepcopy(component), readonly=True)
            component.pop("validate", None)
        return component

    return dict(schema, components=_walk(schema.get("components"), "", visit))


def editable_schema(schema: dict, permissions: dict[str, str]) -> dict:
    """What a submission is validated against: hidden and read-only fields taken out."""
    if not permissions:
        return schema
    return dict(schema, components=_walk(schema.get("components"), "", lambda c, full: None
                                         if full and permissions.get(full) in (HIDDEN, READONLY) else c))


def visible_data(data: dict, permissions: dict[str, str]) -> dict:
    hidden = {key for key, value in permissions.items() if value == HIDDEN}
    return {key: value for key, value in data.items() if key not in hidden} if hidden else data


def refused_fields(submitted: dict, current: dict, permissions: dict[str, str]) -> tuple[dict, dict]:
    """(zh, en) messages for hidden fields sent and read-only fields changed."""
    zh, en = {}, {}
    for key, value in submitted.items():
        permission = permissions.get(key)
        if permission == HIDDEN:
            zh[key] = "此字段在当前环节不可见，不能提交"
            en[key] = "this field is hidden at this step and cannot be submitted"
        elif permission == READONLY and value != current.get(key):
            zh[key] = "此字段在当前环节为只读，不能修改"
            en[key] = "this field is read-only at this step and cannot be changed"
    return zh, en
