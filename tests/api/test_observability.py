"""What operators see: /healthz and /readyz, JSON logs with a request id, Prometheus /metrics.

Most tests talk to the shared server. Config-specific cases (a database or Redis that is down, JSON logs, a
static metrics token) get an app of their own on the same database; the multi-worker counters and the JSON
access line run `citybpm serve` (gunicorn, two workers) as a real subprocess.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import glob
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.extensions import db
from api.observability.logs import QUIET_LOGGERS, JsonFormatter, RequestIdFilter
from api.observability.options import log_format
from api.scheduling import start_scheduler, stop_scheduler
from engine.models import Event
from tests.api.test_closed_loop_flow import REPORT, report
from tests.helpers import give_back_process_state, serving

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_TEST_PORT = 56391


# ----------------------------------------------------------------------------- helpers

def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(base_url: str, token: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}",
                                                             "Connection": "close"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    """One sample's value; labels not given (e.g. the pid of multiprocess gauges) are not compared."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def admin_token(api) -> str:
    return api("admin").http.headers["Authorization"].split(" ", 1)[1]


@contextlib.contextmanager
def separate_app(app, **overrides):
    """Another app on the shared database, behind its own HTTP server; disposed afterwards."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "CITYBPM_ENV": "test",
                        "TESTING": True, **overrides})
    try:
        with serving(other) as base_url:
            yield base_url
    finally:
        give_back_process_state(app, other)  # create_app set process-wide state for the new app
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def health_log(caplog):
    """The probes' logger at INFO. The session's migrations ran alembic's fileConfig, which disables every logger
    that existed then (migrations/env.py: disable_existing_loggers defaults to True): switch ours back on."""
    logger = logging.getLogger("api.observability.health")
    was_disabled, logger.disabled = logger.disabled, False
    caplog.set_level(logging.INFO, logger=logger.name)
    yield logger
    logger.disabled = was_disabled


def wait_for(condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


# ----------------------------------------------------------------------------- probes

def test_healthz_and_readyz_answer_without_a_token(server):
    health = requests.get(f"{server}/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["Cache-Control"] == "no-store"

    ready = requests.get(f"{server}/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["redis"] == {"status": "not_configured"}
    assert body["checks"]["scheduler"] == {"leadership": "off", "leader": False}


def test_database_down_is_not_ready_but_still_alive_and_nothing_leaks(app):
    port = free_port()
    url = f"postgresql+psycopg://probe_user:probe-secret@127.0.0.1:{port}/citybpm"
    with separate_app(app, SQLALCHEMY_DATABASE_URI=url, CITYBPM_METRICS_TOKEN="static-metrics-token") as base:
        assert requests.get(f"{base}/healthz").status_code == 200  # liveness never touches the database
        ready = requests.get(f"{base}/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["checks"]["database"] == {"status": "down", "reason": "connection_failed"}
        for secret in ("probe_user", "probe-secret", str(port), "127.0.0.1", "postgresql"):
            assert secret not in ready.text
        # the counters still answer; what needs the database is left out
        samples = scrape(base, "static-metrics-token")
        assert not [name for name, _ in samples if name in ("citybpm_open_tasks", "citybpm_timer_lag_seconds")]
        assert any(name == "citybpm_http_requests_total" for name, _ in samples)


def test_redis_down_degrades_readiness_logs_once_and_the_log_line_carries_the_request_id(app, caplog, health_log):
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    health_log.addHandler(handler)
    port = free_port()
    try:
        with separate_app(app, CITYBPM_REDIS_URL=f"redis://:redis-secret@127.0.0.1:{port}/0") as base:
            answers = [requests.get(f"{base}/readyz", headers={"X-Request-Id": f"probe-{i}"}) for i in range(3)]
    finally:
        health_log.removeHandler(handler)
    for answer in answers:
        assert answer.status_code == 200  # load balancers keep the worker: it still serves
        assert answer.json()["status"] == "degraded"
        assert answer.json()["checks"]["database"]["status"] == "up"
        assert answer.json()["checks"]["redis"] == {"status": "down", "reason": "connection_failed"}
        assert "redis-secret" not in answer.text and str(port) not in answer.text
    assert [a.headers["X-Request-Id"] for a in answers] == ["probe-0", "probe-1", "probe-2"]

    warnings = [r for r in caplog.records if r.name == "api.observability.health" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once per transition, not per probe
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert len(logged) == 1
    assert logged[0]["request_id"] == "probe-0"  # the request that saw the change
    assert logged[0]["level"] == "WARNING" and logged[0]["logger"] == "api.observability.health"
    assert logged[0]["check"] == "redis" and logged[0]["reason"] == "connection_failed"
    assert "redis-secret" not in lines.getvalue()


def test_with_redis_down_people_still_log_in_and_work(app):
    """The login rate limiter keeps its counts in Redis; unreachable, it counts in memory instead of failing."""
    with separate_app(app, CITYBPM_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0") as base:
        login = requests.post(f"{base}/api/v1/auth/login", json={"username": "jdy", "password": "citybpm123"})
        assert login.status_code == 200, login.text
        me = requests.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
        assert me.status_code == 200 and me.json()["username"] == "jdy"


@pytest.fixture
def redis_server():
    """A real redis-server on loopback port 56391 that the test may stop and start again."""
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    processes = []

    def start():
        process = subprocess.Popen([REDIS_SERVER, "--port", str(REDIS_TEST_PORT), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", REDIS_TEST_PORT), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, "redis-server to answer", seconds=15)
        return process

    def stop(process):
        process.terminate()
        process.wait(timeout=15)

    yield start, stop
    for process in processes:
        if process.poll() is None:
            stop(process)


def test_readiness_follows_a_real_redis_going_away_and_coming_back(app, redis_server, caplog, health_log):
    start, stop = redis_server
    process = start()
    with separate_app(app, CITYBPM_REDIS_URL=f"redis://127.0.0.1:{REDIS_TEST_PORT}/0") as base:
        up = requests.get(f"{base}/readyz").json()
        assert up["status"] == "ready" and up["checks"]["redis"]["status"] == "up"

        stop(process)
        down = [requests.get(f"{base}/readyz") for _ in range(3)]
        assert [(d.status_code, d.json()["status"]) for d in down] == [(200, "degraded")] * 3
        assert {d.json()["checks"]["redis"]["status"] for d in down} == {"down"}

        start()
        back = requests.get(f"{base}/readyz").json()
        assert back["status"] == "ready" and back["checks"]["redis"]["status"] == "up"

    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "api.observability.health"]
    assert messages == [("WARNING", "redis unavailable (connection_failed): degraded, still serving"),
                        ("INFO", "redis reachable again")]


# ----------------------------------------------------------------------------- request ids and log settings

def test_request_id_is_echoed_sanitised_and_generated(server):
    given = requests.get(f"{server}/healthz", headers={"X-Request-Id": "caller-7f3a.1:x"})
    assert given.headers["X-Request-Id"] == "caller-7f3a.1:x"
    dirty = requests.get(f"{server}/healthz", headers={"X-Request-Id": "a b\"<script>;" + "z" * 300})
    assert dirty.headers["X-Request-Id"] == "abscript" + "z" * 56  # only safe characters, at most 64
    made = {requests.get(f"{server}/healthz").headers["X-Request-Id"] for _ in range(2)}
    assert len(made) == 2 and all(len(m) == 32 and int(m, 16) >= 0 for m in made)
    # also on answers the auth hook refuses before any view runs
    refused = requests.get(f"{server}/api/v1/cases", headers={"X-Request-Id": "no-token-here"})
    assert refused.status_code == 401 and refused.headers["X-Request-Id"] == "no-token-here"


def test_a_json_line_is_one_line_with_extras_and_the_traceback():
    record = logging.LogRecord("engine.firing", logging.ERROR, __file__, 1, "定时器 %s 失败\n第二行", ("T1",), None)
    try:
        raise ValueError("坏了")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.case_no, record.at = "CG202603020001", dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    line = JsonFormatter().format(record)
    assert "\n" not in line and "定时器" in line  # one line; Chinese stays readable
    entry = json.loads(line)
    assert entry["message"] == "定时器 T1 失败\n第二行" and entry["level"] == "ERROR" and entry["logger"] == "engine.firing"
    assert entry["case_no"] == "CG202603020001" and entry["at"] == "2026-03-02 09:00:00+00:00"
    assert "ValueError: 坏了" in entry["exception"] and entry["request_id"] is None


def test_log_format_is_json_in_production_and_text_in_development():
    assert log_format({}, {}) == "text"
    assert log_format({}, {"CITYBPM_ENV": "production"}) == "json"
    assert log_format({}, {"CITYBPM_ENV": "production", "CITYBPM_LOG_FORMAT": "text"}) == "text"
    assert log_format({"CITYBPM_LOG_FORMAT": "json"}, {}) == "json"
    with pytest.raises(ValueError):
        log_format({}, {"CITYBPM_LOG_FORMAT": "xml"})


# ----------------------------------------------------------------------------- /metrics

def test_spiffworkflow_and_apscheduler_stay_below_warning_in_text_logs_too(app):
    """`citybpm serve` logs at INFO. There, SpiffWorkflow wrote about a hundred lines per closed-loop case (with the
    tasks' data), a tenth of the server's time per case."""
    saved = {name: logging.getLogger(name).level for name in ("", *QUIET_LOGGERS)}
    logging.getLogger().setLevel(logging.INFO)  # as the CLI's basicConfig sets it
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    try:
        assert logging.getLogger("spiff.task").isEnabledFor(logging.INFO)
        other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "CITYBPM_ENV": "test",
                            "TESTING": True, "CITYBPM_LOG_FORMAT": "text"})
        give_back_process_state(app, other)
        with other.app_context():
            db.engine.dispose()
        for name in ("spiff.task", "spiff.workflow", "apscheduler.scheduler"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
            assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_metrics_need_a_monitoring_token(server, api):
    bare = requests.get(f"{server}/metrics")
    assert bare.status_code == 401
    assert bare.headers["Content-Type"].startswith("application/problem+json")
    assert bare.json()["code"] == "unauthorized"
    wrong = requests.get(f"{server}/metrics", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"
    # a valid user token without system.monitor
    supervisor = api("jdy").http.get(f"{server}/metrics", headers={"Accept-Language": "en"})
    assert supervisor.status_code == 403 and supervisor.json()["code"] == "forbidden"
    assert supervisor.json()["detail"] == "you may not read the metrics"
    assert value(scrape(server, admin_token(api)), "citybpm_timer_lag_seconds") >= 0


def test_static_metrics_token(app):
    with separate_app(app, CITYBPM_METRICS_TOKEN="prometheus-static-token") as base:
        assert requests.get(f"{base}/metrics", headers={"Authorization": "Bearer prometheus-static-tokem"}
                            ).status_code == 401
        assert value(scrape(base, "prometheus-static-token"), "citybpm_timer_lag_seconds") >= 0


def test_counters_move_by_exactly_the_cases_started_and_tasks_completed(server, api):
    token = admin_token(api)
    before = scrape(server, token)
    first, second = report(api)["case_no"], report(api)["case_no"]
    api("sly").complete(first, "accept", {"accept_result": "accept", "accept_opinion": "属实"})
    # refused commands change nothing, so count nothing
    task = api("sly").task_for(second, "accept")
    refused = api("sly").post(f"/tasks/{task['id']}/complete", json={"data": {"accept_result": "maybe"}})
    assert refused.status_code == 422
    again = api("jdy").post("/cases", headers={"Idempotency-Key": "obs-same-report"},
                            json={"process_key": "closed_loop", "variables": REPORT})
    retry = api("jdy").post("/cases", headers={"Idempotency-Key": "obs-same-report"},
                            json={"process_key": "closed_loop", "variables": REPORT})
    assert again.status_code == 201 and retry.status_code == 200  # the retry returns the same case

    after = scrape(server, token)
    started = ("citybpm_cases_started_total", dict(process="closed_loop"))
    assert value(after, started[0], **started[1]) - before.get(
        (started[0], frozenset(started[1].items())), 0.0) == 3
    assert value(after, "citybpm_tasks_completed_total") - value(before, "citybpm_tasks_completed_total") == 1


def test_a_rolled_back_event_is_not_counted(app_context, server, api):
    token = admin_token(api)
    before = value(scrape(server, token), "citybpm_tasks_completed_total")
    now = dt.datetime.now(dt.timezone.utc)
    db.session.add(Event(instance_id=None, task_id=None, node_id=None, type="task.completed", actor="probe",
                         at=now, data={}))
    db.session.flush()
    db.session.rollback()
    assert value(scrape(server, token), "citybpm_tasks_completed_total") == before
    db.session.add(Event(instance_id=None, task_id=None, node_id=None, type="task.completed", actor="probe",
                         at=now, data={}))
    db.session.commit()
    assert value(scrape(server, token), "citybpm_tasks_completed_total") == before + 1


def test_route_labels_are_url_rules_never_raw_paths(server, api):
    case_no = report(api)["case_no"]
    assert api("admin").get(f"/cases/{case_no}").status_code == 200
    missing = f"/no-such-page-{uuid.uuid4().hex}"
    assert requests.get(f"{server}{missing}").status_code == 404
    response = requests.get(f"{server}/metrics", headers={"Authorization": f"Bearer {admin_token(api)}"})
    assert case_no not in response.text and missing not in response.text
    samples = scrape(server, admin_token(api))
    assert value(samples, "citybpm_http_requests_total", method="GET", route="/api/v1/cases/<string:case_no>",
                 status="200") >= 1
    assert value(samples, "citybpm_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert value(samples, "citybpm_http_request_duration_seconds_count", method="POST",
                 route="/api/v1/cases") >= 1


def _lights(samples) -> dict[str, float]:
    return {light: value(samples, "citybpm_open_tasks", light=light) for light in ("green", "yellow", "red")}


def _api_lights(api) -> dict[str, int]:
    """What the acceptor's inbox shows (the only open task in these tests is theirs)."""
    return {light: len(api("sly").inbox(light=light)) for light in ("green", "yellow", "red")}


def test_open_tasks_by_light_and_timer_lag_follow_the_clock(server, api, virtual_clock):
    token = admin_token(api)
    assert _lights(scrape(server, token)) == {"green": 0, "yellow": 0, "red": 0}
    case_no = report(api)["case_no"]
    task = api("sly").task_for(case_no, "accept")
    warn_at, due_at = dt.datetime.fromisoformat(task["warn_at"]), dt.datetime.fromisoformat(task["due_at"])
    assert virtual_clock.now() < warn_at < due_at

    samples = scrape(server, token)
    assert _lights(samples) == {"green": 1, "yellow": 0, "red": 0} and _api_lights(api)["green"] == 1
    assert value(samples, "citybpm_timer_lag_seconds") == 0  # nothing due yet

    virtual_clock.set(warn_at + dt.timedelta(seconds=30))  # no scheduler runs: the warning timer waits
    samples = scrape(server, token)
    assert _lights(samples) == {"green": 0, "yellow": 1, "red": 0} == _api_lights(api)
    assert value(samples, "citybpm_timer_lag_seconds") == 30

    virtual_clock.set(due_at + dt.timedelta(minutes=2))
    samples = scrape(server, token)
    assert _lights(samples) == {"green": 0, "yellow": 0, "red": 1} == _api_lights(api)
    assert value(samples, "citybpm_timer_lag_seconds") == (due_at - warn_at).total_seconds() + 120

    # a paused case's task shows no light
    api("zbz").ok("POST", f"/cases/{case_no}/suspend", json={"kind": "suspend", "reason": "等待调查"})
    assert _lights(scrape(server, token)) == {"green": 0, "yellow": 0, "red": 0}


def test_scheduler_leadership_gauge_and_readiness(app, server, api):
    token = admin_token(api)
    scheduler = start_scheduler(app, max_sleep=5.0)
    try:
        wait_for(lambda: scheduler.is_leader, "the scheduler to lead")
        kind = scheduler.leadership.name
        assert value(scrape(server, token), "citybpm_scheduler_leader", leadership=kind) == 1
        assert requests.get(f"{server}/readyz").json()["checks"]["scheduler"] == {"leadership": kind,
                                                                                  "leader": True}
    finally:
        stop_scheduler(app)
    samples = scrape(server, token)
    assert value(samples, "citybpm_scheduler_leader", leadership=kind) == 0
    assert value(samples, "citybpm_scheduler_leader", leadership="off") == 0


# ----------------------------------------------------------------------------- gunicorn, two workers

@pytest.fixture
def gunicorn_two_workers(app, tmp_path):
    """`citybpm serve --workers 2` on the shared database, JSON logs, multiprocess metrics."""
    port, metrics_dir, log_path = free_port(), tmp_path / "prometheus", tmp_path / "server.log"
    metrics_dir.mkdir()
    env = {key: val for key, val in os.environ.items() if not key.startswith(("CITYBPM_", "PROMETHEUS_"))}
    env.update(CITYBPM_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], CITYBPM_ENV="test",
               CITYBPM_LOG_FORMAT="json", CITYBPM_SCHEDULER="off", CITYBPM_METRICS_TOKEN="multi-worker-token",
               PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
                                    "--threads", "8"], cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def healthy():
        assert process.poll() is None, log_path.read_text(errors="replace")
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_for(healthy, "gunicorn to answer", seconds=90)
        yield base, metrics_dir, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _cases_counted_per_worker(metrics_dir: Path) -> dict[int, float]:
    counted = {}
    for path in glob.glob(str(metrics_dir / "counter_*.db")):
        pid = int(Path(path).stem.rsplit("_", 1)[1])
        counted[pid] = sum(val for key, val, _ts, _pos in MmapedDict.read_all_values_from_file(path)
                           if json.loads(key)[1] == "citybpm_cases_started_total")
    return {pid: n for pid, n in counted.items() if n}


