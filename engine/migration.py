"""Moving running cases to a new version of their process: a checked, recorded operation.

``plan_migration`` compares the two versions with SpiffWorkflow's spec diff (``SpiffWorkflow.bpmn.util.diff``:
added, removed and changed task specs, plus our own node settings that SpiffWorkflow does not see) and, for
every running case of the old version, says whether it can move, or why not (zh/en). It dry-runs each move:
load the state with the old spec, migrate it, and check that the result loads with the new spec.

``migrate_instances`` moves the safe cases, one transaction each: load with the OLD spec → migrate to the NEW
spec → run engine steps → write state (version-checked), ``definition_id``, the open-task projection and a
``case.migrated`` event. The cases then continue normally.

What is refused, and why
------------------------
* an active task (READY, WAITING, STARTED) whose node was removed, or whose node changed beyond what a running
  task can absorb: a READY/WAITING task may gain or lose paths after it (``inputs``/``outputs``), a new label,
  documentation, lane or form; a STARTED one (a running subprocess or multi-instance body) only a new label —
  its already predicted successors would not be re-planned;
* an active task renamed (aligned by structure to a node with another id): its projection row names the old id;
* a running subprocess whose spec changed at all, or any subprocess whose spec is gone;
* a task in ERROR;
* a finished task the state still holds (the parent of an active task, kept so data can be re-inherited) whose
  node was removed: the state would not load with the new spec;
* anything else that makes the migrated state fail to load with the new spec.

SpiffWorkflow's ``migrate_workflow`` resets READY and WAITING tasks (``reset_branch``) so their successors are
re-planned from the new spec; that re-inherits the task's data from its parent (losing a multi-instance item)
and re-evaluates a waiting timer from *now* (a boundary ``PT4H`` would restart). We do the same reset but keep
each task's data, and a waiting event's internal state (its timer instant), so the case loses nothing.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass, field, fields

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import audit, clock
from engine.errors import EngineError, InvalidData, NotFound
from engine.models import Definition
from engine.node_config import NodeConfig
from engine.parser import PassThroughTask, node_config
from engine.projection import (CANDIDATES, INSTANCES, TASKS, CaseRef, Snapshot, Step, human_tasks, task_row,
                               write_step, write_versioned)
from engine.pruning import prune_history
from engine.specs import SPECS, LoadedSpec, SpecCache
from engine.state import dump_state, load_state
from engine.timers import pending_bpmn_timers

# SpiffWorkflow compares specs through its serializer: it must know every spec class our parser makes.
_REGISTRY = BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, PassThroughTask: BpmnTaskSpecConverter})

MIGRATABLE = ("running", "suspended")  # suspended: a paused (挂账) case, its state is as movable
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_RESET = TaskState.READY | TaskState.WAITING
# spec attributes a READY/WAITING task may see change: its paths are re-planned by the reset
SAFE_FOR_WAITING = frozenset({"inputs", "outputs", "bpmn_name", "documentation", "description", "lane",
                              "extensions", "form"})
# …and a STARTED one (a running subprocess or multi-instance task), whose successors are already planned
SAFE_FOR_STARTED = frozenset({"bpmn_name", "documentation", "description", "lane", "extensions"})
# attributes that change only because neighbours were added or removed
WIRING = frozenset({"inputs", "outputs"})
_CONFIG_FIELDS = tuple(f.name for f in fields(NodeConfig) if f.name not in ("node_id", "extra"))


class MigrationRefused(EngineError):
    code = "migration_refused"
    status = 409


@dataclass
class NodeChange:
    node_id: str
    name: str | None
    type: str
    attributes: list[str] = field(default_factory=list)


@dataclass
class InstancePlan:
    case_id: int
    case_no: str
    status: str
    active_nodes: list[str]
    can_migrate: bool
    reasons: list[dict]  # {code, message_zh, message_en, node_id}


@dataclass
class MigrationPlan:
    key: str
    from_definition_id: int
    from_version: int
    to_definition_id: int
    to_version: int
    added: list[NodeChange]
    removed: list[NodeChange]
    changed: list[NodeChange]
    subprocesses: list[dict]
    instances: list[InstancePlan]

    @property
    def safe_ids(self) -> list[int]:
        return [i.case_id for i in self.instances if i.can_migrate]

    def summary(self) -> dict:
        return {"added": [c.node_id for c in self.added], "removed": [c.node_id for c in self.removed],
                "changed": [c.node_id for c in self.changed],
                "subprocesses": [{"id": s["id"], "status": s["status"]} for s in self.subprocesses
                                 if s["status"] != "same"]}

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class MigrationReport:
    key: str
    from_version: int
    to_version: int
    migrated: list[dict] = field(default_factory=list)  # {case_id, case_no, rewritten_tasks}
    refused: list[dict] = field(default_factory=list)   # {case_id, case_no, reasons}

    def as_dict(self) -> dict:
        return asdict(self)


def _reason(code: str, zh: str, en: str, node_id: str | None = None) -> dict:
    return {"code": code, "message_zh": zh, "message_en": en, "node_id": node_id}


# --- comparing two versions -------------------------------------------------------------------------

class _Context:
    """The spec diffs of two versions, computed once for a whole plan or run."""

    def __init__(self, old: LoadedSpec, new: LoadedSpec, old_version: int, new_version: int):
        self.old, self.new = old, new
        self.old_version, self.new_version = old_version, new_version
        self.top = SpecDiff(_REGISTRY, old.spec, new.spec)
        self.subprocesses: dict[str, SpecDiff | None] = {
            name: (SpecDiff(_REGISTRY, spec, new.subprocess_specs[name]) if name in new.subprocess_specs else None)
            for name, spec in old.subprocess_specs.items()}
        # nodes whose open tasks show something new (not just new neighbours)
        self.changed_nodes = set()
        for diff in [self.top, *self.subprocesses.values()]:
            if diff is not None:
                self.changed_nodes |= {c.node_id for c in _changes(diff)[2] if set(c.attributes) - WIRING}


def _visible(spec) -> bool:
    """Specs a designer drew (SpiffWorkflow adds Start, End, Root and end joins of its own)."""
    return getattr(spec, "bpmn_id", None) is not None


def _node(spec, attributes=()) -> NodeChange:
    return NodeChange(spec.name, getattr(spec, "bpmn_name", None), type(spec).__name__, list(attributes))


def _config_changes(old_spec, new_spec) -> list[str]:
    old, new = node_config(old_spec), node_config(new_spec)
    return [f"citybpm.{name}" for name in _CONFIG_FIELDS if getattr(old, name) != getattr(new, name)]


def _changes(diff: SpecDiff) -> tuple[list[NodeChange], list[NodeChange], list[NodeChange]]:
    added = [_node(s) for s in diff.added if _visible(s)]
    removed = [_node(s) for s in diff.removed if _visible(s)]
    changed = []
    for old_spec, new_spec in diff.alignment.items():
        if new_spec is None or not _visible(old_spec):
            continue
        attributes = list(diff.comparisons.get(old_spec) or [])
        if new_spec.name != old_spec.name:
            attributes.insert(0, "id")
        attributes += _config_changes(old_spec, new_spec)
        if attributes:
            changed.append(_node(new_spec, attributes))
    return added, removed, changed


def _subprocess_summary(context: _Context) -> list[dict]:
    out = []
    for name, diff in context.subprocesses.items():
        if diff is None:
            out.append({"id": name, "status": "removed", "added": [], "removed": [], "changed": []})
            continue
        added, removed, changed = _changes(diff)
        status = "changed" if (added or removed or changed) else "same"
        out.append({"id": name, "status": status, "added": [c.node_id for c in added],
                    "removed": [c.node_id for c in removed], "changed": [c.node_id for c in changed]})
    for name in context.new.subprocess_specs:
        if name not in context.old.subprocess_specs:
            out.append({"id": name, "status": "added", "added": [], "removed": [], "changed": []})
    return out


def _versions(session: Session, from_definition_id: int, to_definition_id: int) -> tuple[Definition, Definition]:
    old, new = session.get(Definition, from_definition_id), session.get(Definition, to_definition_id)
    if old is None or new is None:
        raise NotFound("流程版本不存在", "definition version not found")
    if old.key != new.key:
        raise InvalidData({"to_version": "只能迁移到同一流程的另一个版本"},
                          {"to_version": "cases move only between versions of one process"})
    if old.id == new.id:
        raise InvalidData({"to_version": "目标版本与原版本相同"}, {"to_version": "the target is the same version"})
    return old, new


# --- one case ---------------------------------------------------------------------------------------

class _Refused(Exception):
    def __init__(self, reasons: list[dict]):
        super().__init__(reasons[0]["message_en"] if reasons else "refused")
        self.reasons = reasons


def _label(task) -> str:
    return getattr(task.task_spec, "bpmn_name", None) or task.task_spec.name


def _check_task(task, diff: SpecDiff) -> dict | None:
    spec, node = task.task_spec, task.task_spec.name
    if task.state == TaskState.ERROR:
        return _reason("task_in_error", f"环节“{_label(task)}”处于错误状态，请先处理",
                       f"task '{node}' is in error; resolve it first", node)
    if spec in diff.removed:
        return _reason("active_task_removed", f"当前环节“{_label(task)}”（{node}）在新版本中已删除",
                       f"the active task '{node}' was removed in the new version", node)
    new_spec = diff.alignment.get(spec)
    if new_spec is not None and new_spec.name != spec.name:
        return _reason("active_task_renamed", f"当前环节“{_label(task)}”在新版本中改了编号（{node} → {new_spec.name}）",
                       f"the active task '{node}' has a new id in the new version ('{new_spec.name}')", node)
    safe = SAFE_FOR_STARTED if task.state == TaskState.STARTED else SAFE_FOR_WAITING
    unsafe = [a for a in (diff.comparisons.get(spec) or []) if a not in safe]
    if unsafe:
        return _reason("active_task_changed",
                       f"当前环节“{_label(task)}”（{node}）在新版本中有不兼容的修改：{', '.join(unsafe)}",
                       f"the active task '{node}' changed incompatibly in the new version: {', '.join(unsafe)}", node)
    return None


def _check(workflow, context: _Context) -> list[dict]:
    """Why this case cannot move (empty: it can)."""
    reasons = [r for r in (_check_task(t, context.top) for t in
                           workflow.get_tasks(state=_ACTIVE, skip_subprocesses=True)) if r]
    for sp in workflow.subprocesses.values():
        name = sp.spec.name
        diff = context.subprocesses.get(name)
        if diff is None:
            reasons.append(_reason("subprocess_removed", f"子流程“{name}”在新版本中已删除",
                                   f"the subprocess '{name}' was removed in the new version", name))
        elif not sp.is_completed() and (diff.added or diff.removed or diff.changed):
            reasons.append(_reason("running_subprocess_changed", f"正在运行的子流程“{name}”在新版本中有修改",
                                   f"the running subprocess '{name}' changed in the new version", name))
        else:
            reasons += [r for r in (_check_task(t, diff) for t in
                                    sp.get_tasks(state=_ACTIVE, skip_subprocesses=True)) if r]
    return reasons


def _migrate_one(workflow, diff: SpecDiff, spec) -> None:
    """SpiffWorkflow's ``migrate_workflow``, keeping each reset task's data and a waiting event's state."""
    workflow_diff = WorkflowDiff(workflow, diff)
    workflow.spec = spec
    for task in workflow.tasks.values():
        aligned = workflow_diff.alignment.get(task)
        if aligned is not None:
            task.task_spec = aligned
    for task in list(workflow.get_tasks(state=_RESET, skip_subprocesses=True)):
        if task.id not in workflow.tasks:  # removed with an ancestor reset before it
            continue
        waiting, internal = task.state == TaskState.WAITING, dict(task.internal_data)
        task.reset_branch(deepcopy(task.data))
        if waiting:
            task.internal_data.update(internal)  # a running timer keeps its due instant
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


