"""Turning a node's assignment settings into an assignee and candidate rows.

Two sources: what the BPMN file says (``resolve``: camunda/flowable assignee and candidates, the lane's role)
and, when an admin configured the node (engine.process_config.NodeSetting), a candidate strategy with a
fallback for when nobody resolves (``resolve_with_settings``).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Iterable, Protocol

from engine import expressions
from engine.errors import EngineError
from engine.node_config import NodeConfig

GROUP_KINDS = ("role", "org")
TOKEN_KINDS = ("user", "role", "org")
FALLBACK_ROLE = "admin"


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    candidates: tuple[tuple[str, str], ...]  # (kind, value), kind in user | role | org
    # set when the configured strategy found nobody and a fallback chose the candidates: why, and which
    unresolved: str | None = None
    fallback: str | None = None


def _values(text: str, data: dict) -> list[str]:
    """A setting may be a literal or hold ``${expr}``; an expression may yield a list."""
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        value = expressions.evaluate(text[2:-1], data)
        if isinstance(value, (list, tuple, set)):
            return [str(v) for v in value if v not in (None, "")]
        return [] if value in (None, "") else [str(value)]
    value = expressions.interpolate(text, data) if expressions.is_template(text) else text
    return [value] if value else []


def _group(entry: str) -> tuple[str, str]:
    kind, sep, value = entry.partition(":")
    if sep and kind in GROUP_KINDS:
        return kind, value.strip()
    return "role", entry.strip()


def resolve(config: NodeConfig, data: dict) -> Assignment:
    """Evaluate against the task's data. Raises ExpressionError for a broken expression."""
    assignee = None
    if config.assignee:
        found = _values(config.assignee, data)
        assignee = found[0] if found else None
    candidates: list[tuple[str, str]] = []
    for entry in config.candidate_users:
        candidates += [("user", user) for user in _values(entry, data)]
    for entry in config.candidate_groups:
        for value in _values(entry, data):
            candidates.append(_group(value))
    if not candidates and not assignee and config.lane_role:
        candidates.append(("role", config.lane_role))
    unique = tuple(dict.fromkeys(c for c in candidates if c[1]))
    return Assignment(assignee, unique)


# --- configured strategies ------------------------------------------------------------------------

class StrategyKind(StrEnum):
    ROLE = "role"                          # {"role": "handler"}
    ORG = "org"                            # {"org": "D_WATER"}
    ORG_LEADER = "org_leader"              # {"org": "D_WATER"}: that organisation's leader
    INITIATOR_LEADER = "initiator_leader"  # {"levels": 1}: the initiator's leader, N levels up
    FORM_FIELD = "form_field"              # {"field": "handler_user"}: a username or role:/org: token(s)
    EXPRESSION = "expression"              # {"expression": "..."}: usernames or role:/org: tokens
    DMN = "dmn"                            # {"decision": "..."}: the result column ``candidates``
    USER = "user"                          # {"username": "zbz"}: one person (mostly as a fallback)


ERROR_FALLBACK = "error"  # {"kind": "error"}: nobody resolves → the command fails with a 422
# each kind's parameter
PARAMETERS = {StrategyKind.ROLE: "role", StrategyKind.ORG: "org", StrategyKind.ORG_LEADER: "org",
              StrategyKind.INITIATOR_LEADER: "levels", StrategyKind.FORM_FIELD: "field",
              StrategyKind.EXPRESSION: "expression", StrategyKind.DMN: "decision", StrategyKind.USER: "username"}
DMN_RESULT_COLUMN = "candidates"
MAX_LEVELS = 10


class Directory(Protocol):
    """What strategies ask of the organisation tree and the people (engine.process_config.DbDirectory)."""

    def leader_of(self, org_code: str) -> str | None: ...

    def leader_above(self, username: str, levels: int) -> str | None: ...

    def people(self, candidates: Iterable[tuple[str, str]]) -> list[str]: ...


class Unassignable(EngineError):
    """Nobody resolves for a node whose fallback is ``error``: the command that reached it fails."""

    code = "assignment_unresolved"
    status = 422


class _Nobody(Exception):
    """A strategy could not run (a missing field, a failing expression or decision): nobody resolves."""


