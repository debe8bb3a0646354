"""The outbox on the test database: backoff, giving up, leases, concurrent senders, signatures,
and what feeds it (notification copies, case-event subscriptions)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select

from api.extensions import db
from engine import clock
from engine.channels import CHANNELS, DeliveryResult
from engine.channels.recording import RECORDED_NOTE
from engine.db import make_sessionmaker
from engine.notifications import Notification, enqueue_channels, notify, set_contact
from engine.outbox import (DEFAULT_MAX_ATTEMPTS, RETRY_DELAYS, SECRET_SOURCES, DeliveryAttempt, OutboxMessage,
                           claim_due, deliver_due, enqueue, lease_for, next_due, record_attempt)
from engine.subscriptions import CaseSubscription, publish_case_events, subscribe

OUTBOX_TABLES = ("delivery_attempt", "outbox_message", "notification", "case_subscription", "user_contact")
TEST_SECRET = "test-secret-0123456789"


# ----------------------------------------------------------------------------- fixtures and helpers

def clear_outbox_tables(app) -> None:
    with app.app_context():
        for table in OUTBOX_TABLES:
            db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.commit()


@pytest.fixture(autouse=True)
def _empty_outbox(app):
    """Before and after: other tests may leave messages that a deliver_due here would pick up."""
    clear_outbox_tables(app)
    yield
    clear_outbox_tables(app)


@pytest.fixture
def sessions(app):
    with app.app_context():
        return make_sessionmaker(db.engine)


@pytest.fixture
def test_secrets(monkeypatch):
    monkeypatch.setitem(SECRET_SOURCES, "test", lambda conn, keys: {key: TEST_SECRET for key in keys})


class ScriptedChannel:
    """Answers with the scripted results in turn (then the last one again); remembers each send."""

    def __init__(self, *results: DeliveryResult):
        self.results = list(results) or [DeliveryResult(True, 200)]
        self.sent: list[int] = []
        self._lock = threading.Lock()

    def send(self, target, payload, *, secret, event_type, delivery_id):
        with self._lock:
            self.sent.append(delivery_id)
            return self.results[min(len(self.sent), len(self.results)) - 1]


@pytest.fixture
def webhook(monkeypatch):
    """Install a scripted stand-in for the webhook channel: webhook(results...) → the channel."""
    def install(*results):
        channel = ScriptedChannel(*results)
        monkeypatch.setitem(CHANNELS, "webhook", channel)
        return channel
    return install


def put_message(sessions, *, channel="webhook", target="http://receiver.test/hook", payload=None,
                secret_ref="test:1", case_no="CG-TEST") -> int:
    with sessions() as session, session.begin():
        return enqueue(session.connection(), channel, target, payload or {"hello": "世界"},
                       event_type="case.stage_changed", case_no=case_no, secret_ref=secret_ref)


def message(sessions, message_id) -> OutboxMessage:
    with sessions() as session:
        return session.get(OutboxMessage, message_id)


def attempts(sessions, message_id) -> list[DeliveryAttempt]:
    with sessions() as session:
        return session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == message_id)
                               .order_by(DeliveryAttempt.attempt_no)).all()


def due_at(sessions):
    with sessions() as session:
        return next_due(session)


FAIL = DeliveryResult(False, 500, "HTTP 500: boom")
OK = DeliveryResult(True, 200)


# ----------------------------------------------------------------------------- retries

def test_failures_are_retried_after_10s_30s_2min_then_delivered(sessions, webhook, virtual_clock, test_secrets):
    channel = webhook(FAIL, FAIL, FAIL, OK)
    message_id = put_message(sessions)
    waits = []
    for _ in range(3):
        failed_at = virtual_clock.now()
        assert deliver_due(sessions) == 1
        row = message(sessions, message_id)
        assert row.status == "pending" and row.last_error == "HTTP 500: boom"
        waits.append(row.next_attempt_at - failed_at)
        assert due_at(sessions) == row.next_attempt_at
        # not a moment early
        virtual_clock.advance(waits[-1] - dt.timedelta(seconds=1))
        assert deliver_due(sessions) == 0
        virtual_clock.advance(dt.timedelta(seconds=1))
    assert waits == [dt.timedelta(seconds=10), dt.timedelta(seconds=30), dt.timedelta(minutes=2)]

    assert deliver_due(sessions) == 1
    row = message(sessions, message_id)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 4, None)
    assert row.delivered_at == virtual_clock.now()
    assert channel.sent == [message_id] * 4
    log = attempts(sessions, message_id)
    assert [(a.attempt_no, a.ok, a.status_code) for a in log] == [(1, False, 500), (2, False, 500),
                                                                  (3, False, 500), (4, True, 200)]
    assert due_at(sessions) is None


def test_after_the_default_eight_attempts_the_message_fails_for_good(sessions, webhook, virtual_clock,
                                                                       test_secrets):
    channel = webhook(FAIL)
    message_id = put_message(sessions)
    for attempt in range(1, DEFAULT_MAX_ATTEMPTS + 1):
        assert deliver_due(sessions) == 1
        virtual_clock.advance(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])
    row = message(sessions, message_id)
    assert (row.status, row.attempts) == ("failed", DEFAULT_MAX_ATTEMPTS)
    assert due_at(sessions) is None
    virtual_clock.advance(dt.timedelta(days=2))
    assert deliver_due(sessions) == 0
    assert len(channel.sent) == DEFAULT_MAX_ATTEMPTS
    assert len(attempts(sessions, message_id)) == DEFAULT_MAX_ATTEMPTS


def test_max_attempts_is_configurable(sessions, webhook, virtual_clock, test_secrets):
    webhook(FAIL)
    message_id = put_message(sessions)
    for _ in range(2):
        deliver_due(sessions, max_attempts=2)
        virtual_clock.advance(dt.timedelta(hours=1))
    assert message(sessions, message_id).status == "failed"


def test_a_raising_channel_counts_as_a_failed_attempt_and_spares_the_rest(sessions, monkeypatch, webhook,
                                                                           test_secrets):
    class Broken:
        def send(self, *args, **kwargs):
            raise RuntimeError("provider SDK bug")

    webhook(OK)
    monkeypatch.setitem(CHANNELS, "sms", Broken())
    sms_id = put_message(sessions, channel="sms", target="13800000000", secret_ref=None)
    hook_id = put_message(sessions)
    assert deliver_due(sessions) == 2
    assert message(sessions, sms_id).status == "pending"
    assert attempts(sessions, sms_id)[0].error == "RuntimeError: provider SDK bug"
    assert message(sessions, hook_id).status == "delivered"


# ----------------------------------------------------------------------------- leases

def test_a_crashed_senders_lease_expires_and_the_message_is_delivered_once(sessions, webhook, virtual_clock,
                                                                          test_secrets):
    channel = webhook(OK)
    message_id = put_message(sessions)
    # a sender claims the message and dies before sending
    with sessions() as session, session.begin():
        claim_due(session, now=clock.now(), limit=10)
    lease_end = clock.now() + lease_for(10)
    assert message(sessions, message_id).status == "sending"
    assert due_at(sessions) == lease_end

    virtual_clock.advance(lease_end - clock.now() - dt.timedelta(seconds=1))
    assert deliver_due(sessions) == 0  # the lease still holds
    virtual_clock.advance(dt.timedelta(seconds=1))
    assert deliver_due(sessions) == 1
    assert channel.sent == [message_id]
    row = message(sessions, message_id)
    assert (row.status, row.attempts) == ("delivered", 2)

    assert [(a.attempt_no, a.ok) for a in attempts(sessions, message_id)] == [(2, True)]


def test_a_sender_whose_lease_ended_cannot_overwrite_the_one_that_took_over(sessions, virtual_clock,
                                                                           test_secrets):
    message_id = put_message(sessions)
    with sessions() as session, session.begin():
        [slow] = claim_due(session, now=clock.now(), limit=1)
    virtual_clock.advance(lease_for(1))
    with sessions() as session, session.begin():
        [current] = claim_due(session, now=clock.now(), limit=1)
    assert (slow.attempt_no, current.attempt_no) == (1, 2)

    # the slow sender finally fails: its attempt is logged, but the message stays with the new sender
    assert not record_attempt(sessions, slow, FAIL, at=clock.now(), done_at=clock.now(), duration_ms=1)
    assert message(sessions, message_id).status == "sending"
    assert record_attempt(sessions, current, OK, at=clock.now(), done_at=clock.now(), duration_ms=1)
    assert message(sessions, message_id).status == "delivered"
    assert [(a.attempt_no, a.ok) for a in attempts(sessions, message_id)] == [(1, False), (2, True)]


def test_two_concurrent_senders_never_deliver_a_message_twice(sessions, test_secrets, monkeypatch):
    class SlowChannel(ScriptedChannel):
        def send(self, *args, **kwargs):
            threading.Event().wait(0.002)  # lets the other sender claim while this one sends
            return super().send(*args, **kwargs)

    channel = SlowChannel(OK)
    monkeypatch.setitem(CHANNELS, "webhook", channel)
    ids = [put_message(sessions, payload={"n": n}) for n in range(40)]
    start, errors = threading.Barrier(2), []

    def sender():
        try:
            start.wait()
            while deliver_due(sessions, limit=3):  # its own Session per transaction
                pass
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sorted(channel.sent) == sorted(ids)  # every message once, none twice
    with sessions() as session:
        statuses = session.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))).all()
        logged = session.scalar(select(sa.func.count()).select_from(DeliveryAttempt))
    assert set(statuses) == {"delivered"} and logged == len(ids)


# ----------------------------------------------------------------------------- webhook signatures

class WebhookReceiver:
    """A real HTTP receiver on 127.0.0.1: answers 500 to the first ``fail_first`` requests, then 204,
    and checks each request's signature the way a subscriber would (independently of our code)."""

    def __init__(self, secret: str | None, fail_first: int = 0):
        self.secret, self.fail_first = secret, fail_first
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body,
                                          "verified": receiver.verify(self.headers, body)})
                self.send_response(500 if len(receiver.requests) <= receiver.fail_first else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/citybpm"

    def verify(self, headers, body: bytes) -> bool:
        if self.secret is None:
            return False
        expected = hmac.new(self.secret.encode(), headers["X-Citybpm-Timestamp"].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", headers.get("X-Citybpm-Signature", ""))

    @property
    def accepted(self) -> list[dict]:
        return self.requests[self.fail_first:]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_is_signed_so_the_receiver_can_verify_it(sessions, virtual_clock, test_secrets):
    with WebhookReceiver(TEST_SECRET) as receiver:
        message_id = put_message(sessions, target=receiver.url, payload={"type": "case.ended", "案件": "CG1"})
        assert deliver_due(sessions) == 1
    [request] = receiver.requests
    assert request["verified"]
    headers = request["headers"]
    assert headers["X-Citybpm-Event"] == "case.stage_changed"
    assert headers["X-Citybpm-Delivery"] == str(message_id)
    assert headers["X-Citybpm-Timestamp"] == str(int(virtual_clock.now().timestamp()))
    assert json.loads(request["body"]) == {"type": "case.ended", "案件": "CG1"}
    assert message(sessions, message_id).status == "delivered"
    assert attempts(sessions, message_id)[0].status_code == 204


def test_a_receiver_with_another_secret_rejects_the_signature(sessions, test_secrets):
    with WebhookReceiver("some-other-secret-000") as receiver:
        put_message(sessions, target=receiver.url)
        deliver_due(sessions)
    assert [r["verified"] for r in receiver.requests] == [False]


def test_unreachable_receiver_is_a_failed_attempt_with_the_reason(sessions, test_secrets):
    with WebhookReceiver(TEST_SECRET) as receiver:
        url = receiver.url  # the port is free again once the receiver is closed
    message_id = put_message(sessions, target=url)
    assert deliver_due(sessions) == 1
    [attempt] = attempts(sessions, message_id)
    assert not attempt.ok and attempt.status_code is None and "ConnectionError" in attempt.error
    assert message(sessions, message_id).status == "pending"


# ----------------------------------------------------------------------------- SMS / WeChat copies

def test_notifications_go_to_the_inbox_and_to_recorded_sms_and_wechat(sessions):
    with sessions() as session, session.begin():
        conn = session.connection()
        set_contact(conn, "sw", "sms", "13800000001")
        set_contact(conn, "sw", "wechat", "openid-sw")
        set_contact(conn, "hw", "wechat", "openid-hw")
        message = dict(kind="task.overdue", title="任务已超期：处置", body="CG1 已超过处置时限", case_no="CG1",
                       task_id="t-1")
        assert notify(conn, ["sw", "hw", "sw", "zf"], **message) == 3  # duplicates collapse
        assert enqueue_channels(conn, ["sw", "hw", "zf"], **message) == 3  # zf has no address
        assert enqueue_channels(conn, ["sw"], channels=("sms",), **message) == 1
    with sessions() as session:
        inbox = session.scalars(select(Notification.recipient).order_by(Notification.id)).all()
        targets = session.execute(select(OutboxMessage.channel, OutboxMessage.target)
                                  .order_by(OutboxMessage.id)).all()
    assert inbox == ["sw", "hw", "zf"]
    assert [tuple(t) for t in targets] == [("wechat", "openid-hw"), ("sms", "13800000001"),
                                          ("wechat", "openid-sw"), ("sms", "13800000001")]

    assert deliver_due(sessions) == 4
    with sessions() as session:
        log = session.scalars(select(DeliveryAttempt)).all()
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {"delivered"}
    assert {(a.ok, a.note) for a in log} == {(True, RECORDED_NOTE)}


# ----------------------------------------------------------------------------- publishing case events

@contextmanager
def counting_queries(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def case_event(type_, **data):
    return dict(instance_id=None, task_id=None, node_id=None, type=type_, actor="zbz", at=clock.now(), data=data)


def test_publishing_without_subscriptions_costs_one_query_and_none_for_other_events(app, sessions):
    events = [case_event("case.stage_changed", **{"from": "file", "to": "dispatch"})]
    with app.app_context(), sessions() as session, session.begin():
        conn = session.connection()
        conn.execute(select(1))  # the transaction is open, as inside a command
        with counting_queries(db.engine) as statements:
            assert publish_case_events(conn, case_id=1, case_no="CG1", started_by="jdy", events=events) == 0
        assert len(statements) == 1 and "case_subscription" in statements[0]
        with counting_queries(db.engine) as statements:
            publish_case_events(conn, case_id=1, case_no="CG1", started_by="jdy",
                                events=[case_event("counter.incremented")])
        assert statements == []


def test_events_reach_matching_subscriptions_only(app, sessions, api):
    from tests.api.test_closed_loop_flow import report

    case = report(api)  # started by jdy
    other_case = report(api)
    with sessions() as session, session.begin():
        on_case = subscribe(session, "zbz", "http://a.test/hook", case_id=case["id"])
        all_mine = subscribe(session, "jdy", "http://b.test/hook", event_types=["case.ended", "task.created"])
        subscribe(session, "zbz", "http://c.test/hook", case_id=other_case["id"])  # another case
        subscribe(session, "sly", "http://d.test/hook")  # all of sly's cases: jdy started this one
    events = [case_event("case.stage_changed", **{"from": "file", "to": "dispatch"}),
              case_event("case.ended", outcome="closed", reason="结案"), case_event("counter.incremented")]
    with sessions() as session, session.begin():
        queued = publish_case_events(session.connection(), case_id=case["id"], case_no=case["case_no"],
                                     started_by="jdy", events=events)
    assert queued == 3
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.target, r.event_type, r.secret_ref) for r in rows] == [
        ("http://a.test/hook", "case.stage_changed", f"subscription:{on_case.id}"),
        ("http://a.test/hook", "case.ended", f"subscription:{on_case.id}"),
        ("http://b.test/hook", "case.ended", f"subscription:{all_mine.id}"),
    ]
    body = rows[0].payload
    assert body["case_no"] == case["case_no"] and body["data"] == {"from": "file", "to": "dispatch"}
    assert body["subscription_id"] == on_case.id and body["at"] == events[0]["at"].isoformat()
    assert all(TEST_SECRET not in json.dumps(r.payload) for r in rows)


def test_a_deleted_subscription_stops_its_pending_deliveries(sessions, webhook):
    channel = webhook(OK)
    with sessions() as session, session.begin():
        subscription = subscribe(session, "jdy", "http://a.test/hook")
    with sessions() as session, session.begin():
        publish_case_events(session.connection(), case_id=-1, case_no="CG1", started_by="jdy",
                            events=[case_event("case.started")])
    with sessions() as session, session.begin():
        session.delete(session.get(CaseSubscription, subscription.id))
    assert deliver_due(sessions) == 1
    assert channel.sent == []
    with sessions() as session:
        row = session.scalars(select(OutboxMessage)).one()
    assert row.status == "failed" and "no longer exists" in row.last_error
