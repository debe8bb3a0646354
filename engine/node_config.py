"""One internal description of what a node asks of the engine, whatever wrote it."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.dialects import DIALECTS, citybpm


@dataclass(frozen=True)
class NodeConfig:
    node_id: str
    name: str | None = None
    assignee: str | None = None
    candidate_users: tuple[str, ...] = ()
    candidate_groups: tuple[str, ...] = ()
    form_key: str | None = None
    form_version: int | None = None
    due_date: str | None = None
    time_limit: str | None = None
    case_time_limit: str | None = None
    stage: str | None = None
    increment: str | None = None
    outcome: str | None = None
    lane: str | None = None
    lane_role: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_candidates(self) -> bool:
        return bool(self.assignee or self.candidate_users or self.candidate_groups or self.lane_role)


def read_node_config(node: etree._Element, lane: etree._Element | None = None) -> NodeConfig:
    settings: dict = {}
    for dialect in DIALECTS:
        settings.update(dialect.read(node))
    lane_role = None
    if lane is not None:
        lane_role = citybpm.read(lane).get("role") or (lane.get("name") or "").strip() or None
    return NodeConfig(
        node_id=node.get("id"),
        name=node.get("name"),
        assignee=settings.get("assignee"),
        candidate_users=tuple(settings.get("candidate_users", ())),
        candidate_groups=tuple(settings.get("candidate_groups", ())),
        form_key=settings.get("form_key"),
        form_version=_int_or_none(settings.get("form_version")),
        due_date=settings.get("due_date"),
        time_limit=settings.get("time_limit"),
        case_time_limit=settings.get("case_time_limit"),
        stage=settings.get("stage"),
        increment=settings.get("increment"),
        outcome=settings.get("outcome"),
        lane=lane.get("name") if lane is not None else None,
        lane_role=lane_role,
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
