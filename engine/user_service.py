"""人员配置: people, their posts, roles and memberships, enable/disable, passwords, and 离职转办
(handing every open task of a leaving person to another in one transaction).

Users are never deleted (events, audit entries and cases name them); a disabled user cannot log in and
their tokens stop working. The functions flush but never commit: the caller owns the transaction, and
every change writes its audit entry in it. Password hashes never leave this module's snapshots.
"""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased
from werkzeug.security import generate_password_hash

from engine import clock
from engine.audit import Who, record_change
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity import Actor, Membership, Org, Role, User, UserRole
from engine.models import Event, Task, TaskCandidate
from engine.notifications import set_contact

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$"
PASSWORD_MIN_LENGTH = 8
ADMIN_ROLE = "admin"
UPDATABLE = ("display_name", "post", "phone", "email")
_USERNAME = re.compile(USERNAME_PATTERN)
_LETTER, _DIGIT = re.compile(r"[A-Za-z]"), re.compile(r"[0-9]")

TASKS, CANDIDATES, EVENTS = Task.__table__, TaskCandidate.__table__, Event.__table__


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self, username: str):
        super().__init__(f"用户“{username}”不存在", f"user '{username}' not found")


class UserExists(Conflict):
    code = "user_exists"

    def __init__(self, username: str):
        super().__init__(f"用户名“{username}”已被使用", f"username '{username}' is taken")


class UserDisabled(Conflict):
    code = "user_disabled"

    def __init__(self, username: str):
        super().__init__(f"用户“{username}”已停用", f"user '{username}' is disabled")


class LastAdmin(Conflict):
    code = "last_admin"

    def __init__(self):
        super().__init__("这样操作后将没有可用的系统管理员", "this would leave no active administrator")


def _invalid(field: str, zh: str, en: str) -> InvalidData:
    return InvalidData({field: zh}, {field: en})


# --- passwords ----------------------------------------------------------------------------------

