"""机构配置: the organisation tree — create, rename, move, disable — and the questions the engine asks of it
(leader of an organisation, the initiator's leader N levels up, "this organisation and below").

Codes never change and organisations are never deleted: tasks, events and memberships keep naming them.
A disabled organisation stays readable; it takes no new children, members or work.

Each organisation carries the materialized path of codes from the root ("/CITY/DIST_A/ST_HEPING/");
a subtree is ``path LIKE '/CITY/DIST_A/%'`` (``ix_org_path``). Moving rewrites the moved subtree's paths
in one UPDATE. The functions flush but never commit: the caller owns the transaction, and every change
writes its audit entry in it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import String, and_, exists, false, func, literal, or_, select, update
from sqlalchemy.orm import Session

from engine.audit import Who, record_change
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity import Membership, Org, User, path_codes
from engine.models import Task, TaskCandidate

KINDS = ("city", "district", "street", "community", "centre", "department", "team")
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
GRID_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
PATH_MAX = 500
_CODE = re.compile(CODE_PATTERN)
_GRID = re.compile(GRID_PATTERN)
_UNSET = object()
UPDATABLE = ("name", "kind", "leader_username", "grids", "sort")


class OrgNotFound(NotFound):
    code = "org_not_found"

    def __init__(self, code: str):
        super().__init__(f"机构“{code}”不存在", f"organisation '{code}' not found")


class OrgExists(Conflict):
    code = "org_exists"

    def __init__(self, code: str):
        super().__init__(f"机构编码“{code}”已被使用（编码不区分大小写，且停用的机构仍占用编码）",
                         f"organisation code '{code}' is taken (case-insensitive; disabled organisations keep theirs)")


class OrgCycle(Conflict):
    code = "org_cycle"

    def __init__(self, code: str, parent: str):
        super().__init__(f"不能把机构“{code}”移到它自身或它的下级机构“{parent}”之下",
                         f"cannot move '{code}' under itself or its descendant '{parent}'")


class OrgInUse(Conflict):
    code = "org_in_use"


class OrgDisabled(Conflict):
    code = "org_disabled"

    def __init__(self, code: str):
        super().__init__(f"机构“{code}”已停用", f"organisation '{code}' is disabled")


# --- paths and subtrees -------------------------------------------------------------------------

def path_for(parent_path: str | None, code: str) -> str:
    return f"{parent_path or '/'}{code}/"


def like_prefix(path: str) -> str:
    """A LIKE pattern for "starts with ``path``": codes may hold '_', a LIKE wildcard, so escape."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def under(path: str, column=None):
    """``org.path`` (or ``column``) is ``path`` or below it: one index range scan on ix_org_path."""
    return (Org.path if column is None else column).like(like_prefix(path), escape="\\")


def within(code_column, paths: Iterable[str]):
    """``code_column`` names an organisation at or below one of ``paths`` — the data scope
    "organisation and below" as SQL, e.g. ``within(TaskCandidate.value, actor.org_paths)``."""
    paths = sorted(set(paths))
    if not paths:
        return false()
    return code_column.in_(select(Org.code).where(or_(*(under(p) for p in paths))))


def subtree_codes(conn, org_code: str, include_self: bool = True) -> list[str]:
    """The codes of ``org_code`` and everything below it (by path, so parents come before children)."""
    path = conn.execute(select(Org.path).where(Org.code == org_code)).scalar()
    if path is None:
        raise OrgNotFound(org_code)
    statement = select(Org.code).where(under(path)).order_by(Org.path)
    codes = list(conn.execute(statement).scalars())
    return codes if include_self else [c for c in codes if c != org_code]


@dataclass(frozen=True)
class OrgRef:
    code: str
    name: str
    kind: str
    is_active: bool
    leader: str | None  # the leader's username, when that person is active


def ancestors(conn, org_code: str, include_self: bool = False) -> list[OrgRef]:
    """The organisations above ``org_code``, nearest first (one query: the codes are in its path)."""
    path = conn.execute(select(Org.path).where(Org.code == org_code)).scalar()
    if path is None:
        raise OrgNotFound(org_code)
    codes = path_codes(path)
    if not include_self:
        codes = codes[:-1]
    if not codes:
        return []
    rows = conn.execute(
        select(Org.code, Org.name, Org.kind, Org.is_active, User.username)
        .outerjoin(User, and_(User.username == Org.leader_username, User.is_active))
        .where(Org.code.in_(codes))).all()
    by_code = {row.code: OrgRef(row.code, row.name, row.kind, bool(row.is_active), row.username) for row in rows}
    return [by_code[c] for c in reversed(codes) if c in by_code]


