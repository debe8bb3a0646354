"""流程配置: per-user-task settings kept in the database, over what the BPMN file says.

A ``NodeSetting`` names, for one user task of one process (by key, so it holds across versions):

* ``candidate_strategy`` — who is offered the task (engine.assignment.StrategyKind); None keeps the BPMN's
  assignee / candidates / lane;
* ``fallback`` — what happens when nobody resolves (a strategy, ``{"kind": "error"}``, or None: the lane role,
  else the 'admin' role);
* ``allowed_operations`` — the operation codes the node offers (None: all of them);
* ``time_limit`` — the time-limit code used instead of ``citybpm:timeLimit``.

Every task creation asks for its node's setting, so the whole table is held in memory and re-read at most
every ``ttl`` seconds (like engine.deadlines.LimitBook); saving through this module forgets it at once.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
from types import SimpleNamespace
from typing import Callable

from lxml import etree
from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock, org_service
from engine.db import Base
from engine.deployment import DMN_NAMESPACE_PREFIX, OLD_DMN_NAMESPACE_PREFIX, ParsedFile, SourceFile, build_parser
from engine.errors import Forbidden
from engine.identity import Org, User, usernames_for
from engine.models import Definition
from engine.script_engine import SCRIPT_ENGINE
from engine.specs import SPECS
from engine.xmlsafe import parse_xml

# Operation codes a node may offer (DOMAIN §1–2): which buttons a node shows. 流程配置 may narrow them per node;
# the BPMN may name a default with citybpm:operations. Codes not here (resolving a delegation, signing as an added
# signer) follow from a task's state, not from the node.
OPERATIONS = {
    "complete": ("办结", "complete"),
    "claim": ("签收", "claim"),
    "unclaim": ("退签", "unclaim"),
    "transfer": ("转办", "transfer"),
    "delegate": ("委派", "delegate"),
    "return": ("退回", "return to an earlier step"),
    "add_sign": ("加签", "add a signer"),
    "remove_sign": ("减签", "remove an added signer"),
    "cc": ("抄送", "send a copy"),
    "extend": ("延期", "request an extension"),
    "hang": ("挂账", "request 挂账 (hang)"),
    "urge": ("催办", "urge"),
    "withdraw": ("撤回", "take back"),
}


class NodeSetting(Base):
    __tablename__ = "node_setting"
    __table_args__ = (UniqueConstraint("process_key", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    node_id: Mapped[str] = mapped_column(String(100))
    candidate_strategy: Mapped[dict | None]  # {"kind": "role", "role": "handler"} …; None: as the BPMN says
    fallback: Mapped[dict | None]            # a strategy or {"kind": "error"}; None: lane role, else admin
    allowed_operations: Mapped[list | None]  # operation codes; None: every operation
    time_limit: Mapped[str | None] = mapped_column(String(20))  # a time-limit code (engine.deadlines stage)
    updated_at: Mapped[_dt.datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(100))

    def allows(self, operation: str) -> bool:
        return self.allowed_operations is None or operation in self.allowed_operations

    def as_dict(self) -> dict:
        return {"process_key": self.process_key, "node_id": self.node_id,
                "candidate_strategy": self.candidate_strategy, "fallback": self.fallback,
                "allowed_operations": self.allowed_operations, "time_limit": self.time_limit}


_TABLE = NodeSetting.__table__


class SettingBook:
    """Every node setting, read at most every ``ttl`` seconds. What it hands out are detached copies:
    read them, never add them to a session."""

    def __init__(self, ttl: float = 10.0):
        self.ttl = ttl
        self._rows: dict[tuple[str, str], NodeSetting] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._rows = None

    def lookup(self, conn: Connection, process_key: str, node_id: str) -> NodeSetting | None:
        return self._current(conn).get((process_key, node_id))

    def _current(self, conn: Connection) -> dict:
        with self._lock:
            if self._rows is not None and time.monotonic() - self._loaded_at < self.ttl:
                return self._rows
        rows = {(r.process_key, r.node_id): _detached(r) for r in conn.execute(select(_TABLE))}
        with self._lock:
            self._rows, self._loaded_at = rows, time.monotonic()
        return rows


def _detached(row) -> NodeSetting:
    return NodeSetting(id=row.id, process_key=row.process_key, node_id=row.node_id,
                       candidate_strategy=row.candidate_strategy, fallback=row.fallback,
                       allowed_operations=row.allowed_operations, time_limit=row.time_limit,
                       updated_at=row.updated_at, updated_by=row.updated_by)


SETTINGS = SettingBook()


def config_for(conn: Connection, process_key: str, node_id: str) -> NodeSetting | None:
    """The node's setting (a cached, detached copy), or None when the BPMN alone decides."""
    return SETTINGS.lookup(conn, process_key, node_id)


class _KeyBook:
    """definition id → process key. A deployed version never changes its key, so nothing expires."""

    def __init__(self):
        self._keys: dict[int, str] = {}
        self._lock = threading.Lock()

    def key_of(self, conn: Connection, definition_id: int) -> str | None:
        with self._lock:
            found = self._keys.get(definition_id)
        if found is None:
            table = Definition.__table__
            found = conn.execute(select(table.c.key).where(table.c.id == definition_id)).scalar()
            if found is not None:
                with self._lock:
                    self._keys[definition_id] = found
        return found


_KEYS = _KeyBook()


def process_key_of(conn: Connection, definition_id: int) -> str | None:
    return _KEYS.key_of(conn, definition_id)


def setting_for_case(conn: Connection, definition_id: int, node_id: str) -> NodeSetting | None:
    """The setting of a node of a case's definition: two in-memory lookups, a query only on a cold cache."""
    key = process_key_of(conn, definition_id)
    return config_for(conn, key, node_id) if key is not None else None


