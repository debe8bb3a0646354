"""A gunicorn worker killed with SIGKILL while many clients complete tasks: no case is left half-written (state,
task rows, events and timers agree), the master starts a new worker and the clients carry on, and every
completion a client saw succeed is in the event log exactly once."""
from __future__ import annotations

import os
import queue
import signal
import threading
import time

import requests
from sqlalchemy import func, select

from api.extensions import db
from engine.models import Event, Instance
from tests.production.consistency import disagreements
from tests.production.processes import CHAIN, deploy, start_cases
from tests.production.servers import client_with, run_threads, tokens_for, wait_for

CASES = 60
STEPS = 3  # fault_chain: first, second, third
CLIENTS = 12
KILL_AFTER = (25, 90)  # completions seen before each SIGKILL


def test_killed_workers_leave_every_case_whole_and_clients_carry_on(app, serve):
    server = serve(workers=2)
    deploy(server.client("admin"), CHAIN)
    tokens = tokens_for(server, "sly", "rx")
    cases = start_cases(server.url, tokens["sly"], "fault_chain", CASES)
    assert all(case["open_tasks"][0]["due_at"] for case in cases), "the tasks need deadlines (and their timers)"

    todo: queue.Queue[str] = queue.Queue()
    for case in cases:
        todo.put(case["case_no"])
    completed_ok: list[str] = []  # task ids whose completion a client saw answered 200
    cut: list[str] = []           # requests that lost their connection (the killed worker had them)

    def drive_cases(authorization: str):
        client = client_with(server.url, authorization)
        while True:
            try:
                case_no = todo.get_nowait()
            except queue.Empty:
                return
            drive_to_the_end(client, case_no, completed_ok, cut)

    killed: list[int] = []

    def kill_workers():
        for threshold in KILL_AFTER:
            wait_for(lambda: len(completed_ok) >= threshold, f"{threshold} completions", 120)
            victim = min(server.worker_pids())
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            wait_for(lambda: len(server.worker_pids() - set(killed)) == 2, "the master to start a new worker", 60)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    run_threads(drive_cases, [(tokens["sly" if n % 2 else "rx"],) for n in range(CLIENTS)], seconds=150)
    killer.join(timeout=60)
    print(f"\nworkers killed: {killed}; requests cut by the kills: {len(cut)}; completions seen: {len(completed_ok)}")

    assert len(killed) == len(KILL_AFTER) and not killer.is_alive()
    assert len(server.worker_pids()) == 2 and not server.worker_pids() & set(killed)
    with app.app_context():
        statuses = dict(db.session.execute(
            select(Instance.status, func.count()).group_by(Instance.status)).all())
        completions = dict(db.session.execute(
            select(Event.task_id, func.count()).where(Event.type == "task.completed").group_by(Event.task_id)).all())
    assert statuses == {"completed": CASES}
    assert len(completions) == CASES * STEPS and set(completions.values()) == {1}
    assert set(completed_ok) <= completions.keys() and len(set(completed_ok)) == len(completed_ok)
    assert disagreements(app) == []


def drive_to_the_end(client, case_no: str, completed_ok: list, cut: list, seconds: float = 90) -> None:
    """Complete the case's open task until it ends. A request cut by a kill may or may not have committed:
    read the case again and go on from whatever it shows (a 409 means our cut request had won)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            case = client.get(f"/cases/{case_no}")
            if case.status_code != 200:
                raise AssertionError(f"GET /cases/{case_no}: {case.status_code} {case.text}")
            if case.json()["status"] == "completed":
                return
            task_id = case.json()["open_tasks"][0]["id"]
            response = client.post(f"/tasks/{task_id}/complete", json={"data": {"opinion": "已办"}})
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:  # cut mid-answer
            cut.append(repr(exc))
            continue
        if response.status_code == 200:
            completed_ok.append(task_id)
        elif response.status_code != 409:
            raise AssertionError(f"completing {task_id}: {response.status_code} {response.text}")
    raise AssertionError(f"{case_no} did not reach its end within {seconds}s")
