"""Evaluation benchmark: a monthly 专业部门 report over a large generated history vs a plain indexed COUNT.

N closed-loop cases are written straight into a fresh SQLite database (migrated by the app's bootstrap) with
bulk Core inserts: process_instance rows and the events the engine writes for them (case.started, then
task.created / task.completed for 核实 (public reports), 受理, 立案, 派遣, 处置, 反馈, 核查, 结案 with actors,
form data and the due_at stamps write_step puts on them, case.deadline_set, 返工 counter.incremented with a
second 处置/反馈 round, some late steps, some cases not filed or voided after filing, case.ended), spread over
several months. Then:

- ``rollups.refresh`` derives the facts and their day counts (timed; events/s printed as information);
- (a) ``engine.evaluation.report.build`` for party 专业部门 (department) and one month (it sums the month's
  day counts, so its cost does not grow with the history), and
  (b) the baseline: ``SELECT COUNT(*) FROM event WHERE type = 'task.completed' AND at BETWEEN …`` over the
  same month (ix_event_type_at), each repeated, the median taken.

Last lines: report_vs_count (target ≤ 3), report_s (target ≤ 2 s at --cases 1000000).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TZ = dt.timezone(dt.timedelta(hours=8))   # Asia/Shanghai has no DST: a fixed offset is exact
FIRST_DAY = dt.datetime(2027, 1, 1, tzinfo=TZ)
MONTH = "2027-03"                          # the month reported (the history covers January–June 2027)
DEPARTMENTS = [f"D_B{i:02d}" for i in range(1, 21)]
DISTRICTS = ["110101", "110102", "110105", "110106", "110107", "110108"]
MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
# node → (stage, candidates, limit); the limits are the shipped defaults' order of magnitude
NODES = {
    "verify": ("file", "role:supervisor", 30 * MINUTE),
    "accept": ("file", "role:acceptor", 15 * MINUTE),
    "register": ("file", "role:shift_leader", 30 * MINUTE),
    "dispatch": ("dispatch", "role:dispatcher", 30 * MINUTE),
    "handle": ("handle", None, 4 * HOUR),
    "feedback": ("feedback", None, 2 * DAY),
    "check": ("close", "role:supervisor", 30 * MINUTE),
    "close": ("close", "role:shift_leader", HOUR),
}


class History:
    """Writes cases and their events with explicit ids, in batches of bulk Core inserts."""

    def __init__(self, conn, definition_id: int, seed: int = 9):
        from engine.models import Event, Instance
        self.conn, self.definition_id = conn, definition_id
        self.instances, self.events = Instance.__table__, Event.__table__
        self.random = random.Random(seed)
        self.case_rows: list[dict] = []
        self.event_rows: list[dict] = []
        self.next_case = self.next_event = 1
        self.task_no = 0

    def flush(self) -> None:
        if self.case_rows:
            self.conn.execute(self.instances.insert(), self.case_rows)
        if self.event_rows:
            self.conn.execute(self.events.insert(), self.event_rows)
        self.case_rows, self.event_rows = [], []

    def event(self, case_id: int, kind: str, actor: str, at: dt.datetime, *, task_id=None, node=None, **data):
        self.event_rows.append(dict(id=self.next_event, instance_id=case_id, task_id=task_id, node_id=node,
                                    type=kind, actor=actor, at=at, data=data))
        self.next_event += 1

    def step(self, case_id: int, node: str, created_by: str, at: dt.datetime, actor: str, data: dict, *,
             late: bool = False, department: str | None = None) -> dt.datetime:
        """task.created then task.completed (due_at stamped on both, as write_step does); returns the end."""
        stage, candidate, limit = NODES[node]
        self.task_no += 1
        task_id = f"00000000-0000-4000-8000-{self.task_no:012d}"
        due = at + limit
        candidates = [f"org:{department}"] if department else [candidate]
        self.event(case_id, "task.created", created_by, at, task_id=task_id, node=node, stage=stage,
                   assignee=None, candidates=candidates, due_at=due.isoformat())
        took = limit * (1.2 + self.random.random() * 2) if late else limit * self.random.uniform(0.1, 0.9)
        done = at + took
        self.event(case_id, "task.completed", actor, done, task_id=task_id, node=node, stage=stage, data=data,
                   due_at=due.isoformat())
        return done

    def case(self, started: dt.datetime) -> None:
        r, case_id = self.random, self.next_case
        self.next_case += 1
        public = r.random() < 0.2
        source = "hotline_12345" if public else "supervisor"
        reporter = f"rx{r.randrange(10):02d}" if public else f"jdy{r.randrange(200):03d}"
        district = r.choice(DISTRICTS)
        department = r.choice(DEPARTMENTS)
        case_no = f"CG{started:%Y%m%d}{case_id:08d}"
        late = r.random  # one draw per step: about 5 % of steps late, 12 % of 反馈
        self.event(case_id, "case.started", reporter, started, case_no=case_no, definition="closed_loop", version=1)
        at, by = started, reporter
        if public:
            verifier = f"jdy{r.randrange(200):03d}"
            at = self.step(case_id, "verify", by, at + 5 * MINUTE * r.random(), verifier,
                           {"verify_result": "confirmed", "verify_opinion": "属实"}, late=late() < 0.05)
            by = verifier
        acceptor, leader = f"sly{r.randrange(20):02d}", f"zbz{r.randrange(8)}"
        at = self.step(case_id, "accept", by, at, acceptor, {"accept_result": "accept", "accept_opinion": "受理"},
                       late=late() < 0.05)
        filed = r.random() >= 0.03
        at = self.step(case_id, "register", acceptor, at, leader,
                       {"register_result": "file" if filed else "not_file", "register_opinion": "立案"},
                       late=late() < 0.05)
        due_at, outcome, ended = None, "closed", at
        if filed:
            due_at = at + 5 * DAY
            self.event(case_id, "case.deadline_set", leader, at, due_at=due_at.isoformat(), limit="standard:case")
            if r.random() < 0.01:  # voided after filing (作废)
                outcome = "voided"
                self.event(case_id, "case.ended", leader, at + HOUR, outcome=outcome, reason="作废")
                ended = at + HOUR
            else:
                dispatcher = f"pqy{r.randrange(12):02d}"
                handler = f"{department.lower()}_{r.randrange(5)}"
                at = self.step(case_id, "dispatch", leader, at, dispatcher,
                               {"department": department, "dispatch_opinion": "派遣"}, late=late() < 0.05)
                by = dispatcher
                rounds = 2 if r.random() < 0.05 else 1  # 5 % one 返工 (核查 fails once)
                for round_no in range(rounds):
                    if round_no:
                        self.event(case_id, "counter.incremented", by, at, node="rework", variable="rework_count",
                                   value=round_no)
                    at = self.step(case_id, "handle", by, at, handler,
                                   {"handle_sign": True, "handle_measures": "处置"}, department=department,
                                   late=late() < 0.05)
                    at = self.step(case_id, "feedback", handler, at, handler, {"feedback_result": "已处置"},
                                   department=department, late=late() < 0.12)
                    checker = f"jdy{r.randrange(200):03d}"
                    result = "fail" if round_no < rounds - 1 else "pass"
                    at = self.step(case_id, "check", handler, at, checker,
                                   {"check_result": result, "check_opinion": "合格" if result == "pass" else "返工"},
                                   late=late() < 0.05)
                    by = checker
                at = self.step(case_id, "close", by, at, leader, {"close_opinion": "结案"}, late=late() < 0.05)
                self.event(case_id, "case.ended", leader, at, outcome=outcome, reason="结案")
                ended = at
        else:
            outcome = "not_filed"
            self.event(case_id, "case.ended", leader, at, outcome=outcome, reason="不予立案")
        variables = {"source": source, "case_no": case_no, "district_code": district, "department": department,
                     "category_code": "0101"}
        self.case_rows.append(dict(
            id=case_id, case_no=case_no, definition_id=self.definition_id, status="completed", stage="evaluate",
            outcome=outcome, source=source, category_code="0101", grid_code=f"{district}001001001",
            org_code=department if filed else None, started_by=reporter, started_at=started, ended_at=ended,
            due_at=due_at, limit_unit="work_days" if due_at else None, variables=variables, state="{}", version=1))


def generate(conn, definition_id: int, cases: int, months: int = 6) -> int:
    history = History(conn, definition_id)
    span = (FIRST_DAY.replace(month=1 + months) - FIRST_DAY) if months < 12 else dt.timedelta(days=365)
    starts = sorted(history.random.random() for _ in range(cases))
    for n, share in enumerate(starts, start=1):
        history.case(FIRST_DAY + span * share)
        if n % 2000 == 0:
            history.flush()
    history.flush()
    return history.next_event - 1


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000, help="closed-loop cases generated (issue: 1000000)")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions of each measurement (median taken)")
    parser.add_argument("--db", help="SQLite file to use (default: a temporary one, removed afterwards)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from api.app import create_app
    from api.bootstrap import bootstrap
    from api.extensions import db
    from engine.evaluation import report, rollups
    from engine.models import Definition, Event

    with tempfile.TemporaryDirectory(prefix="citybpm-bench-") as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "evaluation.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        bootstrap(app, demo=False)
        with app.app_context():
            bind = db.engine
        with bind.begin() as conn:
            definition_id = conn.execute(select(Definition.__table__.c.id)
                                         .where(Definition.__table__.c.key == "closed_loop")).scalar_one()
            started = time.perf_counter()
            events = generate(conn, definition_id, args.cases)
            generated = time.perf_counter() - started
        with bind.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        with bind.begin() as conn:
            started = time.perf_counter()
            read = rollups.refresh(conn)
            refreshed = time.perf_counter() - started
            facts = conn.execute(select(func.count()).select_from(rollups.FACTS)).scalar_one()
        with bind.begin() as conn:
            conn.exec_driver_sql("ANALYZE")

        start, end = report.period(month=MONTH)
        first = dt.datetime.combine(start, dt.time(), TZ)
        last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), TZ) - dt.timedelta(microseconds=1)
        e = Event.__table__

        with bind.connect() as conn:
            def count():
                return conn.execute(select(func.count()).where(e.c.type == "task.completed",
                                                                e.c.at.between(first, last))).scalar_one()

            def department_report():
                return report.build(conn, "department", start, end)

            count_s, month_events = median_time(count, args.repeat)
            report_s, body = median_time(department_report, args.repeat)

    rows = body["rows"]
    handled = sum(r["counts"]["handled"] for r in rows)
    print(f"history: {args.cases} cases, {events} events generated in {generated:.1f} s "
          f"({events / generated:,.0f} events/s)")
    print(f"rollups.refresh: {read} events → {facts} facts in {refreshed:.1f} s ({read / refreshed:,.0f} events/s)")
    print(f"(b) COUNT task.completed in {MONTH}: {month_events} events, median {count_s * 1000:.1f} ms")
    print(f"(a) department report for {MONTH}: {len(rows)} departments, {handled} 处置, "
          f"median {report_s * 1000:.1f} ms")
    print(f"report_vs_count: {report_s / count_s:.2f}")
    print(f"report_s: {report_s:.3f}")


if __name__ == "__main__":
    main()
