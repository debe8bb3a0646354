"""Reading who leads the scheduler from the outside, and moving the servers' shared file clock."""
from __future__ import annotations

import datetime as dt

import redis
import sqlalchemy as sa
from sqlalchemy import func, select

from api.extensions import db
from engine import clock
from engine.clock import FileClock
from engine.leadership import ADVISORY_LOCK_ID, LEADER_KEY
from engine.models import Event
from engine.scheduler import WAKE_CHANNEL


def leader_pid(client: redis.Redis) -> int | None:
    """The pid in the Redis leadership key ("host:pid:random", engine.leadership.RedisLeader), if any."""
    token = client.get(LEADER_KEY)
    return int(token.decode().rsplit(":", 2)[1]) if token else None


def advisory_lock_holders(app) -> list[int]:
    """The pids of the processes holding the scheduler's advisory lock (named by their connection's application_name)."""
    with app.app_context():
        names = db.session.execute(sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.objid = :id AND l.granted"), {"id": ADVISORY_LOCK_ID}).scalars().all()
        db.session.rollback()
    return [int(name.rsplit("=", 1)[1]) for name in names]


def listening(client: redis.Redis) -> int:
    """How many schedulers listen for wake-ups (a wake published before one subscribed would be missed)."""
    return dict(client.pubsub_numsub(WAKE_CHANNEL)).get(WAKE_CHANNEL.encode(), 0)


def move_clock(virtual_clock, clock_file, delta: dt.timedelta, wake: redis.Redis | None) -> None:
    """Move the servers' file clock; wake the leader through Redis when there is one to publish on."""
    virtual_clock.advance(delta)
    FileClock.write(str(clock_file), virtual_clock.now())
    if wake is not None:
        wake.publish(WAKE_CHANNEL, clock.now().isoformat())


def fired_per_case(app) -> dict[int, int]:
    """timer.fired events per case (each fault_wait case has exactly one timer)."""
    with app.app_context():
        return dict(db.session.execute(select(Event.instance_id, func.count()).where(Event.type == "timer.fired")
                                       .group_by(Event.instance_id)).all())