def password_problems(password: str, username: str | None = None) -> list[tuple[str, str]]:
    """What is wrong with a password under the policy: at least 8 characters, letters and digits."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append((f"密码至少 {PASSWORD_MIN_LENGTH} 位", f"at least {PASSWORD_MIN_LENGTH} characters"))
    if not (_LETTER.search(password) and _DIGIT.search(password)):
        problems.append(("密码须同时包含字母和数字", "must contain both letters and digits"))
    if username and password.lower() == username.lower():
        problems.append(("密码不能与用户名相同", "must differ from the username"))
    return problems


def check_password(password: str, username: str | None = None, field: str = "password") -> None:
    problems = password_problems(password, username)
    if problems:
        raise InvalidData({field: "；".join(zh for zh, _ in problems)},
                          {field: "password: " + "; ".join(en for _, en in problems)})


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


# --- reading ------------------------------------------------------------------------------------

def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise UserNotFound(username)
    return user


def snapshot(user: User) -> dict:
    """What the audit log keeps of a person (never the password hash)."""
    return {"username": user.username, "display_name": user.display_name, "post": user.post,
            "phone": user.phone, "email": user.email, "is_active": user.is_active,
            "roles": sorted(r.role_code for r in user.roles),
            "memberships": [{"org": m.org_code, "is_primary": bool(m.is_primary)} for m in user.memberships]}


def open_task_counts(conn, username: str) -> dict[str, int]:
    """Open tasks assigned to the person, and open tasks offered to them by name (user candidate)."""
    assigned = conn.execute(select(func.count()).select_from(TASKS).where(TASKS.c.assignee == username)).scalar_one()
    offered = conn.execute(select(func.count()).select_from(CANDIDATES)
                           .where(CANDIDATES.c.kind == "user", CANDIDATES.c.value == username)).scalar_one()
    return {"assigned": assigned, "candidate": offered}


# --- changing -----------------------------------------------------------------------------------

def _check_roles(session: Session, roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    known = set(session.scalars(select(Role.code).where(Role.code.in_(roles)))) if roles else set()
    missing = [r for r in roles if r not in known]
    if missing:
        raise _invalid("roles", f"角色不存在：{'、'.join(missing)}", f"unknown role(s): {', '.join(missing)}")
    return roles


def _membership_plan(session: Session, memberships, current: set[str]) -> list[tuple[str, bool]]:
    """[(org_code, is_primary)] checked: organisations exist, new ones are active, one primary at most
    (the first when none is marked)."""
    plan: list[tuple[str, bool]] = []
    for entry in memberships:
        code, primary = (entry["org"], bool(entry.get("is_primary"))) if isinstance(entry, dict) else entry
        if any(code == c for c, _ in plan):
            raise _invalid("memberships", f"机构“{code}”重复", f"organisation '{code}' is listed twice")
        plan.append((code, primary))
    codes = [c for c, _ in plan]
    orgs = {o.code: o for o in session.scalars(select(Org).where(Org.code.in_(codes)))} if codes else {}
    for code in codes:
        if code not in orgs:
            raise _invalid("memberships", f"机构“{code}”不存在", f"organisation '{code}' not found")
        if not orgs[code].is_active and code not in current:
            raise _invalid("memberships", f"机构“{code}”已停用，不能加入", f"organisation '{code}' is disabled")
    primaries = [c for c, p in plan if p]
    if len(primaries) > 1:
        raise _invalid("memberships", "只能有一个主机构", "only one membership may be primary")
    if plan and not primaries:
        plan[0] = (plan[0][0], True)
    return plan


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
                          .where(UserRole.role_code == ADMIN_ROLE, User.is_active, User.id != user.id))


def _keep_an_admin(session: Session, user: User, *, active: bool, roles: Iterable[str]) -> None:
    was_admin = user.is_active and any(r.role_code == ADMIN_ROLE for r in user.roles)
    stays_admin = active and ADMIN_ROLE in set(roles)
    if was_admin and not stays_admin and _other_active_admins(session, user) == 0:
        raise LastAdmin()


def create_user(session: Session, who: Who, *, username: str, display_name: str, password: str,
                post: str | None = None, phone: str | None = None, email: str | None = None,
                roles: Iterable[str] = (), memberships=(), is_active: bool = True) -> User:
    if not _USERNAME.match(username or ""):
        raise _invalid("username", "用户名须以字母或数字开头，只含字母、数字、_ . @ -",
                       "a username starts with a letter or digit and holds only letters, digits, _ . @ -")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise UserExists(username)
    check_password(password, username)
    roles = _check_roles(session, roles)
    plan = _membership_plan(session, memberships, set())
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                is_active=is_active, post=post, phone=phone, email=email, created_at=clock.now())
    user.roles = [UserRole(role_code=r) for r in roles]
    user.memberships = [Membership(org_code=c, is_primary=p) for c, p in plan]
    session.add(user)
    session.flush()
    if phone:
        set_contact(session.connection(), username, "sms", phone)
    record_change(session, who, "user.create", "user", username, None, snapshot(user))
    return user


def update_user(session: Session, who: Who, username: str, **changes) -> User:
    """Display name, post, phone, email (only the given keys change). The phone is also the sms address."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"cannot update {sorted(unknown)}")
    user = get_user(session, username)
    before = snapshot(user)
    for name, value in changes.items():
        setattr(user, name, value)
    session.flush()
    if "phone" in changes and changes["phone"] != before["phone"]:
        set_contact(session.connection(), username, "sms", changes["phone"] or None)
    after = snapshot(user)
    if after != before:
        record_change(session, who, "user.update", "user", username, before, after)
    return user


def set_active(session: Session, who: Who, username: str, active: bool) -> User:
    """Enable or disable. A disabled user cannot log in and their tokens are refused; their open tasks
    stay where they are (hand them over with ``hand_over``). Never disables the last active admin."""
    user = get_user(session, username)
    if user.is_active == active:
        return user
    if not active:
        _keep_an_admin(session, user, active=False, roles=[r.role_code for r in user.roles])
    before = snapshot(user)
    user.is_active = active
    session.flush()
    record_change(session, who, "user.enable" if active else "user.disable", "user", username, before,
                  snapshot(user))
    return user


def set_roles(session: Session, who: Who, username: str, roles: Iterable[str]) -> User:
    user = get_user(session, username)
    roles = _check_roles(session, roles)
    _keep_an_admin(session, user, active=user.is_active, roles=roles)
    before = snapshot(user)
    keep = [r for r in user.roles if r.role_code in roles]
    have = {r.role_code for r in keep}
    user.roles = keep + [UserRole(role_code=r) for r in roles if r not in have]
    session.flush()
    after = snapshot(user)
    if after != before:
        record_change(session, who, "user.set_roles", "user", username, before, after)
    return user


