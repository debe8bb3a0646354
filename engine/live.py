"""Live updates: tell connected browsers about new tasks they may act on, after the command commits.

engine.projection notes every task row it writes (``note_new_tasks``) on the transaction's connection; a Session
``after_commit`` hook hands them to the broker (a rolled-back command tells nobody). The broker keeps one bounded
queue per subscriber (an open event stream). With Redis it publishes to a channel instead, and every process's
listener thread delivers what arrives to its own subscribers, so a task created in one worker reaches a browser
connected to another.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import weakref
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.access import may_act
from engine.identity import Actor
from engine.outage import Outage

log = logging.getLogger(__name__)

CHANNEL = "citybpm:live:tasks"
_PENDING = "citybpm.live.pending"          # on a connection's info: task notes of the open transaction
_CONNECTIONS = "citybpm.live.connections"  # on a session's info: the info dicts of the connections it began


# ----------------------------------------------------------------------------- collecting (engine.projection)

def note_new_tasks(conn, case_no: str, rows: list[dict], candidates: list[dict]) -> None:
    """Remember the new task rows of this transaction (only inside a Session with the hook installed)."""
    pending = conn.info.get(_PENDING)
    if pending is None or not rows:
        return
    for row in rows:
        pending.append({"task_id": row["id"], "case_no": case_no, "node_id": row["node_id"], "name": row["name"],
                        "assignee": row["assignee"],
                        "candidates": [[c["kind"], c["value"]] for c in candidates if c["task_id"] == row["id"]]})


# Every broker of this process (one per app; tests build several): each hears every commit.
_BROKERS: "weakref.WeakSet[LiveBroker]" = weakref.WeakSet()


def install_commit_hook(broker) -> None:
    """After a commit that wrote new tasks, call ``broker.publish(notes)``."""
    _BROKERS.add(broker)
    if not event.contains(Session, "after_begin", _after_begin):
        event.listen(Session, "after_begin", _after_begin)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def remove_commit_hook(broker) -> None:
    _BROKERS.discard(broker)


def _after_begin(session: Session, _transaction, connection) -> None:
    connection.info[_PENDING] = []
    session.info.setdefault(_CONNECTIONS, []).append(connection.info)


def _take(session: Session) -> list[dict]:
    notes = []
    for info in session.info.pop(_CONNECTIONS, []):
        notes += info.pop(_PENDING, None) or []
    return notes


def _after_rollback(session: Session) -> None:
    _take(session)


def _after_commit(session: Session) -> None:
    notes = _take(session)
    for broker in list(_BROKERS) if notes else ():
        try:
            broker.publish(notes)
        except Exception:  # noqa: BLE001 - the commit stands; a browser sees the task on its next refresh
            log.exception("live update failed")


# ----------------------------------------------------------------------------- fanning out

@dataclass(eq=False)
class Subscription:
    actor: Actor
    events: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=200))


class LiveBroker:
    def __init__(self, redis_client=None, channel: str = CHANNEL):
        self.redis, self.channel = redis_client, channel
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self.redis_outage = Outage(log, "publishing live updates to Redis")

    def subscribe(self, actor: Actor) -> Subscription:
        subscription = Subscription(actor)
        with self._lock:
            self._subscribers.add(subscription)
        if self.redis is not None:
            self._ensure_listener()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    def publish(self, notes: list[dict]) -> None:
        """Called after commit. With Redis every process (this one included) delivers from the channel."""
        if self.redis is not None and self.redis_outage.should_try():
            try:
                self.redis.publish(self.channel, json.dumps(notes, ensure_ascii=False))
                self.redis_outage.worked()
                return
            except Exception as exc:  # noqa: BLE001 - Redis down: at least this process's browsers hear it
                self.redis_outage.failed(exc)
        self.deliver(notes)

    def deliver(self, notes: list[dict]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            for note in notes:
                if may_act(note["assignee"], [tuple(c) for c in note["candidates"]], subscription.actor):
                    try:
                        subscription.events.put_nowait(
                            {key: note[key] for key in ("task_id", "case_no", "node_id", "name")})
                    except queue.Full:  # a stalled reader loses updates, never blocks the others
                        pass

    # ------------------------------------------------------------------------- the Redis listener

    def wait_until_listening(self, timeout: float) -> bool:
        if self.redis is not None:
            self._ensure_listener()
        return self._listening.wait(timeout)

    def _ensure_listener(self) -> None:
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="citybpm-live", daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._listening.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        try:
                            self.deliver(json.loads(message["data"]))
                        except (ValueError, KeyError, TypeError) as exc:
                            log.warning("ignored a malformed live update: %s", exc)
                pubsub.close()
            except Exception as exc:  # noqa: BLE001 - Redis restarting: retry quietly
                self._listening.clear()
                log.warning("live update channel lost (%s); retrying", exc)
                self._stop.wait(2.0)

    def stop(self) -> None:
        self._stop.set()