def leader_of(conn, org_code: str) -> str | None:
    """The organisation's leader (username) if one is set and that person is active, else None."""
    row = conn.execute(select(Org.leader_username, User.is_active)
                       .outerjoin(User, User.username == Org.leader_username)
                       .where(Org.code == org_code)).first()
    if row is None:
        raise OrgNotFound(org_code)
    return row.leader_username if row.leader_username and row.is_active else None


def primary_org_of(conn, username: str) -> str | None:
    return conn.execute(select(Membership.org_code).join(User, User.id == Membership.user_id)
                        .where(User.username == username)
                        .order_by(Membership.is_primary.desc(), Membership.id).limit(1)).scalar()


def leader_above(conn, username: str, levels: int = 1) -> str | None:
    """The initiator's leader ``levels`` up: walk from the person's primary organisation to the root and
    take the ``levels``-th distinct active leader who is not the person (a leader's own leader is the one
    above). Organisations without a leader are skipped. None when the chain runs out."""
    if levels < 1:
        raise ValueError("levels must be at least 1")
    org_code = primary_org_of(conn, username)
    if org_code is None:
        return None
    found: list[str] = []
    for org in ancestors(conn, org_code, include_self=True):
        if org.leader and org.leader != username and org.leader not in found:
            found.append(org.leader)
            if len(found) == levels:
                return org.leader
    return None


# --- reading ------------------------------------------------------------------------------------

def get_org(session: Session, code: str) -> Org:
    org = session.scalars(select(Org).where(Org.code == code)).first()
    if org is None:
        raise OrgNotFound(code)
    return org


def snapshot(org: Org) -> dict:
    """What the audit log keeps of an organisation."""
    return {"code": org.code, "name": org.name, "kind": org.kind, "parent": org.parent_code, "path": org.path,
            "leader_username": org.leader_username, "grids": list(org.grids or []), "is_active": org.is_active,
            "sort": org.sort}


# --- changing -----------------------------------------------------------------------------------

def _invalid(field: str, zh: str, en: str) -> InvalidData:
    return InvalidData({field: zh}, {field: en})


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise _invalid("kind", "机构类型应为：" + "、".join(KINDS), "kind must be one of: " + ", ".join(KINDS))


def _clean_grids(grids) -> list[str]:
    cleaned = list(dict.fromkeys(str(g).strip() for g in grids or []))
    bad = [g for g in cleaned if not _GRID.match(g)]
    if bad:
        raise _invalid("grids", f"网格编码格式有误：{bad[0]!r}", f"invalid grid code: {bad[0]!r}")
    return cleaned


def _check_leader(session: Session, username: str | None) -> None:
    if username is None:
        return
    active = session.scalar(select(User.is_active).where(User.username == username))
    if active is None:
        raise _invalid("leader_username", f"用户“{username}”不存在", f"user '{username}' not found")
    if not active:
        raise _invalid("leader_username", f"用户“{username}”已停用，不能任机构领导",
                       f"user '{username}' is disabled and cannot lead")


def create_org(session: Session, who: Who, *, code: str, name: str, kind: str, parent: str | None = None,
               leader_username: str | None = None, grids: Iterable[str] = (), sort: int = 0) -> Org:
    if not _CODE.match(code or ""):
        raise _invalid("code", "机构编码须以字母或数字开头，只含字母、数字、_ . -，最长 40 位",
                       "a code starts with a letter or digit and holds only letters, digits, _ . - (at most 40)")
    if session.scalar(select(Org.id).where(func.lower(Org.code) == code.lower())) is not None:
        raise OrgExists(code)  # case-insensitive: SQLite's LIKE on paths ignores ASCII case
    _check_kind(kind)
    parent_org = None
    if parent is not None:
        parent_org = get_org(session, parent)
        if not parent_org.is_active:
            raise OrgDisabled(parent)
    _check_leader(session, leader_username)
    path = path_for(parent_org.path if parent_org else None, code)
    if len(path) > PATH_MAX:
        raise _invalid("parent", "机构层级过深", "the tree is too deep here")
    org = Org(code=code, name=name, kind=kind, parent_id=parent_org.id if parent_org else None, path=path,
              leader_username=leader_username, grids=_clean_grids(grids), is_active=True, sort=sort)
    session.add(org)
    session.flush()
    record_change(session, who, "org.create", "org", code, None, snapshot(org))
    return org


