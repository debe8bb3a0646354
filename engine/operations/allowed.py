"""Which operations a node offers, and which of them a user may apply to an open task right now.

A node offers (in order of precedence) what 流程配置 stored for it (``node_setting.allowed_operations``), what
its BPMN names with ``citybpm:operations``, or every operation. Each operation module registers a *predicate*
that says whether the operation applies to a task in its present state for this actor (the assignee only, not
once overdue, …); :func:`available` combines the node's offer, the caller's permissions and the predicates, so the
buttons a client shows are exactly the operations that would succeed.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.engine import Connection

from engine.errors import Forbidden
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

# The modules that register predicates at import. :func:`available` imports them all first, so the answer never
# depends on which of them some other code happened to import already.
OPERATION_MODULES = ("handover", "signing", "copies", "going_back", "approvals", "urging")
_loaded = False

# Operations that follow from a task's state, not from the node (never configurable, always offered):
# the delegate resolving a delegation, an added signer signing.
STATE_OPERATIONS = {
    "resolve": ("办理完成（交回委派人）", "resolve (hand back to the delegator)"),
    "sign": ("签署", "sign"),
}


def register(operation: str, predicate: Predicate) -> None:
    """Say when ``operation`` applies to a task (called once, at import, by the module that implements it)."""
    if operation not in OPERATIONS and operation not in STATE_OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: add it to engine.process_config.OPERATIONS")
    _PREDICATES[operation] = predicate


def load_operation_modules() -> None:
    """Import every operation module once (each registers its predicates)."""
    global _loaded
    if not _loaded:
        for name in OPERATION_MODULES:
            importlib.import_module(f"engine.operations.{name}")
        _loaded = True


def node_spec(specs, session, definition_id: int, node_id: str):
    """The SpiffWorkflow task spec of a node (main process or a subprocess), or None."""
    return spec_in(specs.get_by_id(session, definition_id), node_id)


def spec_in(loaded, node_id: str):
    """The task spec of ``node_id`` in a loaded definition's process or one of its subprocesses (None if gone)."""
    for spec in (loaded.spec, *loaded.subprocess_specs.values()):
        found = spec.task_specs.get(node_id)
        if found is not None:
            return found
    return None


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


# What the delegate of a 委派 may do with the task they hold for its delegator.
DELEGATE_OPERATIONS = ("resolve", "cc")


def refuse_while_delegated(task) -> None:
    """Operations that belong to the task's owner (退回, 延期, 挂账 …) are not the delegate's to apply."""
    if getattr(task, "delegation", None) == "pending":
        raise Forbidden("委派中的任务只能“办理完成”交回委派人，此操作由委派人办理",
                        "a delegated task can only be resolved back to its delegator, who applies this operation")


def available(context: TaskContext, definition_id: int, has_permission: Callable[[str], bool],
              permission_of: Callable[[str], str]) -> list[str]:
    """The operations ``context.actor`` may apply to the task now: offered by the node, permitted to the
    caller (``permission_of(code)`` names the permission an operation needs) and applicable in the task's
    state. State operations (``STATE_OPERATIONS``) come last, whatever the node offers."""
    load_operation_modules()
    if getattr(context.task, "kind", "bpmn") == "sign":
        codes = ("sign",)  # an added signer's task is only ever signed
    elif getattr(context.task, "delegation", None) == "pending":
        codes = DELEGATE_OPERATIONS  # the delegator keeps the task: its delegate resolves it back (and may 抄送)
    else:
        codes = offered(context.conn, definition_id, context.task.node_id, context.spec) + tuple(STATE_OPERATIONS)
    return [code for code in codes
            if code in _PREDICATES and has_permission(permission_of(code)) and _PREDICATES[code](context)]


def label(code: str) -> tuple[str, str]:
    """(zh, en) name of an operation code."""
    return OPERATIONS.get(code) or STATE_OPERATIONS.get(code) or (code, code)


def process_key(conn: Connection, definition_id: int) -> str | None:
    return process_key_of(conn, definition_id)
