"""Whether this process runs the scheduler, by which leadership, and whether it leads right now."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

NOT_RUNNING = "off"  # no scheduler in this process (CITYBPM_SCHEDULER=off, `citybpm scheduler` elsewhere)


@dataclass(frozen=True)
class SchedulerState:
    leadership: str
    leader: bool


def scheduler_state(app: Flask) -> SchedulerState:
    scheduler = app.extensions.get("citybpm_scheduler")
    if scheduler is None:
        return SchedulerState(NOT_RUNNING, False)
    return SchedulerState(str(scheduler.leadership.name), bool(scheduler.is_leader))