def _leftovers(workflow) -> list[dict]:
    """Tasks still pointing at a spec the new version lacks (the state would not load)."""
    reasons = []
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in wf.tasks.values():
            if wf.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                node = task.task_spec.name
                reasons.append(_reason("kept_task_removed",
                                       f"案件仍保留的环节“{_label(task)}”（{node}，{TaskState.get_name(task.state)}）"
                                       f"在新版本中已删除",
                                       f"the case still holds task '{node}' ({TaskState.get_name(task.state)}), "
                                       f"removed in the new version", node))
    return reasons


def _load_old(state: str, context: _Context):
    try:
        return load_state(state, context.old.spec, context.old.subprocess_specs)
    except Exception as exc:
        raise _Refused([_reason("state_unreadable", f"案件状态无法读取：{exc}", f"the case state cannot be read: {exc}")])


def _move(workflow, context: _Context):
    """Move a loaded case to the new spec and reload it from its serialized form (what will be stored);
    raises _Refused. ``workflow`` is changed in place and must not be used afterwards."""
    reasons = _check(workflow, context)
    if reasons:
        raise _Refused(reasons)
    try:
        workflow.subprocess_specs = context.new.subprocess_specs
        _migrate_one(workflow, context.top, context.new.spec)
        for sp in list(workflow.subprocesses.values()):
            _migrate_one(sp, context.subprocesses[sp.spec.name], context.new.subprocess_specs[sp.spec.name])
        prune_history(workflow)
    except Exception as exc:  # SpiffWorkflow re-planning on the new spec
        raise _Refused([_reason("migration_failed", f"迁移失败：{exc}", f"migration failed: {exc}")])
    reasons = _leftovers(workflow)
    if reasons:
        raise _Refused(reasons)
    try:
        return load_state(dump_state(workflow), context.new.spec, context.new.subprocess_specs)
    except Exception as exc:
        raise _Refused([_reason("state_not_portable", f"迁移后的案件状态无法在新版本中载入：{exc}",
                                f"the migrated state does not load with the new version: {exc}")])


