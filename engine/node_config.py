"""One internal description of what a node asks of the engine, whatever wrote it."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.dialects import DIALECTS, citybpm
from engine.dialects._common import split_list


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
    # (variable, expression) pairs from citybpm:set, in order
    assignments: tuple[tuple[str, str], ...] = ()
    report_to: str | None = None
    # (chosen variable, proposed variable) pairs from citybpm:proposal
    proposal: tuple[tuple[str, str], ...] = ()
    sign_mode: str | None = None
    sign_ratio: float | None = None
    return_targets: tuple[str, ...] = ()
    operations: tuple[str, ...] | None = None
    document: str | None = None  # 文书 type code issued when the node completes (issue 7)
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
        assignments=_pairs(settings.get("assignments"), ";", "="),
        report_to=settings.get("report_to"),
        proposal=_pairs(settings.get("proposal"), ",", "="),
        sign_mode=settings.get("sign_mode"),
        sign_ratio=_float_or_none(settings.get("sign_ratio")),
        return_targets=tuple(split_list(settings["return_targets"])) if settings.get("return_targets") else (),
        operations=tuple(split_list(settings["operations"])) if settings.get("operations") else None,
        document=settings.get("document"),
    )


SIGN_MODES = ("all", "any", "ratio", "sequential")


def _pairs(text: str | None, separator: str, joiner: str) -> tuple[tuple[str, str], ...]:
    """"a = x; b = y" → (("a", "x"), ("b", "y")). A malformed part is kept with an empty right side
    so the lint can name it."""
    if not text:
        return ()
    pairs = []
    for part in text.split(separator):
        if not part.strip():
            continue
        left, _, right = part.partition(joiner)
        pairs.append((left.strip(), right.strip()))
    return tuple(pairs)


def _float_or_none(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
