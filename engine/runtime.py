"""Engine commands. Each is one unit of work on a caller-owned Session:

load instance (version N) → act → serialize → write state, task projection and
events → the caller commits, and the UPDATE carries ``version = N+1``. A
concurrent writer fails its UPDATE and gets a Conflict, never a lost update.
"""
from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass
from typing import Callable
from uuid import UUID

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import case_clock, clock, deployment, expressions, node_effects, process_start
from engine.access import is_candidate, may_act
from engine.case_numbers import DEFAULT_PATTERN, next_case_number
from engine.enforcement import effects as enforcement_effects
from engine.errors import CASE_CHANGED, Conflict, Forbidden, InvalidData, NotFound, ProcessError
from engine.identity import Actor
from engine.models import Definition, Instance, Task
from engine.operations import countersign, going_back, signing
from engine.operations.allowed import check_allowed, node_spec
from engine.parser import node_config
from engine.prepared import Prepared
from engine.calendar import Calendar
from engine.calendar_functions import current_calendar, using_calendar
from engine.deadlines import DEFAULT_WARN_SHARE, DeadlinePlanner
from engine.projection import CANDIDATES, EMPTY, EVENTS, INSTANCES, TASKS, CaseRef, Step, snapshot, write_step
from engine.pruning import prune_history
from engine.specs import SPECS, SpecCache
from engine.state import load_state, new_workflow
from engine.workflow_cache import DEFAULT_CAPACITY as DEFAULT_CACHE_CAPACITY, WorkflowCache

MAX_ENGINE_PASSES = 10  # bounds a pathological timer loop; real processes need one or two

DEFAULT_CALENDAR = Calendar()
CALENDAR_TTL = 10.0
NEXT_DUE_KEY = "citybpm.next_timer_due"

CONFLICT = CASE_CHANGED


@dataclass
class EngineSettings:
    case_number_prefix: str = "CG"
    case_number_pattern: str = DEFAULT_PATTERN
    # forms.service.FormService: form versions for new tasks, and what a submission may contain
    forms: object | None = None
    prune: bool = True
    warn_share: float = DEFAULT_WARN_SHARE
    # the working-time calendar for a command; default: default windows, no holidays
    calendar_for: Callable[[Session], Calendar] | None = None
    # live system settings (engine.settings_store): case numbers and the warning share change without a restart
    live: Callable[[object], dict] | None = None
    # workflows kept in memory between commands (engine.workflow_cache); 0 turns it off
    workflow_cache_size: int = DEFAULT_CACHE_CAPACITY


@dataclass
class CommandResult:
    """What a command left behind. ``open_tasks`` lists the case's open human tasks when the
    command created all of them (rows as written, candidates as ``kind:value``); None when some
    were open before, so a caller that needs them reads the projection."""

    case_id: int
    case_no: str
    open_tasks: list[dict] | None
    created: bool = True


@dataclass(frozen=True)
class _OpenTask:
    """An open task and its case, read in one statement (so the access check sees one snapshot)."""

    id: str
    node_id: str
    stage: str | None
    assignee: str | None
    form_key: str | None
    form_version: int | None
    status: str
    kind: str
    delegation: str | None  # 委派: 'pending' while the delegate works on it
    has_after_signers: bool  # 加签（后）: the submission waits for them
    due_at: object  # datetime | None: kept on the task.completed event (绩效考核 "on time")
    candidates: frozenset[tuple[str, str]]
    case: CaseRef


# Built once (see engine.projection): the open task, its candidates and its case in one statement.
_SIGNERS = TASKS.alias("signer")
_OPEN_TASK_WITH_CASE = Prepared(
    select(TASKS.c.id, TASKS.c.node_id, TASKS.c.stage, TASKS.c.assignee, TASKS.c.form_key, TASKS.c.form_version,
           TASKS.c.status.label("task_status"), TASKS.c.kind.label("task_kind"), TASKS.c.delegation, TASKS.c.due_at,
           exists().where(_SIGNERS.c.parent_id == TASKS.c.id, _SIGNERS.c.sign_position == "after")
           .label("has_after_signers"),
           CANDIDATES.c.kind, CANDIDATES.c.value,
           INSTANCES.c.id.label("case_id"), INSTANCES.c.case_no, INSTANCES.c.definition_id, INSTANCES.c.version,
           INSTANCES.c.stage.label("case_stage"), INSTANCES.c.state, INSTANCES.c.status, INSTANCES.c.started_by)
    .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
    .outerjoin(CANDIDATES, CANDIDATES.c.task_id == TASKS.c.id)
    .where(TASKS.c.id == bindparam("task_id")))


