"""Engine commands. Each is one unit of work on a caller-owned Session:

load instance (version N) → act → serialize → write state, task projection and
events → the caller commits, and the UPDATE carries ``version = N+1``. A
concurrent writer fails its UPDATE and gets a Conflict, never a lost update.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable
from uuid import UUID

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import clock, expressions
from engine.assignment import resolve
from engine.case_numbers import DEFAULT_PATTERN, next_case_number
from engine.errors import Conflict, InvalidData, NotFound, ProcessError
from engine.identity import Actor
from engine.models import Definition, Event, Instance, Task, TaskCandidate
from engine.parser import node_config
from engine.pruning import prune_history
from engine.specs import SPECS, SpecCache
from engine.state import dump_state, load_state, new_workflow

# Variables copied onto the instance row so case lists can filter without the state.
LISTED_VARIABLES = ("source", "category_code", "grid_code", "address")

FormValidator = Callable[[str, dict], tuple[dict, dict]]  # (form_key, data) -> (errors_zh, errors_en)


@dataclass
class EngineSettings:
    case_number_prefix: str = "CG"
    case_number_pattern: str = DEFAULT_PATTERN
    validate_form: FormValidator | None = None
    prune: bool = True


@dataclass
class CommandResult:
    """What a command left behind. ``open_tasks`` lists the case's open human tasks when the
    command created all of them (rows as written, candidates as ``kind:value``); None when some
    were open before, so a caller that needs them reads the projection."""

    instance: Instance
    open_tasks: list[dict] | None
    created: bool = True


@dataclass
class _Step:
    """What one command did, collected while SpiffWorkflow runs."""

    actor: str
    now: _dt.datetime
    events: list[dict] = field(default_factory=list)
    stage: str | None = None
    outcome: str | None = None

    def record(self, instance_id, type_, *, task_id=None, node_id=None, **data):
        self.events.append(dict(instance_id=instance_id, task_id=task_id, node_id=node_id, type=type_,
                                actor=self.actor, at=self.now, data=data))


class Engine:
    def __init__(self, settings: EngineSettings | None = None, specs: SpecCache = SPECS):
        self.settings = settings or EngineSettings()
        self.specs = specs

    # ----------------------------------------------------------------- commands

    def start_case(self, session: Session, key: str, variables: dict, actor: Actor,
                   idempotency_key: str | None = None) -> CommandResult:
        """Start a case of the latest active version of ``key`` (a retried key returns the earlier case)."""
        if idempotency_key:
            earlier = self._by_idempotency_key(session, actor, idempotency_key)
            if earlier is not None:
                return CommandResult(earlier, None, created=False)
        definition = session.scalars(
            select(Definition).where(Definition.key == key, Definition.status == "active")
            .order_by(Definition.version.desc()).limit(1)).first()
        if definition is None:
            raise NotFound(f"流程“{key}”不存在或未启用", f"process '{key}' does not exist or is not active")
        loaded = self.specs.get(definition)
        now = clock.now()
        workflow = new_workflow(loaded.spec, loaded.subprocess_specs)
        for form_key in _start_form_keys(loaded.spec):
            self._validate(form_key, variables)
        case_no = next_case_number(session, prefix=self.settings.case_number_prefix,
                                   pattern=self.settings.case_number_pattern, at=now)
        data = dict(variables)
        data.update(case_no=case_no, initiator=actor.username)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)

        instance = Instance(case_no=case_no, definition_id=definition.id, status="running",
                            started_by=actor.username, started_at=now, idempotency_key=idempotency_key,
                            variables={}, state="", version=0)
        instance.definition = definition
        session.add(instance)
        session.flush()
        step = _Step(actor.username, now)
        step.record(instance.id, "case.started", case_no=case_no, definition=definition.key,
                    version=definition.version)
        self._advance(workflow, instance, step)
        open_tasks = self._save(session, workflow, instance, step, open_rows={})
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            if idempotency_key:
                earlier = self._by_idempotency_key(session, actor, idempotency_key)
                if earlier is not None:
                    return CommandResult(earlier, None, created=False)
            raise
        return CommandResult(instance, open_tasks)

    def claim_task(self, session: Session, task_id: str, actor: Actor) -> Task:
        task = self.visible_task(session, task_id, actor)
        if task.assignee == actor.username:
            return task
        if task.assignee:
            raise Conflict(f"任务已由 {task.assignee} 签收", f"task is already claimed by {task.assignee}")
        # Conditional UPDATE: of two racing claims exactly one matches the row.
        claimed = session.execute(update(Task).where(Task.id == task_id, Task.assignee.is_(None))
                                  .values(assignee=actor.username)
                                  .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            raise Conflict("任务已被他人签收", "the task was claimed by someone else")
        session.add(Event(instance_id=task.instance_id, task_id=task.id, node_id=task.node_id,
                          type="task.claimed", actor=actor.username, at=clock.now(), data={}))
        session.flush()
        session.refresh(task)
        return task

    def complete_task(self, session: Session, task_id: str, data: dict, actor: Actor) -> CommandResult:
        task_row = self.visible_task(session, task_id, actor)
        if task_row.assignee and task_row.assignee != actor.username:
            raise Conflict(f"任务已由 {task_row.assignee} 签收", f"task is claimed by {task_row.assignee}")
        instance = task_row.instance
        workflow = self._load(instance)
        spiff_task = workflow.get_task_from_id(UUID(task_id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise Conflict("任务已不在办理中", "the task is no longer open")
        # The projection mirrors the state it was written with: its open rows are the READY human tasks.
        open_rows = {str(t.id): t.task_spec.name for t in _human_tasks(workflow)}
        config = node_config(spiff_task.task_spec)
        if config.form_key:
            self._validate(config.form_key, {**spiff_task.data, **data})
        now = clock.now()
        step = _Step(actor.username, now)
        spiff_task.data.update(data)
        self._on_node(spiff_task, instance, step)
        try:
            spiff_task.run()
        except (WorkflowException, expressions.ExpressionError) as exc:
            raise ProcessError(f"流程执行出错：{exc}", f"the process failed: {exc}") from None
        step.record(instance.id, "task.completed", task_id=task_id, node_id=task_row.node_id,
                    stage=task_row.stage, data=data)
        self._advance(workflow, instance, step)
        try:
            open_tasks = self._save(session, workflow, instance, step, open_rows=open_rows, completed={task_id})
        except StaleDataError:
            raise Conflict("案件已被他人更新，请刷新后重试", "the case was changed by someone else; reload and retry") from None
        return CommandResult(instance, open_tasks)

    # ----------------------------------------------------------------- queries

    def visible_task(self, session: Session, task_id: str, actor: Actor) -> Task:
        """The open task if ``actor`` may see it; NotFound otherwise (no leaking of others' work).

        A candidate whose colleague claimed the task first is told so (Conflict), not NotFound.
        """
        # One statement (candidates joined) so the access check sees one consistent snapshot.
        task = session.get(Task, task_id, options=[joinedload(Task.candidates)])
        if task is not None and self.can_see(task, actor):
            return task
        if task is not None and self.is_candidate(task, actor):
            raise Conflict(f"任务已由 {task.assignee} 签收", f"task is already claimed by {task.assignee}")
        if task is None:
            done = session.scalar(select(exists().where(Event.task_id == task_id, Event.type == "task.completed")))
            if done:
                raise Conflict("任务已办结", "the task has already been completed")
        raise NotFound("任务不存在或无权查看", "task not found")

    @staticmethod
    def is_candidate(task: Task, actor: Actor) -> bool:
        keys = set(actor.candidate_keys())
        return any((c.kind, c.value) in keys for c in task.candidates)

    @classmethod
    def can_see(cls, task: Task, actor: Actor) -> bool:
        if task.assignee:
            return task.assignee == actor.username
        return cls.is_candidate(task, actor)

    def workflow_of(self, instance: Instance):
        return self._load(instance)

    # ----------------------------------------------------------------- internals

    @staticmethod
    def _by_idempotency_key(session, actor, key):
        return session.scalars(select(Instance).where(Instance.started_by == actor.username,
                                                      Instance.idempotency_key == key)).first()

    def _validate(self, form_key: str, data: dict) -> None:
        if self.settings.validate_form is None:
            return
        errors_zh, errors_en = self.settings.validate_form(form_key, data)
        if errors_zh:
            raise InvalidData(errors_zh, errors_en)

    def _load(self, instance: Instance):
        loaded = self.specs.get(instance.definition)
        return load_state(instance.state, loaded.spec, loaded.subprocess_specs)

    def _on_node(self, task, instance, step: _Step) -> None:
        """Called before each node runs: counters, the stage reached, the end reached."""
        config = node_config(task.task_spec)
        if config.increment:
            value = int(task.data.get(config.increment) or 0) + 1
            task.data[config.increment] = value
            step.record(instance.id, "counter.incremented", node_id=task.task_spec.name,
                        variable=config.increment, value=value)
        if config.stage:
            step.stage = config.stage
        if config.outcome:
            step.outcome = config.outcome

    def _advance(self, workflow, instance, step: _Step) -> None:
        """Run every engine step; timers get a second pass (a fired timer runs on the next step)."""
        try:
            for _ in range(2):
                workflow.refresh_timers()
                workflow.do_engine_steps(will_complete_task=lambda t: self._on_node(t, instance, step))
        except (WorkflowException, expressions.ExpressionError) as exc:
            raise ProcessError(f"流程执行出错：{exc}", f"the process failed: {exc}") from None
        if self.settings.prune:
            prune_history(workflow)

    def _save(self, session, workflow, instance: Instance, step: _Step, *, open_rows: dict[str, str],
              completed: set[str] = frozenset()) -> list[dict] | None:
        """Write state, task projection and events; the instance UPDATE carries the version check.

        Returns the open tasks when this command created all of them (see CommandResult)."""
        ready = _human_tasks(workflow)
        ready_ids = {str(t.id) for t in ready}
        gone = [row_id for row_id in open_rows if row_id not in ready_ids]
        for row_id in gone:
            if row_id not in completed:
                step.record(instance.id, "task.cancelled", task_id=row_id, node_id=open_rows[row_id])
        new_tasks, new_candidates = [], []
        for task in ready:
            if str(task.id) not in open_rows:
                row, candidates = self._task_row(task, instance, step)
                new_tasks.append(row)
                new_candidates += candidates

        data = ready[0].data if ready else (workflow.last_task.data if workflow.last_task else {})
        changes = {"variables": json_safe(data)}
        for name in LISTED_VARIABLES:
            value = data.get(name)
            changes[name] = None if value is None else str(value)[:300]
        stages = [node_config(t.task_spec).stage for t in ready if node_config(t.task_spec).stage]
        changes["stage"] = stages[0] if stages else (step.stage or instance.stage)
        if workflow.completed:
            changes.update(status="completed", outcome=step.outcome or "completed", ended_at=step.now)
            step.record(instance.id, "case.ended", outcome=changes["outcome"], reason=_reason(changes["variables"]))
        changes["state"] = dump_state(workflow)
        _write_versioned(session, instance, changes)

        # Few statements per command: bulk Core writes for the projection and the log.
        if gone:
            deleted = session.execute(delete(Task).where(Task.id.in_(gone))
                                      .execution_options(synchronize_session=False)).rowcount
            if deleted != len(gone):
                raise StaleDataError("task rows changed underneath")
        if new_tasks:
            session.execute(insert(Task), new_tasks)
        if new_candidates:
            session.execute(insert(TaskCandidate), new_candidates)
        if step.events:
            session.execute(insert(Event), step.events)
        if len(new_tasks) != len(ready):
            return None
        for row in new_tasks:
            row["candidates"] = [f"{c['kind']}:{c['value']}" for c in new_candidates if c["task_id"] == row["id"]]
            row["case_no"] = instance.case_no
        return new_tasks

    def _task_row(self, task, instance: Instance, step: _Step) -> tuple[dict, list[dict]]:
        config = node_config(task.task_spec)
        try:
            assignment = resolve(config, task.data)
        except expressions.ExpressionError as exc:
            raise ProcessError(f"任务“{config.name or config.node_id}”的办理人表达式有误：{exc}",
                               f"assignment of '{config.node_id}' failed: {exc}") from None
        task_id = str(task.id)
        row = dict(id=task_id, instance_id=instance.id, node_id=task.task_spec.name,
                   name=config.name or task.task_spec.bpmn_name, stage=config.stage, form_key=config.form_key,
                   assignee=assignment.assignee, status="open", created_at=step.now,
                   due_at=_due_at(config, task.data))
        candidates = [dict(task_id=task_id, kind=kind, value=value) for kind, value in assignment.candidates]
        step.record(instance.id, "task.created", task_id=task_id, node_id=row["node_id"], stage=row["stage"],
                    assignee=row["assignee"], candidates=[f"{k}:{v}" for k, v in assignment.candidates])
        return row, candidates

def _write_versioned(session: Session, instance: Instance, changes: dict) -> None:
    """UPDATE … WHERE version = N, setting N+1: the optimistic lock, in one statement.

    Zero rows matched means another command committed first: the caller gets a Conflict.
    """
    current = instance.version
    changes = dict(changes, version=current + 1)
    matched = session.execute(update(Instance).where(Instance.id == instance.id, Instance.version == current)
                              .values(**changes).execution_options(synchronize_session=False)).rowcount
    if matched != 1:
        raise StaleDataError(f"case {instance.case_no} changed since version {current}")
    for name, value in changes.items():
        set_committed_value(instance, name, value)


def _human_tasks(workflow) -> list:
    return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]


def _start_form_keys(spec) -> list[str]:
    return [node_config(s).form_key for s in spec.task_specs.values()
            if isinstance(s, StartEvent) and node_config(s).form_key]


def _reason(variables: dict) -> str | None:
    """The opinion the deciding person wrote: the last non-empty *_opinion field."""
    for key in ("close_opinion", "check_opinion", "register_opinion", "accept_opinion", "verify_opinion"):
        if variables.get(key):
            return variables[key]
    return None


def _due_at(config, data) -> _dt.datetime | None:
    if not config.due_date:
        return None
    text = config.due_date
    try:
        value = (expressions.evaluate(text[2:-1], data) if text.startswith("${") and text.endswith("}")
                 else text)
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value)
        if isinstance(value, _dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=clock.DEFAULT_TZ)
    except (expressions.ExpressionError, ValueError):
        return None
    return None


def json_safe(data: dict) -> dict:
    safe = {}
    for key, value in data.items():
        if isinstance(value, (_dt.datetime, _dt.date)):
            safe[key] = value.isoformat()
        elif isinstance(value, (str, int, float, bool, type(None), list, dict)):
            safe[key] = value
        else:
            safe[key] = str(value)
    return safe