def _login(base: str, username: str) -> requests.Session:
    http = requests.Session()
    answer = http.post(f"{base}/api/v1/auth/login", json={"username": username, "password": "citybpm123"})
    assert answer.status_code == 200, answer.text
    http.headers.update({"Authorization": f"Bearer {answer.json()['token']}", "Connection": "close"})
    return http


def test_two_gunicorn_workers_count_together_and_log_json(gunicorn_two_workers):
    base, metrics_dir, log_path = gunicorn_two_workers
    reporter, acceptor = _login(base, "jdy"), _login(base, "sly")

    def start_case(_):
        answer = reporter.post(f"{base}/api/v1/cases", json={"process_key": "closed_loop", "variables": REPORT})
        assert answer.status_code == 201, answer.text
        return answer.json()["case_no"]

    # new connections each time, several at once, until both workers have started some of the cases
    started: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        while len(_cases_counted_per_worker(metrics_dir)) < 2:
            assert len(started) < 64, f"one worker took every request: {_cases_counted_per_worker(metrics_dir)}"
            started += list(pool.map(start_case, range(8)))
    for case_no in started[:3]:
        task = acceptor.get(f"{base}/api/v1/tasks", params={"case_no": case_no}).json()[0]
        done = acceptor.post(f"{base}/api/v1/tasks/{task['id']}/complete",
                             json={"data": {"accept_result": "accept", "accept_opinion": "属实"}})
        assert done.status_code == 200, done.text

    # whichever worker answers the scrape reports the totals of both
    for _ in range(8):
        samples = scrape(base, "multi-worker-token")
        assert value(samples, "citybpm_cases_started_total", process="closed_loop") == len(started)
        assert value(samples, "citybpm_tasks_completed_total") == 3

    # the access line is ours, in JSON, with the caller's request id; gunicorn's own access log is off
    marker = uuid.uuid4().hex
    me = reporter.get(f"{base}/api/v1/auth/me", params={"probe": marker}, headers={"X-Request-Id": "obs-json-1"})
    assert me.status_code == 200 and me.headers["X-Request-Id"] == "obs-json-1"

    def access_line():
        for line in log_path.read_text(errors="replace").splitlines():
            if '"obs-json-1"' in line:
                return json.loads(line)
        return None

    wait_for(lambda: access_line() is not None, "the access line")
    line = access_line()
    assert line["logger"] == "citybpm.access" and line["level"] == "INFO"
    assert line["request_id"] == "obs-json-1" and line["message"] == "GET /api/v1/auth/me 200"
    assert (line["method"], line["path"], line["route"], line["status"], line["user"]) == (
        "GET", "/api/v1/auth/me", "/api/v1/auth/me", 200, "jdy")
    assert isinstance(line["duration_ms"], float) and "time" in line
    text = log_path.read_text(errors="replace")
    assert marker not in text  # no query string in our line, and no gunicorn access line at all
    access = [json.loads(li) for li in text.splitlines() if '"citybpm.access"' in li]
    assert len(access) >= len(started) + 3  # one per request
