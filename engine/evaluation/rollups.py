"""Facts: one row per (case, counted event, party, key, counter), kept up to date incrementally.

``refresh`` reads only the events written since the last refresh (the ``evaluation_watermark`` row) and
adds their facts, and adds them up per day in ``evaluation_day_count``: a report sums the day counts of its
period (a month is a few thousand rows whatever the history's size), and a drill-down lists the facts behind a
figure through ``ix_evaluation_fact_party_day``; the heat map's node passages are counted alongside
(engine.evaluation.passages). Each batch of events reads its cases and their task events in
a few queries, not one per event. ``stamp_due`` (called by
projection.write_step before completed task rows go) copies each completed task's due instant onto its
``task.completed`` event, so "on time" later needs no task row (working-time calendars, 延期 and paused
挂账 time are already in that instant).

On a server database a command may commit after a later-numbered one was already read: the ids missing below
the newest one read are kept (``gaps``) and read again next time, so such an event is counted late, not lost.
"""
from __future__ import annotations

import datetime as _dt
import functools

from collections import Counter

from sqlalchemy import Date, Index, Integer, String, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import DEFAULT_TZ
from engine.db import Base, add_counts
from engine.evaluation.passages import PassageCounter

BATCH = 5000
VOIDED = ("voided", "terminated", "withdrawn")
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")  # the 回访 answers
DISPATCH_LIMIT = _dt.timedelta(minutes=15)  # 受理 15 min: the 核实 task is sent within the 受理 limit


class EvaluationFact(Base):
    __tablename__ = "evaluation_fact"
    # a report: one party, one period, grouped by key and counter
    __table_args__ = (Index("ix_evaluation_fact_party_day", "party", "day", "counter", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[_dt.date] = mapped_column(Date)        # the event's local (Asia/Shanghai) date
    party: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))     # username, org code or district code
    counter: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer)
    org: Mapped[str | None] = mapped_column(String(40))       # the case's department (filter)
    district: Mapped[str | None] = mapped_column(String(20))  # the case's district (filter)


class EvaluationDayCount(Base):
    """The facts counted per day: what a report reads. A month is at most ~31 rows per party, key, counter and
    filter pair, however long the history. No filter is '' (a key cannot hold NULL). The key is the primary key
    and, on SQLite, the table itself (WITHOUT ROWID): a report's range scan reads ``n`` from the key's b-tree."""
    __tablename__ = "evaluation_day_count"
    __table_args__ = {"sqlite_with_rowid": False}

    party: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[_dt.date] = mapped_column(Date, primary_key=True)
    counter: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    org: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    district: Mapped[str] = mapped_column(String(20), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer)


class EvaluationWatermark(Base):
    __tablename__ = "evaluation_watermark"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    gaps: Mapped[list | None]  # ids not seen below last_event_id (see GAP_SPAN)


FACTS, DAY_COUNTS, WATERMARK = EvaluationFact.__table__, EvaluationDayCount.__table__, EvaluationWatermark.__table__
# Everything the refresh derives from the event log (a backup leaves them out: the next refresh rebuilds them)
DERIVED_TABLES = ("evaluation_fact", "evaluation_day_count", "evaluation_passage", "evaluation_watermark")
_DAY_KEY = ("party", "day", "counter", "key", "org", "district")


def stamp_due(conn: Connection, events: list[dict], gone: list[str]) -> None:
    """Before the completed rows are deleted: put each one's due_at on its task.completed event."""
    from engine.models import Task
    # Engine.complete_task already wrote the due instant it read with the task; other writers did not
    completed = [e for e in events if e.get("type") == "task.completed" and e.get("task_id") in gone
                 and "due_at" not in (e.get("data") or {})]
    if not completed:
        return
    tasks = Task.__table__
    due = dict(conn.execute(select(tasks.c.id, tasks.c.due_at).where(tasks.c.id.in_([e["task_id"] for e in completed]))
                            ).all())
    for e in completed:
        value = due.get(e["task_id"])
        e["data"] = {**(e.get("data") or {}), "due_at": value.isoformat() if value else None}


# Ids below the newest one read that were missing then: an event of a command that commits after a later-numbered
# one (a server database commits concurrently) turns up there later. Kept for this many ids, then taken for
# rolled back (a sequence number that will never be used).
GAP_SPAN = 10_000


