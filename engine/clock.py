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
            return self._now

    def set(self, instant: _dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        with self._lock:
            self._now = instant


_current: SystemClock | VirtualClock = SystemClock()


def now() -> _dt.datetime:
    return _current.now()


def utcnow() -> _dt.datetime:
    return _current.now().astimezone(_dt.timezone.utc)


def install(clock: SystemClock | VirtualClock) -> None:
    global _current
    _current = clock


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
