"""Several gunicorn workers on the embedded SQLite file (``citybpm serve --workers 2``): one of them leads the
timer scheduler (a file lock next to the database), and when the leader dies another takes over.

Real processes: ``python -m api.cli setup`` and ``serve`` on a SQLite file of this test's own, /metrics read over
HTTP with a static monitoring token."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from tests.production.servers import ROOT, Gunicorn, wait_for

TOKEN = "sqlite-workers-test-monitoring-token"
LEADER_LINE = re.compile(r'citybpm_scheduler_leader\{leadership="([^"]+)",pid="(\d+)"\} ([0-9.]+)')


@pytest.fixture
def sqlite_server(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CITYBPM_", "PROMETHEUS_"))}
    (tmp_path / "metrics").mkdir()
    env.update(CITYBPM_DATABASE_URL=f"sqlite:///{tmp_path / 'city.sqlite3'}",
               CITYBPM_INSTANCE_DIR=str(tmp_path / "instance"), CITYBPM_METRICS_TOKEN=TOKEN,
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    subprocess.run([sys.executable, "-m", "api.cli", "setup"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = Gunicorn(tmp_path / "gunicorn.log", env, workers=2).wait_ready()
    yield server
    server.stop()


def leaders(server: Gunicorn) -> dict[int, float]:
    """pid → the citybpm_scheduler_leader value each live worker wrote under the SQLite file lock."""
    text = requests.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    return {int(pid): float(value) for kind, pid, value in LEADER_LINE.findall(text) if kind == "sqlite-file-lock"}


def one_leader_among(server: Gunicorn) -> int | None:
    seen = leaders(server)
    workers = server.worker_pids()
    if set(seen) != workers or sorted(seen.values()) != [0.0] * (len(workers) - 1) + [1.0]:
        return None
    return next(pid for pid, value in seen.items() if value == 1.0)


def test_two_sqlite_workers_elect_one_scheduler_leader_and_a_new_one_when_it_dies(sqlite_server):
    wait_for(lambda: one_leader_among(sqlite_server), "exactly one of two workers to report leading", 30)
    leader = one_leader_among(sqlite_server)
    os.kill(leader, signal.SIGKILL)
    # gunicorn starts a replacement; the survivor (or the new worker) takes the lock at its next check (3 s)
    wait_for(lambda: leader not in sqlite_server.worker_pids() and len(sqlite_server.worker_pids()) == 2,
             "gunicorn to replace the killed worker", 30)
    wait_for(lambda: one_leader_among(sqlite_server) not in (None, leader), "another worker to lead", 30)


def test_each_worker_keeps_to_a_core_of_its_own_and_a_replacement_takes_the_freed_one(sqlite_server):
    allowed = os.sched_getaffinity(0)
    cores = min(2, len(allowed))  # two workers: on a one-core machine both are on it
    pinned = {pid: os.sched_getaffinity(pid) for pid in sqlite_server.worker_pids()}
    assert all(len(cpus) == 1 and cpus <= allowed for cpus in pinned.values())
    assert len(set().union(*pinned.values())) == cores
    victim, survivor = sorted(pinned)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in sqlite_server.worker_pids() and len(sqlite_server.worker_pids()) == 2,
             "gunicorn to replace the killed worker", 30)
    replacement = next(iter(sqlite_server.worker_pids() - {survivor}))
    assert os.sched_getaffinity(replacement) == pinned[victim]
    assert os.sched_getaffinity(survivor) == pinned[survivor]
