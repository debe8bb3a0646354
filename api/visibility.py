"""Who sees which tasks and cases, as SQL filters (never fetch-then-filter in Python).

Everyone sees the tasks they are assigned or a candidate for (an added signer's task and a delegated one are
assigned to the signer / the delegate), and the cases they started, took part in, have work in or were sent a
copy of (抄送). On top of that the data scope of their roles adds cases by owning
organisation: ``org`` (their organisations), ``org_tree`` (… and every organisation below them,
through the materialised org path), ``all``. A case's owner is the department it was dispatched
to (``process_instance.org_code``).
"""
from __future__ import annotations

from flask import g
from sqlalchemy import and_, exists, false, or_, select, true, union_all
from sqlalchemy.orm import aliased

from engine.identity import Actor
from engine.org_service import within
from engine.models import Event, Instance, Task, TaskCandidate
from engine.operations.records import TaskCopy


def _candidate_match(actor: Actor):
    clauses = [and_(TaskCandidate.kind == "user", TaskCandidate.value == actor.username)]
    if actor.roles:
        clauses.append(and_(TaskCandidate.kind == "role", TaskCandidate.value.in_(sorted(actor.roles))))
    if actor.orgs:
        clauses.append(and_(TaskCandidate.kind == "org", TaskCandidate.value.in_(sorted(actor.orgs))))
    return or_(*clauses)


def assigned_to(actor: Actor):
    """The actor's own tasks (ix_task_assignee): a person holds a bounded number, however many the city has open."""
    return Task.assignee == actor.username


def _candidate_task_ids(actor: Actor):
    """Ids of the unclaimed tasks the actor is a candidate for, found from the candidate side
    (ix_task_candidate_kind_value, then each task by its key): the same set as ``candidate_for``."""
    unclaimed = aliased(Task)  # its own FROM: never correlated with the outer query's task
    return (select(TaskCandidate.task_id).join(unclaimed, unclaimed.id == TaskCandidate.task_id)
            .where(unclaimed.assignee.is_(None), _candidate_match(actor)))


def candidate_for(actor: Actor):
    """Unclaimed tasks the actor is a candidate for (served by ix_task_candidate_kind_value)."""
    return and_(Task.assignee.is_(None),
                exists(select(TaskCandidate.id).where(TaskCandidate.task_id == Task.id, _candidate_match(actor))))


def tasks_visible_to(actor: Actor, scope: str | None):
    """The inbox scopes as task filters. ``all`` is the union of the two indexed sets, so its cost follows the
    actor's own tasks and candidate pool, not the task table: ``assigned OR candidate`` made PostgreSQL scan every
    unclaimed task (and join every case) once the table held a million."""
    if scope == "mine":
        return assigned_to(actor)
    if scope == "candidate":
        return candidate_for(actor)
    own = aliased(Task)
    return Task.id.in_(union_all(select(own.id).where(own.assignee == actor.username), _candidate_task_ids(actor)))


def cases_visible_now():
    """The current request's case filter: its actor and the data scope of its roles."""
    return cases_visible_to(g.actor, g.principal.scope)


def cases_listed_now():
    """The current request's case filter for whole-table case lists (``GET /cases``)."""
    return cases_listed_for(g.actor, g.principal.scope)


def cases_listed_for(actor: Actor, data_scope: str = "self"):
    """The same cases as ``cases_visible_to``, as ``id IN`` a union of indexed sets, so a list's cost follows the
    actor's own cases, not the table: the OR of EXISTS made PostgreSQL test every case (about 0.7 s for one
    handler, 0.9 s for a department head, with a million cases). For one case the OR is cheaper: use that there."""
    if data_scope == "all":
        return true()
    case, own, unclaimed = aliased(Instance), aliased(Task), aliased(Task)  # their own FROMs: never correlated
    sources = [
        select(case.id).where(case.started_by == actor.username),  # uq (started_by, idempotency_key)
        select(own.instance_id).where(own.assignee == actor.username),  # ix_task_assignee
        select(unclaimed.instance_id).join(TaskCandidate, TaskCandidate.task_id == unclaimed.id)
        .where(unclaimed.assignee.is_(None), _candidate_match(actor)),  # ix_task_candidate_kind_value
        select(Event.instance_id).where(Event.actor == actor.username),  # ix_event_actor_type_id
        select(TaskCopy.instance_id).where(TaskCopy.recipient == actor.username),  # ix_task_copy_recipient_sent_at
    ]
    if data_scope == "org" and actor.orgs:
        sources.append(select(case.id).where(case.org_code.in_(sorted(actor.orgs))))  # ix_process_instance_org_code
    elif data_scope == "org_tree" and actor.org_paths:
        sources.append(select(case.id).where(within(case.org_code, actor.org_paths)))
    return Instance.id.in_(union_all(*sources))


def cases_visible_to(actor: Actor, data_scope: str = "self"):
    if data_scope == "all":
        return true()
    mine = [Instance.started_by == actor.username,
            # a case's few tasks, correlated: the plain OR suits it (the union is for whole-table task lists)
            exists(select(Task.id).where(Task.instance_id == Instance.id,
                                         or_(assigned_to(actor), candidate_for(actor)))),
            exists(select(Event.id).where(Event.instance_id == Instance.id, Event.actor == actor.username)),
            # 抄送: a copy lets its recipient read the case (ix_task_copy_recipient_sent_at)
            exists(select(TaskCopy.id).where(TaskCopy.instance_id == Instance.id,
                                             TaskCopy.recipient == actor.username))]
    if data_scope == "org" and actor.orgs:
        mine.append(Instance.org_code.in_(sorted(actor.orgs)))
    elif data_scope == "org_tree" and actor.org_paths:
        mine.append(within(Instance.org_code, actor.org_paths))
    return or_(*mine) if mine else false()
