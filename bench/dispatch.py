"""Dispatch benchmark: a 多部门派遣 case with N departments against a single-department case.

Both run through the engine in-process (one committed transaction per command, SQLite), from the
dispatcher's submission until every department has fed back (the case waits at 核查). The N-department
case dispatches once and collects N part feedbacks; the single case dispatches once and collects one
(处置 + 反馈). With no per-department cost growth the ratio stays at or below N.

Last line: twenty_vs_one (target ≤ 20 for the default 20 departments).
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import REPORT, prepare_database  # noqa: E402


def add_departments(app, count: int) -> list[str]:
    """Bench departments B_DEPT_01 … with one handler each (bench_01 …)."""
    from api.extensions import db
    from engine.identity import Membership, Org, User, UserRole

    codes = [f"B_DEPT_{i:02d}" for i in range(1, count + 1)]
    with app.app_context():
        city = db.session.query(Org).filter_by(code="CITY").one()
        for i, code in enumerate(codes, start=1):
            db.session.add(Org(code=code, name=f"压测部门{i:02d}", kind="department", parent_id=city.id,
                               path=f"{city.path}{code}/", sort=100 + i, grids=[], is_active=True))
            user = User(username=f"bench_{i:02d}", display_name=f"压测{i:02d}", password_hash="-", is_active=True)
            user.roles = [UserRole(role_code="handler")]
            user.memberships = [Membership(org_code=code, is_primary=True)]
            db.session.add(user)
        db.session.commit()
    return codes


class Driver:
    def __init__(self, app):
        from sqlalchemy import select
        from sqlalchemy.orm import sessionmaker

        from api.extensions import db
        from engine.identity import User
        from engine.runtime import Engine

        with app.app_context():
            self.actors = {u.username: u.actor() for u in db.session.scalars(select(User))}
            bind = db.engine
        # the bench departments are not among the dispatch form's options: skip form checks (on both sides)
        shipped = app.extensions["citybpm_engine"]
        self.engine = Engine(dataclasses.replace(shipped.settings, forms=None), specs=shipped.specs)
        self.maker = sessionmaker(bind=bind, expire_on_commit=False)

    def start(self) -> list[dict]:
        with self.maker() as session:
            result = self.engine.start_case(session, "closed_loop", REPORT, self.actors["jdy"])
            session.commit()
        return result.open_tasks

    def complete(self, task_id: str, data: dict, user: str) -> list[dict] | None:
        with self.maker() as session:
            result = self.engine.complete_task(session, task_id, data, self.actors[user])
            session.commit()
        return result.open_tasks

    def open_tasks(self, case_no: str) -> list[dict]:
        from sqlalchemy import select

        from engine.models import Instance, Task

        with self.maker() as session:
            rows = session.execute(select(Task.id, Task.node_id).join(Instance, Instance.id == Task.instance_id)
                                   .where(Instance.case_no == case_no)).all()
        return [{"id": r.id, "node_id": r.node_id} for r in rows]

    def to_dispatch(self) -> tuple[str, str]:
        tasks = self.start()
        tasks = self.complete(tasks[0]["id"], {"accept_result": "accept", "accept_opinion": "受理"}, "sly")
        tasks = self.complete(tasks[0]["id"], {"register_result": "file", "register_opinion": "立案"}, "zbz")
        return tasks[0]["case_no"], tasks[0]["id"]


def one_case(driver: Driver, departments: list[str]) -> float:
    """Seconds from the dispatcher's submission until every department has fed back."""
    case_no, dispatch_id = driver.to_dispatch()
    started = time.perf_counter()
    if len(departments) == 1:
        tasks = driver.complete(dispatch_id, {"department": departments[0], "dispatch_opinion": "派遣"}, "pqy")
        handler = "sw"
        tasks = driver.complete(tasks[0]["id"], {"handle_sign": True, "handle_measures": "处置"}, handler)
        tasks = driver.complete(tasks[0]["id"], {"feedback_result": "已处置"}, handler)
    else:
        driver.complete(dispatch_id, {"dispatch_mode": "multi", "departments": departments}, "pqy")
        for task in driver.open_tasks(case_no):
            user = f"bench_{int(_department_of(driver, task)[-2:]):02d}"
            driver.complete(task["id"], {"part_measures": "处置", "part_result": "已处置"}, user)
    elapsed = time.perf_counter() - started
    assert [t["node_id"] for t in driver.open_tasks(case_no)] == ["check"], case_no
    return elapsed


def _department_of(driver: Driver, task: dict) -> str:
    from sqlalchemy import select

    from engine.models import TaskCandidate

    with driver.maker() as session:
        return session.scalars(select(TaskCandidate.value).where(TaskCandidate.task_id == task["id"],
                                                                 TaskCandidate.kind == "org")).one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=20, help="departments of the multi-department case")
    parser.add_argument("--cases", type=int, default=10, help="cases per measurement (median taken)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="citybpm-bench-") as tmp:
        app = prepare_database(f"sqlite:///{Path(tmp) / 'dispatch.sqlite3'}")
        departments = add_departments(app, args.departments)
        driver = Driver(app)
        one_case(driver, ["D_WATER"])  # warm-up: parses and caches the specs
        one_case(driver, departments)
        single = statistics.median(one_case(driver, ["D_WATER"]) for _ in range(args.cases))
        multi = statistics.median(one_case(driver, departments) for _ in range(args.cases))

    ratio = multi / single
    print(f"single department (派遣 + 处置 + 反馈)       : {single * 1000:8.2f} ms")
    print(f"{args.departments} departments (派遣 + {args.departments} 分部反馈): {multi * 1000:8.2f} ms "
          f"({multi / args.departments * 1000:.2f} ms per department)")
    print(f"twenty_vs_one: {ratio:.2f}")


if __name__ == "__main__":
    main()
