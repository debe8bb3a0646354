"""Server-sent events for the workbench: a ``task`` event whenever a task the user may act on is created.

The web client reads it with fetch() and the bearer header (EventSource cannot send headers). Each open stream
holds one server thread, so a stream ends after ``CITYBPM_LIVE_MAX_SECONDS`` (default 300) and clients
reconnect; ``: ping`` comments every ``CITYBPM_LIVE_PING_SECONDS`` (15) keep proxies from closing it.
"""
from __future__ import annotations

import json
import queue
import time

from flask import Flask, Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.scheduling import redis_client
from engine import live

blp = Blueprint("live", __name__, url_prefix="/api/v1/events", description="实时推送 / Live updates")


def install_live(app: Flask) -> live.LiveBroker:
    """One broker per app; new tasks reach it after their commit (Redis fans out between processes)."""
    broker = live.LiveBroker(redis_client(app))
    app.extensions["citybpm_live"] = broker
    live.install_commit_hook(broker)
    return broker


def _stream(broker: live.LiveBroker, subscription: live.Subscription, max_seconds: float, ping_seconds: float):
    # transport timing, not business time: the real monotonic clock, never engine.clock
    ends = time.monotonic() + max_seconds
    try:
        yield "retry: 3000\n\n"
        while (left := ends - time.monotonic()) > 0:
            try:
                task = subscription.events.get(timeout=min(ping_seconds, left))
            except queue.Empty:
                yield ": ping\n\n"
                continue
            yield f"event: task\ndata: {json.dumps(task, ensure_ascii=False)}\n\n"
    finally:
        broker.unsubscribe(subscription)


@blp.route("/stream")
class Stream(MethodView):
    @blp.doc(responses={200: {
        "description": "text/event-stream：event: task，data: {task_id, case_no, node_id, name}；"
                       "每 15 秒一行“: ping”；最长 5 分钟后结束，客户端重连",
        "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
    def get(self):
        """实时推送：我可办理的新任务（server-sent events） / New tasks I may act on, as server-sent events"""
        broker = current_app.extensions["citybpm_live"]
        subscription = broker.subscribe(current_actor())
        body = _stream(broker, subscription, float(current_app.config.get("CITYBPM_LIVE_MAX_SECONDS", 300)),
                       float(current_app.config.get("CITYBPM_LIVE_PING_SECONDS", 15)))
        return Response(body, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
