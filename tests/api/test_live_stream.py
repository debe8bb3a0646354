"""Live updates (issue 8): a department handler's open stream hears of a case dispatched to their department,
another department's does not; with Redis, a task noted by one broker reaches the subscribers of another."""
from __future__ import annotations

import json
import os
import queue
import threading

import pytest
import requests

from engine import live
from engine.identity import Actor
from tests.api.test_closed_loop_flow import file_and_dispatch, report

REDIS = os.environ.get("CITYBPM_TEST_REDIS_URL", "")


class StreamReader:
    """Reads GET /events/stream in a thread; ``events`` receives (event name, data) pairs as they arrive."""

    def __init__(self, client):
        self.events: queue.Queue = queue.Queue()
        self.opened = threading.Event()
        self.response = client.request("GET", "/events/stream", stream=True, timeout=30)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the stream never started"

    def _read(self):
        name = None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("retry:"):
                    self.opened.set()  # the server subscribed before it sent this
                elif line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    self.events.put((name, json.loads(line.split(":", 1)[1])))
                elif line.startswith(":"):
                    self.events.put(("ping", None))
        except (requests.exceptions.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def next_task(self, timeout=10) -> dict:
        while True:
            name, data = self.events.get(timeout=timeout)
            if name == "task":
                return data

    def close(self):
        self.response.close()


@pytest.fixture
def quick_pings(app, monkeypatch):
    # a closed client is noticed at the next ping; keep server threads from lingering after each test
    monkeypatch.setitem(app.config, "CITYBPM_LIVE_PING_SECONDS", 1)


def test_handler_hears_of_a_case_dispatched_to_their_department_only(api, quick_pings):
    water, sanitation = StreamReader(api("sw")), StreamReader(api("hw"))
    try:
        to_water = report(api)["case_no"]
        file_and_dispatch(api, to_water, department="D_WATER")
        heard = water.next_task()
        handle = api("sw").task_for(to_water, "handle")
        assert heard == {"task_id": handle["id"], "case_no": to_water, "node_id": "handle", "name": handle["name"]}

        # the sanitation handler's first task event is their own case's, not the water case's
        to_sanitation = report(api)["case_no"]
        file_and_dispatch(api, to_sanitation, department="D_SANITATION")
        assert sanitation.next_task()["case_no"] == to_sanitation
    finally:
        water.close()
        sanitation.close()


def test_stream_pings_and_needs_a_login(api, quick_pings):
    reader = StreamReader(api("sw"))
    try:
        assert reader.events.get(timeout=10) == ("ping", None)
    finally:
        reader.close()
    refused = api().request("GET", "/events/stream")
    assert refused.status_code == 401


def test_stream_ends_by_itself(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "CITYBPM_LIVE_MAX_SECONDS", 0.5)
    monkeypatch.setitem(app.config, "CITYBPM_LIVE_PING_SECONDS", 0.1)
    response = api("sw").request("GET", "/events/stream", timeout=30)  # not streamed: returns once it ends
    assert response.status_code == 200 and response.text.startswith("retry:")


def test_streams_past_the_cap_are_refused_and_a_closed_one_frees_its_slot(api, app, quick_pings, monkeypatch):
    from api.live import max_streams

    monkeypatch.setitem(app.extensions, "citybpm_live_slots", threading.BoundedSemaphore(1))
    first = StreamReader(api("sw"))
    try:
        refused = api("hw").request("GET", "/events/stream", timeout=30)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert refused.json()["code"] == "live_streams_full" and "实时推送连接已满" in refused.json()["detail"]
        assert api("hw").ok("GET", "/tasks") is not None  # the rest of the API answers meanwhile
    finally:
        first.close()
    # the server notices the closed client at its next ping (1 s here) and gives the slot back
    for _ in range(100):  # a hang guard, not a timing check
        again = api("hw").request("GET", "/events/stream", stream=True, timeout=30)
        if again.status_code == 200:
            again.close()
            break
        again.close()
        threading.Event().wait(0.1)
    assert again.status_code == 200
    # the default: half the worker's threads under citybpm serve, a fixed number on the development server
    assert max_streams({"CITYBPM_WORKER_THREADS": 32}) == 16 and max_streams({"CITYBPM_WORKER_THREADS": 1}) == 1
    assert max_streams({"CITYBPM_LIVE_MAX_STREAMS": 5, "CITYBPM_WORKER_THREADS": 32}) == 5
    assert max_streams({}) == 100


class RecordingBroker:
    def __init__(self):
        self.told = []

    def publish(self, notes):
        self.told += [note["case_no"] for note in notes]


def test_rolled_back_tasks_are_not_told(app_context):
    from api.extensions import db

    recorder = RecordingBroker()
    live.install_commit_hook(recorder)
    try:
        live.note_new_tasks(db.session.connection(), "X1",
                            [{"id": "t1", "node_id": "n", "name": "n", "assignee": "sw"}], [])
        db.session.rollback()
        db.session.commit()
        assert recorder.told == []
        live.note_new_tasks(db.session.connection(), "X2",
                            [{"id": "t2", "node_id": "n", "name": "n", "assignee": "sw"}], [])
        db.session.commit()
        assert recorder.told == ["X2"]
    finally:
        live.remove_commit_hook(recorder)


@pytest.mark.skipif(not REDIS, reason="needs CITYBPM_TEST_REDIS_URL")
def test_redis_fans_out_between_brokers():
    import redis

    publisher = live.LiveBroker(redis.Redis.from_url(REDIS), channel="citybpm:test:live")
    listener = live.LiveBroker(redis.Redis.from_url(REDIS), channel="citybpm:test:live")
    try:
        handler, other = Actor("sw", orgs=frozenset({"D_WATER"})), Actor("hw", orgs=frozenset({"D_SANITATION"}))
        heard, not_heard = listener.subscribe(handler), listener.subscribe(other)
        assert listener.wait_until_listening(10)
        publisher.publish([{"task_id": "t1", "case_no": "CG1", "node_id": "handle", "name": "处置",
                            "assignee": None, "candidates": [["org", "D_WATER"]]}])
        assert heard.events.get(timeout=10) == {"task_id": "t1", "case_no": "CG1", "node_id": "handle",
                                                "name": "处置"}
        publisher.publish([{"task_id": "t2", "case_no": "CG2", "node_id": "handle", "name": "处置",
                            "assignee": "hw", "candidates": []}])
        assert not_heard.events.get(timeout=10)["task_id"] == "t2"  # t1 was not for them
    finally:
        publisher.stop()
        listener.stop()
