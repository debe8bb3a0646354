"""Workflows kept in memory between commands, so the next command on a case skips deserialising it.

A command that committed version N+1 of a case leaves its workflow object here, with the state text it wrote.
The next command that reads the case row *takes* the object (it is removed: one command owns it at a time)
instead of rebuilding it — but only when the row still holds that version and exactly that state text, so an
object never stands in for anything but the state it was written as (another process, an operation that
bypasses the cache, a deleted and re-used case id: all miss and read the database). An object is offered only after its transaction committed: a command that fails or
rolls back leaves nothing behind, and the next one reads the database.

The stored state stays the truth; this only saves the cost of ``load_state`` (about a third of a command's
SpiffWorkflow time) for the common case of one process working a case step after step.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING_KEY = "citybpm.workflows_to_cache"
DEFAULT_CAPACITY = 512


class WorkflowCache:
    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self.capacity = capacity
        self._entries: OrderedDict[int, tuple[int, str, object]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: int, version: int, state: str):
        """The workflow of the case row (id, version, state) as read, removed from the cache; None if not kept."""
        with self._lock:
            entry = self._entries.pop(case_id, None)
        if entry is None or entry[0] != version or entry[1] != state:
            return None
        return entry[2]

    def keep_after_commit(self, session: Session, case_id: int, version: int, state: str, workflow) -> None:
        """Keep ``workflow`` as the case's ``version`` (written as ``state``) once ``session`` commits."""
        if self.capacity <= 0:
            return
        _install_hooks()
        session.info.setdefault(_PENDING_KEY, []).append((self, case_id, (version, state, workflow)))

    def _put(self, case_id: int, entry: tuple) -> None:
        with self._lock:
            self._entries.pop(case_id, None)
            self._entries[case_id] = entry
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def kept_version(self, case_id: int) -> int | None:
        """The version of the case whose object is kept (diagnostics), or None."""
        entry = self._entries.get(case_id)
        return entry[0] if entry else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _after_commit(session: Session) -> None:
    for cache, case_id, entry in session.info.pop(_PENDING_KEY, ()):
        cache._put(case_id, entry)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _install_hooks() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
