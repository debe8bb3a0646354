"""延期 and 挂账 requests: the handler asks, an approver decides, the engine moves the clock (DOMAIN §1).

A request is an ``approval_request`` row (pending → approved | rejected | cancelled). The rules — how many
extensions, how long each, whether an overdue task may still get one, the longest 挂账 — are system settings
read when the request is made and again when it is approved, so a change applies to pending requests too.
Approving calls the case clock (engine.case_clock via the runtime): the due instant moves, or the case is
paused with a timer that resumes it at ``until``. Every step is an event in the caller's transaction.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Collection

from sqlalchemy import case, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import clock, settings_store
from engine.case_clock import check_extension
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.identity import Actor, usernames_for
from engine.notifications import notify_everywhere
from engine.operations import allowed
from engine.models import Instance
from engine.operations.records import ApprovalRequest
from engine.operations.task_lookup import (OpenTask, case_info, check_offered, find_open_task, open_task, record,
                                           require_running)
from engine.rbac import RoleGrant

# kind -> (zh, operation offered by the node, permission that approves it)
KINDS = {"extension": ("延期", "extend", "task.extend"), "hang": ("挂账", "hang", "case.suspend")}
STATUSES = ("pending", "approved", "rejected", "cancelled")
_REQUESTS = ApprovalRequest.__table__


# --- asking -----------------------------------------------------------------------------------------

def request_extension(session: Session, engine, task_id: str, actor: Actor, *, reason: str,
                      amount: float | None = None) -> ApprovalRequest:
    """延期申请: ``amount`` in the unit of the task's limit (default: one original limit, within the rules)."""
    now, conn = clock.now(), session.connection()
    task = _requestable(session, engine, task_id, actor, "extension")
    amount, _original, _granted = check_extension(conn, task, amount, now)
    if _pending(conn, "extension", task_id=task.id):
        raise Conflict(*DUPLICATE_REQUEST["extension"])
    return _create(session, task, actor, now, "extension", reason, amount=amount)


def request_hang(session: Session, engine, task_id: str, actor: Actor, *, reason: str,
                 until: _dt.datetime | None = None) -> ApprovalRequest:
    """挂账申请: the clock would stop until ``until`` (default and latest: hang_max_days natural days away)."""
    now, conn = clock.now(), session.connection()
    task = _requestable(session, engine, task_id, actor, "hang")
    until = _check_until(conn, until, now)
    if _pending(conn, "hang", case_id=task.case.id):
        raise Conflict(*DUPLICATE_REQUEST["hang"])
    return _create(session, task, actor, now, "hang", reason, until=until)


def _requestable(session: Session, engine, task_id: str, actor: Actor, kind: str) -> OpenTask:
    task = open_task(session.connection(), task_id)
    if not task.handled_by(actor):
        raise Forbidden(f"只有任务的办理人可以申请{KINDS[kind][0]}", f"only the task's handler may ask for a {kind}")
    allowed.refuse_while_delegated(task)
    require_running(task.case)
    check_offered(session, engine, task, KINDS[kind][1])
    return task


def _check_until(conn, until: _dt.datetime | None, now: _dt.datetime) -> _dt.datetime:
    days = int(settings_store.get(conn, "hang_max_days"))
    latest = now + _dt.timedelta(days=days)
    if until is None:
        return latest
    if until <= now:
        raise InvalidData({"until": "恢复时间应晚于当前时间"}, {"until": "must be in the future"})
    if until > latest:
        raise InvalidData({"until": f"挂账最长 {days} 天（自然日）"}, {"until": f"at most {days} natural days"})
    return until


DUPLICATE_REQUEST = {
    "extension": ("该任务已有待审批的延期申请", "the task already has a pending extension request"),
    "hang": ("该案件已有待审批的挂账申请", "the case already has a pending 挂账 request"),
}


def _create(session: Session, task: OpenTask, actor: Actor, now, kind: str, reason: str, **values) -> ApprovalRequest:
    conn = session.connection()
    request = ApprovalRequest(instance_id=task.case.id, task_id=task.id, node_id=task.node_id, kind=kind,
                              status="pending", reason=reason, requested_by=actor.username, requested_at=now,
                              **values)
    session.add(request)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request for the same task (延期) or case (挂账) won
        raise Conflict(*DUPLICATE_REQUEST[kind]) from None
    until = values.get("until")
    record(conn, task.case, f"{kind}.requested", actor, now, task_id=task.id, node_id=task.node_id,
           request_id=request.id, reason=reason, amount=values.get("amount"),
           until=until.isoformat() if until else None)
    zh = KINDS[kind][0]
    approvers = [u for u in approvers_of(conn, KINDS[kind][2]) if u != actor.username]
    notify_everywhere(conn, approvers, kind="approval.requested", title=f"{zh}申请待审批：{task.case.case_no}",
                      body=f"“{task.label()}”{actor.username} 申请{zh}：{reason}", case_no=task.case.case_no,
                      task_id=task.id, at=now)
    return request


