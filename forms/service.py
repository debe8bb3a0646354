"""What the engine asks of forms: which version a new task gets, and whether a submission is acceptable.

Validation runs against the task's own form version, with the node's field
permissions: hidden fields may not be sent, read-only ones not changed, and
only editable fields are validated (a read-only or hidden required field is the
previous step's business). Compiled validators are cached per (form, version,
permissions): building one costs far more than using it.
"""
from __future__ import annotations

import threading

from forms import server_rules
from forms.permissions import PERMISSION_BOOK, editable_schema, refused_fields
from forms.store import PUBLISHED_FORMS
from forms.schema_builder import build_schema

Errors = tuple[dict, dict]  # (zh, en)


class FormService:
    def __init__(self):
        self._compiled: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def version_for(self, conn, form_key: str, pinned: int | None = None) -> int | None:
        return pinned if pinned is not None else PUBLISHED_FORMS.latest_version(conn, form_key)

    def check_start(self, conn, form_key: str, data: dict) -> Errors:
        version = PUBLISHED_FORMS.latest_version(conn, form_key)
        errors = self._validate(conn, form_key, version, {}, data) if version is not None else ({}, {})
        return errors if errors[0] else server_rules.check(conn, form_key, data)

    def check_task(self, conn, *, form_key: str, version: int | None, process_key: str, node_id: str,
                   submitted: dict, current: dict) -> Errors:
        permissions = PERMISSION_BOOK.for_node(conn, process_key, node_id)
        refused = refused_fields(submitted, current, permissions)
        if refused[0]:
            return refused
        if version is None:
            version = PUBLISHED_FORMS.latest_version(conn, form_key)
        merged = {**current, **submitted}
        errors = self._validate(conn, form_key, version, permissions, merged) if version is not None else ({}, {})
        return errors if errors[0] else server_rules.check(conn, form_key, merged)

    def forget(self) -> None:
        with self._lock:
            self._compiled.clear()

    def _validate(self, conn, form_key: str, version: int, permissions: dict, data: dict) -> Errors:
        compiled = self._compiled_for(conn, form_key, version, permissions)
        if compiled is None:
            return {}, {}
        errors_zh = compiled.validate(data, lang="zh")
        return errors_zh, (compiled.validate(data, lang="en") if errors_zh else {})

    def _compiled_for(self, conn, form_key: str, version: int, permissions: dict):
        cache_key = (form_key, version, tuple(sorted(permissions.items())))
        with self._lock:
            found = self._compiled.get(cache_key)
        if found is not None:
            return found
        schema = PUBLISHED_FORMS.schema(conn, form_key, version)
        if schema is None:
            return None
        compiled = build_schema(editable_schema(schema, permissions))
        with self._lock:
            if len(self._compiled) > 2000:
                self._compiled.clear()
            self._compiled[cache_key] = compiled
        return compiled