def _active_nodes(workflow) -> list[str]:
    return sorted({t.task_spec.name for t in workflow.get_tasks(state=_ACTIVE) if _visible(t.task_spec)})


# --- the plan ---------------------------------------------------------------------------------------

_CASES_ON = (select(INSTANCES.c.id, INSTANCES.c.case_no, INSTANCES.c.status, INSTANCES.c.state)
             .where(INSTANCES.c.definition_id == bindparam("definition_id"), INSTANCES.c.status.in_(MIGRATABLE))
             .order_by(INSTANCES.c.id))


def plan_migration(session: Session, from_definition_id: int, to_definition_id: int, *,
                   specs: SpecCache = SPECS, case_ids: list[int] | None = None) -> MigrationPlan:
    """What changed between two versions and, per running case of the old one, whether it can move."""
    old, new = _versions(session, from_definition_id, to_definition_id)
    context = _Context(specs.get(old), specs.get(new), old.version, new.version)
    added, removed, changed = _changes(context.top)
    instances = []
    statement = _CASES_ON
    if case_ids is not None:
        statement = statement.where(INSTANCES.c.id.in_(list(case_ids)))
    for row in session.connection().execute(statement, {"definition_id": old.id}):
        active, reasons = [], []
        try:
            workflow = _load_old(row.state, context)
            active = _active_nodes(workflow)
            _move(workflow, context)
        except _Refused as refused:
            reasons = refused.reasons
        instances.append(InstancePlan(row.id, row.case_no, row.status, active, not reasons, reasons))
    return MigrationPlan(old.key, old.id, old.version, new.id, new.version, added, removed, changed,
                         _subprocess_summary(context), instances)


