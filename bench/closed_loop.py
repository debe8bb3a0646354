"""Closed-loop benchmark: raw SpiffWorkflow vs the engine with its database vs real HTTP.

(a) raw SpiffWorkflow (stock parser and script engine) runs the closed loop and
    serializes the workflow to JSON after every step — the baseline;
(b) the same flow through citybpm's engine in-process, one committed transaction
    per command on the embedded SQLite default;
(c) the same flow over real HTTP against a `citybpm serve` process (gunicorn), each
    role with its own keep-alive connection, as people at their desks would have
    (plain http.client, so the client library's own cost is not counted as the server's).

Also: a case that returns to the same task 200 times (the 返工 loop) through the
engine; its next rounds and those of a case at its 10th return are timed alternately, and their medians compared.

Last lines, one figure each: engine_vs_raw, http_ms_per_case (the median of the cases, each timed on its own:
on a shared machine a neighbour's burst lands on a few cases, and the mean is printed beside it),
step200_vs_step10.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPORT = {"source": "supervisor", "category_type": "part", "category_code": "0101",
          "grid_code": "110101001001001", "address": "和平路 12 号", "description": "井盖破损", "photos": []}
# Raw SpiffWorkflow ignores citybpm:set: the baseline starts with the values those assignments give
RAW_REPORT = {**REPORT, "district_code": "110101", "street_code": "110101001", "dispatch_mode": "flat",
              "auto_dispatch": "no", "proposed_department": None, "proposed_mode": "flat",
              "handle_action": "handle", "dispatch_outcome": "done"}
# (node, data, user) — one closed-loop case, supervisor-reported, closed without rework: 7 human tasks
STEPS = [
    ("accept", {"accept_result": "accept", "accept_opinion": "受理"}, "sly"),
    ("register", {"register_result": "file", "register_opinion": "立案"}, "zbz"),
    ("dispatch", {"department": "D_WATER", "dispatch_opinion": "派遣"}, "pqy"),
    ("handle", {"handle_sign": True, "handle_measures": "更换井盖"}, "sw"),
    ("feedback", {"feedback_result": "已处置"}, "sw"),
    ("check", {"check_result": "pass", "check_opinion": "合格"}, "jdy"),
    ("close", {"close_opinion": "结案"}, "zbz"),
]
REWORK = [
    ("handle", {"handle_sign": True, "handle_measures": "处置"}),
    ("feedback", {"feedback_result": "已处置"}),
    ("check", {"check_result": "fail", "check_opinion": "返工"}),
]


# ---------------------------------------------------------------- (a) raw SpiffWorkflow
def raw_case(spec, subprocess_specs, serializer) -> None:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.task_tree.data.update(RAW_REPORT)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(RAW_REPORT)
    workflow.do_engine_steps()
    serializer.serialize_json(workflow)
    wanted = dict((node, data) for node, data, _ in STEPS)
    while not workflow.completed:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
        task = ready[0]
        task.data.update(wanted.get(task.task_spec.name, {}))  # plain bpmn:task nodes wait in raw Spiff
        task.run()
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)


def bench_raw(cases: int) -> float:
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

    parser = CamundaParser()
    # the same files the engine deploys: the closed loop, the dispatch variants it calls, the rules table
    parser.add_bpmn_files(sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn")))
    parser.add_dmn_files(sorted(str(p) for p in (ROOT / "processes").glob("*.dmn")))
    spec, subprocess_specs = parser.get_spec("closed_loop"), parser.get_subprocess_specs("closed_loop")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    raw_case(spec, subprocess_specs, serializer)  # warm-up
    started = time.perf_counter()
    for _ in range(cases):
        raw_case(spec, subprocess_specs, serializer)
    return (time.perf_counter() - started) / cases


# ---------------------------------------------------------------- (b) the engine with its database
def prepare_database(url: str):
    from api.app import create_app
    from api.bootstrap import bootstrap

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    bootstrap(app, demo=True)
    return app


class EngineCase:
    """One case driven through the engine, each command its own committed transaction."""

    def __init__(self, engine, maker, actors):
        self.engine, self.maker, self.actors = engine, maker, actors
        with maker() as session:
            self.open_tasks = engine.start_case(session, "closed_loop", REPORT, actors["jdy"]).open_tasks
            session.commit()

    def complete(self, node, data, user) -> float:
        """Complete the open task at ``node``; returns the seconds the command took."""
        task_id = next(t["id"] for t in self.open_tasks if t["node_id"] == node)
        with self.maker() as session:
            started = time.perf_counter()
            self.open_tasks = self.engine.complete_task(session, task_id, data, self.actors[user]).open_tasks
            session.commit()
            return time.perf_counter() - started

    def rework_round(self) -> float:
        """核查 fails, the department handles and feeds back again: back at 核查. Seconds for the three steps."""
        return (self.complete("check", REWORK[2][1], "jdy")
                + sum(self.complete(node, data, "sw") for node, data in REWORK[:2]))


def engine_case(engine, maker, actors, steps=STEPS):
    case = EngineCase(engine, maker, actors)
    for node, data, user in steps:
        case.complete(node, data, user)


def engine_parts(app):
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from api.extensions import db
    from engine.identity import User

    with app.app_context():
        bind = db.engine
        actors = {u.username: u.actor() for u in db.session.scalars(select(User))}
    return app.extensions["citybpm_engine"], sessionmaker(bind=bind, expire_on_commit=False), actors


def bench_engine(app, cases: int) -> float:
    engine, maker, actors = engine_parts(app)
    engine_case(engine, maker, actors)  # warm-up: parses and caches the spec
    started = time.perf_counter()
    for _ in range(cases):
        engine_case(engine, maker, actors)
    return (time.perf_counter() - started) / cases


def bench_rework_loop(app, rounds: int, samples: int = 15) -> tuple[float, list[float]]:
    """A case that went round the rework loop ``rounds`` times against one that went round 10 times: rounds on the
    two alternate, so both are timed in the same moments of a shared machine whose speed drifts.

    Returns (late / early, the time of each round of the long case on its way)."""
    engine, maker, actors = engine_parts(app)

    def at_check():
        case = EngineCase(engine, maker, actors)
        for node, data, user in STEPS[:5]:
            case.complete(node, data, user)
        return case

    long_case, short_case = at_check(), at_check()
    per_round = [long_case.rework_round() for _ in range(rounds - 1)]
    for _ in range(9):
        short_case.rework_round()
    early, late = [], []
    for _ in range(samples):  # rounds 10…, and rounds·…
        early.append(short_case.rework_round())
        late.append(long_case.rework_round())
    per_round.append(late[0])
    return statistics.median(late) / statistics.median(early), per_round


# ---------------------------------------------------------------- (c) real HTTP
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Desk:
    """One person's client: a logged-in keep-alive connection (http.client, so the figure is the server and
    loopback, not the ~0.5 ms per request the requests library spends on itself)."""

    def __init__(self, port: int, username: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Content-Type": "application/json"}
        status, answer = self.post("/api/v1/auth/login", {"username": username, "password": "citybpm123"})
        assert status == 200, answer
        self.headers["Authorization"] = f"Bearer {answer['token']}"

    def post(self, path: str, body: dict) -> tuple[int, dict | list]:
        self.connection.request("POST", path, body=json.dumps(body).encode(), headers=self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def bench_http(cases: int, workdir: Path) -> tuple[float, float]:
    """(mean, median) seconds per case, each case timed on its own."""
    import requests

    env = dict(os.environ, CITYBPM_DATABASE_URL=f"sqlite:///{workdir / 'http.sqlite3'}")
    citybpm = [sys.executable, "-m", "api.cli"]
    subprocess.run(citybpm + ["setup", "--demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(citybpm + ["serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        desks = {user: Desk(port, user) for user in ("jdy", "sly", "zbz", "pqy", "sw")}

        def one_case():
            status, created = desks["jdy"].post("/api/v1/cases", {"variables": REPORT})
            assert status == 201, created
            open_tasks = created["open_tasks"]
            for node, data, user in STEPS:
                task = next(t for t in open_tasks if t["node_id"] == node)
                status, open_tasks = desks[user].post(f"/api/v1/tasks/{task['id']}/complete", {"data": data})
                assert status == 200, open_tasks
            assert open_tasks == []

        one_case()  # warm-up
        times = []
        for _ in range(cases):
            started = time.perf_counter()
            one_case()
            times.append(time.perf_counter() - started)
        return statistics.fmean(times), statistics.median(times)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=40, help="closed-loop cases per measurement")
    parser.add_argument("--loop", type=int, default=200, help="returns to the same task in the loop case")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="citybpm-bench-") as tmp:
        workdir = Path(tmp)
        app = prepare_database(f"sqlite:///{workdir / 'engine.sqlite3'}")
        raw = bench_raw(args.cases)
        engine = bench_engine(app, args.cases)
        ratio_loop, per_round = bench_rework_loop(app, args.loop)
        http_mean, http = bench_http(args.cases, workdir)

    print(f"(a) raw SpiffWorkflow + JSON per step : {raw * 1000:8.2f} ms per closed-loop case (7 user tasks)")
    print(f"(b) citybpm engine + SQLite, in-process: {engine * 1000:8.2f} ms per case")
    print(f"(c) citybpm over real HTTP             : {http * 1000:8.2f} ms per case, median "
          f"(mean {http_mean * 1000:.2f}; start + 7 completions)")
    print(f"    HTTP vs raw: {http / raw:.2f}x;  rework loop (3 steps a round): round 10 "
          f"{per_round[9] * 1000:.2f} ms, round {len(per_round)} {per_round[-1] * 1000:.2f} ms on the way; "
          f"rounds timed alternately on a 10-round and a {len(per_round)}-round case: {ratio_loop:.2f}x")
    print(f"engine_vs_raw: {engine / raw:.2f}")
    print(f"http_ms_per_case: {http * 1000:.1f}")
    print(f"step200_vs_step10: {ratio_loop:.2f}")


if __name__ == "__main__":
    main()
