"""``citybpm simulate``: fast-forward a demo city day on a virtual clock.

Reports arrive through the day; every role works its inbox at its own pace (some
too slowly, so lights turn yellow and red, reminders and 督办 go out); the
scheduler's firer runs at every step of the clock. Deterministic for a seed.
"""
from __future__ import annotations

import datetime as _dt
import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from api.extensions import db
from engine import clock
from engine.deadlines import light
from engine.errors import EngineError
from engine.firing import TimerFirer
from engine.identity import User
from engine.models import Event, Instance, Task

CATEGORIES = ["0101", "0102", "0103", "0110", "1001", "1101", "1102"]
DEPARTMENT_OF = {"0101": "D_WATER", "0102": "D_WATER", "0103": "D_WATER", "0110": "D_ROADS",
                 "1001": "D_SANITATION", "1101": "D_ENFORCE", "1102": "D_ENFORCE"}
HANDLER_OF = {"D_WATER": "sw", "D_ROADS": "sz", "D_SANITATION": "hw", "D_ENFORCE": "zf", "D_GREEN": "yl"}
# node -> (who works it, form data builder)
WORK = {
    "verify": ("jdy", lambda rnd: {"verify_result": "confirmed" if rnd.random() > 0.1 else "not_confirmed",
                                   "verify_opinion": "现场核实"}),
    "accept": ("sly", lambda rnd: {"accept_result": "accept" if rnd.random() > 0.08 else "not_accepted",
                                   "accept_opinion": "受理"}),
    "register": ("zbz", lambda rnd: {"register_result": "file", "register_opinion": "符合立案标准"}),
    "dispatch": ("pqy", None),
    "handle": (None, lambda rnd: {"handle_sign": True, "handle_measures": "已处置"}),
    "feedback": (None, lambda rnd: {"feedback_result": "处置完毕"}),
    "check": ("jdy", lambda rnd: {"check_result": "pass" if rnd.random() > 0.15 else "fail",
                                  "check_opinion": "现场核查"}),
    "close": ("zbz", lambda rnd: {"close_opinion": "结案"}),
}


@dataclass
class SimulationReport:
    reports: int
    closed: int
    open_tasks: Counter
    events: Counter
    steps: int

    def lines(self) -> list[str]:
        lights = ", ".join(f"{k}={v}" for k, v in sorted(self.open_tasks.items())) or "无"
        return [
            f"上报 {self.reports} 件，结案 {self.closed} 件，时钟推进 {self.steps} 步",
            f"仍在办理的任务（按灯色）：{lights}",
            "事件：" + ", ".join(f"{k}={v}" for k, v in sorted(self.events.items())),
        ]


def simulate_day(app, *, day: _dt.date, reports: int = 40, seed: int = 7, step_minutes: int = 5,
                 hours: int = 24) -> SimulationReport:
    rnd = random.Random(seed)
    start = _dt.datetime.combine(day, _dt.time(7, 0), clock.DEFAULT_TZ)
    virtual = clock.VirtualClock(start)
    previous = clock.current()
    clock.install(virtual)
    engine = app.extensions["citybpm_engine"]
    try:
        with app.app_context():
            sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
            actors = {u.username: u.actor() for u in db.session.scalars(select(User))}
        firer = TimerFirer(engine, sessions)
        arrivals = sorted(start + _dt.timedelta(minutes=rnd.uniform(60, 60 * 12)) for _ in range(reports))
        planned: dict[str, _dt.datetime] = {}
        steps = 0
        end = start + _dt.timedelta(hours=hours)
        while virtual.now() < end:
            now = virtual.now()
            while arrivals and arrivals[0] <= now:
                arrivals.pop(0)
                _report(engine, sessions, actors, rnd)
            _work(engine, sessions, actors, rnd, planned, now)
            firer.fire_due(now)
            virtual.advance(_dt.timedelta(minutes=step_minutes))
            steps += 1
        with sessions() as session:
            closed = session.scalar(select(func.count()).select_from(Instance).where(Instance.outcome == "closed"))
            events = Counter(dict(session.execute(select(Event.type, func.count()).group_by(Event.type)).all()))
            lights = Counter()
            for task in session.scalars(select(Task)):
                lights[light(virtual.now(), task.warn_at, task.due_at) or "none"] += 1
        return SimulationReport(reports, closed, lights, events, steps)
    finally:
        clock.install(previous)


def _report(engine, sessions, actors, rnd) -> None:
    category = rnd.choice(CATEGORIES)
    public = rnd.random() < 0.3
    variables = {"source": rnd.choice(["hotline_12345", "wechat"]) if public else "supervisor",
                 "category_type": "part" if category < "1000" else "event", "category_code": category,
                 "grid_code": "110101001001001", "address": f"示范路 {rnd.randint(1, 300)} 号",
                 "description": "模拟上报的问题"}
    with sessions() as session:
        engine.start_case(session, "closed_loop", variables, actors["rx" if public else "jdy"])
        session.commit()


def _work(engine, sessions, actors, rnd, planned: dict, now: _dt.datetime) -> None:
    """Everyone completes the tasks whose planned finishing time has come (some of them late)."""
    with sessions() as session:
        open_tasks = session.execute(select(Task.id, Task.node_id, Task.created_at, Task.due_at, Instance.variables)
                                     .join(Instance, Instance.id == Task.instance_id)).all()
    for task in open_tasks:
        if task.id not in planned:
            limit = (task.due_at - task.created_at) if task.due_at else _dt.timedelta(hours=1)
            planned[task.id] = task.created_at + limit * rnd.choice([0.3, 0.5, 0.7, 0.9, 1.3])
        if planned[task.id] > now or task.node_id not in WORK:
            continue
        who, build = WORK[task.node_id]
        department = (task.variables or {}).get("department")
        if task.node_id == "dispatch":
            data = {"department": DEPARTMENT_OF[task.variables["category_code"]], "dispatch_opinion": "请处置"}
        else:
            data = build(rnd)
        who = who or HANDLER_OF.get(department, "sw")
        try:
            with sessions() as session:
                engine.complete_task(session, task.id, data, actors[who])
                session.commit()
        except EngineError:
            pass  # paused, taken meanwhile, or the case moved on: the next step looks again
        planned.pop(task.id, None)