def approvers_of(conn, permission: str) -> list[str]:
    """The active people whose roles grant ``permission`` (权限配置 decides who approves, not code)."""
    grants = conn.execute(select(RoleGrant.role_code, RoleGrant.permissions)).all()
    roles = [("role", g.role_code) for g in grants if permission in (g.permissions or [])]
    return usernames_for(conn, roles) if roles else []


def _pending(conn, kind: str, *, task_id: str | None = None, case_id: int | None = None) -> bool:
    where = [_REQUESTS.c.kind == kind, _REQUESTS.c.status == "pending"]
    where.append(_REQUESTS.c.task_id == task_id if task_id is not None else _REQUESTS.c.instance_id == case_id)
    return bool(conn.execute(select(exists().where(*where))).scalar())


# --- deciding ---------------------------------------------------------------------------------------

def approve(session: Session, engine, request_id: int, actor: Actor, *, permissions: Collection[str],
            note: str | None = None) -> ApprovalRequest:
    """Grant the request: the clock moves in the same transaction (or nothing happens at all)."""
    request, task = _decidable(session, request_id, actor, permissions)
    now = clock.now()
    _close(session, request, actor, now, "approved", note)
    if request.kind == "extension":
        moved = engine.extend_task(session, task.id, actor, reason=request.reason, amount=request.amount)
        outcome = {"due_to": moved["due_at"].isoformat()}
    else:
        if request.until <= now:
            raise Conflict("申请的恢复时间已过，请重新申请", "the requested resumption time has passed; ask again")
        until = _check_until(session.connection(), request.until, now)
        engine.pause_case(session, task.case.id, actor, kind="hang", reason=request.reason, until=until)
        engine.note_due(session, until)  # the scheduler wakes for the automatic resumption
        outcome = {"until": until.isoformat()}
    _decided(session, request, task, actor, now, "approved", note, **outcome)
    return request


def reject(session: Session, request_id: int, actor: Actor, *, permissions: Collection[str],
           note: str) -> ApprovalRequest:
    request = _existing(session, request_id)
    _may_decide(request, actor, permissions)
    now = clock.now()
    _close(session, request, actor, now, "rejected", note)
    _decided(session, request, find_open_task(session.connection(), request.task_id), actor, now, "rejected", note)
    return request


def cancel(session: Session, request_id: int, actor: Actor) -> ApprovalRequest:
    """The requester takes a pending request back."""
    request = _existing(session, request_id)
    if request.requested_by != actor.username:
        raise Forbidden("只有申请人可以撤销申请", "only the requester may cancel the request")
    now = clock.now()
    _close(session, request, actor, now, "cancelled", None)
    record(session.connection(), case_info(session.connection(), request.instance_id),
           f"{request.kind}.cancelled", actor, now, task_id=request.task_id, node_id=request.node_id,
           request_id=request.id)
    return request


def close_pending_of_case(conn, case_id: int, actor: str, now, note: str) -> list[tuple[int, str]]:
    """A case that ends (terminated, withdrawn, merged) leaves no request waiting: each pending one is
    cancelled with ``note``. Returns (request id, kind) of those closed, for the caller's events."""
    closed = conn.execute(select(_REQUESTS.c.id, _REQUESTS.c.kind).where(_REQUESTS.c.instance_id == case_id,
                                                                       _REQUESTS.c.status == "pending")).all()
    if closed:
        conn.execute(update(_REQUESTS).where(_REQUESTS.c.id.in_([r.id for r in closed]))
                     .values(status="cancelled", decided_by=actor, decided_at=now, decision_note=note))
    return [(r.id, r.kind) for r in closed]


def _decidable(session: Session, request_id: int, actor: Actor, permissions) -> tuple[ApprovalRequest, OpenTask]:
    request = _existing(session, request_id)
    _may_decide(request, actor, permissions)
    if request.status != "pending":
        raise Conflict("该申请已处理", "the request has already been decided")
    task = find_open_task(session.connection(), request.task_id) if request.task_id else None
    if task is None:
        raise Conflict("申请所针对的任务已办结或已取消，不能再审批",
                       "the task the request was for has ended; it can no longer be approved")
    return request, task