def update_org(session: Session, who: Who, code: str, **changes) -> Org:
    """Rename, change kind, leader, grids or sort order (only the given keys change)."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"cannot update {sorted(unknown)}")
    org = get_org(session, code)
    before = snapshot(org)
    if "kind" in changes:
        _check_kind(changes["kind"])
    if "leader_username" in changes and changes["leader_username"] != org.leader_username:
        _check_leader(session, changes["leader_username"])
    if "grids" in changes:
        changes["grids"] = _clean_grids(changes["grids"])
    for name, value in changes.items():
        setattr(org, name, value)
    session.flush()
    after = snapshot(org)
    if after != before:
        record_change(session, who, "org.update", "org", code, before, after)
    return org


def rename(session: Session, who: Who, code: str, name: str) -> Org:
    return update_org(session, who, code, name=name)


def set_leader(session: Session, who: Who, code: str, username: str | None) -> Org:
    return update_org(session, who, code, leader_username=username)


def set_grids(session: Session, who: Who, code: str, grids: Iterable[str]) -> Org:
    return update_org(session, who, code, grids=list(grids))


def _lock(session: Session, codes: Iterable[str]) -> None:
    """Row locks (PostgreSQL) on the organisations a move reads, in id order (no deadlocks)."""
    session.execute(select(Org.id).where(Org.code.in_(sorted(set(codes)))).order_by(Org.id).with_for_update())


def move_org(session: Session, who: Who, code: str, parent: str | None) -> int:
    """Move ``code`` (with its subtree) under ``parent`` (None: make it a root). Returns how many paths were
    rewritten. Refuses cycles and disabled parents.

    Two concurrent moves can only form a cycle if each moving organisation lies on the other's new parent's
    path; both lock the moving organisation and every ancestor of their new parent, so they serialize and
    the second one re-reads the paths the first committed."""
    org = get_org(session, code)
    new_parent = get_org(session, parent) if parent is not None else None
    _lock(session, [code] + (path_codes(new_parent.path) if new_parent else []))
    session.refresh(org)
    if new_parent is not None:
        session.refresh(new_parent)
        if new_parent.path.startswith(org.path):
            raise OrgCycle(code, parent)
        if not new_parent.is_active:
            raise OrgDisabled(parent)
    before = snapshot(org)
    old_path = org.path
    new_path = path_for(new_parent.path if new_parent else None, code)
    if new_path == old_path:
        return 0
    deepest = session.scalar(select(func.max(func.length(Org.path))).where(under(old_path))) or 0
    if deepest - len(old_path) + len(new_path) > PATH_MAX:
        raise _invalid("parent", "移动后机构层级过深", "the tree would be too deep")
    rewritten = session.execute(
        update(Org).where(under(old_path))
        .values(path=literal(new_path, String) + func.substr(Org.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)).rowcount
    session.execute(update(Org).where(Org.id == org.id).values(parent_id=new_parent.id if new_parent else None)
                    .execution_options(synchronize_session=False))
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Org):
            session.expire(loaded)
    record_change(session, who, "org.move", "org", code, before, snapshot(get_org(session, code)))
    return rewritten


def open_task_count(conn, org_code: str) -> int:
    """Open tasks offered to the organisation (rows in ``task`` are open tasks)."""
    return conn.execute(select(func.count()).select_from(TaskCandidate)
                        .where(TaskCandidate.kind == "org", TaskCandidate.value == org_code,
                               exists(select(Task.id).where(Task.id == TaskCandidate.task_id)))).scalar_one()


def set_active(session: Session, who: Who, code: str, active: bool) -> Org:
    """Enable or disable. Disabling refuses while active children exist (disable bottom-up) or open tasks
    are offered to the organisation (hand them over first); memberships, leader and grids are kept."""
    org = get_org(session, code)
    if org.is_active == active:
        return org
    before = snapshot(org)
    if active:
        parent = session.get(Org, org.parent_id) if org.parent_id else None
        if parent is not None and not parent.is_active:
            raise OrgDisabled(parent.code)
    else:
        children = list(session.scalars(select(Org.code).where(Org.parent_id == org.id, Org.is_active)
                                        .order_by(Org.sort, Org.code)))
        if children:
            raise OrgInUse(f"请先停用下级机构：{'、'.join(children)}",
                           f"disable its active children first: {', '.join(children)}")
        tasks = open_task_count(session, code)
        if tasks:
            raise OrgInUse(f"仍有 {tasks} 个待办任务派给该机构，请先办结或改派",
                           f"{tasks} open task(s) are offered to this organisation; finish or reassign them first")
    org.is_active = active
    session.flush()
    record_change(session, who, "org.enable" if active else "org.disable", "org", code, before, snapshot(org))
    return org
