"""Who sees which tasks and cases, as SQL filters (never fetch-then-filter in Python).

Issue-5 RBAC with data scopes will replace the role set below; the queries keep their shape.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, or_, select

from engine.identity import Actor
from engine.models import Event, Instance, Task, TaskCandidate

# Command-centre roles follow every case of the city.
CENTRE_ROLES = frozenset({"admin", "acceptor", "shift_leader", "dispatcher", "leader"})


def _candidate_match(actor: Actor):
    clauses = [and_(TaskCandidate.kind == "user", TaskCandidate.value == actor.username)]
    if actor.roles:
        clauses.append(and_(TaskCandidate.kind == "role", TaskCandidate.value.in_(sorted(actor.roles))))
    if actor.orgs:
        clauses.append(and_(TaskCandidate.kind == "org", TaskCandidate.value.in_(sorted(actor.orgs))))
    return or_(*clauses)


def assigned_to(actor: Actor):
    return Task.assignee == actor.username


def candidate_for(actor: Actor):
    """Unclaimed tasks the actor is a candidate for (served by ix_task_candidate_kind_value)."""
    return and_(Task.assignee.is_(None),
                exists(select(TaskCandidate.id).where(TaskCandidate.task_id == Task.id, _candidate_match(actor))))


def tasks_visible_to(actor: Actor, scope: str | None):
    if scope == "mine":
        return assigned_to(actor)
    if scope == "candidate":
        return candidate_for(actor)
    return or_(assigned_to(actor), candidate_for(actor))


def cases_visible_to(actor: Actor):
    if actor.roles & CENTRE_ROLES:
        return Instance.id.isnot(None)
    has_open_task = exists(select(Task.id).where(Task.instance_id == Instance.id, tasks_visible_to(actor, None)))
    took_part = exists(select(Event.id).where(Event.instance_id == Instance.id, Event.actor == actor.username))
    return or_(Instance.started_by == actor.username, has_open_task, took_part)