_DEFINITIONS = Definition.__table__
_LATEST_ACTIVE = (select(_DEFINITIONS.c.id, _DEFINITIONS.c.key, _DEFINITIONS.c.version)
                  .where(_DEFINITIONS.c.key == bindparam("key"), _DEFINITIONS.c.status == "active")
                  .order_by(_DEFINITIONS.c.version.desc()).limit(1))


def _in_calendar(method):
    """Run a command with its calendar in scope: deadlines and calendar functions in expressions
    (``add_work_hours`` …) use it, and it is loaded only if something actually needs it."""

    @functools.wraps(method)
    def scoped(self, session, *args, **kwargs):
        if current_calendar.get() is not None:
            return method(self, session, *args, **kwargs)
        with using_calendar(_Lazy(lambda: self.calendar(session))):
            return method(self, session, *args, **kwargs)

    return scoped


_CASE_BY_ID = select(INSTANCES.c.id, INSTANCES.c.case_no, INSTANCES.c.definition_id, INSTANCES.c.version,
                     INSTANCES.c.stage, INSTANCES.c.state, INSTANCES.c.status, INSTANCES.c.started_by
                     ).where(INSTANCES.c.id == bindparam("case_id"))


class Engine:
    def __init__(self, settings: EngineSettings | None = None, specs: SpecCache = SPECS):
        self.settings = settings or EngineSettings()
        self.forms = self.settings.forms
        self.specs = specs
        self._calendar: tuple[float, Calendar] | None = None
        self.workflows = WorkflowCache(self.settings.workflow_cache_size)

    # ----------------------------------------------------------------- commands

    @_in_calendar
    def start_case(self, session: Session, key: str, variables: dict, actor: Actor,
                   idempotency_key: str | None = None, *, fire_start_timers: bool = False) -> CommandResult:
        """Start a case of the latest active version of ``key`` (a retried key returns the earlier case)."""
        if idempotency_key:
            earlier = self._by_idempotency_key(session, actor, idempotency_key)
            if earlier is not None:
                return CommandResult(earlier.id, earlier.case_no, None, created=False)
        conn = session.connection()
        definition = conn.execute(_LATEST_ACTIVE, {"key": key}).first()
        if definition is None:
            raise NotFound(f"流程“{key}”不存在或未启用", f"process '{key}' does not exist or is not active")
        loaded = self.specs.get_by_id(session, definition.id)
        for form_key in _start_form_keys(loaded.spec):
            self._check(self.forms.check_start(session.connection(), form_key, variables) if self.forms else None)
        now = clock.now()
        settings = self.current_settings(session)
        case_no = next_case_number(session, prefix=settings.case_number_prefix,
                                   pattern=settings.case_number_pattern, at=now)
        workflow = new_workflow(loaded.spec, loaded.subprocess_specs)
        data = dict(variables, case_no=case_no, initiator=actor.username)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        if fire_start_timers:
            # started by the scheduler for a timer start event: that timer is what just fired
            workflow.do_engine_steps()
            for task in workflow.get_tasks(state=TaskState.WAITING):
                if isinstance(task.task_spec, StartEvent) and _is_timer(task.task_spec):
                    task._set_internal_data(event_fired=True)
                    task.task_spec._update(task)

        try:
            case_id = conn.execute(insert(INSTANCES).values(
                case_no=case_no, definition_id=definition.id, status="running", started_by=actor.username,
                started_at=now, idempotency_key=idempotency_key, variables={}, state="", version=0,
            ).returning(INSTANCES.c.id)).scalar_one()
        except IntegrityError:
            # a concurrent retry with the same Idempotency-Key won the race
            session.rollback()
            earlier = self._by_idempotency_key(session, actor, idempotency_key) if idempotency_key else None
            if earlier is None:
                raise
            return CommandResult(earlier.id, earlier.case_no, None, created=False)
        case = CaseRef(case_id, case_no, definition.id, 0, None, "", "running", actor.username)
        step = Step(actor.username, now)
        step.record(case_id, "case.started", case_no=case_no, definition=definition.key,
                    version=definition.version)
        self.advance(workflow, case, step)
        open_tasks = write_step(conn, workflow, case, step, EMPTY, self.planner(session), forms=self.forms)
        self._keep(session, case, workflow)
        self.note_next_due(session, step)
        return CommandResult(case_id, case_no, open_tasks)

    def claim_task(self, session: Session, task_id: str, actor: Actor) -> Task:
        task = self.visible_task(session, task_id, actor)
        check_allowed(session.connection(), task.instance.definition_id, task.node_id, "claim",
                      node_spec(self.specs, session, task.instance.definition_id, task.node_id))
        if task.assignee == actor.username:
            return task
        # Conditional UPDATE: of two racing claims exactly one matches the row.
        claimed = session.execute(update(TASKS).where(TASKS.c.id == task_id, TASKS.c.assignee.is_(None))
                                  .values(assignee=actor.username)).rowcount
        if claimed != 1:
            raise Conflict("任务已被他人签收", "the task was claimed by someone else")
        session.execute(insert(EVENTS).values(instance_id=task.instance_id, task_id=task.id, node_id=task.node_id,
                                              type="task.claimed", actor=actor.username, at=clock.now(), data={}))
        session.refresh(task)
        return task

    @_in_calendar
    def complete_task(self, session: Session, task_id: str, data: dict, actor: Actor, *,
                      on_behalf_of_process: bool = False) -> CommandResult:
        """Complete an open task with form data. ``on_behalf_of_process``: the engine itself acts
        (an overdue policy moving the flow on), so the actor need not be a candidate."""
        conn = session.connection()
        task = self._open_task(conn, task_id, actor, check_access=not on_behalf_of_process)
        case = task.case
        if case.status != "running":
            raise Conflict("案件已挂账或暂停，恢复后才能办理", "the case is paused; resume it first")
        if task.kind != "bpmn":
            raise Conflict("加签任务请用“签署”提交", "an added signer's task is submitted with 'sign'")
        if task.status != "open" and not on_behalf_of_process:
            raise Conflict("任务正在等待加签人签署，签署完成后才能办理",
                           "the task waits for the added signers; complete it once they have signed")
        if task.delegation == "pending" and not on_behalf_of_process:
            raise Forbidden("委派的任务只能“办理完成”交回委派人，由委派人办结",
                            "a delegated task is resolved back to its delegator, who completes it")
        loaded = self.specs.get_by_id(session, case.definition_id)
        workflow = self._workflow(case, loaded)
        spiff_task = workflow.get_task_from_id(UUID(task_id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise Conflict("任务已不在办理中", "the task is no longer open")
        if not on_behalf_of_process:
            check_allowed(conn, case.definition_id, task.node_id, "complete", spiff_task.task_spec)
        # The projection mirrors the state it was written with: its open rows are the READY human tasks.
        before = snapshot(workflow)
        if task.form_key and self.forms is not None:
            self._check(self.forms.check_task(conn, form_key=task.form_key, version=task.form_version,
                                              process_key=loaded.key, node_id=task.node_id, submitted=data,
                                              current=spiff_task.data))
        if (not on_behalf_of_process and task.has_after_signers
                and signing.hold_for_after_signers(conn, task_id, case, data, actor)):
            return CommandResult(case.id, case.case_no, None)  # 加签（后）: completes when the signers have signed
        step = Step(actor.username, clock.now())
        spiff_task.data.update(data)
        try:
            reporters = node_effects.on_submit(spiff_task, data, actor.username, case.id, step)
            self._on_node(spiff_task, case, step)
            countersign.on_submit(spiff_task, data, actor.username, case.id, step, automatic=on_behalf_of_process)
            spiff_task.run()
        except (WorkflowException, expressions.ExpressionError) as exc:
            raise ProcessError(f"流程执行出错：{exc}", f"the process failed: {exc}") from None
        step.record(case.id, "task.completed", task_id=task_id, node_id=task.node_id, stage=task.stage, data=data,
                    due_at=task.due_at.isoformat() if task.due_at else None)
        self.advance(workflow, case, step)
        node_effects.record_closed_reporters(reporters, spiff_task, case.id, step)
        try:
            open_tasks = write_step(conn, workflow, case, step, before, self.planner(session),
                                    completed=frozenset({task_id}), forms=self.forms)
        except StaleDataError:
            raise Conflict(*CONFLICT) from None
        self._keep(session, case, workflow)
        self.note_next_due(session, step)
        return CommandResult(case.id, case.case_no, open_tasks)

    @_in_calendar
    def send_message(self, session: Session, case_id: int, name: str, payload: dict, actor: Actor) -> CommandResult:
        """Deliver a BPMN message (e.g. the party's 听证 request racing a timer at an event-based gateway)."""
        conn = session.connection()
        case = self._case(conn, case_id)
        if case.status != "running":
            raise Conflict("案件已挂账、暂停或已办结", "the case is not running")
        loaded = self.specs.get_by_id(session, case.definition_id)
        workflow = self._workflow(case, loaded)
        before = snapshot(workflow)
        waiting = [(t, d) for t in workflow.event_manager.tasks.values() for d in _message_definitions(t)
                   if d.name == name]
        if not waiting:
            raise Conflict(f"案件当前没有在等待消息“{name}”", f"the case is not waiting for message '{name}'")
        task, definition = waiting[0]
        step = Step(actor.username, clock.now())
        try:
            # Camunda-style definitions (our parser's) read {"payload", "result_var"}: the payload lands
            # in the variable named by the message (or the modeler's result variable)
            envelope = {"payload": dict(payload), "result_var": getattr(definition, "result_var", None) or name}
            workflow.catch(BpmnEvent(definition, envelope))
        except (WorkflowException, expressions.ExpressionError) as exc:
            raise ProcessError(f"流程执行出错：{exc}", f"the process failed: {exc}") from None
        step.record(case.id, "message.received", node_id=task.task_spec.name, name=name, payload=payload)
        self.advance(workflow, case, step)
        try:
            open_tasks = write_step(conn, workflow, case, step, before, self.planner(session), forms=self.forms)
        except StaleDataError:
            raise Conflict(*CONFLICT) from None
        self._keep(session, case, workflow)
        self.note_next_due(session, step)
        return CommandResult(case.id, case.case_no, open_tasks)

    def deploy(self, session: Session, files, *, key: str | None = None, deployed_by: str | None = None,
               form_exists=lambda _key: True):
        """Deploy (engine.deployment) and plan the timer start events of a new version."""
        definition, created = deployment.deploy(session, files, key=key, deployed_by=deployed_by,
                                                form_exists=form_exists)
        if created:
            self.schedule_start_timers(session, definition.id)
        return definition, created

    # ----------------------------------------------------------------- the case clock

    def pause_case(self, session: Session, case_id: int, actor: Actor, *, kind: str = "hang", reason: str,
                   until=None):
        return case_clock.pause_case(session, case_id, actor, kind=kind, reason=reason, until=until)

    @_in_calendar
    def resume_case(self, session: Session, case_id: int, actor: Actor, *, reason: str | None = None,
                    automatic: bool = False) -> dict:
        result = case_clock.resume_case(session, case_id, actor, calendar=self.calendar(session), reason=reason,
                                        automatic=automatic)
        if result.get("due_at"):
            self.note_due(session, result["due_at"])
        session.info[NEXT_DUE_KEY] = session.info.get(NEXT_DUE_KEY) or clock.now()
        return result

    @_in_calendar
    def extend_task(self, session: Session, task_id: str, actor: Actor, *, reason: str,
                    amount: float | None = None) -> dict:
        result = case_clock.extend_task(session, task_id, actor, calendar=self.calendar(session), reason=reason,
                                        amount=amount, warn_share=self.current_settings(session).warn_share)
        self.note_due(session, result["warn_at"])
        return result

    def schedule_start_timers(self, session: Session, definition_id: int) -> None:
        """A deployed version with a timer start event gets its first PROCESS_START timer;
        older versions of the same key stop starting cases."""
        process_start.schedule_first(self, session, definition_id)

    def schedule_next_start(self, session: Session, fired_row, now) -> None:
        process_start.schedule_next(self, session, fired_row, now)

    # ----------------------------------------------------------------- queries

    def visible_task(self, session: Session, task_id: str, actor: Actor) -> Task:
        """The open task (ORM) if ``actor`` may see it; see _deny() for the refusals."""
        task = session.get(Task, task_id, options=[joinedload(Task.candidates)])
        candidates = [(c.kind, c.value) for c in task.candidates] if task is not None else []
        if task is not None and may_act(task.assignee, candidates, actor):
            return task
        self._deny(session.connection(), task_id, task.assignee if task else None, candidates, actor,
                   exists_=task is not None)

    @staticmethod
    def can_see(task: Task, actor: Actor) -> bool:
        return may_act(task.assignee, [(c.kind, c.value) for c in task.candidates], actor)

    def workflow_of(self, session: Session, instance: Instance):
        loaded = self.specs.get_by_id(session, instance.definition_id)
        return load_state(instance.state, loaded.spec, loaded.subprocess_specs)

    # ----------------------------------------------------------------- internals

    def _workflow(self, case: CaseRef, loaded):
        """The case's workflow: the object the last command on it left (engine.workflow_cache), else loaded
        from the state just read. Either way this command owns it; a failed command leaves it behind."""
        return (self.workflows.take(case.id, case.version, case.state)
                or load_state(case.state, loaded.spec, loaded.subprocess_specs))

    def _keep(self, session: Session, case: CaseRef, workflow) -> None:
        self.workflows.keep_after_commit(session, case.id, case.version, case.state, workflow)

    @staticmethod
    def _case(conn, case_id: int) -> CaseRef:
        row = conn.execute(_CASE_BY_ID, {"case_id": case_id}).first()
        if row is None:
            raise NotFound("案件不存在", "case not found")
        return CaseRef(row.id, row.case_no, row.definition_id, row.version, row.stage, row.state, row.status,
                       row.started_by)

    def calendar(self, session: Session) -> Calendar:
        """The working-time calendar, re-read at most every CALENDAR_TTL seconds (it changes rarely)."""
        if self.settings.calendar_for is None:
            return DEFAULT_CALENDAR
        cached = self._calendar
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        calendar = self.settings.calendar_for(session)
        self._calendar = (time.monotonic() + CALENDAR_TTL, calendar)
        return calendar

    def forget_calendar(self) -> None:
        self._calendar = None

    def calendar_scope(self, session: Session):
        """Context: calendar functions and deadlines of whatever runs inside use this session's calendar."""
        return using_calendar(current_calendar.get() or _Lazy(lambda: self.calendar(session)))

    def planner(self, session: Session) -> DeadlinePlanner:
        calendar = current_calendar.get() or _Lazy(lambda: self.calendar(session))
        return DeadlinePlanner(session.connection(), calendar, warn_share=self.current_settings(session).warn_share)

    def current_settings(self, session: Session) -> EngineSettings:
        """The settings with the admins' live values (cached by engine.settings_store)."""
        if self.settings.live is None:
            return self.settings
        live = self.settings.live(session.connection())
        return dataclasses.replace(self.settings, case_number_prefix=live["case_number_prefix"],
                                   case_number_pattern=live["case_number_pattern"], warn_share=live["warn_share"])

    @classmethod
    def note_next_due(cls, session: Session, step: Step) -> None:
        if step.next_due is not None:
            cls.note_due(session, step.next_due)

    @staticmethod
    def note_due(session: Session, due) -> None:
        """Leave the earliest new due instant for the scheduler to see after commit (engine.scheduler)."""
        earliest = session.info.get(NEXT_DUE_KEY)
        session.info[NEXT_DUE_KEY] = due if earliest is None else min(earliest, due)

    def _open_task(self, conn, task_id: str, actor: Actor, *, check_access: bool = True) -> _OpenTask:
        rows = _OPEN_TASK_WITH_CASE.all(conn, {"task_id": task_id})
        candidates = frozenset((r.kind, r.value) for r in rows if r.kind is not None)
        if not rows or (check_access and not may_act(rows[0].assignee, candidates, actor)):
            self._deny(conn, task_id, rows[0].assignee if rows else None, candidates, actor, exists_=bool(rows))
        first = rows[0]
        case = CaseRef(first.case_id, first.case_no, first.definition_id, first.version, first.case_stage,
                       first.state, first.status, first.started_by)
        return _OpenTask(first.id, first.node_id, first.stage, first.assignee, first.form_key, first.form_version,
                         first.task_status, first.task_kind, first.delegation, bool(first.has_after_signers),
                         first.due_at, candidates, case)

    @staticmethod
    def _deny(conn, task_id, assignee, candidates, actor, *, exists_: bool):
        """Why ``actor`` may not act: claimed by a colleague (Conflict), already done (Conflict),
        or nothing the actor may know about (NotFound — no leaking of others' work)."""
        if exists_ and is_candidate(candidates, actor):
            raise Conflict(f"任务已由 {assignee} 签收", f"task is already claimed by {assignee}")
        if not exists_:
            done = conn.execute(select(exists().where(EVENTS.c.task_id == task_id,
                                                      EVENTS.c.type == "task.completed"))).scalar()
            if done:
                raise Conflict("任务已办结", "the task has already been completed")
        raise NotFound("任务不存在或无权查看", "task not found")

    @staticmethod
    def _by_idempotency_key(session, actor, key):
        return session.scalars(select(Instance).where(Instance.started_by == actor.username,
                                                      Instance.idempotency_key == key)).first()

    @staticmethod
    def _check(errors) -> None:
        if errors and errors[0]:
            raise InvalidData(*errors)

    @staticmethod
    def _on_node(task, case: CaseRef, step: Step) -> None:
        """Called before each node runs: citybpm:set, counters, the stage reached, the end reached."""
        node_effects.apply_assignments(task)
        config = node_config(task.task_spec)
        if config.increment:
            value = int(task.data.get(config.increment) or 0) + 1
            task.data[config.increment] = value
            step.record(case.id, "counter.incremented", node_id=task.task_spec.name,
                        variable=config.increment, value=value)
        if config.case_time_limit and not task.task_spec.manual:
            step.case_time_limit = config.case_time_limit  # a user task starts it when created (projection)
        if config.document:
            enforcement_effects.note_document(step, task, config.document, case.id)
        if config.stage:
            step.stage = config.stage
        if config.outcome:
            step.outcome = config.outcome

    def advance(self, workflow, case: CaseRef, step: Step) -> None:
        """Run every engine step. A timer found due at the end of a pass (SpiffWorkflow refreshes
        timers last) only runs on the next pass, so passes repeat while automatic work is ready."""
        try:
            workflow.refresh_timers()
            for _ in range(MAX_ENGINE_PASSES):
                workflow.do_engine_steps(will_complete_task=lambda t: self._on_node(t, case, step))
                if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
                    break
        except (WorkflowException, expressions.ExpressionError) as exc:
            raise ProcessError(f"流程执行出错：{exc}", f"the process failed: {exc}") from None
        if self.settings.prune:
            # keep what 退回/撤回 may re-open (the latest completion of each user task)
            prune_history(workflow, keep=going_back.keep_for_return(workflow))


class _Lazy:
    """A calendar loaded only if a deadline is actually computed in this command."""

    def __init__(self, load):
        self._load, self._value = load, None

    def __getattr__(self, name):
        if self._value is None:
            self._value = self._load()
        return getattr(self._value, name)


def _message_definitions(task) -> list:
    """The message definitions a waiting task catches (itself, or the branches of an event-based gateway)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, MessageEventDefinition)]
    return [definition] if isinstance(definition, MessageEventDefinition) else []


def _is_timer(task_spec) -> bool:
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)


def _start_form_keys(spec) -> list[str]:
    return [node_config(s).form_key for s in spec.task_specs.values()
            if isinstance(s, StartEvent) and node_config(s).form_key]
