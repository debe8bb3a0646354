"""Which operations a node offers, and which of them a user may apply to an open task right now.

A node offers (in order of precedence) what 流程配置 stored for it (``node_setting.allowed_operations``), what
its BPMN names with ``citybpm:operations``, or every operation. Each operation module registers a *predicate*
that says whether the operation applies to a task in its present state for this actor (the assignee only, not
once overdue, …); :func:`available` combines the node's offer, the caller's permissions and the predicates, so the
buttons a client shows are exactly the operations that would succeed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.engine import Connection

from engine.identity import Actor
from engine.parser import node_config
from engine.process_config import OPERATIONS, OperationNotAllowed, process_key_of, setting_for_case


@dataclass(frozen=True)
class TaskContext:
    """An open task as an availability predicate sees it (a ``task`` row of the projection)."""

    conn: Connection
    task: object  # engine.models.Task (ORM) or a Core row with the same columns
    actor: Actor
    now: object  # datetime
    spec: object | None = None  # the SpiffWorkflow task spec of the node, when the caller has it


Predicate = Callable[[TaskContext], bool]
_PREDICATES: dict[str, Predicate] = {}


def register(operation: str, predicate: Predicate) -> None:
    """Say when ``operation`` applies to a task (called once, at import, by the module that implements it)."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: add it to engine.process_config.OPERATIONS")
    _PREDICATES[operation] = predicate


def offered(conn: Connection, definition_id: int, node_id: str, spec=None) -> tuple[str, ...]:
    """The operation codes the node offers."""
    setting = setting_for_case(conn, definition_id, node_id)
    if setting is not None and setting.allowed_operations is not None:
        return tuple(code for code in OPERATIONS if code in setting.allowed_operations)
    designed = node_config(spec).operations if spec is not None else None
    if designed is not None:
        return tuple(code for code in OPERATIONS if code in designed)
    return tuple(OPERATIONS)


def check_allowed(conn: Connection, definition_id: int, node_id: str, operation: str, spec=None) -> None:
    """Raise OperationNotAllowed (403) when the node does not offer ``operation``."""
    if operation not in offered(conn, definition_id, node_id, spec):
        zh, en = OPERATIONS.get(operation, (operation, operation))
        raise OperationNotAllowed(f"本环节不允许“{zh}”操作", f"this step does not allow '{en}'")


def available(context: TaskContext, definition_id: int, has_permission: Callable[[str], bool],
              permission_of: Callable[[str], str]) -> list[str]:
    """The operations ``context.actor`` may apply to the task now: offered by the node, permitted to the
    caller (``permission_of(code)`` names the permission an operation needs) and applicable in the task's
    state. Operations no module has registered yet are left out."""
    codes = offered(context.conn, definition_id, context.task.node_id, context.spec)
    return [code for code in codes
            if code in _PREDICATES and has_permission(permission_of(code)) and _PREDICATES[code](context)]


def process_key(conn: Connection, definition_id: int) -> str | None:
    return process_key_of(conn, definition_id)