# --- moving the cases -------------------------------------------------------------------------------

_CASE = select(INSTANCES.c.id, INSTANCES.c.case_no, INSTANCES.c.definition_id, INSTANCES.c.version,
               INSTANCES.c.stage, INSTANCES.c.state, INSTANCES.c.status, INSTANCES.c.started_by
               ).where(INSTANCES.c.id == bindparam("case_id"))
_OPEN_ROWS = select(TASKS.c.id, TASKS.c.node_id, TASKS.c.assignee, TASKS.c.form_key).where(
    TASKS.c.instance_id == bindparam("case_id"))


def migrate_instances(session: Session, plan: MigrationPlan, instance_ids: list[int] | None, actor, *,
                      engine=None, specs: SpecCache | None = None) -> MigrationReport:
    """Move the given cases (default: every case of the plan), one committed transaction each.

    Each case is checked again against its current state (it may have moved on since the plan): the unsafe
    ones are reported with their reasons, and so is a case that changed underneath (optimistic lock) or failed
    (rolled back); the others go on.
    ``engine`` (engine.runtime.Engine) supplies engine steps, deadlines, forms and the calendar; ``actor`` is
    an Actor or a username. The session must hold no other pending work: this function commits."""
    if engine is None:
        from engine.runtime import Engine  # engine.runtime imports this module's neighbours, not this module
        engine = Engine()
    specs = specs or engine.specs
    username = getattr(actor, "username", actor)
    old, new = _versions(session, plan.from_definition_id, plan.to_definition_id)
    context = _Context(specs.get(old), specs.get(new), old.version, new.version)
    summary = plan.summary()
    report = MigrationReport(plan.key, plan.from_version, plan.to_version)
    wanted = [i.case_id for i in plan.instances] if instance_ids is None else list(dict.fromkeys(instance_ids))
    case_nos = dict(session.connection().execute(
        select(INSTANCES.c.id, INSTANCES.c.case_no).where(INSTANCES.c.id.in_(wanted))).all()) if wanted else {}
    session.commit()  # what follows is one transaction per case
    for case_id in wanted:
        try:
            with engine.calendar_scope(session):
                done = _migrate_case(session, engine, context, case_id, username, summary)
            session.commit()
            report.migrated.append(done)
            continue
        except _Refused as refused:
            reasons = refused.reasons
        except StaleDataError:
            reasons = [_reason("conflict", "案件刚被他人更新，请重新评估后再迁移",
                               "the case changed meanwhile; plan again and retry")]
        except EngineError as exc:  # engine steps on the new version failed, or nobody could be assigned
            reasons = [_reason(exc.code, exc.message_zh, exc.message_en)]
        session.rollback()
        report.refused.append({"case_id": case_id, "case_no": case_nos.get(case_id), "reasons": reasons})
    audit.record(session, actor=username, action="definition.migrate", target_type="definition",
                 target_id=f"{plan.key}:{plan.from_version}->{plan.to_version}",
                 before={"version": plan.from_version, "cases": len(wanted)},
                 after={"version": plan.to_version, "diff": summary,
                        "migrated": [m["case_no"] for m in report.migrated],
                        "refused": [r["case_no"] for r in report.refused]})
    session.commit()
    return report


