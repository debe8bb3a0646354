"""Server-sent events for the workbench: a ``task`` event whenever a task the user may act on is created.

The web client reads it with fetch() and the bearer header (EventSource cannot send headers). Each open stream
holds one server thread, so a stream ends after ``CITYBPM_LIVE_MAX_SECONDS`` (default 300) and clients
reconnect; ``: ping`` comments every ``CITYBPM_LIVE_PING_SECONDS`` (15) keep proxies from closing it. A process
holds at most ``CITYBPM_LIVE_MAX_STREAMS`` streams (default: half its threads under ``citybpm serve``): past that
a stream is refused with 503 and Retry-After, and the browser retries later. Without the cap, enough open
workbenches took every thread, and the rest of the API waited minutes for one.
"""
from __future__ import annotations

import json
import queue
import threading
import time

from flask import Flask, Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_actor
from api.errors import ApiProblem
from api.scheduling import redis_client
from engine import live

blp = Blueprint("live", __name__, url_prefix="/api/v1/events", description="实时推送 / Live updates")


def install_live(app: Flask) -> live.LiveBroker:
    """One broker per app; new tasks reach it after their commit (Redis fans out between processes)."""
    broker = live.LiveBroker(redis_client(app))
    app.extensions["citybpm_live"] = broker
    app.extensions["citybpm_live_slots"] = threading.BoundedSemaphore(max_streams(app.config))
    live.install_commit_hook(broker)
    return broker


DEV_MAX_STREAMS = 100  # the development server starts a thread per request


def max_streams(config) -> int:
    if config.get("CITYBPM_LIVE_MAX_STREAMS"):
        return int(config["CITYBPM_LIVE_MAX_STREAMS"])
    threads = config.get("CITYBPM_WORKER_THREADS")
    return max(1, threads // 2) if threads else DEV_MAX_STREAMS


def _stream(subscription: live.Subscription, max_seconds: float, ping_seconds: float):
    """The stream's text; the response's close callbacks unsubscribe (see Stream.get)."""
    # transport timing, not business time: the real monotonic clock, never engine.clock
    ends = time.monotonic() + max_seconds
    yield "retry: 3000\n\n"
    while (left := ends - time.monotonic()) > 0:
        try:
            task = subscription.events.get(timeout=min(ping_seconds, left))
        except queue.Empty:
            yield ": ping\n\n"
            continue
        yield f"event: task\ndata: {json.dumps(task, ensure_ascii=False)}\n\n"


@blp.route("/stream")
class Stream(MethodView):
    @blp.doc(responses={200: {
        "description": "text/event-stream：event: task，data: {task_id, case_no, node_id, name}；"
                       "每 15 秒一行“: ping”；最长 5 分钟后结束，客户端重连",
        "content": {"text/event-stream": {"schema": {"type": "string"}}}},
        503: {"description": "本进程的实时推送连接已满，Retry-After 秒后重试 / "
                             "too many streams open here: retry later"}})
    def get(self):
        """实时推送：我可办理的新任务（server-sent events） / New tasks I may act on, as server-sent events"""
        slots = current_app.extensions["citybpm_live_slots"]
        if not slots.acquire(blocking=False):
            raise ApiProblem(503, "live_streams_full", "实时推送连接已满，页面稍后自动重试；待办列表照常可用",
                             "too many live-update streams are open; the page retries later",
                             headers={"Retry-After": "30"})
        broker = current_app.extensions["citybpm_live"]
        subscription = broker.subscribe(current_actor())
        body = _stream(subscription, float(current_app.config.get("CITYBPM_LIVE_MAX_SECONDS", 300)),
                       float(current_app.config.get("CITYBPM_LIVE_PING_SECONDS", 15)))
        response = Response(body, mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        # the server closes every response, streamed to the end or not (a generator never started has no finally)
        response.call_on_close(slots.release)
        response.call_on_close(lambda: broker.unsubscribe(subscription))
        return response