def refresh(conn: Connection) -> int:
    """Add the facts of every event written since the last refresh (and of late-committed ones in the gaps it
    saw); returns how many events were read. One refresh at a time: the watermark row is locked first."""
    from engine.models import Event
    events = Event.__table__
    mark, gaps = _lock_watermark(conn)
    read, seen = 0, set()
    late = conn.execute(select(events).where(events.c.id.in_(sorted(gaps))).order_by(events.c.id)).all() \
        if gaps else []
    batches = [late] if late else []
    start = mark
    passages = PassageCounter(conn)
    while True:
        batch = conn.execute(select(events).where(events.c.id > mark).order_by(events.c.id).limit(BATCH)).all()
        if batch:
            batches.append(batch)
            mark = batch[-1].id
        for rows in batches:
            histories = _Histories(conn, rows, contiguous=rows is batch)
            deriver = _Deriver(histories)
            facts = [fact for event in rows for fact in deriver.facts(event)]
            passages.count(rows, histories, _local_day, lambda event: not _on_time(event))
            if facts:
                _insert_facts(conn, facts)
                _count_days(conn, facts)
            seen.update(row.id for row in rows)
            read += len(rows)
        batches = []
        if not batch:
            break
    missing = {i for i in range(max(start + 1, mark - GAP_SPAN + 1), mark + 1) if i not in seen}
    still_missing = {i for i in gaps if i not in seen and i > mark - GAP_SPAN}
    conn.execute(update(WATERMARK).where(WATERMARK.c.id == 1)
                 .values(last_event_id=mark, gaps=sorted(missing | still_missing)))
    return read


_FACT_COLUMNS = '"day", "party", "key", "counter", "instance_id", "event_id", "org", "district"'


def _insert_facts(conn: Connection, facts: list[dict]) -> None:
    """Straight to the driver: SQLAlchemy's per-row parameter processing took a sixth of a refresh."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO evaluation_fact ({_FACT_COLUMNS}) VALUES ({', '.join([mark] * 8)})"
    iso_days = conn.dialect.name == "sqlite"  # SQLAlchemy's Date on SQLite is ISO text
    conn.exec_driver_sql(sql, [(f["day"].isoformat() if iso_days else f["day"], f["party"], f["key"], f["counter"],
                                f["instance_id"], f["event_id"], f["org"], f["district"]) for f in facts])


def _count_days(conn: Connection, facts: list[dict]) -> None:
    """Add the batch's facts to the day counts: one upsert per (party, day, counter, key, org, district)."""
    tally = Counter((f["party"], f["day"], f["counter"], f["key"], f["org"] or "", f["district"] or "")
                    for f in facts)
    add_counts(conn, DAY_COUNTS, _DAY_KEY, [dict(zip(_DAY_KEY, key), n=n) for key, n in tally.items()])


def _lock_watermark(conn: Connection) -> tuple[int, set[int]]:
    """Lock the watermark row (a no-op UPDATE: PostgreSQL's row lock, SQLite's write lock) and read it."""
    locked = conn.execute(update(WATERMARK).where(WATERMARK.c.id == 1)
                          .values(last_event_id=WATERMARK.c.last_event_id)).rowcount
    if not locked:
        conn.execute(insert(WATERMARK).values(id=1, last_event_id=0, gaps=[]))
    row = conn.execute(select(WATERMARK.c.last_event_id, WATERMARK.c.gaps).where(WATERMARK.c.id == 1)).one()
    return row.last_event_id, set(row.gaps or [])


@functools.lru_cache(maxsize=8192)
def _local_day_of_quarter(utc_quarter: _dt.datetime) -> _dt.date:
    return utc_quarter.astimezone(DEFAULT_TZ).date()


