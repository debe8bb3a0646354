"""Suspending and activating a definition version.

A suspended version starts no new cases (by the API, by a message or by a timer start event); the cases
already running on it continue. New cases of a key start on its latest *active* version, so suspending the
latest version while an older one is active sends new cases to the older one: the answer says which version
new cases now start on (``starts_on``), None when the key starts no cases at all.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import NotFound
from engine.models import Definition, Instance
from engine.timers import TIMERS, TimerKind

ACTIVE, SUSPENDED = "active", "suspended"
STATUSES = (ACTIVE, SUSPENDED)


def get_version(session: Session, key: str, version: int) -> Definition:
    found = session.scalars(select(Definition).where(Definition.key == key, Definition.version == version)).first()
    if found is None:
        raise NotFound(f"流程“{key}”没有版本 {version}", f"process '{key}' has no version {version}")
    return found


def starts_on(session: Session, key: str) -> int | None:
    """The version new cases of ``key`` start on (its latest active one), None when none is active."""
    return session.scalar(select(func.max(Definition.version)).where(Definition.key == key,
                                                                     Definition.status == ACTIVE))


def running_cases(session: Session, definition_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Instance).where(
        Instance.definition_id == definition_id, Instance.status.in_(("running", "suspended"))))


def set_status(session: Session, key: str, version: int, status: str, who: audit.Who, *, engine=None) -> dict:
    """Suspend or activate one version (idempotent). Flushes and writes the audit entry; the caller commits.

    ``engine`` (engine.runtime.Engine), when given, re-plans the timer start events of a version that becomes
    the latest active one again (suspending drops them: a suspended version's timer start does not fire)."""
    if status not in STATUSES:
        raise ValueError(status)
    definition = get_version(session, key, version)
    before = _snapshot(session, definition)
    if definition.status != status:
        definition.status = status
        session.flush()
        if status == SUSPENDED:
            session.execute(delete(TIMERS).where(TIMERS.c.kind == TimerKind.PROCESS_START,
                                                 TIMERS.c.definition_id == definition.id))
        elif engine is not None and starts_on(session, key) == definition.version:
            engine.schedule_start_timers(session, definition.id)
        after = _snapshot(session, definition)
        audit.record_change(session, who, "definition.suspend" if status == SUSPENDED else "definition.activate",
                            "definition", f"{key}:{version}", before, after)
    return _snapshot(session, definition)


def suspend(session: Session, key: str, version: int, who: audit.Who, *, engine=None) -> dict:
    return set_status(session, key, version, SUSPENDED, who, engine=engine)


def activate(session: Session, key: str, version: int, who: audit.Who, *, engine=None) -> dict:
    return set_status(session, key, version, ACTIVE, who, engine=engine)


def _snapshot(session: Session, definition: Definition) -> dict:
    return {"key": definition.key, "version": definition.version, "status": definition.status,
            "starts_on": starts_on(session, definition.key),
            "running_cases": running_cases(session, definition.id)}
