"""The scheduler: APScheduler wakes at the next due instant, never on a polling beat.

Two self-rescheduling jobs: ``timers`` fires due timer rows (engine.firing),
``outbox`` delivers due messages (engine.outbox) so a slow webhook never
delays a deadline. After each run a job computes the earliest due instant with
one index probe and sleeps until then (at most ``max_sleep`` as a safety net).
New earlier timers wake it: commits in this process through a Session
``after_commit`` hook, other processes through Redis pub/sub, and a virtual
clock through its listeners. Only the leader (engine.leadership) fires.
"""
from __future__ import annotations

import datetime as _dt
import logging
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from engine import clock, outbox
from engine.firing import TimerFirer
from engine.leadership import AlwaysLeader
from engine.runtime import NEXT_DUE_KEY
from engine.timers import next_due

log = logging.getLogger(__name__)

WAKE_CHANNEL = "citybpm:timers:wake"
_UTC = _dt.timezone.utc


class Scheduler:
    def __init__(self, engine, session_factory: sessionmaker, *, leadership=None, redis_client=None,
                 max_sleep: float = 60.0, renew_every: float = 3.0, batch: int = 200, outbox_batch: int = 50):
        self.engine, self.session_factory = engine, session_factory
        self.leadership = leadership or AlwaysLeader()
        self.redis, self.max_sleep, self.renew_every, self.batch = redis_client, max_sleep, renew_every, batch
        # small outbox batches keep the claim lease short (a crashed sender's messages come back sooner)
        self.outbox_batch = outbox_batch
        self.firer = TimerFirer(engine, session_factory)
        self.is_leader = False
        self.fired = 0
        self._aps = BackgroundScheduler(timezone=_UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._stop = threading.Event()
        self._poked = {"timers": threading.Event(), "outbox": threading.Event()}
        self._jobs = {"timers": self._run_timers, "outbox": self._run_outbox}
        self._listener = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> "Scheduler":
        self._aps.start()
        now = _real_now()
        self._plan("timers", now)
        self._plan("outbox", now)
        if not isinstance(self.leadership, AlwaysLeader):
            self._aps.add_job(self._check_leadership, "interval", seconds=self.renew_every, id="leadership",
                              replace_existing=True)
        clock.add_listener(self._clock_moved)
        if self.redis is not None:
            self._listener = threading.Thread(target=self._listen_for_wakeups, name="citybpm-wakeups", daemon=True)
            self._listener.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        clock.remove_listener(self._clock_moved)
        self._aps.shutdown(wait=True)
        self.leadership.release()

    # ----------------------------------------------------------------- waking

    def poke(self, due: _dt.datetime | None = None) -> None:
        """Something new is due at ``due`` (None: look now). Reschedules the timers job if earlier."""
        if self._stop.is_set():
            return
        target = _real_instant(due) if due is not None else _real_now()
        for job_id in ("timers",) if due is not None else ("timers", "outbox"):
            # a run in progress sees the flag and goes round once more (it may have read "next due" too early)
            self._poked[job_id].set()
            job = self._aps.get_job(job_id)
            if job is None or job.next_run_time is None or target < job.next_run_time:
                self._plan(job_id, target)

    def _clock_moved(self) -> None:
        self.poke()

    def _listen_for_wakeups(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(WAKE_CHANNEL)
                for message in pubsub.listen():
                    if self._stop.is_set():
                        return
                    try:
                        self.poke(_dt.datetime.fromisoformat(message["data"].decode()))
                    except (ValueError, AttributeError):
                        self.poke()
            except Exception as exc:  # noqa: BLE001 - Redis restarting: retry quietly
                log.warning("scheduler wake-up channel lost (%s); retrying", exc)
                self._stop.wait(2.0)

    def _check_leadership(self) -> None:
        leading = self.leadership.try_lead()
        if leading and not self.is_leader:
            log.info("scheduler: became leader (%s)", self.leadership.name)
            self.poke()
        elif not leading and self.is_leader:
            log.info("scheduler: lost leadership")
        self.is_leader = leading

    # ----------------------------------------------------------------- the two jobs

    def _run_timers(self) -> None:
        self._poked["timers"].clear()
        delay = self.max_sleep
        try:
            self.is_leader = self.leadership.try_lead()
            if self.is_leader:
                while True:
                    report = self.firer.fire_due(limit=self.batch)
                    self.fired += report.fired
                    if report.fired + report.failed < self.batch:
                        break
                delay = self._sleep_until(self._next_timer())
        except Exception:  # noqa: BLE001 - the scheduler must survive a bad run; retry soon
            log.exception("scheduler: firing timers failed")
            delay = min(5.0, self.max_sleep)
        self._reschedule("timers", delay)

    def _run_outbox(self) -> None:
        self._poked["outbox"].clear()
        delay = self.max_sleep
        try:
            if self.is_leader or isinstance(self.leadership, AlwaysLeader):
                while outbox.deliver_due(self.session_factory, limit=self.outbox_batch) >= self.outbox_batch:
                    pass
                with self.session_factory() as session:
                    delay = self._sleep_until(outbox.next_due(session))
        except Exception:  # noqa: BLE001
            log.exception("scheduler: delivering messages failed")
            delay = min(5.0, self.max_sleep)
        self._reschedule("outbox", delay)

    def _next_timer(self) -> _dt.datetime | None:
        with self.session_factory() as session:
            return next_due(session.connection())

    def _sleep_until(self, due: _dt.datetime | None) -> float:
        if due is None:
            return self.max_sleep
        seconds = (due - clock.now()).total_seconds()
        return min(max(seconds, 0.0) + 0.001, self.max_sleep)  # SpiffWorkflow fires strictly after

    def _reschedule(self, job_id: str, delay: float) -> None:
        if self._poked[job_id].is_set():
            delay = 0.0
        self._plan(job_id, _real_now() + _dt.timedelta(seconds=delay))

    def _plan(self, job_id: str, run_date: _dt.datetime) -> None:
        if not self._stop.is_set():
            try:
                self._aps.add_job(self._jobs[job_id], "date", run_date=run_date, id=job_id, replace_existing=True)
            except Exception:  # noqa: BLE001 - shutting down
                if not self._stop.is_set():
                    raise


def _real_now() -> _dt.datetime:
    return _dt.datetime.fromtimestamp(time.time(), _UTC)


def _real_instant(due: _dt.datetime) -> _dt.datetime:
    """A virtual-clock instant as the wall-clock instant APScheduler waits for."""
    return _real_now() + max(due - clock.now(), _dt.timedelta(0)) + _dt.timedelta(milliseconds=1)


def install_commit_hook(notify) -> None:
    """After any commit that wrote a timer, tell ``notify(due)`` (once per process)."""
    global _NOTIFY
    _NOTIFY = notify
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


_NOTIFY = None


def _after_rollback(session: Session) -> None:
    session.info.pop(NEXT_DUE_KEY, None)


def _after_commit(session: Session) -> None:
    due = session.info.pop(NEXT_DUE_KEY, None)
    if due is not None and _NOTIFY is not None:
        try:
            _NOTIFY(due)
        except Exception:  # noqa: BLE001 - a missed wake-up only delays until the next safety-net wake
            log.exception("scheduler wake-up failed")