def _may_decide(request: ApprovalRequest, actor: Actor, permissions) -> None:
    zh, _operation, permission = KINDS[request.kind]
    if permission not in permissions:
        raise Forbidden(f"没有审批{zh}申请的权限", f"you may not decide {request.kind} requests")
    if request.requested_by == actor.username:
        raise Forbidden("不能审批自己的申请", "you cannot decide your own request")


def _close(session: Session, request: ApprovalRequest, actor: Actor, now, status: str, note: str | None) -> None:
    """pending → ``status``, as one conditional UPDATE: of two racing decisions exactly one wins."""
    changed = session.execute(update(_REQUESTS).where(_REQUESTS.c.id == request.id, _REQUESTS.c.status == "pending")
                              .values(status=status, decided_by=actor.username, decided_at=now,
                                      decision_note=note)).rowcount
    if changed != 1:
        raise Conflict("该申请已处理", "the request has already been decided")
    session.refresh(request)


def _decided(session: Session, request: ApprovalRequest, task: OpenTask | None, actor: Actor, now, status: str,
             note: str | None, **outcome) -> None:
    conn = session.connection()
    case = task.case if task is not None else case_info(conn, request.instance_id)
    record(conn, case, f"{request.kind}.{status}", actor, now, task_id=request.task_id, node_id=request.node_id,
           request_id=request.id, note=note, **outcome)
    zh = KINDS[request.kind][0]
    verdict = "已批准" if status == "approved" else "未批准"
    notify_everywhere(conn, [request.requested_by], kind="approval.decided",
                      title=f"{zh}申请{verdict}：{case.case_no}", body=note or "", case_no=case.case_no,
                      task_id=request.task_id, at=now)


# --- reading ----------------------------------------------------------------------------------------

def visible_condition(actor: Actor, permissions: Collection[str]):
    """An approver sees every request of the kinds they decide; anyone else their own requests."""
    kinds = [kind for kind, (_zh, _op, permission) in KINDS.items() if permission in permissions]
    mine = ApprovalRequest.requested_by == actor.username
    return or_(mine, ApprovalRequest.kind.in_(kinds)) if kinds else mine


def list_statement(actor: Actor, permissions: Collection[str], *, kind: str | None = None,
                   status: str | None = None, case_scope=None):
    """(statement, order): pending first, then newest first (ix_approval_request_status_kind_requested).
    ``case_scope``: a condition on the case (the caller's data scope); requests on other cases are left out."""
    statement = select(ApprovalRequest).where(visible_condition(actor, permissions))
    if case_scope is not None:
        statement = statement.where(in_scope(case_scope))
    if kind:
        statement = statement.where(ApprovalRequest.kind == kind)
    if status:
        statement = statement.where(ApprovalRequest.status == status)
    pending_first = case((ApprovalRequest.status == "pending", 0), else_=1)
    return statement, (pending_first, ApprovalRequest.requested_at.desc(), ApprovalRequest.id.desc())


def in_scope(case_scope):
    """Requests whose case satisfies ``case_scope`` (a condition on process_instance)."""
    return exists(select(Instance.id).where(Instance.id == ApprovalRequest.instance_id, case_scope))


def _visible(session: Session, request_id: int, actor: Actor, permissions) -> ApprovalRequest:
    request = session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.id == request_id, visible_condition(actor, permissions))).first()
    if request is None:
        raise NotFound("申请不存在或无权查看", "request not found")
    return request


get_request = _visible


def _existing(session: Session, request_id: int) -> ApprovalRequest:
    """A request to act on: the decision itself checks who may (403 rather than a 404 that hides it)."""
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound("申请不存在", "request not found")
    return request


# --- which buttons a task shows ---------------------------------------------------------------------

def _extension_possible(context: allowed.TaskContext) -> bool:
    task = find_open_task(context.conn, context.task.id)
    if task is None or not task.handled_by(context.actor) or task.case.status != "running":
        return False
    if _pending(context.conn, "extension", task_id=task.id):
        return False
    try:
        check_extension(context.conn, task, None, context.now)
    except (Conflict, InvalidData):
        return False
    return True


def _hang_possible(context: allowed.TaskContext) -> bool:
    task = find_open_task(context.conn, context.task.id)
    return (task is not None and task.handled_by(context.actor) and task.case.status == "running"
            and not _pending(context.conn, "hang", case_id=task.case.id))


allowed.register("extend", _extension_possible)
allowed.register("hang", _hang_possible)

__all__ = ["KINDS", "STATUSES", "approve", "cancel", "get_request", "list_statement", "reject",
           "request_extension", "request_hang", "approvers_of"]
