"""Redis down: one warning per outage (not one per commit), no retry on every call, one line when it is back."""
from __future__ import annotations

import logging

from engine import live
from engine.outage import Outage


class Ticks:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_said_once_per_outage_and_retried_only_after_the_pause(caplog):
    ticks = Ticks()
    outage = Outage(logging.getLogger("test.outage"), "publishing to Redis", retry_after=5, monotonic=ticks)
    with caplog.at_level(logging.INFO, logger="test.outage"):
        assert outage.should_try()
        for _ in range(3):
            outage.failed(ConnectionError("refused"))
        assert not outage.should_try()
        ticks.now += 5
        assert outage.should_try()
        outage.worked()
        outage.worked()
        outage.failed(ConnectionError("refused again"))
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in messages] == ["WARNING", "INFO", "WARNING"]
    assert "refused" in messages[0][1] and messages[1][1] == "publishing to Redis works again"


class DeadRedis:
    def __init__(self):
        self.calls = 0

    def publish(self, channel, message):
        self.calls += 1
        raise ConnectionError("connection refused")


def test_live_updates_with_redis_down_reach_this_process_and_skip_redis_for_a_while(caplog):
    redis = DeadRedis()
    broker = live.LiveBroker(redis, channel="citybpm:test:outage")
    with caplog.at_level(logging.WARNING, logger=live.log.name):
        for _ in range(5):
            broker.publish([])
    assert redis.calls == 1  # one failed try, then the pause: commits do not each wait for a dead server
    assert len([r for r in caplog.records if r.name == live.log.name]) == 1