def _local_day(at: _dt.datetime) -> _dt.date:
    """The local date. Offsets and their changes fall on quarter hours, so one conversion per UTC quarter hour
    (cached) serves every event in it: the conversion was a tenth of the refresh's time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=_dt.timezone.utc)
    utc = at.astimezone(_dt.timezone.utc)
    return _local_day_of_quarter(utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0))


def _aware(value) -> _dt.datetime | None:
    if not value:
        return None
    instant = _dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant if instant.tzinfo else instant.replace(tzinfo=_dt.timezone.utc)


def _on_time(event) -> bool:
    due = _aware((event.data or {}).get("due_at"))
    return due is None or _aware(event.at) <= due


class _Histories:
    """The cases of a batch of events and their task events, read in a few queries per batch (not one per event):
    what the facts look back at (who accepted, which department a task was for …) lies within the event's case.

    ``contiguous``: the batch is every event from its first id on, so the database is read only below that id and
    the batch's own rows are added (each event decoded once). A batch of late-committed ids reads everything."""

    CHUNK = 500
    TASK_EVENTS = ("task.created", "task.completed")

    def __init__(self, conn: Connection, rows, *, contiguous: bool):
        from engine.models import Event, Instance
        i, e = Instance.__table__, Event.__table__
        self.conn, self.events = conn, e
        ids = sorted({row.instance_id for row in rows if row.instance_id is not None})
        self.cases: dict[int, object] = {}
        self.tasks: dict[int, list] = {}  # case id → its task events, oldest first
        for n in range(0, len(ids), self.CHUNK):
            chunk = ids[n:n + self.CHUNK]
            self.cases.update((row.id, row) for row in conn.execute(
                select(i.c.id, i.c.definition_id, i.c.source, i.c.started_by, i.c.started_at, i.c.grid_code,
                       i.c.org_code, i.c.due_at, i.c.variables).where(i.c.id.in_(chunk))))
            query = select(e.c.id, e.c.instance_id, e.c.task_id, e.c.node_id, e.c.type, e.c.actor, e.c.at, e.c.data
                           ).where(e.c.instance_id.in_(chunk), e.c.type.in_(self.TASK_EVENTS))
            if contiguous:
                query = query.where(e.c.id < rows[0].id)
            for row in conn.execute(query.order_by(e.c.id)):
                self.tasks.setdefault(row.instance_id, []).append(row)
        if contiguous:
            for row in rows:
                if row.type in self.TASK_EVENTS and row.instance_id is not None:
                    self.tasks.setdefault(row.instance_id, []).append(row)

    def before(self, event):
        """The case's task events written before this one, newest first."""
        return (row for row in reversed(self.tasks.get(event.instance_id, ())) if row.id < event.id)

    def created(self, event, task_id: str | None = None):
        """The task.created event of the event's task (or of ``task_id``)."""
        task_id = task_id or event.task_id
        return next((row for row in self.tasks.get(event.instance_id, ())
                     if row.type == "task.created" and row.task_id == task_id), None) if task_id else None

    def first_created(self, event, node: str):
        """The case's first task of a node (it may come after the event: a task created in the same command)."""
        found = next((row for row in self.tasks.get(event.instance_id, ())
                      if row.type == "task.created" and row.node_id == node), None)
        if found is None:  # written after this batch ended
            e = self.events
            found = self.conn.execute(select(e.c.at).where(e.c.instance_id == event.instance_id,
                                                            e.c.type == "task.created", e.c.node_id == node)
                                      .order_by(e.c.id).limit(1)).first()
        return found

