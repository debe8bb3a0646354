"""Timer benchmark: the scheduler with 100 000 pending timers, on the embedded default (SQLite).

1. 99 000 far-future timers plus 1 000 real cases whose BPMN timers all fall due in
   the same second S (a few seconds ahead, real clock).
2. ``citybpm scheduler`` runs as its own process: its CPU while nothing is due
   (idle_cpu_percent), its resident memory (scheduler_rss_mb), and the lag from S
   to each timer's firing, read from the event log (lag_p99_s).
3. In one process: the cost of firing one timer against completing one task
   (fire_vs_complete), both through the engine on the same database.

Last lines, one figure each: idle_cpu_percent, lag_p99_s, fire_vs_complete, scheduler_rss_mb.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn"')


def timer_process(process_id: str, due: dt.datetime) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}><bpmn:process id="{process_id}" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
<bpmn:intermediateCatchEvent id="wait">
  <bpmn:timerEventDefinition><bpmn:timeDate>{due.isoformat()}</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="visit"/>
<bpmn:userTask id="visit" name="回访" camunda:candidateGroups="acceptor"/>
<bpmn:sequenceFlow id="f3" sourceRef="visit" targetRef="end"/>
<bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>""".encode()


def prepare(url: str):
    from api.app import create_app
    from api.bootstrap import bootstrap

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CITYBPM_SCHEDULER": "off"})
    bootstrap(app, demo=True)
    return app


def start_cases(app, process_id: str, due: dt.datetime, count: int) -> None:
    from sqlalchemy.orm import sessionmaker

    from api.extensions import db
    from engine.deployment import SourceFile
    from engine.identity import Actor

    engine = app.extensions["citybpm_engine"]
    with app.app_context():
        engine.deploy(db.session, [SourceFile(f"{process_id}.bpmn", timer_process(process_id, due))])
        db.session.commit()
        maker = sessionmaker(bind=db.engine, expire_on_commit=False)
    actor = Actor("sly", frozenset({"acceptor"}))
    for _ in range(count):
        with maker() as session:
            engine.start_case(session, process_id, {}, actor)
            session.commit()


def add_far_timers(app, count: int) -> None:
    from sqlalchemy import insert

    from api.extensions import db
    from engine.timers import TIMERS, TimerKind

    far = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    rows = [dict(kind=TimerKind.TASK_REMIND, due_at=far + dt.timedelta(seconds=i), instance_id=None,
                 task_id=f"filler-{i}", definition_id=None, data={}) for i in range(count)]
    with app.app_context():
        for start in range(0, count, 10_000):
            db.session.execute(insert(TIMERS), rows[start:start + 10_000])
        db.session.commit()


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def lags_from_event_log(app, due: dt.datetime) -> list[float]:
    from sqlalchemy import select

    from api.extensions import db
    from engine.models import Event

    with app.app_context():
        fired = db.session.scalars(select(Event.at).where(Event.type == "timer.fired")).all()
    return [(at - due).total_seconds() for at in fired]


def bench_scheduler_process(app, url: str, due: dt.datetime, expected: int, idle_window: float) -> dict:
    env = dict(os.environ, CITYBPM_DATABASE_URL=url, CITYBPM_SCHEDULER="off")
    scheduler = subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3.0)  # start-up: imports, first look at the timer table, then sleep until S
        cpu_before, wall_before = proc_cpu_seconds(scheduler.pid), time.monotonic()
        time.sleep(idle_window)
        idle = (proc_cpu_seconds(scheduler.pid) - cpu_before) / (time.monotonic() - wall_before) * 100
        rss_idle = proc_rss_mb(scheduler.pid)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            lags = lags_from_event_log(app, due)
            if len(lags) >= expected:
                break
            time.sleep(0.5)
        rss_after = proc_rss_mb(scheduler.pid)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    lags = sorted(lags)
    return {"idle_cpu_percent": idle, "rss_idle": rss_idle, "rss_after": rss_after, "lags": lags}


def bench_fire_vs_complete(app, count: int) -> tuple[float, float]:
    """Per-item cost of firing a due BPMN timer vs completing a user task, same process, same database."""
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from api.extensions import db
    from engine import clock
    from engine.firing import TimerFirer
    from engine.identity import Actor
    from engine.models import Task

    engine = app.extensions["citybpm_engine"]
    past = clock.now() + dt.timedelta(seconds=2)
    start_cases(app, "fire_cost", past, count)
    with app.app_context():
        maker = sessionmaker(bind=db.engine, expire_on_commit=False)
    time.sleep(max(0.0, (past - clock.now()).total_seconds()) + 0.1)
    firer = TimerFirer(engine, maker)
    started = time.perf_counter()
    report = firer.fire_due(limit=count)
    fire = (time.perf_counter() - started) / max(report.fired, 1)

    actor = Actor("sly", frozenset({"acceptor"}))
    with maker() as session:
        task_ids = session.scalars(select(Task.id).where(Task.node_id == "visit").limit(count)).all()
    started = time.perf_counter()
    for task_id in task_ids:
        with maker() as session:
            engine.complete_task(session, task_id, {}, actor)
            session.commit()
    complete = (time.perf_counter() - started) / max(len(task_ids), 1)
    return fire, complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=100_000, help="pending timers in all")
    parser.add_argument("--due-together", type=int, default=1_000, help="timers falling due in the same second")
    parser.add_argument("--idle-window", type=float, default=10.0, help="seconds of idle CPU measurement")
    parser.add_argument("--cost-sample", type=int, default=300, help="timers/tasks for fire_vs_complete")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="citybpm-timers-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'timers.sqlite3'}"
        app = prepare(url)
        add_far_timers(app, args.pending - args.due_together)
        # S: far enough ahead to create the cases, start the scheduler and measure it idle
        creation_started = time.monotonic()
        due = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=60 + args.idle_window)).replace(microsecond=0)
        start_cases(app, "bench_timer", due, args.due_together)
        created_in = time.monotonic() - creation_started
        remaining = (due - dt.datetime.now(dt.timezone.utc)).total_seconds()
        if remaining < args.idle_window + 5:
            sys.exit(f"creating the cases took {created_in:.0f} s: raise the lead time")
        result = bench_scheduler_process(app, url, due, args.due_together, args.idle_window)
        fire, complete = bench_fire_vs_complete(app, args.cost_sample)

    lags = result["lags"]
    p99 = lags[max(0, int(len(lags) * 0.99) - 1)] if lags else float("nan")
    print(f"pending timers: {args.pending}; due in the same second: {args.due_together} (fired {len(lags)})")
    print(f"lag from due to fired: median {statistics.median(lags):.2f} s, p99 {p99:.2f} s, max {lags[-1]:.2f} s"
          if lags else "no timer fired")
    print(f"scheduler process: idle CPU {result['idle_cpu_percent']:.2f} %, "
          f"RSS {result['rss_idle']:.0f} MB idle / {result['rss_after']:.0f} MB after firing")
    print(f"firing one timer {fire * 1000:.2f} ms vs completing one task {complete * 1000:.2f} ms")
    print(f"idle_cpu_percent: {result['idle_cpu_percent']:.2f}")
    print(f"lag_p99_s: {p99:.2f}")
    print(f"fire_vs_complete: {fire / complete:.2f}")
    print(f"scheduler_rss_mb: {max(result['rss_idle'], result['rss_after']):.0f}")


if __name__ == "__main__":
    main()