def _migrate_case(session: Session, engine, context: _Context, case_id: int, username: str, summary: dict) -> dict:
    conn = session.connection()
    row = conn.execute(_CASE, {"case_id": case_id}).first()
    if row is None:
        raise NotFound("案件不存在", "case not found")
    if row.definition_id != context.old.definition_id or row.status not in MIGRATABLE:
        raise _Refused([_reason("not_on_source", "案件不在原版本上运行（已迁移或已办结）",
                                "the case is not running on the source version (moved or ended)")])
    workflow = _load_old(row.state, context)
    open_rows = {r.id: r for r in conn.execute(_OPEN_ROWS, {"case_id": case_id})}
    before = Snapshot({task_id: r.node_id for task_id, r in open_rows.items()}, pending_bpmn_timers(workflow))
    workflow = _move(workflow, context)

    case = CaseRef(row.id, row.case_no, row.definition_id, row.version, row.stage, row.state, row.status,
                   row.started_by)
    write_versioned(conn, case, {"definition_id": context.new.definition_id})  # the optimistic lock, first
    case.definition_id = context.new.definition_id
    step = Step(username, clock.now())
    step.record(case.id, "case.migrated", from_version=context.old_version, to_version=context.new_version,
                from_definition_id=context.old.definition_id, to_definition_id=context.new.definition_id,
                diff=summary)
    if row.status == "running":  # a paused case moves on when it resumes
        engine.advance(workflow, case, step)
    planner = engine.planner(session)
    write_step(conn, workflow, case, step, before, planner, forms=engine.forms)
    rewritten = _rewrite_changed_rows(conn, workflow, case, open_rows, context.changed_nodes, planner, engine.forms)
    engine.note_next_due(session, step)
    return {"case_id": case.id, "case_no": case.case_no, "rewritten_tasks": rewritten}


def _rewrite_changed_rows(conn, workflow, case: CaseRef, open_rows: dict, changed_nodes: set[str], planner,
                          forms) -> list[str]:
    """Open tasks of changed nodes show the new version: name, stage, form, and (while unclaimed) who may
    take them. Their deadline stays as it was planned: a migration does not restart anybody's clock."""
    rewritten = []
    scratch = Step("system", clock.now())
    for task in human_tasks(workflow):
        task_id = str(task.id)
        if task_id not in open_rows or task.task_spec.name not in changed_nodes:
            continue
        row, candidates = task_row(task, case, scratch, planner, forms)
        values = {"name": row["name"], "stage": row["stage"]}
        if row["form_key"] != open_rows[task_id].form_key:
            values.update(form_key=row["form_key"], form_version=row["form_version"])
        if open_rows[task_id].assignee is None:
            values["assignee"] = row["assignee"]
            conn.execute(delete(CANDIDATES).where(CANDIDATES.c.task_id == task_id))
            if candidates:
                conn.execute(insert(CANDIDATES), candidates)
        conn.execute(update(TASKS).where(TASKS.c.id == task_id).values(**values))
        rewritten.append(task_id)
    return rewritten