class OperationNotAllowed(Forbidden):
    code = "operation_not_allowed"


# --- saving ---------------------------------------------------------------------------------------

def get_setting(session: Session, process_key: str, node_id: str) -> NodeSetting | None:
    return session.scalars(select(NodeSetting).where(NodeSetting.process_key == process_key,
                                                     NodeSetting.node_id == node_id)).first()


def save_setting(session: Session, process_key: str, node_id: str, *, candidate_strategy: dict | None,
                 fallback: dict | None, allowed_operations: list | None, time_limit: str | None,
                 actor: str, audit: Callable | None = None) -> NodeSetting:
    """Create or replace a node's setting (validated by the caller); ``audit(before, after)`` is called in
    the same transaction. Flushes, never commits; the cache is forgotten after the caller commits."""
    row = get_setting(session, process_key, node_id)
    before = row.as_dict() if row is not None else None
    if row is None:
        row = NodeSetting(process_key=process_key, node_id=node_id)
        session.add(row)
    row.candidate_strategy, row.fallback = candidate_strategy, fallback
    row.allowed_operations = list(dict.fromkeys(allowed_operations)) if allowed_operations is not None else None
    row.time_limit = time_limit
    row.updated_at, row.updated_by = clock.now(), actor
    session.flush()
    if audit is not None:
        audit(before, row.as_dict())
    return row


def delete_setting(session: Session, process_key: str, node_id: str, *, audit: Callable | None = None) -> bool:
    row = get_setting(session, process_key, node_id)
    if row is None:
        return False
    before = row.as_dict()
    session.delete(row)
    session.flush()
    if audit is not None:
        audit(before, None)
    return True


# --- what assignment asks of the organisation and people ------------------------------------------

class DbDirectory:
    """engine.assignment.Directory over the database (engine.org_service for the organisation tree)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def leader_of(self, org_code: str) -> str | None:
        try:
            return org_service.leader_of(self.conn, org_code)
        except org_service.OrgNotFound:
            return None

    def leader_above(self, username: str, levels: int) -> str | None:
        return org_service.leader_above(self.conn, username, levels)

    def people(self, candidates) -> list[str]:
        """The active people behind candidate entries (users are checked too: a typo is nobody; a disabled
        organisation takes no new work)."""
        orgs = sorted({v for k, v in candidates if k == "org"})
        if orgs:
            table = Org.__table__
            active = set(self.conn.execute(select(table.c.code).where(table.c.code.in_(orgs), table.c.is_active))
                         .scalars())
            candidates = [(k, v) for k, v in candidates if k != "org" or v in active]
        groups = [(k, v) for k, v in candidates if k != "user"]
        users = sorted({v for k, v in candidates if k == "user"})
        found = set(usernames_for(self.conn, groups)) if groups else set()
        if users:
            table = User.__table__
            found.update(self.conn.execute(select(table.c.username).where(table.c.username.in_(users),
                                                                          table.c.is_active)).scalars())
        return sorted(found)


# --- DMN decisions for the "dmn" strategy ---------------------------------------------------------

_DECISIONS: dict[tuple[int, str], object] = {}
_DECISIONS_LOCK = threading.Lock()


def dmn_roots(xml_by_file: dict) -> list:
    """The parsed DMN files of a version (``LoadedSpec.xml_by_file``)."""
    roots = []
    for content in xml_by_file.values():
        root = parse_xml(content.encode("utf-8"))
        namespace = etree.QName(root).namespace or ""
        if namespace.startswith((DMN_NAMESPACE_PREFIX, OLD_DMN_NAMESPACE_PREFIX)):
            roots.append(root)
    return roots


def decision_ids(xml_by_file: dict) -> list[str]:
    """The decision ids in a version's DMN files."""
    return [d.get("id") for root in dmn_roots(xml_by_file) for d in root.iter()
            if isinstance(d.tag, str) and etree.QName(d).localname == "decision" and d.get("id")]


def decider(conn: Connection, definition_id: int, *, specs=None) -> Callable[[str, dict], dict]:
    """``decide(decision_id, data) -> result row`` for the DMN files deployed with a definition version.
    Raises LookupError for a decision that is not there."""

    def decide(decision_id: str, data: dict) -> dict:
        engine = _dmn_engine(conn, definition_id, decision_id, specs)
        # DMNEngine reads task.data and task.workflow.script_engine (our expression sandbox) only
        task = SimpleNamespace(data=dict(data), workflow=SimpleNamespace(script_engine=SCRIPT_ENGINE))
        return engine.result(task)

    return decide


def _dmn_engine(conn: Connection, definition_id: int, decision_id: str, specs):
    with _DECISIONS_LOCK:
        found = _DECISIONS.get((definition_id, decision_id))
    if found is not None:
        return found
    loaded = _loaded_spec(conn, definition_id, specs)
    parsed = [ParsedFile(SourceFile(f"{i}.dmn", b""), root, "dmn")
              for i, root in enumerate(dmn_roots(loaded.xml_by_file))]
    try:
        engine = build_parser(parsed).get_engine(decision_id, None)
    except Exception:  # SpiffWorkflow's ValidationException, or a parse error
        raise LookupError(f"decision '{decision_id}' is not deployed with this version") from None
    with _DECISIONS_LOCK:
        if len(_DECISIONS) > 1024:
            _DECISIONS.clear()
        _DECISIONS[(definition_id, decision_id)] = engine
    return engine


def _loaded_spec(conn: Connection, definition_id: int, specs):
    cache = specs or SPECS
    with Session(bind=conn) as session:  # a cold cache only: the command has just loaded this version
        return cache.get_by_id(session, definition_id)
