"""A case's diagram marks: which BPMN nodes are completed, active or overdue, read from the event log and the
open-task projection (never from the workflow state: pruning drops finished history from it).

A node inside a called process (the dispatch variants) is marked under its call activity, and also marks the
call activity in the parent. ``task.created`` events name the called process and the top-level call activity a
task ran in (engine.projection); older events fall back to the first called process that has the node id.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.models import Definition, Event, Task
from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Events that say a node was passed (a person completed it, or the engine ran it by itself).
PASSED_EVENTS = ("task.completed", "task.auto_completed", "counter.incremented", "countersign.decided",
                 "timer.fired", "message.received")
COMPLETED, ACTIVE, OVERDUE = "completed", "active", "overdue"
_RANK = {COMPLETED: 1, ACTIVE: 2, OVERDUE: 3}


@dataclass
class ProcessFile:
    process_id: str
    xml: str
    node_ids: frozenset[str]
    plain_starts: frozenset[str]  # start events without a trigger: passed as soon as the process started
    calls: dict[str, str]         # call activity id -> called process id


@dataclass
class Marks:
    nodes: dict[str, str] = field(default_factory=dict)

    def mark(self, node_id: str, status: str) -> None:
        if _RANK[status] > _RANK.get(self.nodes.get(node_id), 0):
            self.nodes[node_id] = status


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def processes_of(definition: Definition) -> dict[str, ProcessFile]:
    """Every executable process in the definition's BPMN files, by process id."""
    found = {}
    for file in definition.files:
        if file.kind != "bpmn":
            continue
        root = parse_xml(file.content)
        for process in root.iter(_q("process")):
            ids = frozenset(e.get("id") for e in process.iter() if isinstance(e.tag, str) and e.get("id"))
            starts = frozenset(s.get("id") for s in process.iter(_q("startEvent"))
                               if not any(c.tag.endswith("EventDefinition") for c in s if isinstance(c.tag, str)))
            calls = {c.get("id"): c.get("calledElement") for c in process.iter(_q("callActivity"))}
            found[process.get("id")] = ProcessFile(process.get("id"), file.content, ids, starts, calls)
    return found


def case_diagram(conn: Connection, definition: Definition, case_id: int, now: _dt.datetime) -> dict:
    processes = processes_of(definition)
    main = processes[definition.process_id]
    called_files = {call: processes[pid] for call, pid in main.calls.items() if pid in processes}
    main_marks, called_marks = Marks(), {}

    events = conn.execute(select(Event.type, Event.task_id, Event.node_id, Event.data)
                          .where(Event.instance_id == case_id,
                                 Event.type.in_(("task.created",) + PASSED_EVENTS))
                          .order_by(Event.id)).all()
    created = {e.task_id: (e.data or {}) for e in events if e.type == "task.created" and e.task_id}

    def place(task_id, node_id) -> tuple[str | None, str]:
        """(call activity or None for the main process, node id) where the node lives."""
        origin = created.get(task_id, {})
        if origin.get("call_activity") in called_files:
            return origin["call_activity"], node_id
        if node_id in main.node_ids:
            return None, node_id
        for call, file in called_files.items():
            if node_id in file.node_ids:
                return call, node_id
        return None, node_id

    def mark(task_id, node_id, status) -> None:
        call, node = place(task_id, node_id)
        if call is None:
            if node in main.node_ids:
                main_marks.mark(node, status)
            return
        marks = called_marks.setdefault(call, Marks())
        marks.mark(node, status)
        main_marks.mark(call, status)

    if events or main.plain_starts:
        for start in main.plain_starts:
            main_marks.mark(start, COMPLETED)
    for event in events:
        if event.type in PASSED_EVENTS and event.node_id:
            mark(event.task_id, event.node_id, COMPLETED)
    for row in conn.execute(select(Task.id, Task.node_id, Task.due_at).where(Task.instance_id == case_id)):
        mark(row.id, row.node_id, OVERDUE if row.due_at is not None and row.due_at <= now else ACTIVE)
    # a called process that was entered has passed its start event too
    for call, marks in called_marks.items():
        for start in called_files[call].plain_starts:
            marks.mark(start, COMPLETED)

    return {"process_key": definition.key, "version": definition.version, "process_id": main.process_id,
            "xml": main.xml, "nodes": main_marks.nodes,
            "called": {call: {"process_id": called_files[call].process_id, "xml": called_files[call].xml,
                              "nodes": marks.nodes} for call, marks in called_marks.items()}}