def set_memberships(session: Session, who: Who, username: str, memberships) -> User:
    """Replace the person's organisations: ``[{"org": code, "is_primary": bool}]`` (or (code, primary)
    pairs). Kept rows stay (their ids too); a disabled organisation may be kept but not newly joined."""
    user = get_user(session, username)
    current = {m.org_code: m for m in user.memberships}
    plan = _membership_plan(session, memberships, set(current))
    before = snapshot(user)
    rows = []
    for code, primary in plan:
        row = current.get(code) or Membership(org_code=code)
        row.is_primary = primary
        rows.append(row)
    user.memberships = rows
    session.flush()
    session.expire(user, ["memberships"])
    after = snapshot(user)
    if after != before:
        record_change(session, who, "user.set_memberships", "user", username, before, after)
    return user


def reset_password(session: Session, who: Who, username: str, password: str) -> User:
    user = get_user(session, username)
    check_password(password, username)
    user.password_hash = hash_password(password)
    session.flush()
    record_change(session, who, "user.reset_password", "user", username, None, {"password_changed": True})
    return user


def hand_over(session: Session, from_username: str, to_username: str, actor: Actor | Who | str,
              reason: str, *, ip: str | None = None) -> int:
    """离职转办: every open task assigned to ``from_username`` becomes ``to_username``'s, and every open task
    offering itself to ``from_username`` by name offers itself to ``to_username`` instead. One
    ``task.transferred`` event per task; returns how many tasks moved. Refuses a disabled target.
    Tasks offered to the leaving person only through a role or an organisation are not theirs to hand over.
    """
    who = actor if isinstance(actor, Who) else Who(actor.username if isinstance(actor, Actor) else str(actor), ip)
    if from_username == to_username:
        raise _invalid("to", "不能转办给本人", "cannot hand over to the same person")
    get_user(session, from_username)
    target = get_user(session, to_username)
    if not target.is_active:
        raise UserDisabled(to_username)
    conn = session.connection()
    columns = (TASKS.c.id, TASKS.c.instance_id, TASKS.c.node_id)
    # Lock the rows we move (PostgreSQL): a concurrent claim or completion waits for us, or we for it.
    assigned = conn.execute(select(*columns).where(TASKS.c.assignee == from_username)
                            .order_by(TASKS.c.id).with_for_update(of=TASKS)).all()
    offered = conn.execute(select(*columns).join(CANDIDATES, CANDIDATES.c.task_id == TASKS.c.id)
                           .where(CANDIDATES.c.kind == "user", CANDIDATES.c.value == from_username)
                           .order_by(TASKS.c.id).with_for_update(of=TASKS)).all()
    moved: dict[str, dict] = {}
    for row, what in [(r, "assignee") for r in assigned] + [(r, "candidate") for r in offered]:
        entry = moved.setdefault(row.id, {"instance_id": row.instance_id, "node_id": row.node_id, "as": []})
        entry["as"].append(what)
    if assigned:
        conn.execute(update(TASKS).where(TASKS.c.id.in_([r.id for r in assigned]), TASKS.c.assignee == from_username)
                     .values(assignee=to_username))
    if offered:
        ids = [r.id for r in offered]
        mine = and_(CANDIDATES.c.task_id.in_(ids), CANDIDATES.c.kind == "user", CANDIDATES.c.value == from_username)
        already = aliased(TaskCandidate)
        # where the new person is already a candidate by name, drop the old entry instead of duplicating
        conn.execute(delete(CANDIDATES).where(mine, exists(
            select(already.id).where(already.task_id == CANDIDATES.c.task_id, already.kind == "user",
                                     already.value == to_username))))
        conn.execute(update(CANDIDATES).where(mine).values(value=to_username))
    now = clock.now()
    if moved:
        conn.execute(insert(EVENTS), [
            dict(instance_id=entry["instance_id"], task_id=task_id, node_id=entry["node_id"], type="task.transferred",
                 actor=who.username, at=now,
                 data={"from": from_username, "to": to_username, "reason": reason, "bulk": True, "as": entry["as"]})
            for task_id, entry in moved.items()])
    record_change(session, who, "user.hand_over", "user", from_username,
                  {"username": from_username, "assigned": len(assigned), "candidate": len(offered)},
                  {"to": to_username, "transferred": len(moved), "reason": reason})
    return len(moved)
