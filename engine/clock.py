"""One clock for everything: every read of the current time goes through here.

Tests and simulations install a VirtualClock and advance it; SpiffWorkflow's
timer module is pointed at the same clock so BPMN timers follow it too.
"""
from __future__ import annotations

import datetime as _dt
import threading
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


class SystemClock:
    def now(self) -> _dt.datetime:
        return _dt.datetime.now(DEFAULT_TZ)


class VirtualClock:
    """A clock that only moves when told to. Thread-safe."""

    def __init__(self, start: _dt.datetime | None = None):
        start = start or _dt.datetime(2026, 3, 2, 9, 0, tzinfo=DEFAULT_TZ)
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> _dt.datetime:
        with self._lock:
            return self._now

    def advance(self, delta: _dt.timedelta) -> _dt.datetime:
        with self._lock:
            self._now = self._now + delta
            moved = self._now
        _moved()
        return moved

    def set(self, instant: _dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        with self._lock:
            self._now = instant
        _moved()


class FileClock:
    """A virtual clock shared by several processes (tests, ``citybpm simulate``): the instant is
    the ISO text of a file. Whoever moves it also wakes the schedulers (Redis or poke)."""

    def __init__(self, path: str):
        self.path = path
        self._cached: tuple[float, _dt.datetime] | None = None

    def now(self) -> _dt.datetime:
        import os

        mtime = os.stat(self.path).st_mtime
        if self._cached is None or self._cached[0] != mtime:
            with open(self.path, encoding="utf-8") as handle:
                instant = _dt.datetime.fromisoformat(handle.read().strip())
            self._cached = (mtime, instant)
        return self._cached[1]

    @staticmethod
    def write(path: str, instant: _dt.datetime) -> None:
        import os

        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        temporary = f"{path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(instant.isoformat())
        os.replace(temporary, path)


_current: SystemClock | VirtualClock = SystemClock()


def now() -> _dt.datetime:
    return _current.now()


def utcnow() -> _dt.datetime:
    return _current.now().astimezone(_dt.timezone.utc)


def install(clock) -> None:
    global _current
    _current = clock
    _moved()


_listeners: list = []


def add_listener(callback) -> None:
    """``callback()`` runs whenever a virtual clock moves (schedulers re-check what is due)."""
    _listeners.append(callback)


def remove_listener(callback) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _moved() -> None:
    for callback in list(_listeners):
        callback()


def from_environment(environ) -> None:
    """``CITYBPM_CLOCK_FILE`` installs a FileClock (simulations and multi-process tests)."""
    path = environ.get("CITYBPM_CLOCK_FILE")
    if path:
        install(FileClock(path))


def current() -> SystemClock | VirtualClock:
    return _current


class _SpiffDatetime(_dt.datetime):
    """Stands in for ``datetime`` inside SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz=None):  # noqa: D401 - mirrors datetime.now
        value = _current.now()
        return value.astimezone(tz) if tz is not None else value.replace(tzinfo=None)


def _patch_spiff_timers() -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _SpiffDatetime


_patch_spiff_timers()