def token(value) -> tuple[str, str] | None:
    """'role:handler' → ('role', 'handler'); 'org:X', 'user:x'; a plain value is a username."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    kind, sep, rest = text.partition(":")
    if sep and kind in TOKEN_KINDS:
        return (kind, rest.strip()) if rest.strip() else None
    return "user", text


def _tokens(value) -> list[tuple[str, str]]:
    """A value, a list of values, or (a DMN COLLECT result) a list of such lists, as candidate entries."""
    if isinstance(value, (list, tuple, set)):
        return [t for item in value for t in _tokens(item)]
    found = token(value)
    return [found] if found is not None else []


def strategy_candidates(strategy: dict, data: dict, directory: Directory,
                        decide: Callable[[str, dict], dict] | None = None) -> list[tuple[str, str]]:
    """The candidates a strategy gives for this task data (raises _Nobody when it cannot run)."""
    kind = strategy.get("kind")
    try:
        if kind == StrategyKind.ROLE:
            return [("role", v) for v in _values(str(strategy["role"]), data)]
        if kind == StrategyKind.ORG:
            return [("org", v) for v in _values(str(strategy["org"]), data)]
        if kind == StrategyKind.USER:
            return [("user", v) for v in _values(str(strategy["username"]), data)]
        if kind == StrategyKind.ORG_LEADER:
            leaders = [directory.leader_of(org) for org in _values(str(strategy["org"]), data)]
            return [("user", leader) for leader in leaders if leader]
        if kind == StrategyKind.INITIATOR_LEADER:
            initiator = data.get("initiator")
            if not initiator:
                raise _Nobody("the case has no initiator")
            leader = directory.leader_above(str(initiator), int(strategy.get("levels") or 1))
            return [("user", leader)] if leader else []
        if kind == StrategyKind.FORM_FIELD:
            return _tokens(_field(data, str(strategy["field"])))
        if kind == StrategyKind.EXPRESSION:
            return _tokens(expressions.evaluate(str(strategy["expression"]), data))
        if kind == StrategyKind.DMN:
            if decide is None:
                raise _Nobody("no DMN decisions are available here")
            result = decide(str(strategy["decision"]), data) or {}
            return _tokens(result.get(DMN_RESULT_COLUMN))
    except expressions.ExpressionError as exc:
        raise _Nobody(str(exc)) from None
    except LookupError as exc:  # a missing parameter, field or decision
        raise _Nobody(str(exc)) from None
    except _Nobody:
        raise
    except Exception as exc:  # a DMN table failing on this data (SpiffWorkflow wraps it in its own errors)
        raise _Nobody(f"{type(exc).__name__}: {exc}") from None
    raise _Nobody(f"unknown strategy kind {kind!r}")


def _field(data: dict, path: str):
    """A task data field by name, or a dotted path into nested objects."""
    value = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise LookupError(f"the task data has no field '{path}'")
        value = value[part]
    return value


def resolve_with_settings(config: NodeConfig, data: dict, setting, directory: Directory, *,
                          decide: Callable[[str, dict], dict] | None = None) -> Assignment:
    """The assignment of a task whose node has a NodeSetting.

    The configured strategy (else the BPMN's settings) gives the candidates; "nobody" means no active person
    is behind them. Then the fallback chooses: a strategy, ``error`` (raises Unassignable), or by default the
    lane's role, else the 'admin' role. Whenever a fallback chose, ``unresolved`` says why (the caller records
    a ``task.unassigned`` event, so such tasks can be found)."""
    assignee, candidates, reason = None, [], None
    if setting.candidate_strategy:
        try:
            candidates = strategy_candidates(setting.candidate_strategy, data, directory, decide)
        except _Nobody as exc:
            reason = str(exc)
    else:
        bpmn = resolve(config, data)  # a broken BPMN expression fails the command, as without settings
        assignee, candidates = bpmn.assignee, list(bpmn.candidates)
    candidates = list(dict.fromkeys(c for c in candidates if c[1]))
    if assignee or (candidates and directory.people(candidates)):
        return Assignment(assignee, tuple(candidates))

    reason = reason or (f"nobody is behind {', '.join(f'{k}:{v}' for k, v in candidates)}" if candidates
                        else "the strategy named nobody")
    fallback = setting.fallback or {}
    if fallback.get("kind") == ERROR_FALLBACK:
        name = config.name or config.node_id
        raise Unassignable(f"环节“{name}”找不到办理人（{reason}），且配置为不允许兜底",
                           f"nobody can be assigned to '{config.node_id}' ({reason}) and its fallback is 'error'")
    if fallback:
        try:
            chosen = list(dict.fromkeys(strategy_candidates(fallback, data, directory, decide)))
        except _Nobody:
            chosen = []
        if chosen and directory.people(chosen):
            return Assignment(None, tuple(chosen), unresolved=reason, fallback=fallback.get("kind"))
    default = ("role", config.lane_role or FALLBACK_ROLE)
    return Assignment(None, (default,), unresolved=reason, fallback="lane" if config.lane_role else FALLBACK_ROLE)