class _Deriver:
    """Turns one event into its facts, looking back only within the event's own case."""

    def __init__(self, histories: _Histories):
        self.histories = histories

    def case(self, instance_id: int):
        return self.histories.cases.get(instance_id)

    def earlier(self, event, *, types: tuple[str, ...], nodes: tuple[str, ...] | None = None):
        return next((row for row in self.histories.before(event)
                     if row.type in types and (not nodes or row.node_id in nodes)), None)

    def last_actor(self, event, node: str, **data) -> str | None:
        for row in self.histories.before(event):
            if row.type == "task.completed" and row.node_id == node and all(
                    ((row.data or {}).get("data") or {}).get(k) == v for k, v in data.items()):
                return row.actor
        return None

    def first_created_at(self, event, node: str):
        found = self.histories.first_created(event, node)
        return found.at if found is not None else None

    def org_of_task(self, event, task_id: str | None) -> str | None:
        if task_id:
            row = self.histories.created(event, task_id)
            created = row.data if row else None
        else:  # the department's latest task in the case
            row = self.earlier(event, types=("task.created",), nodes=("handle", "feedback"))
            created = row.data if row else None
        for candidate in (created or {}).get("candidates") or []:
            if "org:" in candidate:
                return candidate.rsplit("org:", 1)[1]
        return None

    def facts(self, event) -> list[dict]:
        if event.instance_id is None:
            return []
        case = self.case(event.instance_id)
        if case is None:
            return []
        variables = case.variables or {}
        district = variables.get("district_code") or (case.grid_code or "")[:6] or None
        org = variables.get("department") or case.org_code
        out: list[dict] = []

        def add(party: str, key: str | None, *counters: str) -> None:
            if key:
                out.extend(dict(day=_local_day(event.at), party=party, key=str(key)[:100], counter=c,
                                instance_id=event.instance_id, event_id=event.id, org=org, district=district)
                           for c in counters)

        data = event.data or {}
        form = data.get("data") or {}
        node, actor, kind = event.node_id, event.actor, event.type
        public = case.source != "supervisor"
        if kind == "case.started":
            if not public:
                add("supervisor", actor, "reported")
            else:
                add("acceptor", actor, "verify_dispatch_due")
                verify = self.first_created_at(event, "verify")
                if verify is not None and _aware(verify) - _aware(event.at) <= DISPATCH_LIMIT:
                    add("acceptor", actor, "verify_dispatch_on_time")
        elif kind == "task.created" and node == "check":
            add("acceptor", self.last_actor(event, "accept", accept_result="accept"),
                "check_dispatch_due", "check_dispatch_on_time")  # sent by the system on feedback: never late
        elif kind == "task.completed":
            on_time = _on_time(event)
            if node in ("verify", "check"):
                add("supervisor", actor, f"{node}_due", *([f"{node}_on_time"] if on_time else []))
            elif node == "accept" and form.get("accept_result") == "accept":
                add("acceptor", actor, "accepted")
            elif node == "register":
                add("shift_leader", actor, "file_due", *(["file_on_time"] if on_time else []))
                if form.get("register_result") == "file":
                    add("shift_leader", actor, "filed")
                    add("region", district, "filed", *([] if public else ["supervision_report"]))
                    if not public:
                        add("supervisor", case.started_by, "valid_report")
                    else:
                        add("supervisor", self.last_actor(event, "verify"), "missed_report")
            elif node == "dispatch":
                add("dispatcher", actor, "dispatched", *(["dispatch_on_time"] if on_time else []))
            elif node == "handle" and form.get("handle_action") != "return":
                add("department", self.org_of_task(event, event.task_id), "handle_due")
            elif node == "feedback":
                add("department", self.org_of_task(event, event.task_id), "handled",
                    "handled_on_time" if on_time else "handled_overdue")
            elif node == "revisit" and form.get("satisfaction") in SATISFACTION:
                # 回访: the answer by the case's department and grid (engine.evaluation_views groups them)
                out.append(dict(day=_local_day(event.at), party="revisit", key=form["satisfaction"],
                                counter="surveyed", instance_id=event.instance_id, event_id=event.id,
                                org=case.org_code, district=(case.grid_code or "")[:20] or None))
            elif node == "close":
                add("shift_leader", actor, "close_due", *(["close_on_time"] if on_time else []))
                due = case.due_at
                add("region", district, "closed", *(["closed_on_time"] if due is None or
                                                    _aware(event.at) <= _aware(due) else []))
        elif kind == "counter.incremented":
            if data.get("variable") == "rework_count":
                add("department", self.org_of_task(event, None), "rework")
            elif data.get("variable") == "return_count":
                add("dispatcher", self.last_actor(event, "dispatch"), "misdispatched")
                add("department", self.org_of_task(event, None), "returned")
        elif kind == "task.extended" and node in ("handle", "feedback"):
            add("department", self.org_of_task(event, event.task_id), "extended")
        elif kind == "case.suspended" and data.get("kind") == "hang":
            add("department", self.org_of_task(event, None), "hung")
        elif kind == "case.ended" and data.get("outcome") in VOIDED:
            add("shift_leader", self.last_actor(event, "register", register_result="file"), "voided_after_filing")
        return out
