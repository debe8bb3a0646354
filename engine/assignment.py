"""Turning a node's assignment settings into an assignee and candidate rows."""
from __future__ import annotations

from dataclasses import dataclass

from engine import expressions
from engine.node_config import NodeConfig

GROUP_KINDS = ("role", "org")


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    candidates: tuple[tuple[str, str], ...]  # (kind, value), kind in user | role | org


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
